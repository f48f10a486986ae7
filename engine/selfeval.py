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
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jixiao.dsl import ast, record
from jixiao.dsl.ast import MAX_DIGITS
from jixiao.dsl.formatter import number as dsl_number
from jixiao.dsl.formatter import string as dsl_string
from jixiao.dsl.source import DecodeError, decode

from . import numerals


class TableError(Exception):
    """The table cannot be read in the national layout; the message says where, `help` (when
    given) how to fix it."""

    def __init__(self, message: str, help: str | None = None) -> None:
        super().__init__(message)
        self.help = help


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


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A cell that holds no value a table can mean: an Excel error value (S7) or a formula
    whose value the file does not hold (S8). Never read as a number, a text or a blank."""

    code: str
    text: str


#: The error values Excel and WPS write into cells (and into CSV exports as text).
ERROR_VALUES = frozenset(
    ("#REF!", "#DIV/0!", "#N/A", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")
)


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
    bad: list[Finding] = field(default_factory=list)  # S7/S8: cells holding no value
    bad_rows: set[int] = field(default_factory=set)  # rows that therefore cannot be scored


@dataclass(frozen=True, slots=True)
class Finding:
    code: str  # S1 unreadable target, S2 missing actual, S3 published score, S4 sum row,
    #            S5 deviation without explanation, S6 weights, S7 an Excel error value,
    #            S8 a formula without a cached value, S9 a row the rules could not score
    cell: str
    message: str


# ----- reading cells ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text, as the office typed it (numbers without float noise)."""
    if value is None:
        return ""
    if isinstance(value, Unreadable):
        return value.text
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


