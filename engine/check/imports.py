"""`import "template.jx"`: one pack made of several files, before anything is checked.

An import is textual in effect and structural in form: the imported file's declarations join the
importing pack as if written there, each keeping its own span, so every diagnostic, ledger line
and explanation names the file and line it came from. Resolving happens between parsing and
checking, so the checker, the analyses and the compiler see one pack and need to know nothing
of files.

The rules, chosen so that a template can be shared without surprising anyone:
- a path is relative to the importing file; if it is not there, each folder of the import path
  (`--import-path`, then `JIXIAO_PATH`, then the library shipped with jixiao) is tried in turn;
- a pack file is a `.jx` file inside the top pack's folder or an import-path folder: a pack from a
  stranger cannot make jixiao read `/etc/passwd` as a template and quote it in an error (E117);
- a file imported twice (directly or through two templates) is included once; a cycle is refused
  with its chain (E118); at most `MAX_IMPORTS` files, `MAX_IMPORT_DEPTH` deep (E119);
- the importing pack's header settings win over an imported header's, key by key, and the title is
  the importing pack's (an imported header only fills what the importer leaves unset);
- a `param` declared in the importing pack replaces the imported one of the same name (that is how
  a bureau adapts a template's thresholds), and must keep its kind (E120). Every other name
  declared twice is the checker's duplicate error, with both places shown.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jixiao.dsl import ast, record
from jixiao.dsl.diagnostics import Diagnostic, JixiaoError
from jixiao.dsl.source import Source

from ..common import messages
from ..common.digest import sha256_hex

#: At most this many files make one pack (the top pack included).
MAX_IMPORTS = 256
#: An import inside an import inside … at most this deep.
MAX_IMPORT_DEPTH = 32

Reader = Callable[[str], Source]


@dataclass(frozen=True)
class Imported:
    """The pack with its imports resolved, and every file it was made of besides the top one:
    (path as shown, SHA-256 of its text) for the audit digests, and (real path, SHA-256) for
    the cache to tell whether any changed."""

    pack: ast.Pack
    files: tuple[tuple[str, str], ...]
    real: tuple[tuple[str, str], ...] = ()


def library_folder() -> str | None:
    """The standard packs shipped with jixiao: `engine/library`, a link to `rules/` in a
    checkout, copied into the package when installed."""
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "library")
    return os.path.realpath(folder) if os.path.isdir(folder) else None


def search_path(given: Sequence[str] = ()) -> tuple[str, ...]:
    """The import path: the folders given, then `JIXIAO_PATH` (os.pathsep-separated), then the
    shipped library."""
    folders = [*given]
    env = os.environ.get("JIXIAO_PATH", "")
    folders += [f for f in env.split(os.pathsep) if f]
    library = library_folder()
    if library is not None:
        folders.append(library)
    return tuple(os.path.realpath(f) for f in folders)


def resolve(
    pack: ast.Pack, read: Reader, folders: Sequence[str] = (), root: str | None = None
) -> Imported:
    """Join every file `pack` imports into it, or raise `JixiaoError` with what went wrong.
    `root` stands for the top pack's folder when its text was made elsewhere (`jixiao selfeval`
    generates a pack whose imports start from its template's folder, never the working one)."""
    top = pack.span.source
    if not pack.imports:
        return Imported(pack, ())
    root = _folder_of(top.path) if root is None else os.path.realpath(root)
    allowed = (root, *folders)
    r = _Resolver(read, allowed, tuple(folders), (top, root))
    r.visit(pack, (_real(top.path),), 0)
    if r.diagnostics:
        raise JixiaoError(r.diagnostics)
    return Imported(_merge(pack, r.ordered), tuple(r.files), tuple(r.real))


def unchanged(real: tuple[tuple[str, str], ...], read: Reader) -> bool:
    """Whether every file a cached pack was made of still has the text it had."""
    for path, digest in real:
        try:
            text = read(path).text
        except JixiaoError:
            return False
        if sha256_hex(text.encode("utf-8")) != digest:
            return False
    return True


