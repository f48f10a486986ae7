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
        "Grade bands run from the highest lower bound to the lowest, within the total.",
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
        "cascade by design and are not overlaps.",
    ),
    # E5xx: the dependency graph
    "E501": ("derived facts in a cycle", "A derived fact cannot depend on itself."),
    "E502": (
        "a recursive scoring function",
        "Functions may call others, never themselves, so evaluation always terminates.",
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
    # E7xx: pack tests
    "E701": (
        "a test file that cannot be used",
        "`jixiao test` reads `PACK.test.yaml`: `evidence:` (optional) and a `cases:` list; "
        "each case has `facts:`/`params:`/`omit:` overrides or its own `evidence:`, and "
        "`expect:` with `total`, `grade`, `points`, `lines` or `errors`.",
    ),
    # warnings
    "W201": ("a declared fact no rule reads", "Remove it, or use it."),
    "W202": (
        "a function parameter hides a fact",
        "Inside the function the name means the argument, not the pack's fact.",
    ),
    "W401": ("a code that does not extend its parent's", "`A1.1` belongs under `A1`."),
    "W403": (
        "a leaf that can never score full marks",
        "Its best band, level or checklist total stays below the weight.",
    ),
    "W405": ("a tier band that can never apply", "Earlier bands already cover all its values."),
    "W406": (
        "a division that may divide by zero, unguarded",
        "Declare the fact `nonzero`, or guard the use: `full when 故障总数 == 0 else …`.",
    ),
    "W407": (
        "one fact driving deductions in several indicators",
        "The same finding would be punished twice; declare the fact `shared` if intended.",
    ),
    "W620": (
        "a portfolio column that is not a fact of the pack",
        "Often a typo in the header; see the help.",
    ),
    "W408": (
        "an award or deduction formula that can leave the range",
        "A formula award can pass the weight (capped) or go negative (floored); a negative "
        "deduction adds points. The warning gives evidence values that do it.",
    ),
    "W601": ("the evidence gives a fact the pack does not declare", "Often a typo: see the help."),
    "W602": (
        "evidence dated outside the evaluation period",
        "The founding report dates its interviews 2017 for an evaluation begun in 2018.",
    ),
    "W603": ("the evidence is not UTF-8", "It was read as GB18030; save it as UTF-8 to be sure."),
}
