"""`jixiao selfeval`: score a 项目支出绩效自评表 in the national layout of 财预〔2020〕10号.

The table is read by header names, never positions: the 项目资金 block (全年预算数, 全年执行数,
分值, 执行率, 得分) and the 绩效指标 block (一级/二级/三级指标, 年度指标值, 实际完成值, 分值, 得分,
偏差原因分析及改进措施), with merged 一级/二级 cells filled down as spreadsheets show them.
Each 年度指标值 is parsed into operator, number and unit (`≥50个`, `≤90万元`, `=100%`, `100%`,
`≥100百分比`, `12月底之前完成`) or recognised as qualitative (`效果明显`). The rows then become an
ordinary rule pack — the template library `rules/self-evaluation.jx` plus one indicator per row
calling 正向/反向/等于/定性 — so the score comes with the usual ledger, and the generated pack can
be inspected. Findings report what the published table gets wrong: printed scores that do not
follow the rules, sum rows that do not add up, deviations without an explanation.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jixiao.dsl.ast import MAX_DIGITS
from jixiao.dsl.formatter import number as dsl_number
from jixiao.dsl.formatter import string as dsl_string
from jixiao.dsl.source import DecodeError, decode


class TableError(Exception):
    """The table cannot be read in the national layout; the message says where."""


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # forward | reverse | equal | deadline | qualitative
    value: Decimal | None
    unit: str
    percent: bool


@dataclass
class IndicatorRow:
    row: int
    level1: str
    level2: str
    name: str
    target_text: str
    actual_text: str
    weight: Decimal | None
    published: Decimal | None
    explanation: str
    target: Target | None = None
    actual: Decimal | None = None
    level: str | None = None  # for qualitative rows: 达成 | 部分达成 | 未达成

    @property
    def code(self) -> str:
        return f"R{self.row}"


@dataclass
class Funds:
    row: int
    budget: Decimal | None
    spent: Decimal | None
    weight: Decimal | None
    published_rate: str
    published: Decimal | None
    parts: list[tuple[int, str, Decimal | None, Decimal | None]] = field(default_factory=list)


@dataclass
class Table:
    path: Path
    sheet: str
    project: str
    funds: Funds | None
    rows: list[IndicatorRow]
    total_row: tuple[int, Decimal | None] | None
    columns: dict[str, int]  # header → column (1-based)
    header_row: int


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # S1 unreadable target, S2 missing actual, S3 published score, S4 sum row,
    #            S5 deviation without explanation, S6 weights
    cell: str
    message: str


# ----- reading cells ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text, as the office typed it (numbers without float noise)."""
    if value is None:
        return ""
    if isinstance(value, float):
        value = repr(value)
    return str(value).strip()


def _decimal(value: Any) -> Decimal | None:
    text = unicodedata.normalize("NFKC", _text(value)).replace(",", "")
    if not text:
        return None
    try:
        return _sane(Decimal(text))
    except InvalidOperation:
        return None


def _sane(number: Decimal) -> Decimal | None:
    """The number if a table could mean it; None for NaN, infinities and runs of digits past
    MAX_DIGITS (`1e308`, a key held down), which would otherwise fail rounding later."""
    if not number.is_finite() or abs(number.adjusted()) >= MAX_DIGITS:
        return None
    return number if len(number.as_tuple().digits) <= MAX_DIGITS else None


