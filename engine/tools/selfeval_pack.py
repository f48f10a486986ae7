"""The pack `jixiao selfeval` generates from a table: the template library plus one indicator per
row, its evidence, and the findings about the table's own arithmetic.

Cell text is data, never code. Every text from a cell enters the pack's text through `literal`
(escaped, on one line, at most SHOWN characters) and comments through `display`; the parsed pack
then gets each name's exact text back (`exact_names`). Identifiers — indicator codes, fact names
— are made here, never taken from cells, and every number is a Decimal printed by the formatter.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from jixiao.dsl import ast, record
from jixiao.dsl.formatter import number as dsl_number
from jixiao.dsl.formatter import string as dsl_string

from .selfeval import (
    Finding,
    Funds,
    IndicatorRow,
    Table,
    TableError,
    Target,
    cell_name,
    parse_actual,
    parse_target,
    qualitative_level,
)


@dataclass
class Generated:
    text: str  # the pack: a header, `import` of the template library, the table's rows
    evidence: str  # YAML
    findings: list[Finding]
    rows: list[IndicatorRow]
    # The exact text of every name taken from a cell, by the indicator code the tool gave it
    # ("" for the pack's title): the pack's text shows a one-line rendering (`display`), and
    # `exact_names` puts these back into the parsed pack, so no cell is ever read as code.
    names: dict[str, str] = field(default_factory=dict)
    # The cell each generated fact was read from, so evidence errors point at the table.
    cells: dict[str, str] = field(default_factory=dict)


#: Characters that end a line somewhere (str.splitlines, editors, the terminal): never written
#: into the pack's text, not even in a comment.
_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"


#: The characters of a cell shown in the generated pack's text (names keep their exact text,
#: whatever its length: the pack's own limit on a quoted text never sees a cell).
SHOWN = 200


def display(text: str) -> str:
    """A cell's text on one line, for the generated pack's text: line breaks become `↵`,
    other control and unpaired surrogate characters `�`, past SHOWN characters `…`. The pack's
    names still hold the exact text (see `Generated.names`); this is only what a reader of
    `--emit-pack` sees."""
    if len(text) > SHOWN:
        text = text[:SHOWN] + "…"
    out = []
    for ch in text:
        if ch in _BREAKS:
            out.append("↵")
        elif ch != "\t" and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def literal(text: str) -> str:
    """The one way a cell's text enters the pack: a quoted, escaped, one-line string."""
    return dsl_string(display(text))


def _yaml_scalar(value: Decimal | str) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


#: How a generated pack names the template it imports: the shipped library is on every pack's
#: import path, so the pack runs with `jixiao eval` from any folder.
TEMPLATE = "self-evaluation.jx"


