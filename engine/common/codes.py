"""What each diagnostic code means, in a sentence or two: the text `docs/diagnostics.md` is
built from (with an example from `tests/diagnostics/`) and `jixiao check --explain` prints."""

from __future__ import annotations

CODES: dict[str, tuple[str, str]] = {
    # E1xx: reading and parsing a pack
    "E100": (
        "the pack file cannot be read",
        "The path names no file, a directory, or a binary file. Check the path.",
    ),
    "E101": (
        "a character the language does not use here",
        "Often a full-width character typed with a Chinese input method where ASCII "
        "punctuation is needed (`｛` for `{`). Common ones (`：，；（）％“”` and `≥ ≤ ≠ × ÷`) "
        "are accepted; the hint names the ASCII character for the others.",
    ),
    "E102": (
        "a word in the wrong place",
        "The parser found something it did not expect; the help lists what may come "
        'there. An indicator is written `indicator CODE "名称" WEIGHT { … }`.',
    ),
    "E103": (
        "the pack ends too early",
        "Usually a `}` is missing; the second label shows the `{` that is never closed.",
    ),
    "E104": ("not a calendar date", "Dates are written YYYY-MM-DD and must exist (no 2017-02-30)."),
    "E105": ("a fact option given twice", "Keep one `unit`, `label` or `default` per fact."),
    "E106": (
        "`!=` in a tier band",
        "A band is a range; `!= x` is two ranges. Write `< x` and `> x` rows.",
    ),
    "E107": ("a checklist with two bases", "Add the base shares together into one `base`."),
    "E108": (
        "`else` before the last branch of `choose`",
        "Branches are tried in order; `else` catches the rest and must come last.",
    ),
    "E109": (
        "an expression or indicator tree nested too deeply",
        "More than 200 levels (a sum of hundreds of terms, hundreds of parentheses, or "
        "indicators each inside the one before — usually missing `}`). Split an expression into "
        "derived facts; close each indicator's braces.",
    ),
    "E110": (
        "a number too long",
        "A number literal has more than 20 digits: almost always a slip of the keyboard, and "
        "beyond what points or amounts need.",
    ),
    "E111": (
        "functions calling functions too deep",
        "A chain of function calls, each inside the one before, is longer than the call depth "
        "limit (32). Write the rules of the innermost functions into their callers.",
    ),
    "E112": (
        "function calls that expand too far",
        "Calls are expanded in place: a pack's calls may expand to at most 50,000 clauses "
        "and terms (the expansion limit). A function calling another twice, or passing "
        "a parameter twice to the next call, doubles at every level; call once, or name the "
        "repeated expression with `let`.",
    ),
    "E113": (
        "an expression too deep once functions are expanded",
        "An argument is put in place of its parameter, so nesting adds up along a chain of "
        "calls; more than 200 levels (the nesting limit, as E109) is refused. Pass a derived "
        "fact as the argument.",
    ),
    "E114": (
        "derived facts nested too deep",
        "A derived fact that reads another, that reads another … is one expression as deep as "
        "all of them (each derived fact read counts as a level): more than 200 levels (the "
        "derived depth limit) is refused. Compute intermediate totals from facts.",
    ),
    "E115": (
        "a string too long",
        "A title, label or reason of more than 10,000 characters (the string length limit): "
        "every report repeats it. Keep long explanations in a comment.",
    ),
    "E116": (
        "an imported pack not found",
        '`import "x.jx"` looks beside the importing file, then in each folder of the import '
        "path: `--import-path DIR`, the JIXIAO_PATH environment variable, and the standard packs "
        "shipped with jixiao.",
    ),
    "E117": (
        "an import that is refused",
        "Only `.jx` files are imported, and only from inside the top pack's folder or a folder "
        "of the import path, so a pack from elsewhere cannot make jixiao read other files.",
    ),
    "E118": (
        "packs that import each other",
        "An import cycle (a.jx imports b.jx, which imports a.jx) has no order to read the files "
        "in. Move what both need into a third template.",
    ),
    "E119": (
        "too many imports",
        "A pack is made of at most 256 files (the import limit), imported at most 32 deep.",
    ),
    "E120": (
        "a parameter replaced with another kind",
        "A `param` in the importing pack replaces the template's parameter of the same name "
        "(that is how a bureau adapts a template's thresholds); it must keep the template's "
        "kind, since the template's rules were checked with it.",
    ),
    # E2xx: names
    "E201": (
        "unknown fact",
        "A rule or derived fact reads a name the pack does not declare; the help suggests "
        "the closest declared name (CJK look-alikes included).",
    ),
    "E202": ("a name declared twice", "Facts, parameters and derived facts share one namespace."),
    "E203": (
        "unknown function in an expression",
        "The expression functions are `count`, `min`, `max`, `abs`, `days`, `workdays`.",
    ),
    "E204": (
        "unknown type",
        "The types are money, number, count, percent, bool, text, date, list, judgement.",
    ),
    "E205": (
        "unknown rounding mode",
        "The modes are half_up, half_even, half_down, down (truncate) and up.",
    ),
    "E206": ("two pack headers", 'A pack has one `pack "…" { … }` header.'),
    "E207": ("a setting given twice", "Each header setting appears once."),
    "E210": (
        "an unknown word for a setting",
        "`not_applicable` takes full, exclude or zero; `overflow` cap or allow; `rounding "
        "… on` leaves or total; `na` full, exclude or zero.",
    ),
    "E211": (
        "unknown scoring function",
        "A clause calls a function the pack does not define with `function …`.",
    ),
    # E3xx: types
    "E301": (
        "incompatible kinds in an operation",
        "Money is never compared with a percent, a date never added to a count. A rate is "
        "money divided by money.",
    ),
    "E302": (
        "the wrong kind of value for this place",
        "A condition must be a bool, a `proportional` rate a percent, `count()` takes a "
        "list, and so on.",
    ),
    "E303": (
        "an expression function called with the wrong number of arguments",
        "`count(list)`, `abs(x)`, `days(from, to)`, `min(a, b, …)`.",
    ),
    "E304": (
        "a derived fact's expression does not have its declared type",
        "`let 执行率: percent = 实际支出 - 预算金额` is money, not a percent.",
    ),
    "E305": ("a default of the wrong kind", "The default must be a value of the fact's type."),
    "E306": (
        "a tier bound of another kind than its subject",
        "Bound a percent with percents, money with amounts.",
    ),
    "E307": (
        "a scoring function called with the wrong number of arguments",
        "Pass one argument per parameter, in order.",
    ),
    "E308": (
        "an argument of the wrong kind",
        "A `number` parameter takes any quantity (count, money, percent); others must match.",
    ),
    "E309": ("`distinct` on a count", "Only a list of findings has items to tell apart."),
    "E310": (
        "quantities of different units compared or added",
        "Money converts exactly between 元, 千元, 万元, 百万元 and 亿元; a counted unit "
        "(个, 人, 次, 台, 天 …) and any other declared unit meet only the same unit or a bare "
        "number.",
    ),
    "E311": (
        "a bare number where a percent is meant",
        "Against a percent (a comparison, a tier band, a target, a default, a parameter, a "
        "function argument) `95` means 9,500%: write `95%`. A bare 0 is allowed.",
    ),
    "E312": (
        "a unit that does not fit the fact's type",
        "Money takes a money unit (元, 万元 …), never a counted one (个, 人 …); a percent takes "
        "none but `%`.",
    ),
    "E313": (
        "a fact's declared domain cannot be used",
        "`min`/`max` are for numeric facts, of the fact's kind and unit, with min ≤ max.",
    ),
    "E314": (
        "a choice fact declared wrongly",
        '`fact 类别: choice ["培训", "会议", "其他"]` lists the values a text fact may take: '
        "a `choice` needs its list, each value once and none empty, and only a `choice` has one.",
    ),
    "E315": (
        "a value that is not among a choice fact's choices",
        'A comparison with a word the fact can never take (`类别 == "培训班"` when the choices are '
        "培训, 会议 and 其他) would be silently false, sending every project to the `else` branch. "
        "Use one of the choices, or add the word to them.",
    ),
    "E335": (
        "`panel` over a fact that is not a panel",
        "`panel 专家评分 mean` combines the scores of a fact declared `fact 专家评分: panel`, "
        "whose evidence lists each expert's name, score and reason.",
    ),
    "E336": (
        "an unknown way to combine a panel",
        "A panel is combined by `mean` (平均), `trimmed` (去掉一个最高分和一个最低分后平均, also "
        "去掉最高最低) or `median` (中位数).",
    ),
    "E337": (
        "a panel's `min` or scale that cannot be met or means nothing",
        "`min N` is the fewest experts a panel may have: a whole number, at least 1, and at least "
        "3 for `trimmed` (which drops the highest and the lowest score). `of N` is the scale the "
        "experts score on, a number above 0, and has no place inside `levels … score` (the "
        "level's range is the band there).",
    ),
    "E338": (
        "`by` over a fact that is not a choice fact",
        '`by 类别 { … }` dispatches on a fact declared `fact 类别: choice ["基建类", …]`, so '
        "that every value it may take is known and has a branch.",
    ),
    "E339": (
        "a choice that no branch of `by` takes",
        "Every choice of the fact needs a branch, or the `by` an `else: …` branch; a project of "
        "that category could not be scored otherwise.",
    ),
    "E340": ("`by` with two `else` branches", "Keep one `else`; it takes every other value."),
    "E341": (
        "a value with two branches in `by`",
        "Each value of the choice fact takes one branch; the second could never apply.",
    ),
    # E4xx: weights and ranges
    "E401": (
        "children's weights do not add up to the parent's",
        "Every label shows a child's weight; the help says by how much they miss. A branch "
        "with `of N` must have children adding up to N.",
    ),
    "E402": (
        "an indicator code used twice",
        "Each code names one indicator. The founding report prints `B1.2` twice; the pack "
        "calls the second one `B1.3`.",
    ),
    "E403": ("an indicator with neither rules nor children", "Nothing would score it."),
    "E404": (
        "a scoring rule in a branch",
        "A branch's points are its children's sum; it may carry deductions (a pool), "
        "`zero when` and `warn when`, but not a base rule.",
    ),
    "E405": ("a weight of zero", "Every indicator needs a positive weight."),
    "E406": ("the top level does not add up to the pack's total", "Fix a weight or `total`."),
    "E407": (
        "two base rules in one leaf",
        "Chain alternatives with `full when … else …` or `choose`; add deductions with `deduct`.",
    ),
    "E408": ("an award above the weight", "No band, level or award may exceed the weight."),
    "E409": (
        "grades out of order",
        "Grade bands run from the highest lower bound to the lowest (a bound above the "
        "reachable total is E433).",
    ),
    "E410": ("grades without an `else` band", "The last grade catches every lower total."),
    "E411": ("a share above 100%", "A share of the weight is at most 100% (`full`)."),
    "E412": ("a level or category listed twice", "Each label appears once."),
    "E413": ("rounding places out of range", "Places are a whole number from 0 to 6."),
    "E414": (
        "a checklist that awards more than the weight",
        "The elements' shares (and base) add up to at most 100%.",
    ),
    "E415": ("a veto names a grade the pack does not have", "Use a label from `grades`."),
    "E416": ("a veto names no indicator", "`veto … zero CODE` takes a declared code."),
    "E417": ("`of` on a leaf", "`of N` scales the sum of a branch's children."),
    "E418": (
        "a clause in the wrong kind of section",
        "A `bonus` adds points (`add`), a `penalty` deducts them (`deduct`).",
    ),
    "E420": (
        "tier bands leave values uncovered",
        "Bands over a numeric fact must cover its whole domain (counts, money and percents "
        "from 0 up); the message shows each uncovered interval with its open and closed "
        "ends. End the table with `else` to catch the rest.",
    ),
    "E421": (
        "a tier band overlapping an earlier one",
        "A band written as an interval `[a, b)` states its exact range; part of it is "
        "already taken by an earlier band. One-sided bands (`>= 95%: full; >= 90%: 1`) "
        "cascade by design and are not overlaps. A one-sided band is reported too when an "
        "earlier band takes a part of it that is not its open end: after `[80%, 90%): 1`, "
        "`>= 85%: full` gives values in [85%, 90%) 1, never full.",
    ),
    "E430": (
        "a negative deduction, bonus or cap",
        "`deduct -1 per …` would add a point while the ledger says 扣 1 分. Amounts, caps and "
        "judgement ranges are never negative, whether written as a number or reached through "
        "a parameter's default, a function's argument or a constant expression.",
    ),
    "E431": (
        "a weight the rounding can lift past itself",
        "With `rounding 0`, a weight of 2.5 at full marks rounds to 3. Every weight the pack "
        "rounds (leaves, `of` branches, branches with rules) and the pack's `total` must be a "
        "multiple of the rounding step (`rounding 1` steps by 0.1), unless the mode is `down`.",
    ),
    "E432": (
        "a cap the rounding can exceed",
        "A bonus or penalty section's `max`, or a clause's `max`, that is not a multiple of "
        "the rounding step: the rounded total can then give or take more than the cap.",
    ),
    "E433": (
        "a grade that can never be given",
        "Its lower bound is above the highest total the pack can reach (`total`, plus the "
        "bonus sections under `overflow allow`) — the national grades (优 ≥ 90 …) assume a "
        "total of 100 — or no total rounded to the pack's places falls in its band, or the "
        "bands above it already start at 0.",
    ),
    "E434": (
        "a pack with no indicator",
        "Nothing would be scored: `eval` would have no total. Declare the indicator tree. A "
        "library of functions and parameters only (rules/templates/scoring.jx, "
        "rules/self-evaluation.jx: packs `import` it) checks clean, and `eval` refuses it "
        "(E504).",
    ),
    "E435": (
        "a reason with a placeholder the rule does not fill",
        "`{item}` is filled by `per` over a list and by `deduct per … by`, `{count}` by `per` "
        "over a count; any other `{name}`, or these where the rule has none, would be printed "
        "as written.",
    ),
    "E436": (
        "a grade listed twice",
        "Each grade is one band: `优 >= 90; 优 >= 80` gives 优 to every total from 80 and "
        "never the grade meant for [80, 90).",
    ),
    "E437": (
        "a level's range past the weight",
        "An evaluator's score in `levels … score` is in points (or a share of the weight with "
        "`%`); a range reaching past the weight (`[80, 100]` on a weight of 10, meant as "
        "80%–100%) would cap every score at full marks.",
    ),
    "E438": (
        "a percent multiplied by 100",
        "A percent is a fraction: `let 完成率: percent = 完成数 / 计划数 * 100` (the spreadsheet "
        "habit) would make three quarters 7,500%, and `proportional` would give full marks for "
        "any completion above 1.33%. Drop `* 100`.",
    ),
    # E5xx: the dependency graph
    "E501": ("derived facts in a cycle", "A derived fact cannot depend on itself."),
    "E502": (
        "a recursive scoring function",
        "Functions may call others, never themselves, so evaluation always terminates.",
    ),
    "E503": (
        "no indicator is applicable: the total is undecided",
        "Every top-level indicator was excluded as not applicable (`not_applicable exclude`); "
        "Σ applicable points / Σ applicable weights is 0 / 0, so there is no total and no "
        "grade, never 0.00 差. `eval` exits 1.",
    ),
    "E504": (
        "a pack with no indicator cannot score evidence",
        "A library of functions and parameters has nothing to score; `eval` refuses it "
        "and exits 1. Import it from a pack that declares indicators (`import "
        '"self-evaluation.jx"`), as the packs `jixiao selfeval` generates from a '
        "self-evaluation table do.",
    ),
    "E505": (
        "a deduction or bonus whose amount came out negative",
        "An amount given by a formula (a parameter, a judgement, an expression) was negative "
        "for this evidence: it would have turned a deduction into a gain, so the indicator is "
        "not scored and the rule is named.",
    ),
    # E6xx: evidence and evaluation
    "E601": ("the evidence file cannot be read", "Check the path."),
    "E602": (
        "the evidence is not shaped as expected",
        "Evidence is YAML with a `facts:` mapping (and optional `params:`, `project:`).",
    ),
    "E603": (
        "a fact's value is not of its declared type",
        "Reported at the value's line and column, with the declaration as a second label.",
    ),
    "E604": ("a fact given twice in the evidence", "Keep one value."),
    "E605": (
        "a fact the pack needs is missing from the evidence",
        "Every indicator it stops is named; give the fact, or a `default` in the pack.",
    ),
    "E606": (
        "division by zero",
        "Names the expression, the fact that is 0 and where the evidence gives it. Guard "
        "the rule or declare the fact `nonzero`.",
    ),
    "E607": ("a level the rule does not list", "The help lists the levels."),
    "E608": (
        "no tier band holds the value",
        "Possible only when a band is bounded by a parameter (otherwise E420 catches it).",
    ),
    "E609": ("a computation failed", "An arithmetic overflow or invalid operation."),
    "E610": (
        "a judgement outside its declared range",
        "An evaluator's discretionary amount must lie in the rule's range (0 deducts nothing).",
    ),
    "E611": (
        "a not-applicable fact with no policy",
        "Declare `not_applicable full|exclude|zero` in the header, or `na …` in the indicator.",
    ),
    "E612": (
        "an evaluator's score outside its level's range",
        "Names the level and the range in points.",
    ),
    "E613": (
        "a finding without the field a rule looks up, or with an unlisted value",
        '`deduct per 事故 by "severity" {…}` needs each finding\'s `severity`.',
    ),
    "E614": ("a parameter under `facts:` or a fact under `params:`", "Move it."),
    "E615": ("a judgement without a reason", "Every discretionary amount carries its reason."),
    "E616": (
        "0 for a fact declared `nonzero`",
        "The pack divides by it; a project where it is 0 cannot be scored by this pack.",
    ),
    "E617": (
        "a derived fact declared `count` that came out negative or fractional",
        "A count is whole and 0 or more, computed or given. `计划次数 - 完成次数` is negative "
        "when more was done than planned; the indicators that read it are not scored, rather "
        "than deducting nothing in silence. The help shows the `max(0, …)` to write if doing "
        "more counts as none.",
    ),
    "E620": (
        "a portfolio sheet that cannot be read as projects",
        "The first row names the columns: one `id` column (or 项目编号/编号), facts by name, "
        "optionally `name`/项目名称.",
    ),
    "E621": (
        "a survey fact given both directly and by its responses",
        "Give the responses under `surveys:`, or the counted fact under `facts:`.",
    ),
    "E622": ("responses for a survey the pack does not declare", "Often a typo in the name."),
    "E623": (
        "responses that cannot be aggregated",
        "A missing file, a question the survey reads but the responses lack, or an answer "
        "not on a `mean` scale; the message says which.",
    ),
    "E630": (
        "a self-evaluation table that cannot be read in the national layout",
        "`jixiao selfeval` finds the 绩效指标 block by its header names (三级指标, 年度指标值, "
        "实际完成值, 分值, 得分) and the 项目资金 block by 全年预算数 and 全年执行数.",
    ),
    "E640": (
        "a file named by evidence that lies outside the evidence folder",
        "Survey responses and any other file evidence names resolve relative to the "
        "evidence file's folder and must stay inside it: an absolute path, a `..` that "
        "climbs out or a symlink whose real path leaves it is refused. `--allow-dir DIR` "
        "allows another folder.",
    ),
    "E641": (
        "a path that is not a regular file",
        "A device (`/dev/zero`), a FIFO, a socket or a directory is never read as data; "
        "the one exception is a pack or evidence piped in (`/dev/stdin`, a shell's `<(…)`).",
    ),
    "E642": (
        "a file over its size limit",
        "MAX_DATA_BYTES for files evidence names, MAX_TEXT_BYTES for packs and evidence, "
        "MAX_TABLE_BYTES for portfolio tables, MAX_FOLDER_FILE_BYTES per file of a portfolio "
        "folder; the message names the limit.",
    ),
    "E643": (
        "a workbook over a reading limit",
        "Entries, uncompressed sizes and compression ratio are checked before any XML is "
        "read; rows, cells, columns, merged ranges and cell text while reading. The message "
        "names the limit and its value.",
    ),
    "E644": ("a workbook that is not a readable XLSX", "Save it again as .xlsx, or as CSV."),
    "E645": (
        "an Excel error value where data is expected",
        "`#REF!`, `#DIV/0!`, `#VALUE!`, `#N/A`, `#NAME?`, `#NUM!`, `#NULL!`, `#SPILL!`, "
        "`#CALC!`, … in a portfolio or survey cell is refused, never counted or read as empty.",
    ),
    "E646": (
        "a formula where a value is expected",
        "An XLSX formula saved without its calculated value, or a CSV cell that is a "
        "formula (`=1+1`, `+…`, `@…`, or `-…` that is not a number).",
    ),
    "E647": (
        "a CSV cell or line over its limit",
        "MAX_CSV_FIELD characters in a cell (usually an unclosed quote that runs to the end "
        "of the file), MAX_CSV_LINE in a line (so one line cannot make a million cells).",
    ),
    "E648": ("a survey question heading two columns", "The answers would be mixed up."),
    "E649": (
        "a bare number above 1 in a portfolio percent column",
        "`1.5` could be 1.5 % or 150 %: write it with `%`, as a fraction ≤ 1, or format the "
        "XLSX cell as a percentage (its stored fraction is then unambiguous).",
    ),
    "E650": (
        "a responses file over its size limits",
        "At most MAX_RESPONSES = 100,000 respondents and MAX_ANSWERS = 2,000,000 cells, so a "
        "file of tiny rows cannot exhaust memory.",
    ),
    "E651": (
        "a survey whose responses are given twice",
        "YAML would keep the last entry silently; both places are shown.",
    ),
    "E652": (
        "an entry of a findings list that is no finding",
        "An empty entry, a dash or 无 written among findings, a bare number (a count typed "
        "where the findings are listed), an Excel error value or a formula: each finding "
        "costs points, so none of these is "
        "counted as one. A whole cell or list that says nothing was found (blank, `[]`, `无`, "
        "`-`, `—`, `/`) is the empty list.",
    ),
    "E653": (
        "a portfolio project id given twice",
        "Records and summaries name a project by its id; the later row fails, the first is "
        "scored. Ids are compared after folding full-width characters and spaces.",
    ),
    "E660": (
        "a value outside its fact's domain",
        "Money is 0 or more and a percent lies in [0%, 100%] unless the fact declares a wider "
        "range (`fact 完成率: percent max 150%`, `fact 结余: money min -100万元`); a declared "
        "`min`/`max` bounds it further. Checked for evidence, parameters and portfolio cells.",
    ),
    "E661": (
        "a key given twice in one mapping of the evidence",
        "At any depth (`{value: 1, value: 2}`, `source:` twice, `facts:` twice, a survey named "
        "twice): YAML and JSON would silently keep the last.",
    ),
    "E662": (
        "an expert's entry of a panel that cannot be read",
        "A panel fact (专家评分) lists one entry per expert: `- {专家: 张三, 得分: 4.5, 理由: …}` "
        "(or `name`, `score`, `reason`; `姓名`, `评分`/`分数`/`打分`, `意见`/`说明`/`评语`), or "
        "`张三: 4.5` lines. Each entry needs the expert's name and score; other fields are refused "
        "with the nearest field name.",
    ),
    "E663": (
        "an expert's score that is not a number",
        "A score is points, written in digits or Chinese numerals (`4.5`, `4.5分`, `四点五`); the "
        "entry is named by its place in the list and the expert's name.",
    ),
    "E664": (
        "an expert listed twice in one panel",
        "Each expert scores once; names are compared after folding full-width characters and "
        "spaces.",
    ),
    "E665": (
        "an expert's score outside the band",
        "Each expert scores within the indicator's band, from 0 to its weight (or within the "
        "range of the chosen level): a score outside it is refused rather than clipped.",
    ),
    "E666": (
        "a panel with too few experts",
        "The panel has fewer experts than its `min` (1 for `mean` and `median`, 3 for `trimmed` "
        "when no `min` is written).",
    ),
    "E680": (
        "an output that is an input",
        "`--output`, `--summary`, `--emit-pack` or a report file names the pack, the evidence, "
        "a responses file the evidence names, the portfolio, the table or a file in a folder "
        "being scored — by its path, a symlink "
        "or a hard link. Nothing is written; give the output another name.",
    ),
    "E681": (
        "an output that cannot be written",
        "Its folder does not exist, it is a folder, permission is denied or the disk is full. "
        "Checked before the work where it can be; a full disk is reported when it happens.",
    ),
    # E7xx: pack tests
    "E701": (
        "a test file that cannot be used",
        "`jixiao test` reads `PACK.test.yaml`: `evidence:` (optional) and a `cases:` list; "
        "each case has `facts:`/`params:`/`omit:` overrides or its own `evidence:`, and "
        "`expect:` with `total`, `grade`, `points`, `lines` or `errors`.",
    ),
    # E74x: the command line
    "E740": (
        "a folder or pattern on the command line that names no file",
        "`jixiao check rules/*.jx`, `jixiao test rules/`: the pattern matches no file, or the "
        "folder holds no pack (`check`, `fmt`) or test file (`test`). jixiao expands patterns "
        "itself, so a quoted pattern works in shells that do not expand them (Windows').",
    ),
    "E741": (
        "a test file that does not exist",
        "`jixiao test PACK` reads `PACK.test.yaml` beside the pack; `jixiao test PACK TESTS` "
        'reads TESTS. Write the file (see "Testing a pack" in the README) or give its path.',
    ),
    "E742": (
        "a test file whose pack is not beside it",
        "`NAME.test.yaml` named alone, or found in a folder, tests `NAME.jx` in the same "
        "folder. Name the pack first to pair them otherwise: `jixiao test PACK TESTS`.",
    ),
    "E743": (
        "`-k` selects no case",
        "`jixiao test -k EXPR` matched none of the cases: words are matched as substrings of "
        "the case names and test file names, ignoring case, with `and`, `or`, `not` and "
        "parentheses. Exit 1, so a CI job that tests nothing fails.",
    ),
    # E77x: portfolio roll-ups
    "E770": (
        "a portfolio weight that names no fact",
        "`portfolio weighted by NAME` in the pack header, or `--weight-by NAME` with `--batch`, "
        "must name a fact the pack declares; the help suggests the nearest.",
    ),
    "E771": (
        "a portfolio weight that is no amount of the evidence",
        "Projects are weighted by a money, number or count fact each project's evidence gives "
        "(预算金额, 资金量): not by a percent, text, bool or date, nor by a parameter, derived "
        "fact or questionnaire aggregate.",
    ),
    # E78x: an indicator's own parameter values
    "E780": (
        "an indicator sets a parameter the pack does not declare",
        "`param NAME = VALUE` inside an indicator gives that indicator its own value of a pack "
        "parameter: NAME must be declared with `param` (in the pack or a template it imports), "
        "not a fact or derived fact. The help suggests the nearest parameter.",
    ),
    "E781": (
        "an indicator's own parameter value of the wrong kind",
        "The value keeps the parameter's kind (and unit): `param 达成线 = 95%` for a percent.",
    ),
    "E782": (
        "an indicator's own parameter value outside its domain",
        "The value must lie where the parameter's may: a percent in [0%, 100%], money and "
        "counts at least 0, unless the parameter's own default lies beyond.",
    ),
    "E783": (
        "an indicator sets a parameter twice",
        "Keep one `param` line per parameter in an indicator.",
    ),
    "E784": (
        "an indicator's own parameter value with another kind",
        "`param 达成线: percent = 95%` may repeat the declared kind, never change it.",
    ),
    # E79x: `jixiao whatif`
    "E790": (
        "`whatif --fixed` names no fact",
        "`--fixed NAME` pins a fact the evidence gives (it is never changed): NAME must be a "
        "fact the pack declares; the help suggests the nearest. A fact can also be pinned in "
        "the pack: `fact 预算金额: money fixed`.",
    ),
    "E791": (
        "`whatif --to` names no grade",
        "`--to GRADE` is one of the grade labels the pack's `grades { … }` declares "
        "(优, 良, 中 …).",
    ),
    "E792": (
        "`whatif --indicator` names no indicator",
        "`--indicator CODE` is the code of an indicator of the pack (A1.2, C2.2.4 …).",
    ),
    "E793": (
        "`whatif` on evidence that does not score",
        "What it would take is worked out from the project's total: evidence with errors (a "
        "missing or refused fact) has none. Fix the errors `jixiao eval` reports first.",
    ),
    # warnings
    "W201": ("a declared fact no rule reads", "Remove it, or use it."),
    "W202": (
        "a function parameter hides a fact",
        "Inside the function the name means the argument, not the pack's fact.",
    ),
    "W310": (
        "money in a unit jixiao cannot convert",
        "`美元`, `元/年` …: kept as a unit of its own, meeting only the same unit or a bare "
        "number.",
    ),
    "W315": (
        "a choice no branch covers",
        "A `levels` or `choose` over a choice fact has no branch (and no `else`) for some of its "
        "choices: evidence giving one could not be scored by `levels` (E607) or would take no "
        "branch of `choose`.",
    ),
    "W335": (
        "a `by` whose `else` can never apply",
        "Every choice of the fact already has a branch, so the `else` branch is never taken: "
        "remove it, or add the choice it was meant for.",
    ),
    "W401": ("a code that does not extend its parent's", "`A1.1` belongs under `A1`."),
    "W403": (
        "a leaf that can never score full marks",
        "Its best band, level or checklist total stays below the weight.",
    ),
    "W405": (
        "a tier band that can never apply",
        "Earlier bands already cover all its values, or its own range holds none (`[90%, 80%)`).",
    ),
    "W406": (
        "a division that may divide by zero, unguarded",
        "Declare the fact `nonzero`, or guard the use: `full when 故障总数 == 0 else …`.",
    ),
    "W407": (
        "one fact driving deductions in several indicators",
        "The same finding would be punished twice; declare the fact `shared` if intended. A "
        "parameter (a threshold the pack sets) is never counted as a finding.",
    ),
    "W620": (
        "a portfolio column that is not a fact of the pack",
        "Often a typo in the header; see the help.",
    ),
    "W408": (
        "an award or deduction formula that can leave the range",
        "A formula award can pass the weight (capped) or go negative (floored); a negative "
        "deduction stops its indicator at evaluation (E505). The warning gives evidence "
        "values that do it.",
    ),
    "W410": (
        "a condition that can never hold",
        "Bounds on one fact that do not meet (`完成率 > 100% and 完成率 < 100%`, `x == 1 and "
        "x == 2`, `(x > 95 or x < 10) and x == 50`, `x != 1 and x == 1`): the rule it guards "
        "never applies. Only comparisons of one fact with constants, joined by `and`, `or` "
        "and `not`, are reasoned about, so the warning is never a guess. A "
        "judgement's or a level's range that holds no value (`within [2, 0.5]`) is reported "
        "the same way.",
    ),
    "W411": (
        "a condition that always holds",
        "Comparisons of one fact with constants joined by `or` that cover every value "
        "(`x >= 5 or x < 5`): the condition decides nothing.",
    ),
    "W412": (
        "an analysis gave up",
        "A static analysis stopped at its named work limit (ANALYSIS_STEPS) instead of "
        "running on: what it would have proven is not proven. `check` never hangs.",
    ),
    "W413": (
        "a weight the rounding can never reach",
        "Under `rounding … down`, a weight that is not a multiple of the rounding step can "
        "never be scored in full (2.5 under `rounding 0 down` scores at most 2).",
    ),
    "W414": (
        "the national grades out of reach of the pack's total",
        "The default grades (优 ≥ 90, 良 ≥ 80, 中 ≥ 60) assume a total of 100; a pack with "
        "`total 10` would grade every project 差. A warning, not an error, since a pack that "
        "never reports a grade (a test fixture, a part of a larger table) may mean it; the "
        "help gives the grades scaled to the pack's total. A pack's own grades out of reach "
        "are errors (E409, E433).",
    ),
    "W601": ("the evidence gives a fact the pack does not declare", "Often a typo: see the help."),
    "W602": (
        "evidence dated outside the evaluation period",
        "The founding report dates its interviews 2017 for an evaluation begun in 2018.",
    ),
    "W603": ("the evidence is not UTF-8", "It was read as GB18030; save it as UTF-8 to be sure."),
    "W604": (
        "a branch left out as not applicable takes its own deductions with it",
        "Every child of a branch with a deduction pool is not applicable under `exclude`, so the "
        "branch is left out of the total and its pool deducts nothing; the warning says how many "
        "points the pool's findings would have taken, so they are not lost unseen.",
    ),
    "W780": (
        "an indicator sets a parameter it never reads",
        "Neither its clauses, the functions they call, nor its children read the parameter, so "
        "its own value changes nothing.",
    ),
    "W781": (
        "an indicator's own parameter value read only through a derived fact",
        "Derived facts (`let`) are computed once for the whole pack with the pack's value of "
        "the parameter; the indicator's own value does not reach them.",
    ),
    "W782": (
        "evidence sets a parameter some indicators give their own value",
        "`params: {达成线: 93%}` changes the pack's value; an indicator with its own `param "
        "达成线 = 95%` keeps 95%, unless the evidence names it: `达成线@B1: 93%`.",
    ),
    "E810": (
        "the packs folder of `jixiao serve` cannot be read",
        "The server lists, checks and serves the packs (*.jx) directly inside `--packs DIR`; the "
        "folder must exist and be readable.",
    ),
    "E811": (
        "the decision log's database cannot be used",
        "`--db` takes a SQLAlchemy URL: `sqlite:///FILE.db` or `postgresql://USER@HOST/DB` "
        "(psycopg 3). Without it the log is SQLite in `DIR/.jixiao/decisions.db`. A password in "
        "the URL is never printed.",
    ),
    "E812": (
        "an option of `jixiao serve` cannot be used",
        "A tokens file that cannot be read or holds a malformed entry, or a token shorter than "
        "16 characters: the server refuses to start rather than run without the protection "
        "asked for.",
    ),
    "E320": (
        "a record list without fields, or fields on another type",
        "`fact 子项目: records { 名称: text; 预算: money }` declares each field; only a "
        "`records` fact lists fields.",
    ),
    "E321": (
        "a record field of a type a record cannot hold",
        "A field is money, number, count, percent, bool, text, date or a choice, read like a "
        "fact of that type; a list per record is a record list of its own.",
    ),
    "E322": ("a record field declared twice", "Each field of a record list has its own name."),
    "E323": (
        "an aggregate over a fact that is not a record list",
        "`sum(x.f)`, `count(x where …)` and the like read a `records` fact.",
    ),
    "E324": (
        "an aggregate names a field the record list does not declare",
        "The help names the closest field, or lists them.",
    ),
    "E325": (
        "an aggregate written the wrong way",
        "`sum`, `mean`, `min` and `max` take a field (`sum(子项目.预算)`); `count`, `all` and "
        "`any` take records and a condition (`count(培训 where 参训率 < 90%)`); `weighted mean` "
        "takes a field and a weight (`weighted mean(子项目.完成率 by 预算)`).",
    ),
    "E326": (
        "a sum, mean, extremum or weight of a field that is not a number",
        "Only money, number, count and percent fields add up; text and dates do not.",
    ),
    "E327": (
        "a per-record value that reads a derived fact",
        "A per-record value (`完成率: percent = 完成数 / 目标数`) reads the record's fields, "
        "facts and parameters; derived facts are computed after the records are read.",
    ),
    "E670": (
        "a record list given in a shape that is not one",
        "Give a list of mappings (`- {名称: 县A, 完成数: 3}`) or a sheet beside the evidence "
        "(`{file: 子项目.csv}` or `{file: 台账.xlsx, sheet: 子项目}`).",
    ),
    "E671": (
        "a record without a value for a declared field",
        "Every field needs a value in every record (a column in every row); `不适用` leaves the "
        "record out of the aggregates that read the field, and a field's `default` fills blanks.",
    ),
    "E672": (
        "a record gives a field the pack does not declare",
        "An unknown key or column could be a misspelt field whose value would be lost; remove "
        "it, or declare the field.",
    ),
    "E673": (
        "a record field's value is not of the field's type",
        "Each field is read like a fact of its type (amounts with units, percents, Chinese "
        "numerals, full-width digits) and checked against its domain and choices.",
    ),
    "E674": (
        "a records sheet that cannot be read",
        "The file is outside the evidence folder, too large, not CSV/XLSX, has no header row, "
        "a column heading twice, or the workbook has no sheet of that name.",
    ),
    "E675": (
        "an aggregate over no records",
        "The mean, minimum or maximum of no value has no value: every record was left out "
        "(by `where`, or `不适用`), or the list is empty. Guard the rule with `count(…)`.",
    ),
    "E676": (
        "a weighted mean whose weights add up to 0",
        "No record carries weight; the mean is undefined rather than 0.",
    ),
    "E677": (
        "a per-record value that cannot be computed",
        "A record's own value divides by zero or reads a field it lacks; the record is named.",
    ),
    "W320": (
        "a record field named as a fact, parameter or derived fact",
        "Inside an aggregate's `where` and a per-record value, a bare name is the record's field "
        "when it has one, so the pack's value of that name cannot be read there.",
    ),
    "E786": (
        "`eval --partial` over a missing panel or record list",
        "A panel's experts and a record list's records are many values each, with no finite set "
        "of critical values to range them over; the evaluator refuses rather than give a range "
        "that may be wrong. Give the fact; the facts still missing are then ranged.",
    ),
    "W785": (
        "a score range searched, not exhausted",
        "`eval --partial` finds each range over every combination of the missing facts' "
        "critical values; an indicator reading more combinations than MAX_ROWS (20,000), or "
        "facts too entangled to eliminate (MAX_CELLS, 2,000,000), is searched one fact at a "
        "time instead: its ends are reached by some evidence, but may not be the lowest and "
        "highest. Give some of the missing facts to make the range exact.",
    ),
    "E845": (
        "a Parquet or Arrow column whose type cannot hold its fact",
        "A portfolio's typed column is read as its fact's values: a string column fits every "
        "fact; a decimal, integer or float column money, numbers, counts and percents; bool "
        "yes/no; date32 or timestamp dates; a list of strings a list. Any other pairing would "
        "fail every row the same way, so the run stops before scoring.",
    ),
    "E846": (
        "a Parquet or Arrow cell that holds no exact value",
        "A float that is NaN or infinite, or a timestamp with a time of day where a date is "
        "expected: the row fails, never scored on a guess.",
    ),
    "E847": (
        "a Parquet or Arrow file that cannot be read",
        "The file is not Parquet or Arrow IPC, or is cut short or damaged.",
    ),
    "E848": (
        "`--engine dask` given a portfolio that is not Parquet",
        "The distributed engine scores partitions of a Parquet file or a folder of Parquet "
        "files (a dataset) where they lie; a CSV, XLSX or Arrow file is scored on one machine.",
    ),
    "E849": (
        "the distributed engine cannot be reached",
        "The `distributed` extra is not installed, or no Dask scheduler answers at the "
        "`--scheduler` address.",
    ),
    "E850": (
        "`--explain` names a project the portfolio does not have",
        "`eval --batch PORTFOLIO --explain ID` writes the report of the project whose id is ID "
        "(the id column of a sheet, the file name of a folder's evidence file). The whole "
        "portfolio was read and no project has that id; the reports of the ids found are "
        "written, and the run exits with 2.",
    ),
    "E851": (
        "`--explain` names a project whose row cannot be scored",
        "The chosen project's row holds a cell that is not data, or a value of the wrong type: "
        "there is no ledger to show. The message names the cell, as the portfolio's record "
        "of the row does.",
    ),
    "W860": (
        "`--points-only` given a pack the columns cannot score",
        "The columnar path runs `full when`, `proportional`, `forward`, `equal`, `reverse`, "
        "`tiers`, `levels`, `choose`, `checklist`, `by`, `deduct … when`, `per` (not "
        "`distinct`) and `… of … ` steps, `unless`, `zero when` and `warn when` over whole "
        "columns of projects; a leaf with another rule (a date, a record list, a panel, a "
        "judgement, a deduction by a finding's field) is scored by the ledger path's own leaf, "
        "project by project, and the rest of the tree over columns. A pack with a veto, a bonus "
        "or penalty section, rules on a branch, rounding `on total`, or no leaf the columns run "
        "is scored project by project instead. The records are the same; only the speed "
        "differs.",
    ),
    "E861": (
        "`--points-only` without numpy",
        "The columnar path computes with numpy, installed with the `columnar` extra.",
    ),
}
