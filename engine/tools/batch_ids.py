"""A project id used twice in one portfolio (E653), found exactly and in flat memory.

Records, summaries and later comparisons find a project by its id, so two projects under one id
would be two scores for one name, either of which a reader may take: the second row claiming an
id fails (its record names the first row), whatever the portfolio's size.

Deciding that as rows stream by would keep every id seen (a Python set of a million ids is about
100 MiB). Instead a first pass over the ids alone (the CSV reader's counting pass, a Parquet
file's id column, a second reading of a sheet) feeds `Repeats`, which keeps an 8-byte digest
(BLAKE2b) of each id, sorted a run of `RUN` at a time into an anonymous temporary file, and then
merges the runs to find the digests met more than once: **no memory a row** and 8 bytes a row
on disk while the pass lasts (in memory only if no temporary file can be made, and below `RUN`
ids). A sheet or Parquet file known to hold at most `RUN` rows skips that pass and keeps its ids
(a bounded set; a second reading of a sheet costs as much as scoring it). The scoring pass
(`unique`) then keeps the ids themselves only for those few digests, and
compares ids, not digests, before refusing a row: two different ids that happen to share a
digest are both scored (a digest only narrows the search; it never decides), and an id used
twice is always refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import unicodedata
from array import array
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO, Protocol, TypeVar

from jixiao.dsl.diagnostics import Diagnostic

from ..common import messages as msg

RUN = 1 << 16  # digests sorted in memory at a time (512 KiB), then written to the temporary file
MERGE_BYTES = 1 << 20  # what the merge reads ahead, all runs together


def key(ident: str) -> str:
    """What two ids must share to be one project's (`Ｐ1 ` is `P1`)."""
    return unicodedata.normalize("NFKC", ident).strip()


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class Repeats:
    """The digests of the ids `add`ed more than once (`found`), by an external sort."""

    def __init__(self, run: int | None = None, digest: Any = _digest) -> None:
        """`run` and `digest` are for tests (a run of 3, a digest of 2 bits)."""
        self._run, self._digest = run or RUN, digest
        self._chunk: array[int] = array("Q")
        self._runs: list[tuple[int, int]] = []  # (offset in bytes, digests) of each sorted run
        self._file: BinaryIO | None = None
        self._kept: bytearray | None = None  # the runs, when no temporary file can be made

    def add(self, ident: str) -> None:
        self._chunk.append(self._digest(key(ident)))
        if len(self._chunk) >= self._run:
            self._spill()

    def _spill(self) -> None:
        data = array("Q", sorted(self._chunk)).tobytes()
        self._chunk = array("Q")
        if self._file is None and self._kept is None:
            import tempfile

            try:
                self._file = tempfile.TemporaryFile()
            except OSError:
                self._kept = bytearray()
        if self._file is not None:
            start = self._file.tell()
            try:
                self._file.write(data)
            except OSError:  # the disk is full: the runs so far, and the rest, in memory
                self._file.seek(0)
                self._kept = bytearray(self._file.read(start))
                self._close()
        if self._kept is not None:
            start = len(self._kept)
            self._kept += data
        self._runs.append((start, len(data) // 8))

    def found(self) -> frozenset[int]:
        """The digests added more than once; the temporary file is gone afterwards."""
        if not self._runs:
            return _repeated(sorted(self._chunk))
        if self._chunk:
            self._spill()
        try:
            piece = max(64, MERGE_BYTES // 8 // len(self._runs))
            return _repeated(heapq.merge(*(self._read(o, n, piece) for o, n in self._runs)))
        finally:
            self._close()

    def _read(self, offset: int, count: int, piece: int) -> Iterator[int]:
        done = 0
        while done < count:
            take = min(piece, count - done)
            start, end = offset + 8 * done, offset + 8 * (done + take)
            if self._file is not None:
                self._file.seek(start)
                raw = self._file.read(end - start)
            else:
                assert self._kept is not None
                raw = bytes(self._kept[start:end])
            values: array[int] = array("Q")
            values.frombytes(raw)
            done += take
            yield from values

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _repeated(ordered: Iterable[int]) -> frozenset[int]:
    out, previous = set(), None
    for d in ordered:
        if d == previous:
            out.add(d)
        previous = d
    return frozenset(out)


def repeats(ids: Iterable[str]) -> frozenset[int]:
    """The digests of the ids met more than once (a first pass over a portfolio's ids)."""
    found = Repeats()
    for ident in ids:
        found.add(ident)
    return found.found()


class _Row(Protocol):
    """What `unique` reads of a row (`batch.Row`, a dataclass)."""

    @property
    def id(self) -> str: ...
    @property
    def where(self) -> str: ...
    @property
    def problem(self) -> str: ...


R = TypeVar("R", bound=_Row)


def unique(
    rows: Iterator[R], repeated: frozenset[int] | None, digest: Any = _digest
) -> Iterator[R]:
    """The rows, a row whose id an earlier row has failing with E653 (naming the earlier row);
    `repeated`: `repeats` of the same rows' ids, or None to keep every id (for a table known to
    hold at most `RUN` rows, which then needs no first pass). A row that already failed keeps
    its own problem, but its id is still taken."""
    if repeated is not None and not repeated:
        yield from rows
        return
    firsts: dict[str, str] = {}  # id → where its first row is, for the ids that may repeat
    for row in rows:
        k = key(row.id)
        if repeated is None or digest(k) in repeated:
            first = firsts.get(k)
            if first is None:
                firsts[k] = row.where
            elif not row.problem:
                problem = problem_text(msg.project_id_twice(row.id, row.where, first))
                row = dataclasses.replace(row, problem=problem)  # type: ignore[type-var]
        yield row


def problem_text(d: Diagnostic) -> str:
    """A row's problem as its record keeps it, on one line: the message, its code, the fix."""
    return f"{d.message} [{d.code}]; {d.help}" if d.help else f"{d.message} [{d.code}]"
