"""The packs folder as the server sees it: every `*.jx` directly inside it is a pack named by
its file name without `.jx`. Each is read, checked and digested at start; a pack with errors is
listed with its diagnostics and not served. Before each request the folder is looked at
(names, sizes and modification times: one `stat` per file); a file that changed is read again
and, if its bytes differ, checked again — so editing a pack needs no restart.

A request names a pack only by that name, looked up in this table: no path a caller writes
ever reaches the file system.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass, field

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors
from jixiao.dsl.source import Source

from .. import compile_source, load_pack
from ..plan.compiler import Plan

#: What a pack name may be: a file name without folders, dots at the start or `..`.
NAME = re.compile(r"[^\W][\w.\-]*", re.UNICODE)
#: Folders below the packs folder whose packs are looked at for changes (imported templates).
STAMP_DEPTH = 2


def valid_name(name: str) -> bool:
    return bool(NAME.fullmatch(name)) and ".." not in name and len(name) <= 200


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Pack:
    name: str
    path: str  # as the command line would name it: `<packs>/<name>.jx`
    source: Source
    sha256: str
    plan: Plan | None  # None: it does not check
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.plan is not None and not has_errors(self.diagnostics)

    @property
    def library(self) -> bool:
        return self.plan is not None and not self.plan.program.indicators

    @property
    def files(self) -> list[tuple[str, str]]:
        """(path, SHA-256) of the pack and of every template it imports."""
        imports = list(self.plan.program.imports) if self.plan is not None else []
        return [(self.path, self.sha256), *imports]

    def settings(self) -> dict[str, str | None]:
        if self.plan is None:
            return {"title": None, "version": None, "authority": None}
        s = self.plan.program.settings
        return {"title": s.title, "version": s.version, "authority": s.authority}


def compile_text(path: str, text: str) -> tuple[Plan | None, list[Diagnostic]]:
    """A pack's plan and warnings, or None and its errors."""
    try:
        plan, warnings = compile_source(Source(path, text))
    except JixiaoError as exc:
        return None, list(exc.diagnostics)
    return plan, list(warnings)


class Packs:
    """The table of packs, refreshed on demand; safe to share between threads."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.packs: dict[str, Pack] = {}
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._lock = threading.Lock()
        self.refresh()

    def _stamp_now(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        base = self.folder.rstrip(os.sep).count(os.sep)
        for root, dirs, names in os.walk(self.folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            if root.rstrip(os.sep).count(os.sep) - base >= STAMP_DEPTH:
                dirs[:] = []
            for n in sorted(names):
                if n.endswith(".jx"):
                    path = os.path.join(root, n)
                    try:
                        st = os.stat(path)
                    except OSError:
                        continue
                    out.append((path, st.st_mtime_ns, st.st_size))
        return tuple(out)

    def refresh(self) -> None:
        stamp = self._stamp_now()
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            seen: dict[str, Pack] = {}
            for entry in sorted(os.listdir(self.folder)):
                name = entry[:-3]
                if not entry.endswith(".jx") or not valid_name(name):
                    continue
                path = os.path.join(self.folder, entry)
                if not os.path.isfile(path):
                    continue
                seen[name] = self._load(name, path)
            self.packs = seen
            self._stamp = stamp

    def _load(self, name: str, path: str) -> Pack:
        try:
            source = load_pack(path)
        except JixiaoError as exc:
            return Pack(name, path, Source(path, ""), "", None, list(exc.diagnostics))
        digest = sha256(source.text)
        old = self.packs.get(name)
        if old is not None and old.sha256 == digest and _imports_unchanged(old):
            return old
        plan, diagnostics = compile_text(path, source.text)
        return Pack(name, path, source, digest, plan, diagnostics)

    def get(self, name: str) -> Pack | None:
        self.refresh()
        return self.packs.get(name)

    def all(self) -> list[Pack]:
        self.refresh()
        return list(self.packs.values())


def _imports_unchanged(pack: Pack) -> bool:
    for path, digest in pack.files[1:]:
        try:
            with open(path, encoding="utf-8") as f:
                if sha256(f.read()) != digest:
                    return False
        except (OSError, UnicodeDecodeError):
            return False
    return True
