"""A cache of parsed packs, so an unchanged pack skips the parser (and Lark) and the graph (and
networkx) on the next run.

What is cached is the checked program, its evaluation order and its warnings, keyed by the
SHA-256 of the pack's path and text, jixiao's version and a digest of jixiao's code and grammar:
a changed pack or any change to jixiao never meets an old entry, and the warnings are those the
checker gave. Only the closures are compiled again on every run.

Entries are pickles, so they are only ever read back if jixiao wrote them: each carries a
keyed BLAKE2b tag (`digest.tag`) under a random key kept in the cache folder (mode 0700, the
key file 0600, both the user's own), and a file whose tag does not verify is ignored and
replaced — never unpickled.
`JIXIAO_NO_CACHE=1` turns the cache off; `JIXIAO_CACHE=DIR` moves it.
"""

from __future__ import annotations

import functools
import os
import pickle
import stat

from .digest import same, sha256, tag
from .version import VERSION

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any

_TAG = 32


# Plain os calls, not pathlib: importing pathlib (and the urllib and ipaddress it pulls in)
# would cost a warm run more than everything this module does.


def _folder() -> str | None:
    if os.environ.get("JIXIAO_NO_CACHE"):
        return None
    base = os.environ.get("JIXIAO_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "jixiao",
    )
    folder = base
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return None
    # only a folder of our own that nobody else can write into
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder


def _key(folder: str) -> bytes | None:
    path = os.path.join(folder, "key")
    try:
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
        info = os.stat(path)
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def entry_name(path: str, text: str) -> str:
    digest = sha256()
    for part in (VERSION, _code(), path, text):
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big") + data)  # lengths first: no two splits alike
    return str(digest.hexdigest())


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
        with open(os.path.join(folder, f"{name}.pack"), "rb") as f:
            data = f.read()
    except OSError:
        return None
    stored, body = data[:_TAG], data[_TAG:]
    if not same(stored, tag(key, body)):
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
    mark = tag(key, body)
    tmp = os.path.join(folder, f"{name}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(mark + body)
        os.replace(tmp, os.path.join(folder, f"{name}.pack"))
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