def read_grid(path: Path) -> tuple[str, list[list[Any]]]:
    """All cells of the first sheet, merged ranges filled with their top-left value; error
    values and formulas without a cached value as `Unreadable`. The one place a table is read:
    a bounded reader replaces this function alone."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, data_only=True)
            formulas = openpyxl.load_workbook(path, data_only=False).worksheets[0]
        except Exception as exc:
            raise TableError(f"{path}: not a readable XLSX ({exc})") from None
        sheet = book.worksheets[0]
        grid: list[list[Any]] = []
        for cells in sheet.iter_rows():
            row: list[Any] = []
            for cell in cells:
                value: Any = cell.value
                if cell.data_type == "e" or (isinstance(value, str) and value in ERROR_VALUES):
                    value = Unreadable("S7", str(value))
                elif value is None and cell.row is not None and cell.column is not None:
                    source = formulas.cell(cell.row, cell.column)
                    if source.data_type == "f":
                        value = Unreadable("S8", str(source.value))
                row.append(value)
            grid.append(row)
        for merged in sheet.merged_cells.ranges:
            top = (
                grid[merged.min_row - 1][merged.min_col - 1]
                if merged.min_row <= len(grid) and merged.min_col <= len(grid[merged.min_row - 1])
                else None
            )
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    if r - 1 < len(grid) and c - 1 < len(grid[r - 1]):
                        grid[r - 1][c - 1] = top
        return sheet.title, grid
    try:
        text, _ = decode(path.read_bytes())
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (OSError, DecodeError, csv.Error) as exc:
        raise TableError(f"{path}: {exc}") from None
    return "csv", [
        [Unreadable("S7", v.strip()) if v.strip() in ERROR_VALUES else v for v in r] for r in rows
    ]


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
    sheet, grid = read_grid(path)

    bad: list[Finding] = []
    bad_rows: set[int] = set()
    seen: set[tuple[int, int]] = set()

    def get(r: int, c: int | None) -> Any:
        """The cell at row r, column c (1-based), or None outside the sheet. A cell holding
        no value is a finding and its row is not scored: None here is never read as blank."""
        if not c or r - 1 >= len(grid) or c - 1 >= len(grid[r - 1]):
            return None
        value = grid[r - 1][c - 1]
        if isinstance(value, Unreadable):
            if (r, c) not in seen:
                seen.add((r, c))
                bad.append(_unreadable(path, sheet, r, c, value))
            bad_rows.add(r)
            return None
        return value

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
            # a row with a weight, a target or a score but no name is still a row: skipping it
            # would score the table over fewer points than it has
            cells = ("年度指标值", "实际完成值", "分值", "得分")
            subtotal = "小计" in first or "小计" in _text(get(r, need["二级指标"]))
            if subtotal or (not any(_text(get(r, need[c])) for c in cells) and r not in bad_rows):
                continue
            name = f"第{r}行（三级指标空）"
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
        bad,
        bad_rows,
    )


def _unreadable(path: Path, sheet: str, r: int, c: int, cell: Unreadable) -> Finding:
    where = f"{path.name} {sheet}!{cell_name(r, c)}"
    if cell.code == "S7":
        why = f"holds the error value `{cell.text}`, not a value; fix the formula or type the value"
    else:
        why = (
            f"holds the formula `{cell.text}` but no value: the file was saved without "
            "calculating it; open it in Excel or WPS and save it again"
        )
    return Finding(cell.code, where, f"the cell {why}; its row is not scored")


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


_CHINESE = re.compile(
    r"^(≥|>=|>|≤|<=|<|=|约)?(负?[〇零一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬億点]+?)"
    r"(百分比|%|人次|个月|万元|亿元|元|[次个项份台人件处家套天户条篇场期批]|)$"
)


def _chinese_digits(text: str) -> str | None:
    """`≥十二次` → `≥12次`: a number in Chinese numerals followed by nothing, a percent sign or
    a unit, as Arabic digits (the shortest numeral wins: `十万元` is 10 of 万元, as `10万元`).
    None when it is such a number but `numerals` refuses it (`三五次`); other texts unchanged."""
    m = _CHINESE.match(text)
    if m is None or re.search(r"\d", text):
        return text
    value, _ = numerals.read(m.group(2))
    if value is None:
        return None
    return f"{m.group(1) or ''}{value:f}{m.group(3)}"


def parse_target(text: str) -> Target | None:
    """`≥50个`, `≤90万元`, `=100%`, `100%`, `≥100百分比`, `12月底之前完成`, `效果明显`; the
    numbers also in Chinese numerals (`≥十二次`)."""
    text = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not text:
        return None
    digits = _chinese_digits(text)
    if digits is None:
        return None  # a numeral we cannot read: never guess
    text = digits
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
    digits = _chinese_digits(text)
    if digits is None:
        return None
    text = digits
    m = re.match(r"^(-?\d+(?:\.\d+)?)\s*(%|百分比)?", text)
    if not m or re.search(r"\d", text[m.end() :]):
        return None  # a second number in the cell (`12⏎扣10`, `12，未完成3次`): never guess
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


def build(
    table: Table, template: str, budget_weight: Decimal, qualitative_fallback: bool = False
) -> Generated:
    """The rule pack (template + one indicator per row), its evidence, and the findings."""
    findings: list[Finding] = list(table.bad)
    decls: list[str] = []  # the facts the rows need, declared before the tree
    cols = table.columns
    where = f"{table.path.name} {table.sheet}!"
    names = {"": table.project or "项目支出绩效自评表"}
    cells: dict[str, str] = {}
    lines = [template.rstrip(), "", "# ----- the table's rows"]
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
    # The template's own header gets the table's title and total; done on the template's text
    # alone, before any row is added, so nothing a cell holds can match.
    head = template.rstrip()
    head = head.replace(
        'pack "项目支出绩效自评表" {',
        f"pack {literal(names[''])} {{\n    total {dsl_number(total)}",
        1,
    )
    if total != 100:
        # the national bands need a 100-point total; the S6 finding says why there is no grade
        head = re.sub(r"grades \{[^}]*\}", "grades { 未评级 else }", head, count=1)
    lines[0] = head
    text = "\n".join(lines) + "\n"
    return Generated(
        text, "\n".join(evidence) + "\n", findings, table.rows, names=names, cells=cells
    )


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
        decls += [f"fact 档次_{row.code}: text", f"fact 得分_{row.code}: number"]
        if target.kind == "deadline" and row.level == "达成" and row.published is None:
            return f'full when 档次_{row.code} == "达成"'
        return f"定性(档次_{row.code}, 得分_{row.code})"
    kind = "percent" if target.percent else "number"
    decls.append(f"fact 实际_{row.code}: {kind}")
    assert row.actual is not None and target.value is not None
    # a percent as `250%`: a bare fraction above 2 is refused as a likely typo for a percent
    actual = f"{dsl_number(row.actual * 100)}%" if target.percent else _yaml_scalar(row.actual)
    evidence.append(f"  实际_{row.code}: {actual}")
    literal = (dsl_number(target.value * 100) + "%") if target.percent else dsl_number(target.value)
    function = {"forward": "正向", "reverse": "反向", "equal": "等于"}[target.kind]
    return f"{function}({literal}, 实际_{row.code})"
