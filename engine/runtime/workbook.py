"""XLSX read by its cells, bounded: the one reader of portfolio and survey workbooks.

openpyxl's read-only mode trusts the sheet's `<dimension>` record: a stale one (`A1:C3` on a
sheet of six rows, as some exporters leave it) silently loses the rows past it, and one that
claims `A1:XFD1048576` makes it pad sixteen billion empty cells. This module reads the sheet XML
itself, streaming, with expat: every `<row>` and `<c>` that exists, at the position its `r`
attribute gives, and nothing the dimension claims. Before any XML is parsed the zip is inspected
(entry count, the uncompressed size of the sheet, shared strings and styles, and their
compression ratio), so a bomb is refused in milliseconds; while parsing, the rows, columns,
merged ranges and the length of every cell's text are counted against named limits. No DTD or
entity is accepted. Each refusal names the file, the limit and its value.

The API, for portfolios, surveys and (later) self-evaluation tables:

    book = open_workbook(path)          # WorkbookError on anything it cannot or will not read
    sheet = book.first_sheet()          # or book.sheet(name); book.sheet_names
    for number, values in sheet.rows(): # 1-based row number, cells from column A (None = blank)
        ...                             # (rows without a value are skipped; values[i] is in
                                        # column `column_letter(i)`)
    sheet.count()                       # rows with a cell, by a cheap first pass that meets the
                                        # row, cell and column limits before any value is used
    sheet.merged()                      # ["A1:C1", …] (a second streaming pass)
    book.close()                        # or `with open_workbook(path) as book:`

`Workbook(name, fileobj)` reads a workbook already in memory (`io.BytesIO`), as surveys do.

A value is `str`, `int`, `float`, `bool`, `datetime.datetime` (a date-formatted number, as
openpyxl gives it), or one of three markers that are not data, so they can never be counted
or read as empty by mistake: `ErrorCell` (`#REF!`, `#DIV/0!`, … whether stored as an error or
typed as that text), `FormulaCell` (a formula whose value was never calculated and saved: no
`<v>`), and `PercentCell` (a number shown with a percent format: Excel stores 90 % as 0.9 with
format `0%`, so its value is the fraction). `column_letter(i)` names column index `i` (0 = A).
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, BinaryIO, NamedTuple
from xml.parsers import expat

from .files import ERROR_TEXTS, MAX_TABLE_BYTES, FileRefused, is_error_text, open_regular

#: Entries in the zip (an XLSX has a dozen or so).
MAX_ZIP_ENTRIES = 1_000
#: Uncompressed size of one worksheet's XML.
MAX_SHEET_XML_BYTES = 256 << 20
#: Uncompressed size of xl/sharedStrings.xml.
MAX_SHARED_STRINGS_BYTES = 64 << 20
#: Uncompressed size of any other part read (workbook, relationships, styles).
MAX_PART_BYTES = 16 << 20
#: Uncompressed ÷ compressed size of a part read, over 1 MiB (ordinary sheets stay far below).
MAX_COMPRESSION_RATIO = 100
#: Distinct shared strings.
MAX_SHARED_STRINGS = 2_000_000
#: The last row a sheet may use (Excel's own maximum).
MAX_ROWS = 1_048_576
#: Columns with a value in a row (column ALL is the 1,000th).
MAX_COLUMNS = 1_000
#: Cells (`<c>` elements, valued or not) in a sheet: bounds the work however they are spread.
MAX_CELLS = 5_000_000
#: Merged ranges in a sheet.
MAX_MERGED_RANGES = 10_000
#: Characters of one cell's text or formula (Excel's own limit on a cell).
MAX_CELL_CHARS = 32_767

#: The error values Excel (and WPS, which writes the same codes) stores or exports.
ERROR_VALUES = ERROR_TEXTS


class ErrorCell(NamedTuple):
    """An Excel error value (`#REF!`): the result of a broken formula, not data."""

    text: str


class FormulaCell(NamedTuple):
    """A formula saved without its calculated value (no `<v>`): there is nothing to read."""

    formula: str


class PercentCell(NamedTuple):
    """A number shown with a percent format; `value` is the stored fraction (0.9 for 90 %)."""

    value: int | float


class WorkbookError(Exception):
    """A workbook refused: `limit` names the limit it passed ("" when it is not readable)."""

    def __init__(self, path: str, text: str, limit: str = "") -> None:
        super().__init__(text)
        self.path, self.text, self.limit = path, text, limit


def cell_text(value: Any) -> str:
    """A cell's value as the text a person reads in it: a percent-formatted number as the
    percent it shows (Excel keeps 90 % as 0.9, format `0%`), an error value as its code, a
    formula without a value as `=` and the formula, a date as ISO, a float as the shortest text
    that reads back as the same double (0.92). The one wording of portfolio and survey cells."""
    if value is None:
        return ""
    if isinstance(value, PercentCell):
        return f"{Decimal(repr(value.value)) * 100}%"
    if isinstance(value, ErrorCell):
        return value.text
    if isinstance(value, FormulaCell):
        return "=" + value.formula
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def column_letter(index: int) -> str:
    """`A` for 0, `AA` for 26."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _local(name: str) -> str:
    """`c` of `c` or `x:c` (a prefixed namespace, as some generators write)."""
    return name.rsplit(":", 1)[-1]


