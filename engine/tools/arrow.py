"""Parquet and Arrow IPC (Feather v2) files: the one module that imports pyarrow (the
`columnar` extra), and only when such a file is named — a warm `eval` never loads it. It opens
a portfolio's file for `batch_arrow` and writes records as Parquet for `batch.Writer`.

A typed column is turned into the text a person would have typed in a CSV cell, exactly: an
integer as its digits, a decimal as its digits at its own scale (`1234.50`), a float as the
shortest text that reads back as the same binary number (`0.1`, never `0.1000000000000000055…`:
Arrow's own float-to-text cast, then written without an exponent), a bool as `true`/`false`, a
date as ISO, a list of texts as a JSON array of its items. A NaN or infinite float, or a
timestamp with a time of day where a date is expected, is an `Inexact` cell (its row fails,
E846).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from jixiao.dsl.diagnostics import JixiaoError

from ..common import messages as msg
from ..common.types import Kind
from ..runtime import files

if TYPE_CHECKING:
    from ..common.ir import Program
    from .portfolio import ScoredProject

#: Suffixes read (and, for `.parquet`, written) through pyarrow.
PARQUET = (".parquet", ".pq")
IPC = (".arrow", ".feather", ".arrows", ".ipc")
SUFFIXES = PARQUET + IPC
EXTRA = "Parquet and Arrow files need the `columnar` extra: pip install 'jixiao[columnar]'"
BATCH_ROWS = 4096  # rows converted to cell text at a time (a record batch)


def is_columnar(path: Path) -> bool:
    """A file read through pyarrow: by its suffix, or by its first bytes (a Parquet file saved
    under another name is no CSV). A file that cannot be opened is not: the table reader then
    says why."""
    if path.suffix.lower() in SUFFIXES:
        return True
    try:
        with files.open_regular(str(path), files.MAX_TABLE_BYTES, "MAX_TABLE_BYTES") as f:
            head = f.read(6)
    except (files.FileRefused, OSError):
        return False
    return head[:4] == b"PAR1" or head[:6] == b"ARROW1"


def _pyarrow(path: Path, writing: bool = False) -> Any:
    try:
        import pyarrow
    except ImportError:
        if writing:
            raise JixiaoError([msg.output_unwritable("--output", str(path), EXTRA)]) from None
        raise JixiaoError([msg.evidence_unreadable(str(path), EXTRA, table=True)]) from None
    return pyarrow


# ----- reading ----------------------------------------------------------------------------------


class ColumnarFile:
    """An open Parquet or Arrow IPC file: its column names, their types, how many rows it says
    it has, and its cells a record batch at a time as the text of CSV cells."""

    def __init__(
        self,
        path: Path,
        f: BinaryIO,
        row_group: int | None = None,
        rows: tuple[int, int] | None = None,
    ) -> None:
        """`row_group`: only that row group of a Parquet file (a partition, `distributed`);
        `rows`: (skip, take) only those rows of it (a slice of a large row group: the rows
        skipped are decoded, never turned into text)."""
        self.pa = pa = _pyarrow(path)
        import pyarrow.compute  # noqa: F401  (pa.compute: the float-to-text cast)

        self.path = path
        self.rows = rows
        try:
            self.schema, self.count, self._batches = _open(pa, f, path, row_group)
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise JixiaoError([msg.columnar_unreadable(str(path), _reason(exc))]) from None
        if rows is not None and self.count is not None:
            self.count = max(0, min(rows[1], self.count - rows[0]))
        self.names: list[str] = list(self.schema.names)

    def type_name(self, i: int) -> str:
        return str(self.schema.types[i])

    def fits(self, i: int, kind: Kind, key: bool = False) -> bool:
        """Whether column `i` can hold a `kind` fact's values (`key`: a project's id or name)."""
        return _fits(self.pa, self.schema.types[i], kind, key)

    def blocks(self, read: list[int]) -> Iterator[tuple[int, dict[int, list[Any]]]]:
        """(rows, {column: cells}) for the columns `read`, a record batch at a time; a cell is
        its text, None when null, or an `Inexact`. A file broken past its header ends the run
        with its reason."""
        pa, types, names = self.pa, self.schema.types, self.names
        try:  # (a Parquet file decodes only the columns read; names are unique, E620)
            for batch in _sliced(self._batches([names[i] for i in read]), self.rows):
                yield (
                    batch.num_rows,
                    {i: _texts(pa, batch.column(names[i]), types[i]) for i in read},
                )
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise JixiaoError([msg.columnar_unreadable(str(self.path), _reason(exc))]) from None


def _sliced(batches: Iterator[Any], rows: tuple[int, int] | None) -> Iterator[Any]:
    """The record batches' rows `rows` (skip, take) only, or all of them."""
    if rows is None:
        yield from batches
        return
    skip, take = rows
    for batch in batches:
        if take <= 0:
            return
        n = batch.num_rows
        if skip >= n:
            skip -= n
            continue
        part = batch.slice(skip, take)
        skip, take = 0, take - part.num_rows
        yield part


