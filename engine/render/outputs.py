"""Where a command writes: never over one of its inputs, and a diagnostic for every way writing
can fail.

`refuse` runs before anything is read or opened for writing: an output that is an input — the
same path, a symlink to it, a hard link of it, compared by the file itself (`os.path.samefile`)
and by the resolved path — is refused (E680), so `--batch p.csv --output p.csv` can no longer
truncate the portfolio it is about to score; so is an output inside a folder being scored, when
it is a file already there or one the folder's reading would take as evidence. A folder that does
not exist, an output that is a folder or a folder that cannot be written is reported then too
(E681), before the work. What can still fail later (a full disk) is reported by `writing`, which
turns the OSError of a write into the same E681.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping, Sequence

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError

from ..common import messages as msg

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

    from ..common.result import Result


class Output:
    """A report format of `jixiao eval`: its `--format` name, the file suffixes `--output`
    infers it from, and, for a format written as a file rather than as text, the module of
    `engine/render` whose `write(result, path, lang, note)` writes it."""

    __slots__ = ("name", "suffixes", "writer")

    def __init__(self, name: str, suffixes: tuple[str, ...], writer: str | None = None) -> None:
        self.name, self.suffixes, self.writer = name, suffixes, writer


#: Every report format, in the order `--help` lists them: the one place a format is registered.
#: A text format is rendered by `render.render`; a file format by its writer module. A new file
#: format is one line here — `Output("docx", (".docx",), writer="docx")` for a module
#: `engine/render/docx.py` with `write(result, path, lang, note)` — and `eval --format`,
#: `--output` inference and the contradiction check all follow from it.
OUTPUTS = (
    Output("table", (".txt",)),
    Output("json", (".json",)),
    Output("markdown", (".md", ".markdown")),
    Output("html", (".html", ".htm")),
    Output("xlsx", (".xlsx",), writer="xlsx"),
    Output("docx", (".docx",), writer="docx"),
)

#: What `--format` accepts.
FORMAT_NAMES = tuple(o.name for o in OUTPUTS)


def unscored_json(diagnostics: Sequence[Diagnostic]) -> str:
    """`--format json` when nothing could be scored (the pack does not check, the evidence or
    the table cannot be read): still a JSON document on standard output, so `| jq` reads why."""
    import json

    from jixiao.dsl.diagnostics import to_json

    doc = {
        "total": None,
        "grade": None,
        "indicators": [],
        "diagnostics": [to_json(d) for d in sorted(diagnostics, key=Diagnostic.sort_key)],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def output_named(name: str) -> Output:
    return next(o for o in OUTPUTS if o.name == name)


def format_of(path: str) -> str | None:
    """The format `--output PATH` asks for by its suffix (case-insensitive), None if unknown."""
    suffix = os.path.splitext(path)[1].lower()
    return next((o.name for o in OUTPUTS if suffix in o.suffixes), None)


def known_suffixes() -> str:
    return ", ".join(s for o in OUTPUTS for s in o.suffixes)


#: What a folder being scored reads as evidence (tools/batch.py `read_folder`).
EVIDENCE_SUFFIXES = (".yaml", ".yml", ".json")


def refuse(
    outputs: Mapping[str, str | None],
    inputs: Sequence[tuple[str, str | None]],
    naming: Sequence[tuple[str, str | None]] = (),
) -> None:
    """Raise JixiaoError if an output (by its option, `--output`) is an input (by its role,
    "the portfolio") or cannot be written at all. Standard output (`-`, None) is always fine.
    `naming` are inputs that name other files relative to their folder (evidence names its
    survey responses): an existing file one of them names is an input too."""
    diags: list[Diagnostic] = []
    named = [(o, p) for o, p in outputs.items() if p and p != "-"]
    for i, (option, path) in enumerate(named):
        for role, source in [*inputs, *_named_by(path, naming)]:
            if source and _same(path, source):
                diags.append(msg.output_is_input(option, path, role))
                break
            if source and os.path.isdir(source) and _inside(path, source):
                if os.path.lexists(path) or path.lower().endswith(EVIDENCE_SUFFIXES):
                    diags.append(msg.output_in_input_folder(option, path, role, source))
                    break
        else:
            for other, earlier in named[:i]:
                if _same(path, earlier) or os.path.abspath(path) == os.path.abspath(earlier):
                    diags.append(msg.output_is_input(option, path, f"the output of `{other}`"))
                    break
            else:
                why = _unwritable(path)
                if why is not None:
                    diags.append(msg.output_unwritable(option, path, why))
    if diags:
        raise JixiaoError(diags)


class writing:
    """Turn an OSError raised while writing `path` into E681 (a full disk, a folder removed
    meanwhile, a file another program holds open on Windows). A class, not `contextmanager`:
    a warm `eval` imports this module for the formats `--format` lists, and `contextlib`
    would cost it more than the whole module."""

    def __init__(self, option: str, path: str) -> None:
        self.option, self.path = option, path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, OSError):
            reason = _reason(exc)
            raise JixiaoError(
                [msg.output_unwritable(self.option, str(self.path), reason)]
            ) from None


def write_text(option: str, path: str, text: str) -> None:
    """Write a whole report, UTF-8 (LF as given), with E681 for every failure."""
    with writing(option, path), open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def replace_text(option: str, path: str, text: str) -> None:
    """Rewrite a file in place all or nothing (`jixiao fmt`): the new text goes to a temporary
    file beside it, renamed over it once complete, so a full disk leaves the pack as it was. A
    symlink is followed (its target is rewritten) and the file's permissions are kept."""
    target = os.path.realpath(path)
    tmp = f"{target}.{os.getpid()}.jixiao-tmp"
    with writing(option, path):
        try:
            with open(tmp, "x", encoding="utf-8", newline="") as f:
                f.write(text)
            try:
                os.chmod(tmp, os.stat(target).st_mode & 0o7777)
            except OSError:
                pass  # a new file, or a file system without modes: the default is fine
            os.replace(tmp, target)
        except BaseException:
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise


