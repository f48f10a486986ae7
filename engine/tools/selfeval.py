"""`jixiao selfeval`: score a 项目支出绩效自评表 in the national layout of 财预〔2020〕10号.

The table is read by header names, never positions: the 项目资金 block (全年预算数, 全年执行数,
分值, 执行率, 得分) and the 绩效指标 block (一级/二级/三级指标, 年度指标值, 实际完成值, 分值, 得分,
偏差原因分析及改进措施), with merged 一级/二级 cells filled down as spreadsheets show them.
Each 年度指标值 is parsed into operator, number and unit (`≥50个`, `≤90万元`, `=100%`, `100%`,
`≥100百分比`, `12月底之前完成`) or recognised as qualitative (`效果明显`). The rows then become an
ordinary rule pack — the template library `rules/self-evaluation.jx` plus one indicator per row
calling 正向/反向/等于/定性 (`selfeval_pack`) — so the score comes with the usual ledger, and
the generated pack can be inspected. Findings report what the published table gets wrong:
printed scores that do not follow the rules, sum rows that do not add up, deviations without an
explanation, and cells that hold no value (an Excel error value, a formula saved without its
value), which are never read as numbers, text or blanks. `read_grid` is the one place a file is
read.
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

from jixiao.dsl.ast import MAX_DIGITS
from jixiao.dsl.source import DecodeError, decode

from ..runtime import numerals


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


#: A number with its thousands separated by commas (`1,000.50`): the only commas removed.
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def _ungroup(text: str) -> str:
    """`text` without its thousands separators; any other comma (`9,5`, a decimal comma or a
    slip for 9.5; `1,2`) is kept, so the number is not read — never read as 95 or 12."""
    return text.replace(",", "") if _GROUPED.fullmatch(text) else text


def _decimal(value: Any) -> Decimal | None:
    text = _ungroup(unicodedata.normalize("NFKC", _text(value)).strip())
    if not text:
        return None
    try:
        return _sane(Decimal(text))
    except InvalidOperation:
        number, _ = numerals.read(text)  # 分值 `十`, 得分 `九点五`; `三五` stays unread
        return _sane(number) if number is not None else None


def _sane(number: Decimal) -> Decimal | None:
    """The number if a table could mean it; None for NaN, infinities and runs of digits past
    MAX_DIGITS (`1e308`, a key held down), which would otherwise fail rounding later."""
    if not number.is_finite() or abs(number.adjusted()) >= MAX_DIGITS:
        return None
    return number if len(number.as_tuple().digits) <= MAX_DIGITS else None


#: Rows of a self-evaluation table: the national layout has a few dozen; a sheet claiming more
#: is not a 自评表 (the workbook reader's own limits still hold for every sheet).
MAX_TABLE_ROWS = 10_000
#: Columns read of a self-evaluation table (the layout has about ten).
MAX_TABLE_COLUMNS = 100


def read_grid(path: Path) -> tuple[str, list[list[Any]]]:
    """All cells of the first sheet, merged ranges filled with their top-left value; error
    values and formulas without a cached value as `Unreadable`. The one place a table is read,
    through the bounded readers every data file goes through (`files`, `workbook`): a file
    that is not a regular file, a bomb, a stale dimension or an oversized sheet is refused or
    read by its real cells, never trusted."""
    from ..runtime import files

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    try:
        data = files.read_given(str(path), files.MAX_TABLE_BYTES, "MAX_TABLE_BYTES")
        text = data.decode("utf-16") if files.utf16(data) else decode(data)[0]
        stream = io.StringIO(text, newline="")
        rows: list[list[str]] = []
        for row in files.csv_rows(stream):
            if len(rows) >= MAX_TABLE_ROWS:
                raise TableError(f"{path}: more than {MAX_TABLE_ROWS:,} rows (MAX_TABLE_ROWS)")
            rows.append(row[:MAX_TABLE_COLUMNS])
    except files.FileRefused as exc:
        raise TableError(f"{path}: {exc.refusal.text}") from None
    except files.LineTooLong as exc:
        raise TableError(
            f"{path}: line {exc.number} is longer than MAX_CSV_LINE = {files.MAX_CSV_LINE:,} "
            "characters (usually an unclosed quote)"
        ) from None
    except (OSError, DecodeError, csv.Error, UnicodeDecodeError) as exc:
        raise TableError(f"{path}: {exc}") from None
    return "csv", [
        [Unreadable("S7", v.strip()) if v.strip() in ERROR_VALUES else v for v in r] for r in rows
    ]


def _read_xlsx(path: Path) -> tuple[str, list[list[Any]]]:
    from ..runtime.files import FileRefused
    from ..runtime.workbook import ErrorCell, FormulaCell, PercentCell, WorkbookError, open_workbook

    try:
        with open_workbook(str(path)) as book:
            sheet = book.first_sheet()
            if sheet.count() > MAX_TABLE_ROWS:
                raise TableError(f"{path}: more than {MAX_TABLE_ROWS:,} rows (MAX_TABLE_ROWS)")
            grid: list[list[Any]] = []
            for number, values in sheet.rows():
                grid.extend([] for _ in range(number - 1 - len(grid)))  # rows with no cell
                row: list[Any] = []
                for value in values[:MAX_TABLE_COLUMNS]:
                    if isinstance(value, ErrorCell):
                        value = Unreadable("S7", value.text)
                    elif isinstance(value, FormulaCell):
                        value = Unreadable("S8", "=" + value.formula.removeprefix("="))
                    elif isinstance(value, PercentCell):
                        value = value.value  # the stored fraction, as the cell means it
                    row.append(value)
                grid.append(row)
            merged = sheet.merged()
            title = sheet.title
    except WorkbookError as exc:
        raise TableError(f"{path}: {exc.text}") from None
    except FileRefused as exc:
        raise TableError(f"{path}: {exc.refusal.text}") from None
    for ref in merged:
        _fill_merged(grid, ref)
    return title, grid


def _fill_merged(grid: list[list[Any]], ref: str) -> None:
    """Give every cell of a merged range its top-left value, within the cells the grid has
    (a range may claim the whole sheet: only the cells that exist are visited)."""
    corners = [_cell_ref(part) for part in ref.split(":")]
    if len(corners) != 2 or None in corners:
        return
    (c1, r1), (c2, r2) = corners  # type: ignore[misc]
    if not (1 <= r1 <= len(grid)):
        return
    top_row = grid[r1 - 1]
    top = top_row[c1 - 1] if c1 - 1 < len(top_row) else None
    for r in range(r1, min(r2, len(grid)) + 1):
        cells = grid[r - 1]
        for c in range(c1, min(c2, len(cells)) + 1):
            cells[c - 1] = top


def _cell_ref(ref: str) -> tuple[int, int] | None:
    """(column, row), both 1-based, of `B7`; None when it is not a cell reference."""
    match = re.fullmatch(r"\$?([A-Z]{1,3})\$?([0-9]{1,7})", ref.strip().upper())
    if match is None:
        return None
    col = 0
    for ch in match[1]:
        col = col * 26 + ord(ch) - 64
    return col, int(match[2])


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

_PERCENT_WORDS = re.compile(r"^(≥|>=|>|≤|<=|<|=|约)?百分之(.+)$")


def _chinese_digits(text: str) -> str | None:
    """`≥十二次` → `≥12次`: a number in Chinese numerals followed by nothing, a percent sign or
    a unit, as Arabic digits (the shortest numeral wins: `十万元` is 10 of 万元, as `10万元`).
    None when it is such a number but `numerals` refuses it (`三五次`); other texts unchanged."""
    written = _PERCENT_WORDS.match(text)  # ≥百分之九十 is ≥90%
    if written is not None:
        value, _ = numerals.read(written.group(2))
        return None if value is None else f"{written.group(1) or ''}{value:f}%"
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
    text = unicodedata.normalize("NFKC", text).strip()
    text = text.lstrip("≥≤=<>约 ")  # offices sometimes copy the operator into the actual
    head = re.match(r"[+-]?[\d,]+(\.\d+)?", text)
    if head:  # `1,000次`: the thousands separators of the leading number only
        text = _ungroup(head.group()) + text[head.end() :]
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