def build(
    table: Table,
    template: str,
    budget_weight: Decimal,
    qualitative_fallback: bool = False,
    imports: str = TEMPLATE,
) -> Generated:
    """The rule pack (`import` of the template, whose text is `template`, + one indicator per
    row), its evidence, and the findings. The template is imported, never copied, so a fix to
    it reaches every generated pack."""
    findings: list[Finding] = list(table.bad)
    decls: list[str] = []  # the facts the rows need, declared before the tree
    cols = table.columns
    where = f"{table.path.name} {table.sheet}!"
    names = {"": table.project or "项目支出绩效自评表"}
    cells: dict[str, str] = {}
    lines = ["", "", f"import {dsl_string(imports)}", "", "# ----- the table's rows"]
    evidence = ["facts:"]
    total = Decimal(0)
    funds = table.funds
    if funds is not None and (
        funds.row in table.bad_rows or any(r in table.bad_rows for r, *_ in funds.parts)
    ):
        funds = None  # an S7/S8 finding names the cell (a sum row's part too); no total
    if funds is not None and funds.weight is not None and funds.weight <= 0:
        findings.append(
            Finding(
                "S6",
                f"{where}{cell_name(funds.row, 1)}",
                f"预算执行率 has the 分值 {dsl_number(funds.weight)}; it is not scored",
            )
        )
        funds = None
    if funds is not None:
        # 年度资金总额 is a sum row: when it does not add up, say so and score the parts
        parts_budget = sum((b for _, _, b, _ in funds.parts if b is not None), Decimal(0))
        parts_spent = sum((x for _, _, _, x in funds.parts if x is not None), Decimal(0))
        if funds.parts and (funds.budget or Decimal(0)) != parts_budget:
            findings.append(
                Finding(
                    "S4",
                    f"{where}{cell_name(funds.row, 4)}",
                    f"年度资金总额 is printed as {funds.budget or 0}; its rows "
                    f"add up to {parts_budget} (scored with {parts_budget})",
                )
            )
            funds.budget, funds.spent = parts_budget, parts_spent
        weight = funds.weight if funds.weight is not None else budget_weight
        total += weight
        lines += [
            "fact 全年预算数: number nonzero",
            "fact 全年执行数: number",
            "let 预算执行率: percent = 全年执行数 / 全年预算数",
            f'indicator S "预算执行率" {dsl_number(weight)} {{',
            "    执行率计分(预算执行率)",
            "}",
        ]
        if funds.budget is not None:
            evidence.append(f"  全年预算数: {_yaml_scalar(funds.budget)}")
        if funds.spent is not None:
            evidence.append(f"  全年执行数: {_yaml_scalar(funds.spent)}")
        cells["全年预算数"] = cells["全年执行数"] = f"{where}{cell_name(funds.row, 1)}"
        # sum rows: 年度资金总额 should be the sum of 其中 rows

    groups: dict[str, dict[str, list[IndicatorRow]]] = {}
    for row in table.rows:
        groups.setdefault(row.level1 or "绩效指标", {}).setdefault(row.level2 or "指标", []).append(
            row
        )
        if row.row in table.bad_rows:
            continue  # an S7/S8 finding names the cell; the row is not scored
        target = parse_target(row.target_text)
        row.target = target
        target_cell = f"{where}{cell_name(row.row, cols['年度指标值'])}"
        actual_cell = f"{where}{cell_name(row.row, cols['实际完成值'])}"
        if target is None:
            findings.append(
                Finding(
                    "S1",
                    target_cell,
                    f"cannot read the target `{row.target_text}` of {row.name}; scored as "
                    "qualitative"
                    if qualitative_fallback
                    else f"cannot read the target `{row.target_text}` of {row.name}",
                )
            )
            if not qualitative_fallback:
                continue
            row.target = target = Target("qualitative", None, "", False)
        if target.kind in ("qualitative", "deadline"):
            row.level = qualitative_level(row.actual_text)
            if row.level is None:
                findings.append(
                    Finding(
                        "S2",
                        actual_cell,
                        f"no readable actual for `{row.name}` (`{row.actual_text or '空'}`)",
                    )
                )
            continue
        row.actual = parse_actual(row.actual_text, target)
        if row.actual is None:
            findings.append(
                Finding(
                    "S2",
                    actual_cell,
                    f"`{row.name}` has a numeric target `{row.target_text}` but "
                    f"the actual is `{row.actual_text or '空'}`",
                )
            )
            continue
        note_col = cols.get("偏差")
        if (
            target.kind == "forward"
            and target.value
            and row.actual >= target.value * Decimal("1.3")
            and not row.explanation
        ):
            findings.append(
                Finding(
                    "S5",
                    f"{where}{cell_name(row.row, note_col or 1)}",
                    f"`{row.name}`: the actual is 130% of the target or more, with no 偏差原因分析",
                )
            )

    if funds is not None and funds.budget and funds.spent is not None:
        rate = funds.spent / funds.budget
        if rate < Decimal("0.9") and not any("预算" in r.explanation for r in table.rows):
            findings.append(
                Finding(
                    "S5",
                    f"{where}{cell_name(funds.row, 1)}",
                    f"预算执行率 {rate * 100:.2f}% is below 90% with no explanation",
                )
            )

    for i, (level1, seconds) in enumerate(groups.items(), start=1):
        rows1 = [r for rs in seconds.values() for r in rs if _scorable(r)]
        if not rows1:
            continue
        w1 = sum((r.weight or Decimal(0) for r in rows1), Decimal(0))
        names[f"Y{i}"] = level1
        lines.append(f"indicator Y{i} {literal(level1)} {dsl_number(w1)} {{")
        for j, (level2, rows2) in enumerate(seconds.items(), start=1):
            rows2 = [r for r in rows2 if _scorable(r)]
            if not rows2:
                continue
            w2 = sum((r.weight or Decimal(0) for r in rows2), Decimal(0))
            names[f"Y{i}.{j}"] = level2
            lines.append(f"    indicator Y{i}.{j} {literal(level2)} {dsl_number(w2)} {{")
            for row in rows2:
                assert row.target is not None and row.weight is not None
                code = f"Y{i}.{j}.{row.code}"
                names[code] = row.name
                lines.append(
                    f"        # {display(row.name)}：{display(row.target_text)}"
                    f"（实际 {display(row.actual_text)}）"
                )
                lines.append(
                    f"        indicator {code} {literal(row.name)} {dsl_number(row.weight)} {{"
                )
                actual_cell = f"{where}{cell_name(row.row, cols['实际完成值'])}"
                score_cell = f"{where}{cell_name(row.row, cols['得分'])}"
                cells.update({f"实际_{row.code}": actual_cell, f"档次_{row.code}": actual_cell})
                cells[f"得分_{row.code}"] = score_cell
                lines.append(f"            {_call(row, evidence, decls)}")
                lines.append("        }")
            lines.append("    }")
        lines.append("}")
        total += w1
    for row in table.rows:
        if row.row in table.bad_rows:
            continue
        if not row.weight or row.weight < 0:
            findings.append(
                Finding(
                    "S6",
                    f"{where}{cell_name(row.row, cols['分值'])}",
                    f"`{row.name}` has no 分值; it is not scored"
                    if not row.weight
                    else f"`{row.name}` has a negative 分值 {dsl_number(row.weight)}; "
                    "it is not scored",
                )
            )
    table_total = sum((r.weight or Decimal(0) for r in table.rows), Decimal(0))
    if funds is not None:
        table_total += funds.weight if funds.weight is not None else budget_weight
    if table_total != 100:
        findings.append(
            Finding(
                "S6",
                f"{where}{cell_name(table.header_row, cols['分值'])}",
                f"the 分值 add up to {dsl_number(table_total)}, not 100",
            )
        )
    if funds is None and not any(_scorable(r) for r in table.rows):
        # a pack of no indicator has no score at all: say which cells stop every row
        if not table.rows and table.funds is None:
            raise TableError(
                f"{table.path}: no indicator rows under the 绩效指标 header (row "
                f"{table.header_row})"
            )
        why = [f"{f.cell} [{f.code}] {f.message}" for f in findings if f.code != "S5"]
        raise TableError(
            f"{table.path}: no row can be scored: " + "; ".join(why),
            help="correct the cells named here; a table is scored when at least one row can be",
        )
    marker = lines.index("# ----- the table's rows")
    lines[marker + 1 : marker + 1] = decls
    # The pack's own header: the table's title and total; every setting it leaves unset (the
    # rounding mode, the grades) is the template's, as imports merge headers.
    head = [f"pack {literal(names[''])} {{", f"    total {dsl_number(total)}"]
    places = _weight_places(table, funds)
    rounding = re.search(r"^\s*rounding (\d+)([^\n;}#]*)", template, re.M)
    if places > (int(rounding[1]) if rounding else 2):
        # a 分值 of 33.333 needs three places: the template's two would round full marks to
        # 33.33 (E431), so the table's own precision decides, as its 得分 column shows it
        mode = rounding[2].rstrip() if rounding and rounding[2].strip() else " half_up"
        head.append(f"    rounding {places}{mode}")
    if total != 100:
        # the national bands need a 100-point total; the S6 finding says why there is no grade
        head.append("    grades { 未评级 else }")
    lines[0] = "\n".join([*head, "}"])
    text = "\n".join(lines) + "\n"
    return Generated(
        text, "\n".join(evidence) + "\n", findings, table.rows, names=names, cells=cells
    )