def save_workbook(
    book: Any, path: str | os.PathLike[str], dates: tuple[Any, Any] | None = None
) -> None:
    """Save an openpyxl workbook whole: into memory, then to the file in one write. Saving to
    the file directly leaves, on a full disk, a half-closed zip whose clean-up prints a Python
    traceback after jixiao's own message.

    The same workbook gives the same bytes: openpyxl stamps `docProps/core.xml` with the time of
    saving and each zip entry with the time it was written, so the document's dates are
    `dates` (created, modified: the user's own for a table written back) or else 1980-01-01,
    the zip format's first day, as every entry is dated, as reproducible builds do."""
    import io
    import zipfile

    from openpyxl.writer.excel import ExcelWriter

    if book.write_only and not book.worksheets:
        book.create_sheet()
    import datetime as dt

    first = dt.datetime(1980, 1, 1)
    book.properties.created, book.properties.modified = dates or (first, first)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        writer = ExcelWriter(book, archive)
        writer.write_data()  # `Workbook.save` would set `modified` to now first
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(raw) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target,
    ):
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=first.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3  # the same bytes on Windows
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, source.read(entry))
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


#: Evidence larger than this is not searched for the names of its files (the loader refuses it).
MAX_NAMING_BYTES = 64 * 1024 * 1024


def _named_by(path: str, naming: Sequence[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """The inputs among `naming` whose text names the existing file `path`, by its path relative
    to their folder (`问卷.csv`, `surveys/问卷.csv`) or its absolute path."""
    if not os.path.isfile(path):
        return []  # a file that does not exist is read by nobody
    found = []
    for role, source in naming:
        if not source or not os.path.isfile(source):
            continue
        try:
            with open(source, "rb") as f:
                data = f.read(MAX_NAMING_BYTES)
        except OSError:
            continue
        folder = os.path.dirname(os.path.abspath(source))
        spellings = {os.path.relpath(os.path.abspath(path), folder), os.path.abspath(path)}
        real = os.path.realpath(path)  # the output may be a symlink to the file named
        spellings |= {os.path.relpath(real, os.path.realpath(folder)), real}
        spellings |= {s.replace(os.sep, "/") for s in spellings}
        for spelling in spellings:
            for encoding in ("utf-8", "gb18030"):  # evidence may be saved in GB18030
                if spelling.encode(encoding, "ignore") in data:
                    found.append((f"a file {role} names", path))
                    break
            else:
                continue
            break
    return found


def _same(a: str, b: str) -> bool:
    try:
        if os.path.samefile(a, b):
            return True
    except OSError:
        pass  # one of them does not exist (yet): only the resolved paths can tell
    return os.path.realpath(a) == os.path.realpath(b)


def _inside(path: str, folder: str) -> bool:
    parent = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    root = os.path.realpath(folder)
    return parent == root or parent.startswith(root.rstrip(os.sep) + os.sep)


def _unwritable(path: str) -> str | None:
    """Why `path` cannot be written, as far as can be told without opening it."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return "it is a folder"
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            return f"`{os.path.dirname(path)}` is not a folder"
        return f"the folder `{os.path.dirname(path) or '.'}` does not exist"
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return "permission denied"
    if not os.path.exists(path) and not os.access(folder, os.W_OK | os.X_OK):
        return f"permission denied in the folder `{os.path.dirname(path) or '.'}`"
    return None


_REASONS = {
    errno.ENOSPC: "the disk is full",
    getattr(errno, "EDQUOT", errno.ENOSPC): "the disk is full",
    errno.ENOENT: "its folder does not exist",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder",
    errno.EROFS: "the disk is read-only",
    errno.EEXIST: "a file of that name is in the way of the folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
}


def _reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


def total_reason(result: Result, lang: str) -> str | None:
    """Why a scored record has no total, in one line; None when it has one (the command line's
    and the server's reports both end with it). The JSON report says it with `total: null` and
    its `diagnostics`."""
    if result.total is not None:
        return None
    undecided = [i.code for i in result.indicators if i.points is None and i.failures]
    errors = sum(1 for d in result.diagnostics if d.is_error)
    if lang == "en":
        parts = [f"{errors} error(s) in the evidence or evaluation"] if errors else []
        if undecided:
            parts.append(f"undecided: {', '.join(undecided)}")
        return "no total: " + ("; ".join(parts) or "nothing applicable was scored")
    parts = [f"证据或计分有 {errors} 处错误"] if errors else []
    if undecided:
        parts.append(f"未能计分的指标：{'、'.join(undecided)}")
    return "无总分：" + ("；".join(parts) or "没有可计分的指标")