def _open(
    pa: Any, f: Any, path: Path, row_group: int | None = None
) -> tuple[Any, int | None, Callable[[list[str]], Iterator[Any]]]:
    """The schema, the row count (when the file says it) and the record batches of the columns
    named (all of them, in an Arrow file)."""
    head = f.read(6)
    f.seek(0)
    if head[:4] == b"PAR1" or (path.suffix.lower() in PARQUET and head[:6] != b"ARROW1"):
        import pyarrow.parquet as pq

        # one row group's pages read as they are decoded, in this thread: a reader that
        # buffers whole row groups and decodes in a thread pool held 40 MiB more at a million
        # rows, for reading that is a few per cent of scoring
        parquet = pq.ParquetFile(f, pre_buffer=False)
        groups = None if row_group is None else [row_group]
        meta = parquet.metadata
        count = meta.num_rows if row_group is None else meta.row_group(row_group).num_rows

        def parquet_batches(columns: list[str]) -> Iterator[Any]:
            # (a dotted name may be read as a nested field's path: then every column is read)
            named = None if any("." in c for c in columns) else columns
            return iter(
                parquet.iter_batches(
                    batch_size=BATCH_ROWS, row_groups=groups, columns=named, use_threads=False
                )
            )

        return parquet.schema_arrow, count, parquet_batches
    if head[:6] == b"ARROW1":
        reader = pa.ipc.open_file(f)
        n = reader.num_record_batches
        return reader.schema, reader.count_rows(), lambda _: (reader.get_batch(i) for i in range(n))
    stream = pa.ipc.open_stream(f)  # the streaming format has no magic at its start

    def stream_batches(_: list[str]) -> Iterator[Any]:
        f.seek(0)  # (read twice: the ids first, `batch_ids`; the file is a regular one)
        return iter(pa.ipc.open_stream(f))

    return stream.schema, None, stream_batches


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "magic" in text:  # "Parquet magic bytes not found in footer"
        return "it is not a Parquet file, or it is cut short (no `PAR1` at its end)"
    if "metadata" in text:  # "Expected to read … metadata bytes, but only read 6"
        return "it is not an Arrow IPC file or stream, or it is cut short"
    return files.printable(text.rstrip(". "))  # a message ends without a period


NUMBERS = frozenset({Kind.MONEY, Kind.NUMBER, Kind.COUNT, Kind.PERCENT, Kind.JUDGEMENT})


def _fits(pa: Any, t: Any, kind: Kind, key: bool = False) -> bool:
    """Whether a column of Arrow type `t` can hold a `kind` fact's values (its text is then
    read as a CSV cell's: a string column fits every fact)."""
    types = pa.types
    if types.is_dictionary(t):
        t = t.value_type
    if types.is_null(t) or types.is_string(t) or types.is_large_string(t):
        return True
    if hasattr(types, "is_string_view") and types.is_string_view(t):
        return True
    if key:  # an id or a name: text or a whole number
        return bool(types.is_integer(t))
    if types.is_integer(t):
        return kind in NUMBERS or kind in (Kind.TEXT, Kind.BOOL)
    if types.is_decimal(t) or types.is_floating(t):
        return kind in NUMBERS or kind is Kind.TEXT
    if types.is_boolean(t):
        return kind is Kind.BOOL
    if types.is_date(t) or types.is_timestamp(t):
        return kind is Kind.DATE
    if types.is_list(t) or types.is_large_list(t):
        return kind is Kind.LIST and _fits(pa, t.value_type, Kind.TEXT)
    return False


class Inexact:
    """A cell that holds no exact value (NaN, an infinity, a time of day for a date)."""

    __slots__ = ("text", "why")

    def __init__(self, text: str, why: str) -> None:
        self.text, self.why = text, why