#: The most decimal places a 分值 may need (the rounding setting's own limit).
MAX_WEIGHT_PLACES = 6


def _weight_places(table: Table, funds: Funds | None) -> int:
    """Decimal places of the most precise 分值 in the table (at most MAX_WEIGHT_PLACES)."""
    weights = [r.weight for r in table.rows if r.weight]
    if funds is not None and funds.weight is not None:
        weights.append(funds.weight)
    places = 0
    for weight in weights:
        exponent = weight.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < 0:
            places = max(places, -exponent)
    return min(places, MAX_WEIGHT_PLACES)


def exact_names(pack: ast.Pack, names: dict[str, str]) -> ast.Pack:
    """The parsed pack with each generated indicator's name (and the title) set to the exact
    text of its cell, as `Generated.names` holds it."""

    def fix(ind: ast.Indicator) -> ast.Indicator:
        exact = names.get(ind.code.text)
        name = ind.name if exact is None else ast.String(exact, ind.name.span)
        return record.replace(ind, name=name, children=tuple(fix(c) for c in ind.children))

    headers = pack.headers
    if headers and "" in names:
        first = headers[0]
        headers = (record.replace(first, title=ast.String(names[""], first.title.span)),)
        headers += pack.headers[1:]
    return record.replace(pack, headers=headers, indicators=tuple(fix(i) for i in pack.indicators))