class _Resolver:
    def __init__(
        self,
        read: Reader,
        allowed: tuple[str, ...],
        folders: tuple[str, ...],
        top: tuple[Source, str],
    ) -> None:
        self.read = read
        self.top = top  # the top pack's source and the folder its imports start from
        self.allowed = allowed
        self.folders = folders
        self.done: set[str] = set()
        self.ordered: list[ast.Pack] = []  # imported packs, each after what it imports
        self.files: list[tuple[str, str]] = []
        self.real: list[tuple[str, str]] = []
        self.diagnostics: list[Diagnostic] = []

    def visit(self, pack: ast.Pack, chain: tuple[str, ...], depth: int) -> None:
        from jixiao.dsl.parser import parse

        importer = pack.span.source
        for imp in pack.imports:
            if self.diagnostics:
                return
            found = self.find(imp, importer)
            if found is None:
                continue
            real = found
            if real in chain:
                cycle = [*chain[chain.index(real) :], real]
                self.diagnostics.append(
                    messages.import_cycle([_display(p) for p in cycle], imp.path.span)
                )
                continue
            if real in self.done:
                continue
            if depth + 1 > MAX_IMPORT_DEPTH or len(self.done) + 1 >= MAX_IMPORTS:
                self.diagnostics.append(
                    messages.too_many_imports(MAX_IMPORTS, MAX_IMPORT_DEPTH, imp.path.span)
                )
                return
            self.done.add(real)
            try:
                source = self.read(_display(real))
            except JixiaoError as exc:
                self.diagnostics.extend(exc.diagnostics)
                return
            try:
                imported = parse(source)
            except JixiaoError as exc:
                self.diagnostics.extend(exc.diagnostics)
                return
            self.visit(imported, (*chain, real), depth + 1)
            self.ordered.append(imported)
            digest = sha256_hex(source.text.encode("utf-8"))
            self.files.append((_display(real), digest))
            self.real.append((real, digest))

    def find(self, imp: ast.Import, importer: Source) -> str | None:
        """The imported file's real path, or None after a diagnostic."""
        written = imp.path.value
        if not written.endswith(".jx") or "\x00" in written:
            self.diagnostics.append(messages.import_refused(written, "not_pack", imp.path.span))
            return None
        base = self.top[1] if importer is self.top[0] else _folder_of(importer.path)
        candidates = [os.path.join(base, written)]
        if not os.path.isabs(written):
            candidates += [os.path.join(f, written) for f in self.folders]
        for candidate in candidates:
            if not os.path.isfile(candidate):
                continue
            real = os.path.realpath(candidate)
            if not any(_inside(real, folder) for folder in self.allowed):
                self.diagnostics.append(messages.import_refused(written, "outside", imp.path.span))
                return None
            return real
        library = library_folder()
        looked = [
            "the standard packs shipped with jixiao" if f == library else f"`{_display(f)}`"
            for f in [base, *([] if os.path.isabs(written) else self.folders)]
        ]
        self.diagnostics.append(messages.import_not_found(written, looked, imp.path.span))
        return None


def _merge(pack: ast.Pack, imported: list[ast.Pack]) -> ast.Pack:
    own_params = {p.name.text: p for p in pack.params}
    params: list[ast.ParamDecl] = []
    clashes: list[Diagnostic] = []
    for other in imported:
        for p in other.params:
            mine = own_params.get(p.name.text)
            if mine is None:
                params.append(p)
            elif mine.type.text != p.type.text:
                clashes.append(messages.param_override_kind(p.name.text, p, mine))
    if clashes:
        raise JixiaoError(clashes)

    def joined(field: str) -> tuple[object, ...]:
        items: list[object] = []
        for other in imported:
            items += getattr(other, field)
        return (*items, *getattr(pack, field))

    return record.replace(
        pack,
        headers=_headers(pack, imported),
        facts=joined("facts"),
        params=(*params, *pack.params),
        lets=joined("lets"),
        functions=joined("functions"),
        indicators=joined("indicators"),
        extras=joined("extras"),
        vetoes=joined("vetoes"),
        surveys=joined("surveys"),
        imports=(),
    )


def _headers(pack: ast.Pack, imported: list[ast.Pack]) -> tuple[ast.PackHeader, ...]:
    """The importer's header, its unset settings filled from the imported headers in order."""
    theirs = [h for other in imported for h in other.headers]
    if not theirs:
        return pack.headers
    if not pack.headers:
        first, rest = theirs[0], theirs[1:]
        mine = first
    else:
        mine, rest = pack.headers[0], theirs
    settings = list(mine.settings)
    keys = {s.key for s in settings}
    for header in rest:
        for s in header.settings:
            if s.key not in keys:
                settings.append(s)
                keys.add(s.key)
    merged = record.replace(mine, settings=tuple(settings))
    return (merged, *pack.headers[1:])


def _folder_of(path: str) -> str:
    if path in ("-", "<stdin>", "<text>", "/dev/stdin") or path.startswith("/dev/fd/"):
        return os.path.realpath(os.getcwd())
    return os.path.realpath(os.path.dirname(os.path.abspath(path)))


def _real(path: str) -> str:
    return os.path.realpath(path) if os.path.exists(path) else path


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _display(real: str) -> str:
    try:
        rel = os.path.relpath(real)
    except ValueError:  # another drive, on Windows
        return real
    return real if rel.startswith("..") else ("." if rel == "." else rel)
