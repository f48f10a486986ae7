"""The one place that opens data files: confined, bounded, regular files only.

Two kinds of path reach the engine. A path the user types on the command line (a pack, an
evidence file, a portfolio table or folder) may be anywhere: the user chose it. A path named
*inside* evidence (survey responses, `surveys: {问卷: 问卷.csv}`) was chosen by whoever wrote
the evidence — often a third party — so it resolves relative to the evidence file's folder and
must stay inside it: an absolute path, a `..` that climbs out or a symlink whose real path
leaves the folder is refused, unless the caller allows another folder (`--allow-dir DIR`).

Either way only regular files are read: a device (`/dev/zero`), a FIFO (which would block the
reader forever), a socket or a directory is refused. The file is opened with `O_NONBLOCK` and
judged by `fstat` on the opened descriptor, so what is judged is what is read; and it is read
with a named size limit. A refusal names the path and why, never a byte of the file's content.

`allowed_dirs` is a context variable the command line sets once (and a worker process once at
start), so the evidence loader needs no extra parameter for it.
"""

from __future__ import annotations

import contextvars
import os
import stat

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import BinaryIO, TextIO

#: Largest evidence-named data file (survey responses): 64 MiB.
MAX_DATA_BYTES = 64 << 20
#: Largest portfolio table (CSV or XLSX) given on the command line: 512 MiB.
MAX_TABLE_BYTES = 512 << 20
#: Largest evidence or pack file given on the command line: 64 MiB.
MAX_TEXT_BYTES = 64 << 20
#: Largest file of a folder portfolio: 16 MiB.
MAX_FOLDER_FILE_BYTES = 16 << 20

_ALLOWED: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "jixiao_allowed_dirs", default=()
)


class Refusal:
    """Why a file was not read. `kind` is one of: outside, absolute, special, large, missing,
    unreadable. `text` is the one-line reason, naming only the path and the limit."""

    __slots__ = ("kind", "limit", "path", "text")

    def __init__(self, kind: str, path: str, text: str, limit: str = "") -> None:
        self.kind, self.path, self.text, self.limit = kind, path, text, limit


class FileRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.text)
        self.refusal = refusal


def allowed_dirs() -> tuple[str, ...]:
    """The real paths of the folders evidence may name files in, besides its own."""
    return _ALLOWED.get()


def set_allowed(dirs: Sequence[str]) -> contextvars.Token[tuple[str, ...]]:
    """Allow evidence to name files inside `dirs` (their real paths are taken now), for the
    command (or a worker process of a portfolio run); the token undoes it (`reset_allowed`)."""
    return _ALLOWED.set(tuple(os.path.realpath(d) for d in dirs))


def reset_allowed(token: contextvars.Token[tuple[str, ...]]) -> None:
    _ALLOWED.reset(token)


#: Set by `jixiao serve` around evidence it was sent: such evidence has no folder of its own, so
#: it names no file at all (its survey responses go inline).
_SEALED: contextvars.ContextVar[bool] = contextvars.ContextVar("jixiao_sealed", default=False)


def seal() -> contextvars.Token[bool]:
    """Refuse every file named inside evidence until the token is reset (`unseal`)."""
    return _SEALED.set(True)


def unseal(token: contextvars.Token[bool]) -> None:
    _SEALED.reset(token)


def _inside(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # different drives on Windows
        return False


#: Characters of a file name shown in a refusal; a longer name is cut with `…`.
MAX_NAME_SHOWN = 120


def printable(name: str, cut: bool = True) -> str:
    """A file name as a one-line message can show it: control and format characters (a line
    break, NUL, a bidi override) written as escapes, and (with `cut`) a very long name cut."""
    import unicodedata

    shown = "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
        else ch
        for ch in (name[: MAX_NAME_SHOWN + 1] if cut else name)
    )
    return shown[:MAX_NAME_SHOWN] + "…" if cut and len(name) > MAX_NAME_SHOWN else shown