def _scorable(row: IndicatorRow) -> bool:
    if row.target is None or row.weight is None or row.weight <= 0:
        return False
    if row.target.kind in ("qualitative", "deadline"):
        return row.level is not None
    return row.actual is not None


def _call(row: IndicatorRow, evidence: list[str], decls: list[str]) -> str:
    assert row.target is not None
    target = row.target
    if target.kind in ("qualitative", "deadline"):
        evidence.append(f"  档次_{row.code}: {row.level}")
        if row.published is not None:
            evidence.append(f"  得分_{row.code}: {_yaml_scalar(row.published)}")
        # a choice: the emitted pack's evidence, edited by hand, refuses a misspelt 档次
        levels = '["达成", "部分达成", "未达成"]'
        decls += [f"fact 档次_{row.code}: choice {levels}", f"fact 得分_{row.code}: number"]
        if target.kind == "deadline" and row.level == "达成" and row.published is None:
            return f'full when 档次_{row.code} == "达成"'
        return f"定性(档次_{row.code}, 得分_{row.code})"
    # a table's actual may lie anywhere a typed number can (偏差 rates below 0, 超额完成 far
    # above 100 %): the table's own S5 finding flags the outliers, the domain must not refuse them
    kind = "percent min -100000% max 100000%" if target.percent else "number"
    decls.append(f"fact 实际_{row.code}: {kind}")
    assert row.actual is not None and target.value is not None
    # a percent as `250%`: a bare fraction above 2 is refused as a likely typo for a percent
    actual = f"{dsl_number(row.actual * 100)}%" if target.percent else _yaml_scalar(row.actual)
    evidence.append(f"  实际_{row.code}: {actual}")
    literal = (dsl_number(target.value * 100) + "%") if target.percent else dsl_number(target.value)
    function = {"forward": "正向", "reverse": "反向", "equal": "等于"}[target.kind]
    return f"{function}({literal}, 实际_{row.code})"