def _split_ref(ref: str) -> tuple[int, int] | None:
    """(column index, row number) of `B7`, or None when it is not a cell reference."""
    i, col = 0, 0
    while i < len(ref) and "A" <= ref[i] <= "Z" and i < 3:
        col = col * 26 + ord(ref[i]) - 64
        i += 1
    digits = ref[i:]
    if not col or not digits.isdigit() or not digits.isascii():
        return None
    return col - 1, int(digits)


#: How reading a damaged, encrypted or unsupported zip entry fails.
_UNZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
    RuntimeError,  # an encrypted entry
    zlib.error,
)


class _Stop(Exception):
    pass


def _parser() -> Any:
    """An expat parser that refuses DTDs and entities (no billion laughs, no external files)."""
    p = expat.ParserCreate()  # no namespace processing: tags are read by their local name

    def refuse(*_: Any) -> Any:
        raise _Stop("a DTD or entity declaration, which a workbook never needs")

    p.StartDoctypeDeclHandler = refuse
    p.EntityDeclHandler = refuse
    p.ExternalEntityRefHandler = refuse
    p.buffer_text = True
    return p


class Workbook:
    """An open XLSX; close it (or use `with`) when done."""

    def __init__(self, path: str, handle: BinaryIO) -> None:
        self.path = path
        self._handle = handle
        _check_directory(path, handle)
        try:
            self._zip = zipfile.ZipFile(handle)
        except Exception as exc:  # zipfile reports a damaged directory in many ways
            raise WorkbookError(path, f"not a readable XLSX ({type(exc).__name__})") from None
        self._infos = {i.filename: i for i in self._zip.infolist()}
        if len(self._infos) > MAX_ZIP_ENTRIES:
            raise WorkbookError(
                path,
                f"{len(self._infos):,} entries in the zip, over the limit "
                f"MAX_ZIP_ENTRIES = {MAX_ZIP_ENTRIES:,}",
                "MAX_ZIP_ENTRIES",
            )
        self._sheets, self._date1904, rels = self._read_workbook()
        self._strings_part = rels.get("sharedStrings", "xl/sharedStrings.xml")
        self._styles_part = rels.get("styles", "xl/styles.xml")
        self._strings: list[str] | None = None
        self._styles: list[str] | None = None  # per style index: "date", "percent" or ""

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        self._handle.close()

    @property
    def sheet_names(self) -> list[str]:
        return [name for name, _ in self._sheets]

    def first_sheet(self) -> Sheet:
        if not self._sheets:
            raise WorkbookError(self.path, "the workbook has no sheet")
        return self.sheet(self._sheets[0][0])

    def sheet(self, name: str) -> Sheet:
        part = dict(self._sheets)[name]
        return Sheet(self, name, part)

    # ----- parts --------------------------------------------------------------------------

    def _part(self, name: str, limit: int, limit_name: str) -> Iterator[bytes]:
        """The uncompressed bytes of a part, in blocks, refused past `limit` before any read."""
        info = self._infos.get(name)
        if info is None:
            raise WorkbookError(self.path, f"not a readable XLSX (no `{name}` in it)")
        if info.file_size > limit:
            raise WorkbookError(
                self.path,
                f"`{name}` is {info.file_size:,} bytes uncompressed, over the limit "
                f"{limit_name} = {limit:,} bytes",
                limit_name,
            )
        # Only the parts read are judged: an embedded picture may compress as it likes.
        if info.file_size > 1 << 20 and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise WorkbookError(
                self.path,
                f"`{name}` expands {ratio:,} times, over the limit "
                f"MAX_COMPRESSION_RATIO = {MAX_COMPRESSION_RATIO}",
                "MAX_COMPRESSION_RATIO",
            )
        try:
            with self._zip.open(info) as f:
                while block := f.read(1 << 16):
                    yield block
        except _UNZIP_ERRORS as exc:
            raise WorkbookError(self.path, f"not a readable XLSX ({exc})") from None

    def _parse(self, name: str, limit: int, limit_name: str, p: Any, label: str = "") -> None:
        """Feed a part to an expat parser; a handler stops it with `_Stop("text\\0LIMIT")`."""
        try:
            for block in self._part(name, limit, limit_name):
                p.Parse(block, False)
            p.Parse(b"", True)
        except expat.ExpatError as exc:
            raise WorkbookError(self.path, f"not a readable XLSX (`{name}`: {exc})") from None
        except _Stop as exc:
            text, _, stopped = str(exc).partition("\0")
            raise WorkbookError(self.path, f"{label or f'`{name}`'}: {text}", stopped) from None

    def _read_workbook(self) -> tuple[list[tuple[str, str]], bool, dict[str, str]]:
        rels: dict[str, str] = {}
        kinds: dict[str, str] = {}

        def rel(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship":
                target = attrs.get("Target", "")
                path = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join("xl", target))
                )
                rels[attrs.get("Id", "")] = path
                kinds[attrs.get("Type", "").rsplit("/", 1)[-1]] = path

        p = _parser()
        p.StartElementHandler = rel
        if "xl/_rels/workbook.xml.rels" in self._infos:
            self._parse("xl/_rels/workbook.xml.rels", MAX_PART_BYTES, "MAX_PART_BYTES", p)
        sheets: list[tuple[str, str]] = []
        flags = {"date1904": False}

        def book(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                part = rels.get(rid, f"xl/worksheets/sheet{len(sheets) + 1}.xml")
                sheets.append((attrs.get("name", ""), part))
            elif local == "workbookPr":
                flags["date1904"] = attrs.get("date1904", "") in ("1", "true")

        p = _parser()
        p.StartElementHandler = book
        self._parse("xl/workbook.xml", MAX_PART_BYTES, "MAX_PART_BYTES", p)
        return sheets, flags["date1904"], kinds

    def strings(self) -> list[str]:
        """The shared strings, read once, bounded."""
        if self._strings is not None:
            return self._strings
        out: list[str] = []
        if self._strings_part not in self._infos:
            self._strings = out
            return out
        state = {"depth_rph": 0, "in_t": False}
        parts: list[str] = []
        size = [0]

        def start(name: str, _: dict[str, str]) -> None:
            local = _local(name)
            if local == "rPh":
                state["depth_rph"] += 1
            elif local == "t" and not state["depth_rph"]:
                state["in_t"] = True
            elif local == "si":
                parts.clear()
                size[0] = 0

        def end(name: str) -> None:
            local = _local(name)
            if local == "rPh":
                state["depth_rph"] -= 1
            elif local == "t":
                state["in_t"] = False
            elif local == "si":
                if len(out) >= MAX_SHARED_STRINGS:
                    raise _Stop(
                        f"more than MAX_SHARED_STRINGS = {MAX_SHARED_STRINGS:,} shared strings"
                        "\0MAX_SHARED_STRINGS"
                    )
                out.append("".join(parts))

        def text(data: str) -> None:
            if state["in_t"]:
                size[0] += len(data)
                if size[0] > MAX_CELL_CHARS:
                    raise _Stop(
                        f"a shared string over the limit MAX_CELL_CHARS = {MAX_CELL_CHARS:,} "
                        "characters\0MAX_CELL_CHARS"
                    )
                parts.append(data)

        p = _parser()
        p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = start, end, text
        self._parse(self._strings_part, MAX_SHARED_STRINGS_BYTES, "MAX_SHARED_STRINGS_BYTES", p)
        self._strings = out
        return out

    def styles(self) -> list[str]:
        """Per cell style index: "date", "percent" or "" (how its number is meant)."""
        if self._styles is not None:
            return self._styles
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        xfs: list[int] = []
        state = {"in_cellxfs": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            local = _local(name)
            if local == "numFmt":
                try:
                    formats[int(attrs.get("numFmtId", ""))] = attrs.get("formatCode", "")
                except ValueError:
                    pass
            elif local == "cellXfs":
                state["in_cellxfs"] = True
            elif local == "xf" and state["in_cellxfs"]:
                try:
                    xfs.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    xfs.append(0)

        def end(name: str) -> None:
            if _local(name) == "cellXfs":
                state["in_cellxfs"] = False

        if self._styles_part in self._infos:
            p = _parser()
            p.StartElementHandler, p.EndElementHandler = start, end
            self._parse(self._styles_part, MAX_PART_BYTES, "MAX_PART_BYTES", p)

        def meaning(fmt_id: int) -> str:
            code = formats.get(fmt_id, "")
            if is_date_format(code):
                return "date"
            bare = "".join(code.split('"')[0::2])  # `%` inside quotes is literal text
            return "percent" if "%" in bare.replace("\\%", "") else ""

        self._styles = [meaning(i) for i in xfs]
        return self._styles


class Sheet:
    """One worksheet, read row by row as its XML streams."""

    def __init__(self, book: Workbook, title: str, part: str) -> None:
        self.book, self.title, self.part = book, title, part

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values from column A) for every row with a value, in sheet order."""
        book = self.book
        reader = _RowReader(book.strings(), book.styles(), book._date1904)
        p = _parser()
        p.StartElementHandler = reader.start
        p.EndElementHandler = reader.end
        p.CharacterDataHandler = reader.text
        done = reader.done
        try:
            for block in book._part(self.part, MAX_SHEET_XML_BYTES, "MAX_SHEET_XML_BYTES"):
                p.Parse(block, False)
                yield from done
                done.clear()
            p.Parse(b"", True)
            yield from done
        except expat.ExpatError as exc:
            raise WorkbookError(book.path, f"not a readable XLSX (`{self.part}`: {exc})") from None
        except _Stop as exc:
            text, _, limit = str(exc).partition("\0")
            raise WorkbookError(book.path, f"sheet {self.title}: {text}", limit) from None

    def count(self) -> int:
        """How many rows have a cell, read cheaply (tags only, no values, no strings), with the
        limits on rows, columns and cells met on the way: a first pass before rows are used."""
        state = _Position()
        names: dict[str, str] = {}

        def start(name: str, attrs: dict[str, str]) -> None:
            local = names.get(name)
            if local is None:
                local = names[name] = _local(name)
            if local == "c":
                state.cell(attrs.get("r"))
            elif local == "v" or local == "is" or local == "f":
                state.valued()
            elif local == "row":
                state.row(attrs.get("r", ""))

        p = _parser()
        p.StartElementHandler = start
        label = f"sheet {self.title}"
        self.book._parse(self.part, MAX_SHEET_XML_BYTES, "MAX_SHEET_XML_BYTES", p, label)
        return state.rows

    def merged(self) -> list[str]:
        """The merged ranges (`A1:C1`), at most MAX_MERGED_RANGES."""
        out: list[str] = []

        def start(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "mergeCell":
                if len(out) >= MAX_MERGED_RANGES:
                    raise _Stop(
                        f"more than MAX_MERGED_RANGES = {MAX_MERGED_RANGES:,} merged ranges"
                        "\0MAX_MERGED_RANGES"
                    )
                out.append(attrs.get("ref", ""))

        p = _parser()
        p.StartElementHandler = start
        label = f"sheet {self.title}"
        self.book._parse(self.part, MAX_SHEET_XML_BYTES, "MAX_SHEET_XML_BYTES", p, label)
        return out


class _Position:
    """Where the reader is in a sheet, checked as it moves: rows ascending up to MAX_ROWS,
    cells ascending within a row, at most MAX_CELLS cells in all, values only in the first
    MAX_COLUMNS columns. (Excel writes rows and cells in order; ascending order is what bounds
    the work a small file can ask for.)"""

    __slots__ = ("cells", "col", "columns", "number", "rows", "seen")

    def __init__(self) -> None:
        self.number, self.col, self.cells, self.rows, self.seen = 0, -1, 0, 0, 0
        self.columns: dict[str, int] = {}  # `AB` → 27, for the letters met so far

    def row(self, r: str) -> None:
        number = int(r) if r.isdigit() and r.isascii() else self.number + 1
        if number <= self.number:
            raise _Stop(f"row {number:,} comes after row {self.number:,}; rows must ascend")
        if number > MAX_ROWS:
            raise _Stop(f"row {number:,} is past the limit MAX_ROWS = {MAX_ROWS:,}\0MAX_ROWS")
        self.number, self.col = number, -1

    def cell(self, ref: str | None) -> None:
        col = -1
        if ref:
            letters = ref.rstrip("0123456789")
            col = self.columns.get(letters, -1)
            if col < 0:
                pos = _split_ref(ref)
                if pos is not None:
                    col = self.columns[letters] = pos[0]
        if col < 0:  # no reference, or not one: the next column
            col = self.col + 1
        if col <= self.col:
            raise _Stop(f"cell {column_letter(col)}{self.number} is out of order in its row")
        self.col = col
        self.cells += 1
        if self.cells > MAX_CELLS:
            raise _Stop(
                f"more than MAX_CELLS = {MAX_CELLS:,} cells (at row {self.number:,})\0MAX_CELLS"
            )
        if self.seen != self.number:
            self.rows += 1
            self.seen = self.number

    def valued(self) -> None:
        if self.col >= MAX_COLUMNS:
            raise _Stop(
                f"cell {column_letter(self.col)}{self.number} is past the limit "
                f"MAX_COLUMNS = {MAX_COLUMNS:,}\0MAX_COLUMNS"
            )


class _RowReader:
    """The expat handlers of `Sheet.rows`: one cell's state at a time, finished rows in
    `done`. (A class with slots: the handlers run for every tag of the sheet.)"""

    __slots__ = (
        "buf", "cell", "date1904", "done", "names", "pos", "row", "size", "strings", "styles",
    )  # fmt: skip

    def __init__(self, strings: list[str], styles: list[str], date1904: bool) -> None:
        self.strings, self.styles, self.date1904 = strings, styles, date1904
        self.done: list[tuple[int, tuple[Any, ...]]] = []
        self.row: dict[int, Any] = {}
        self.pos = _Position()
        self.size = 0
        self.cell: dict[str, Any] | None = None
        self.buf: list[str] | None = None
        self.names: dict[str, str] = {}

    def local(self, name: str) -> str:
        local = self.names.get(name)
        if local is None:
            local = self.names[name] = _local(name)
        return local

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = self.local(name)
        cell = self.cell
        if local == "c":
            self.pos.cell(attrs.get("r"))
            self.cell = {"t": attrs.get("t", "n"), "s": attrs.get("s"), "v": None, "f": None}
        elif cell is not None:
            if local == "v" or local == "f" or (local == "t" and not cell.get("rph")):
                self.buf = []
            elif local == "rPh":
                cell["rph"] = True
        elif local == "row":
            self.pos.row(attrs.get("r", ""))
            self.row.clear()

    def text(self, data: str) -> None:
        buf = self.buf
        if buf is not None:
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                raise _Stop(
                    f"cell {column_letter(self.pos.col)}{self.pos.number} holds over the limit "
                    f"MAX_CELL_CHARS = {MAX_CELL_CHARS:,} characters\0MAX_CELL_CHARS"
                )
            buf.append(data)

    def end(self, name: str) -> None:
        local = self.local(name)
        cell = self.cell
        if cell is None:
            if local == "row" and self.row:
                row = self.row
                self.done.append((self.pos.number, tuple(map(row.get, range(max(row) + 1)))))
                row.clear()
            return
        if local == "c":
            value = _value(cell, self.strings, self.styles, self.date1904)
            self.cell, self.size = None, 0
            if value is not None:
                self.pos.valued()
                self.row[self.pos.col] = value
        elif self.buf is not None and (local == "v" or local == "f" or local == "t"):
            value = "".join(self.buf)
            if local == "t":
                cell["v"] = (cell["v"] or "") + value
            else:
                cell[local] = value
            self.buf = None
        elif local == "rPh":
            cell["rph"] = False


def _number(text: str) -> int | float | None:
    text = text.strip()
    try:
        if any(ch in text for ch in ".eE"):
            return float(text)
        return int(text)
    except ValueError:
        return None


def _value(cell: dict[str, Any], strings: list[str], styles: list[str], date1904: bool) -> Any:
    """A cell's value, or None when it is blank."""
    kind, raw, formula = cell["t"], cell["v"], cell["f"]
    if raw is None or (raw == "" and kind not in ("str", "inlineStr")):
        if formula is not None and formula.strip():
            return FormulaCell(formula)
        if formula is not None and kind not in ("str", "inlineStr"):
            return FormulaCell("")  # a shared formula's dependent cell, never calculated
        return None
    if kind == "e":
        return ErrorCell(raw.strip())
    if kind == "s":
        index = raw.strip()
        if not (index.isdigit() and index.isascii() and int(index) < len(strings)):
            raise _Stop(f"a cell names shared string `{index[:20]}`, which the workbook lacks")
        text = strings[int(index)]
        return ErrorCell(text.strip()) if is_error_text(text) else text
    if kind in ("str", "inlineStr"):
        return ErrorCell(raw.strip()) if is_error_text(raw) else raw
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "d":
        try:
            return dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            return raw
    number = _number(raw)
    if number is None:
        return raw
    style = cell["s"]
    meaning = ""
    if style is not None and style.isdigit():
        index = int(style)
        meaning = styles[index] if index < len(styles) else ""
    if meaning == "date":
        from openpyxl.utils.datetime import from_excel

        try:
            if date1904:
                return from_excel(number, dt.datetime(1904, 1, 1))
            return from_excel(number)
        except (ValueError, OverflowError):
            return number
    if meaning == "percent":
        return PercentCell(number)
    return number


def _check_directory(path: str, handle: BinaryIO) -> None:
    """Refuse a zip whose central directory lists too many entries, before zipfile reads it
    (zipfile would build an object per entry first)."""
    try:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        tail_size = min(size, 22 + 65535)
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
        handle.seek(0)
    except OSError as exc:
        raise WorkbookError(path, f"not a readable XLSX ({exc.strerror})") from None
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        handle.seek(0)
        if handle.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE compound file
            raise WorkbookError(
                path,
                "not a readable XLSX (a password-protected workbook or an old .xls: save it "
                "as .xlsx without a password)",
            )
        raise WorkbookError(path, "not a readable XLSX (not a zip file)")
    (entries,) = struct.unpack("<H", tail[at + 10 : at + 12])
    if entries > MAX_ZIP_ENTRIES:
        raise WorkbookError(
            path,
            f"{entries:,} entries in the zip, over the limit MAX_ZIP_ENTRIES = {MAX_ZIP_ENTRIES:,}",
            "MAX_ZIP_ENTRIES",
        )


def open_workbook(path: str, shown: str | None = None) -> Workbook:
    """Open an XLSX (a regular file of at most MAX_TABLE_BYTES) for reading by cells.
    Raises `FileRefused` for what `files` refuses, `WorkbookError` for the rest."""
    handle = open_regular(path, MAX_TABLE_BYTES, "MAX_TABLE_BYTES", shown=shown)
    try:
        return Workbook(path if shown is None else shown, handle)
    except BaseException:
        handle.close()
        raise


__all__ = [
    "ERROR_VALUES",
    "ErrorCell",
    "FileRefused",
    "FormulaCell",
    "PercentCell",
    "Sheet",
    "Workbook",
    "WorkbookError",
    "column_letter",
    "open_workbook",
]