def _grid(path: Path) -> tuple[str, list[list[Any]]]:
    """All cells of the first sheet, merged ranges filled with their top-left value."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, data_only=True)
        except Exception as exc:
            raise TableError(f"{path}: not a readable XLSX ({exc})") from None
        sheet = book.worksheets[0]
        grid = [list(r) for r in sheet.iter_rows(values_only=True)]
        for merged in sheet.merged_cells.ranges:
            top = sheet.cell(merged.min_row, merged.min_col).value
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                        grid[r - 1][c - 1] = top
        return sheet.title, grid
    try:
        text, _ = decode(path.read_bytes())
    except (OSError, DecodeError) as exc:
        raise TableError(f"{path}: {exc}") from None
    return "csv", [list(r) for r in csv.reader(text.splitlines())]


def cell_name(row: int, col: int) -> str:
    letters, n = "", col
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _find(grid: list[list[Any]], *labels: str) -> tuple[int, dict[str, int]] | None:
    """The first row holding all `labels`, and the column of each header in it."""
    for r, row in enumerate(grid, start=1):
        texts = [_text(v).replace(" ", "").replace("\n", "") for v in row]
        if all(any(label in t for t in texts) for label in labels):
            cols: dict[str, int] = {}
            for c, t in enumerate(texts, start=1):
                if t and t not in cols:
                    cols[t] = c
            return r, cols
    return None


def _col(cols: dict[str, int], *names: str) -> int | None:
    for name in names:
        for header, c in cols.items():
            if header.startswith(name):
                return c
    return None


def read_table(path: Path) -> Table:
    sheet, grid = _grid(path)

    def get(r: int, c: int | None) -> Any:
        """The cell at row r, column c (1-based), or None outside the sheet."""
        if not c or r - 1 >= len(grid) or c - 1 >= len(grid[r - 1]):
            return None
        return grid[r - 1][c - 1]

    project = ""
    for row in grid:
        for c, v in enumerate(row, start=1):
            if _text(v).replace(" ", "") == "项目名称":
                project = next((_text(x) for x in row[c:] if _text(x)), "")
                break
        if project:
            break

    funds = None
    found = _find(grid, "全年预算数", "全年执行数")
    if found:
        head, cols = found
        c_budget, c_spent = _col(cols, "全年预算数"), _col(cols, "全年执行数")
        c_weight, c_rate, c_score = _col(cols, "分值"), _col(cols, "执行率"), _col(cols, "得分")
        for r in range(head + 1, min(head + 8, len(grid) + 1)):
            label = " ".join(_text(v) for v in grid[r - 1][:3])
            if "年度资金总额" in label and funds is None:
                funds = Funds(
                    r,
                    _decimal(get(r, c_budget)),
                    _decimal(get(r, c_spent)),
                    _decimal(get(r, c_weight)),
                    _text(get(r, c_rate)),
                    _decimal(get(r, c_score)),
                )
            elif funds is not None and ("其中" in label or "结转" in label or "其他" in label):
                funds.parts.append(
                    (r, label, _decimal(get(r, c_budget)), _decimal(get(r, c_spent)))
                )

    found = _find(grid, "三级指标", "年度指标值")
    if not found:
        raise TableError(f"{path}: no 绩效指标 header (a row with 三级指标 and 年度指标值)")
    head, cols = found
    need = {
        "一级指标": _col(cols, "一级指标"),
        "二级指标": _col(cols, "二级指标"),
        "三级指标": _col(cols, "三级指标"),
        "年度指标值": _col(cols, "年度指标值"),
        "实际完成值": _col(cols, "实际完成值"),
        "分值": _col(cols, "分值"),
        "得分": _col(cols, "得分"),
    }
    missing = [k for k, v in need.items() if v is None]
    if missing:
        raise TableError(f"{path}: the 绩效指标 header (row {head}) lacks {', '.join(missing)}")
    c_note = _col(cols, "偏差原因")
    rows: list[IndicatorRow] = []
    total_row = None
    level1 = level2 = ""
    for r in range(head + 1, len(grid) + 1):
        first = _text(get(r, need["一级指标"]))
        if first.replace(" ", "") in ("总分", "合计") or first.startswith("总分"):
            total_row = (r, _decimal(get(r, need["得分"])))
            break
        name = _text(get(r, need["三级指标"]))
        if not name:
            continue
        level1 = first or level1
        level2 = _text(get(r, need["二级指标"])) or level2
        rows.append(
            IndicatorRow(
                r,
                level1,
                level2,
                name,
                _text(get(r, need["年度指标值"])),
                _text(get(r, need["实际完成值"])),
                _decimal(get(r, need["分值"])),
                _decimal(get(r, need["得分"])),
                _text(get(r, c_note)) if c_note else "",
            )
        )
    return Table(
        path,
        sheet,
        project,
        funds,
        rows,
        total_row,
        {k: v for k, v in need.items() if v} | ({"偏差": c_note} if c_note else {}),
        head,
    )


# ----- targets and actuals ----------------------------------------------------------------------

_OPS = {
    "≥": "forward",
    ">=": "forward",
    ">": "forward",
    "≤": "reverse",
    "<=": "reverse",
    "<": "reverse",
    "=": "equal",
    "＝": "equal",
}
_NUMBER = re.compile(r"^(≥|>=|>|≤|<=|<|=)?\s*(-?\d+(?:\.\d+)?)\s*(%|百分比|.*)$")
_DEADLINE = re.compile(r"(\d{1,2})\s*月\s*(底|末|\d{1,2}\s*日)?\s*(之前|以前|前)")


def parse_target(text: str) -> Target | None:
    """`≥50个`, `≤90万元`, `=100%`, `100%`, `≥100百分比`, `12月底之前完成`, `效果明显`."""
    text = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not text:
        return None
    if _DEADLINE.search(text) or re.search(r"\d{4}年\d{1,2}月", text):
        return Target("deadline", None, "", False)
    m = _NUMBER.match(text)
    number = _sane(Decimal(m.group(2))) if m else None
    if m and number is not None and not re.search(r"\d", m.group(3) or ""):
        op, value, unit = m.group(1), number, m.group(3) or ""
        percent = unit.startswith(("%", "百分比"))  # "100%完成" is a percent too
        if percent:
            value /= 100
        return Target(_OPS.get(op or "≥", "forward"), value, unit, percent)
    if re.search(r"\d", text):
        return None  # digits we cannot read: never guess
    return Target("qualitative", None, "", False)


_DONE = (
    "完成",
    "达成",
    "达到",
    "实现",
    "已",
    "按时",
    "及时",
    "明显",
    "显著",
    "良好",
    "有效",
    "提升",
    "提高",
    "严格",
    "规范",
    "是",
    "满意",
)


def qualitative_level(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if any(k in text for k in ("未达成", "未完成", "未达到", "没有", "未实现", "否", "较差")):
        return "未达成"
    if any(k in text for k in ("部分", "基本")):
        return "部分达成"
    if text.endswith("%"):
        value = _decimal(text[:-1])
        if value is not None:
            return "达成" if value >= 100 else "部分达成" if value >= 60 else "未达成"
    return "达成" if any(k in text for k in _DONE) else None


def parse_actual(text: str, target: Target) -> Decimal | None:
    text = unicodedata.normalize("NFKC", text).strip().replace(",", "")
    text = text.lstrip("≥≤=<>约 ")  # offices sometimes copy the operator into the actual
    m = re.match(r"^(-?\d+(?:\.\d+)?)\s*(%|百分比)?", text)
    if not m:
        return None
    value = _sane(Decimal(m.group(1)))
    if value is None:
        return None
    if target.percent and (m.group(2) or value > 1):
        value /= 100  # "90" under a percent target means 90%
    return value


# ----- the generated pack -----------------------------------------------------------------------


@dataclass
class Generated:
    text: str  # the pack: the template library plus the table's rows
    evidence: str  # YAML
    findings: list[Finding]
    rows: list[IndicatorRow]


def _yaml_scalar(value: Decimal | str) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build(
    table: Table, template: str, budget_weight: Decimal, qualitative_fallback: bool = False
) -> Generated:
    """The rule pack (template + one indicator per row), its evidence, and the findings."""
    findings: list[Finding] = []
    decls: list[str] = []  # the facts the rows need, declared before the tree
    cols = table.columns
    where = f"{table.path.name} {table.sheet}!"
    lines = [template.rstrip(), "", f"# ----- {table.project or table.path.name}: the table's rows"]
    evidence = ["facts:"]
    total = Decimal(0)
    funds = table.funds
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
        # sum rows: 年度资金总额 should be the sum of 其中 rows

    groups: dict[str, dict[str, list[IndicatorRow]]] = {}
    for row in table.rows:
        groups.setdefault(row.level1 or "绩效指标", {}).setdefault(row.level2 or "指标", []).append(
            row
        )
        target = parse_target(row.target_text)
        row.target = target
        target_cell = f"{where}{cell_name(row.row, cols['年度指标值'])}"
        actual_cell = f"{where}{cell_name(row.row, cols['实际完成值'])}"
        if target is None:
            findings.append(
                Finding(
                    "S1",
                    target_cell,
                    f"cannot read the target `{row.target_text}` of "
                    f"{row.name}" + ("; scored as qualitative" if qualitative_fallback else ""),
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
        lines.append(f"indicator Y{i} {dsl_string(level1)} {dsl_number(w1)} {{")
        for j, (level2, rows2) in enumerate(seconds.items(), start=1):
            rows2 = [r for r in rows2 if _scorable(r)]
            if not rows2:
                continue
            w2 = sum((r.weight or Decimal(0) for r in rows2), Decimal(0))
            lines.append(f"    indicator Y{i}.{j} {dsl_string(level2)} {dsl_number(w2)} {{")
            for row in rows2:
                assert row.target is not None and row.weight is not None
                lines.append(f"        # {row.name}：{row.target_text}（实际 {row.actual_text}）")
                lines.append(
                    f"        indicator Y{i}.{j}.{row.code} {dsl_string(row.name)} "
                    f"{dsl_number(row.weight)} {{"
                )
                lines.append(f"            {_call(row, evidence, decls)}")
                lines.append("        }")
            lines.append("    }")
        lines.append("}")
        total += w1
    for row in table.rows:
        if not row.weight:
            findings.append(
                Finding(
                    "S6",
                    f"{where}{cell_name(row.row, cols['分值'])}",
                    f"`{row.name}` has no 分值; it is not scored",
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
    marker = lines.index(f"# ----- {table.project or table.path.name}: the table's rows")
    lines[marker + 1 : marker + 1] = decls
    text = "\n".join(lines) + "\n"
    text = text.replace(
        'pack "项目支出绩效自评表" {',
        f"pack {dsl_string(table.project or '项目支出绩效自评表')} {{\n"
        f"    total {dsl_number(total)}",
        1,
    )
    if total != 100:
        # the national bands need a 100-point total; the S6 finding says why there is no grade
        text = re.sub(r"grades \{[^}]*\}", "grades { 未评级 else }", text, count=1)
    return Generated(text, "\n".join(evidence) + "\n", findings, table.rows)


def _scorable(row: IndicatorRow) -> bool:
    if row.target is None or not row.weight:
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
        decls += [f"fact 档次_{row.code}: text", f"fact 得分_{row.code}: number"]
        if target.kind == "deadline" and row.level == "达成" and row.published is None:
            return f'full when 档次_{row.code} == "达成"'
        return f"定性(档次_{row.code}, 得分_{row.code})"
    kind = "percent" if target.percent else "number"
    decls.append(f"fact 实际_{row.code}: {kind}")
    assert row.actual is not None and target.value is not None
    evidence.append(f"  实际_{row.code}: {_yaml_scalar(row.actual)}")
    literal = (dsl_number(target.value * 100) + "%") if target.percent else dsl_number(target.value)
    function = {"forward": "正向", "reverse": "反向", "equal": "等于"}[target.kind]
    return f"{function}({literal}, 实际_{row.code})"