def _texts(pa: Any, column: Any, t: Any) -> list[Any]:
    """A column's cells as the text a CSV cell would hold (None for null)."""
    types = pa.types
    if types.is_dictionary(t):
        column, t = column.dictionary_decode(), t.value_type
    if types.is_floating(t):
        return [_float_text(v) for v in pa.compute.cast(column, pa.string()).to_pylist()]
    values: list[Any] = column.to_pylist()
    if types.is_decimal(t):
        return [None if v is None else format(v, "f") for v in values]
    if types.is_integer(t):
        return [None if v is None else str(v) for v in values]
    if types.is_boolean(t):
        return [None if v is None else ("true" if v else "false") for v in values]
    if types.is_timestamp(t):
        return [_day(v) for v in values]
    if types.is_date(t):
        return [None if v is None else v.isoformat() for v in values]
    if types.is_list(t) or types.is_large_list(t):
        return [_items(v) for v in values]
    return values  # text (or all null)


def _float_text(text: str | None) -> str | Inexact | None:
    """Arrow's shortest round-trip text of a float, without an exponent: `1e+16` is
    `10000000000000000`, as a person would type it."""
    if text is None:
        return None
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return Inexact(text, "a float that is not a number; write the value, or leave it null")
    return format(Decimal(text), "f") if "e" in text or "E" in text else text


def _day(value: Any) -> str | Inexact | None:
    if value is None:
        return None
    if (value.hour, value.minute, value.second, value.microsecond) != (0, 0, 0, 0):
        return Inexact(str(value), "a date is a day: store the column as a date (date32)")
    return str(value.date().isoformat())


def _items(values: list[Any] | None) -> str | None:
    """A list cell's items as a JSON array (the CSV reader's own list syntax); an empty list,
    as an empty CSV cell, means nothing was found."""
    if not values:
        return None
    import json

    return json.dumps(["" if v is None else str(v) for v in values], ensure_ascii=False)


# ----- writing ----------------------------------------------------------------------------------


class ParquetRecords:
    """Per-project results as a Parquet file, a row group at a time: `id`, `name`, `total`,
    `grade`, one column per indicator (its code), `errors` (a list of texts), and unless not
    `explain`, `losses` (a list of {code, name, lost, reasons: [{points, text}]}, the JSON
    records' own). Points are
    decimals at the pack's places, exactly as the JSON records write them; the pack's digest is
    in the file's metadata (`jixiao.pack_sha256`)."""

    def __init__(
        self,
        path: Path,
        program: Program,
        codes: list[str],
        pack_sha256: str,
        *,
        explain: bool = True,
    ) -> None:
        pa = self.pa = _pyarrow(path, writing=True)
        import pyarrow.parquet as pq

        self.codes = codes
        self.explain = explain
        places = program.settings.places
        points = pa.decimal128(38, places)
        fields = [
            pa.field("id", pa.string()),
            pa.field("name", pa.string()),
            pa.field("total", points),
            pa.field("grade", pa.string()),
            *[pa.field(c, points) for c in codes],
            pa.field("errors", pa.list_(pa.string())),
        ]
        if explain:  # why each leaf lost points, as the JSON records' `losses`
            reason = pa.struct([pa.field("points", pa.string()), pa.field("text", pa.string())])
            loss = pa.struct(
                [
                    pa.field("code", pa.string()),
                    pa.field("name", pa.string()),
                    pa.field("lost", points),
                    pa.field("reasons", pa.list_(reason)),
                ]
            )
            fields.append(pa.field("losses", pa.list_(loss)))
        self.schema = pa.schema(fields, metadata={"jixiao.pack_sha256": pack_sha256})
        self.columns: list[list[Any]] = [[] for _ in fields]
        self.writer = pq.ParquetWriter(str(path), self.schema)

    def write(self, record: ScoredProject) -> None:
        scores = record.scores
        row: list[Any] = [
            record.id,
            record.name,
            _points(record.total),
            record.grade,
            *[_points(scores.get(c)) for c in self.codes],
            list(record.errors),
        ]
        if self.explain:
            row.append(
                [
                    {
                        "code": code,
                        "name": name,
                        "lost": _points(lost),
                        "reasons": [{"points": p, "text": t} for p, t in reasons],
                    }
                    for code, name, lost, reasons in record.explained
                ]
            )
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)
        if len(self.columns[0]) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.columns[0]:
            batch = self.pa.record_batch(self.columns, schema=self.schema)
            self.writer.write_batch(batch)
            self.columns = [[] for _ in self.columns]

    def close(self) -> None:
        self.flush()
        self.writer.close()


def _points(text: str | None) -> Decimal | None:
    return None if text is None or text == "" else Decimal(text)


def row_groups(path: Path) -> list[int]:
    """How many rows each row group of a Parquet file holds (a file's partitions)."""
    pa = _pyarrow(path)
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(str(path)).metadata
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise JixiaoError([msg.columnar_unreadable(str(path), _reason(exc))]) from None
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