def confine(name: str, evidence_path: str) -> str:
    """The real path of a file named `name` inside evidence at `evidence_path`; refuses a path
    that is absolute or leaves the evidence folder (by `..` or a symlink) unless it lies in an
    allowed folder."""
    given = printable(name)
    if not name or "\x00" in name:
        raise FileRefused(Refusal("missing", given, "not a file name"))
    if _SEALED.get():
        raise FileRefused(
            Refusal("outside", given, "evidence sent to a server names no files; list them inline")
        )
    # A Windows office writes `问卷\\答卷.csv`: the same file here, and `..\\` climbs the same.
    name = name.replace("\\", "/")
    folder = os.path.realpath(os.path.dirname(os.path.abspath(evidence_path)))
    if folder == "/dev" or folder.startswith(("/dev/", "/proc/")):
        # evidence piped in (`/dev/stdin`, `/dev/fd/3`) has no folder of its own: it names
        # files in the current folder, never among devices and processes
        folder = os.path.realpath(os.getcwd())
    allowed = allowed_dirs()
    absolute = os.path.isabs(name) or (len(name) > 1 and name[1] == ":")
    real = os.path.realpath(name if absolute else os.path.join(folder, name))
    if any(_inside(real, d) for d in allowed):
        return real
    if absolute:
        raise FileRefused(
            Refusal("absolute", given, "an absolute path; evidence names files beside it")
        )
    if not _inside(real, folder):
        raise FileRefused(Refusal("outside", given, "it leads outside the evidence folder"))
    return real


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _open_fd(path: str, nofollow: bool, shown: str | None = None) -> int:
    """A descriptor opened without blocking (a FIFO with no writer would block the open);
    refusals name `shown` (the path as the user or the evidence wrote it)."""
    shown = path if shown is None else shown
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    if nofollow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        raise FileRefused(Refusal("missing", shown, "no such file")) from None
    except IsADirectoryError:
        raise FileRefused(Refusal("special", shown, "it is a directory, not a file")) from None
    except OSError as exc:
        try:  # a socket cannot be opened at all: say what it is
            mode = os.stat(path).st_mode
        except (OSError, ValueError):
            mode = 0
        if mode and not stat.S_ISREG(mode):
            text = f"it is {_describe(mode)}, not a regular file"
            raise FileRefused(Refusal("special", shown, text)) from None
        why = exc.strerror or type(exc).__name__
        raise FileRefused(Refusal("unreadable", shown, why)) from None
    except ValueError:  # an embedded NUL
        raise FileRefused(Refusal("missing", shown, "not a file name")) from None


