"""A cache of parsed packs, so an unchanged pack skips the parser (and Lark) and the graph (and
networkx) on the next run.

What is cached is the checked program, its evaluation order and its warnings, keyed by the
SHA-256 of the pack's path and text, jixiao's version and a digest of jixiao's code and grammar:
a changed pack or any change to jixiao never meets an old entry, and the warnings are those the
checker gave. Only the closures are compiled again on every run.

Entries are pickles, so they are only ever read back if jixiao wrote them: each carries an
HMAC-SHA256 under a random key kept in the cache folder (mode 0700, the key file 0600, both the
user's own), and a file whose tag does not verify is ignored and replaced — never unpickled.
`JIXIAO_NO_CACHE=1` turns the cache off; `JIXIAO_CACHE=DIR` moves it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import pickle
import stat
from pathlib import Path
from typing import Any

from .version import VERSION

_TAG = 32


def _folder() -> Path | None:
    if os.environ.get("JIXIAO_NO_CACHE"):
        return None
    base = os.environ.get("JIXIAO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "jixiao",
    )
    folder = Path(base)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None
    # only a folder of our own that nobody else can write into
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder


def _key(folder: Path) -> bytes | None:
    path = folder / "key"
    try:
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
        info = path.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        return path.read_bytes()
    except OSError:
        return None


def entry_name(path: str, text: str) -> str:
    digest = hashlib.sha256()
    for part in (VERSION, _code(), path, text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def _code() -> str:
    """A fingerprint of jixiao's own code and grammar: an entry holds what the checker and the
    analyses concluded, so any change to them — an upgrade, a local edit — must miss, not just
    a new version number. Like Python's own bytecode cache, it goes by each file's size and
    modification time (reading and hashing all the code would cost a warm run 3 ms)."""
    import jixiao.dsl
    import jixiao.engine

    parts = []
    folders = [os.path.dirname(p.__file__ or "") for p in (jixiao.dsl, jixiao.engine)]
    try:
        while folders:
            folder = folders.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                        folders.append(entry.path)
                    elif entry.name.endswith((".py", ".lark")):
                        info = entry.stat()
                        parts.append(f"{entry.path}\0{info.st_size}\0{info.st_mtime_ns}")
    except OSError:
        return os.urandom(16).hex()  # code that cannot be listed (a zip): never reuse an entry
    return "\n".join(sorted(parts))


def load(name: str) -> Any | None:
    folder = _folder()
    key = _key(folder) if folder else None
    if folder is None or key is None:
        return None
    try:
        data = (folder / f"{name}.pack").read_bytes()
    except OSError:
        return None
    tag, body = data[:_TAG], data[_TAG:]
    if not hmac.compare_digest(tag, hmac.new(key, body, hashlib.sha256).digest()):
        return None  # not written by jixiao with this key: never unpickled
    try:
        return pickle.loads(body)
    except Exception:
        return None


def store(name: str, value: Any) -> None:
    folder = _folder()
    key = _key(folder) if folder else None
    if folder is None or key is None:
        return
    try:
        body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        return
    tag = hmac.new(key, body, hashlib.sha256).digest()
    tmp = folder / f"{name}.{os.urandom(4).hex()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(tag + body)
        os.replace(tmp, folder / f"{name}.pack")
    except OSError:
        tmp.unlink(missing_ok=True)