def open_regular(
    path: str, limit: int, limit_name: str, nofollow: bool = False, shown: str | None = None
) -> BinaryIO:
    """A binary file object for a regular file of at most `limit` bytes; refuses devices,
    FIFOs, sockets and directories without blocking. `shown` is the path named in refusals."""
    shown = path if shown is None else shown
    fd = _open_fd(path, nofollow, shown)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            text = f"it is {_describe(info.st_mode)}, not a regular file"
            raise FileRefused(Refusal("special", shown, text))
        if nofollow and info.st_nlink > 1:
            # a hard link is the same file under another name, which may lie anywhere on
            # this machine: confinement cannot tell, so a file named by evidence has one name
            text = f"it has {info.st_nlink} names (hard links); another may lie outside the folder"
            raise FileRefused(Refusal("outside", shown, text))
        if info.st_size > limit:
            raise FileRefused(
                Refusal(
                    "large",
                    shown,
                    f"{info.st_size:,} bytes, over the limit {limit_name} = {limit:,} bytes",
                    limit_name,
                )
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(
    path: str, limit: int, limit_name: str, nofollow: bool = False, shown: str | None = None
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (see `open_regular`)."""
    shown = path if shown is None else shown
    with open_regular(path, limit, limit_name, nofollow, shown) as f:
        data = f.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        raise FileRefused(
            Refusal("large", shown, f"over the limit {limit_name} = {limit:,} bytes", limit_name)
        )
    return data


def read_named(name: str, evidence_path: str) -> tuple[str, bytes]:
    """A data file named inside evidence: its real path and bytes, confined and bounded."""
    real = confine(name, evidence_path)
    shown = printable(name)
    return real, read_regular(real, MAX_DATA_BYTES, "MAX_DATA_BYTES", nofollow=True, shown=shown)


def _anonymous_pipe(fd: int, info: os.stat_result) -> bool:
    """Whether an opened FIFO is an anonymous pipe — this process's piped standard input, or a
    shell's `<(…)` — rather than a named FIFO in the file system, which may have no writer."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")
    except OSError:  # no /proc: only standard input is known to be a pipe
        try:
            mine = os.fstat(0)
        except OSError:
            return False
        return (info.st_dev, info.st_ino) == (mine.st_dev, mine.st_ino)


def read_given(path: str, limit: int, limit_name: str) -> bytes:
    """A file the user named on the command line: anywhere, but a regular file of at most
    `limit` bytes — or an anonymous pipe (`/dev/stdin`, a shell's `<(…)`), read to its end.
    A device, a named FIFO, a socket or a directory is refused."""
    fd = _open_fd(path, nofollow=False)
    try:
        info = os.fstat(fd)
        if stat.S_ISFIFO(info.st_mode) and _anonymous_pipe(fd, info):
            os.set_blocking(fd, True)
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read(limit + 1)
            if len(data) > limit:
                raise FileRefused(
                    Refusal("large", path, f"over the limit {limit_name} = {limit:,} bytes")
                )
            return data
    finally:
        os.close(fd)
    return read_regular(path, limit, limit_name)


def sha256(data: bytes) -> str:
    from ..common.digest import sha256_hex

    return sha256_hex(data)


def folder_files(folder: str, suffixes: Sequence[str] | None = None) -> list[str]:
    """The entries directly inside `folder` (named with one of `suffixes`, when given), in
    name order. Each is read with `read_in_folder`, which refuses those that are not regular
    files inside it."""
    with os.scandir(folder) as entries:
        return sorted(
            e.path
            for e in entries
            if suffixes is None or os.path.splitext(e.name)[1].lower() in suffixes
        )


def read_in_folder(path: str, folder: str, limit: int = MAX_FOLDER_FILE_BYTES) -> bytes:
    """A file of a folder portfolio: a regular file whose real path stays inside the folder
    (a symlink out of it is refused, never followed), of at most `limit` bytes."""
    real = os.path.realpath(path)
    if not _inside(real, os.path.realpath(folder)):
        raise FileRefused(
            Refusal("outside", printable(path), "it leads outside the portfolio folder")
        )
    shown = printable(path)
    return read_regular(real, limit, "MAX_FOLDER_FILE_BYTES", nofollow=True, shown=shown)


#: The characters csv reads into one field (the csv module's own default limit).
MAX_CSV_FIELD = 131_072
#: Characters of one physical line of a CSV file: bounds how many cells one row can make.
MAX_CSV_LINE = 1 << 20


class LineTooLong(Exception):
    """A CSV line over MAX_CSV_LINE; `number` is the physical line (1-based)."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def csv_lines(stream: TextIO) -> Iterator[str]:
    """The lines of a text stream opened with `newline=""`, for `csv.reader`, each read with a
    bound: a line of a million commas is refused before it becomes a million cells."""
    number = 0
    while line := stream.readline(MAX_CSV_LINE + 1):
        number += 1
        if len(line) > MAX_CSV_LINE:
            raise LineTooLong(number)
        yield line


def csv_rows(stream: TextIO) -> Iterator[list[str]]:
    """The rows of a CSV text stream opened with `newline=""`: lines read with a bound
    (`csv_lines`), strictly — a quote left open to the end of the file, which would swallow
    every row after it into one cell, is a `csv.Error`, never a silently shorter table — and
    separated by commas, or by tabs or semicolons when the first line has no comma but one of
    them (Excel's "Unicode text" export, or a CSV saved where `,` is the decimal comma)."""
    import csv
    import itertools

    lines = csv_lines(stream)
    first = next(lines, None)
    if first is None:
        return
    delimiter = ","
    if "," not in first:
        delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    yield from csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)


def utf16(data: bytes) -> bool:
    """Whether bytes start with a UTF-16 byte-order mark (Excel's "Unicode text" export)."""
    return data[:2] in (b"\xff\xfe", b"\xfe\xff")


#: Characters a copy from a web page or Word leaves in a cell that no one can see.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = {ord(c): None for c in INVISIBLE}


def visible(text: str) -> str:
    """`text` without invisible characters and surrounding spaces (NBSP and full-width too):
    a cell as the person who typed it sees it."""
    if not text.isascii():
        text = text.translate(_INVISIBLE)
    return text.strip()


#: Excel's error values (WPS writes the same codes), as they appear in a CSV export.
ERROR_TEXTS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#EXTERNAL!",
        "#PYTHON!",
    }
)


def is_error_text(text: str) -> bool:
    """Whether a cell's text is an Excel error value (`#REF!`, `＃N/A` typed full-width, …)."""
    text = text.strip()
    if not text or text[0] not in "#＃":
        return False
    import unicodedata

    return unicodedata.normalize("NFKC", text).upper() in ERROR_TEXTS


def looks_like_formula(text: str) -> bool:
    """Whether a CSV cell's text is a spreadsheet formula rather than data: `=…` or `@…`, or
    `+`/`-` followed by a formula (`-A1+B1`, `+SUM(A1:A3)`, `-(…)`, `+=…`) — not a signed
    number (`-3`, `+5%`) and not a dash before words (`- 问题一`, a typed list bullet)."""
    if len(text) < 2:
        return False
    head = text[0]
    if head in "=@":
        return True
    if head not in "+-":
        return False
    rest = text[1:].lstrip()
    if not rest:
        return False
    if rest[0] in "=@(+-":
        return True
    import re

    return bool(re.match(r"[A-Za-z]{1,3}\$?\d|[A-Za-z_][A-Za-z0-9_.]*\(", rest))
