"""A cache of parsed packs, so an unchanged pack skips the parser (and Lark) and the graph (and
networkx) on the next run.

What is cached is the checked program, its evaluation order and its warnings, keyed by the
SHA-256 of the pack's path and text, jixiao's version and a digest of jixiao's code and grammar:
a changed pack or any change to jixiao never meets an old entry, and the warnings are those the
checker gave, with the (real path, SHA-256) of every template the pack imports, which must still
hold the same text for the entry to be used. Only the closures are compiled again on every
run. The program is plain data —
its kinds are on its expression nodes, nothing is keyed by a node's identity — so it is pickled
as it is and read back as it was.

Entries are pickles, so they are only ever read back if jixiao wrote them: each carries a
keyed BLAKE2b tag (`digest.tag`) under a random 32-byte key kept in the cache folder (mode 0700,
the key file 0600, both the user's own). The tag covers the entry's name as well as its bytes, so
an entry copied under another name does not verify; a file whose tag does not verify is ignored
and replaced — never unpickled. A key file that is not exactly 32 bytes (left empty or cut short
by a full disk, say) is never used: a new key replaces it, written whole to a temporary file and
renamed into place, so a key file is either absent or complete.
`JIXIAO_NO_CACHE=1` turns the cache off; `JIXIAO_CACHE=DIR` moves it.
"""

from __future__ import annotations

import functools
import os
import pickle
import stat

from ..common.digest import same, sha256, tag
from ..common.version import VERSION

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any


_TAG = 32
#: The cache's secret is this many random bytes; a key file of any other length is replaced.
KEY_BYTES = 32
#: An entry larger than this is neither written nor read (the founding pack's is ~200 KB).
MAX_ENTRY_BYTES = 64 * 1024 * 1024


# Plain os calls, not pathlib: importing pathlib (and the urllib and ipaddress it pulls in)
# would cost a warm run more than everything this module does.


def _folder() -> str | None:
    if os.environ.get("JIXIAO_NO_CACHE") or not hasattr(os, "getuid"):
        return None  # (without POSIX owners and modes, as on Windows, nothing could be trusted)
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
    """The cache's secret: exactly KEY_BYTES random bytes in a regular file of the user's own
    that nobody else can read. Anything else (an empty or short file, a symlink, loose
    permissions) is replaced by a new key; if that cannot be written, there is no cache."""
    path = os.path.join(folder, "key")
    key = _read_own(path, KEY_BYTES)
    if key is not None and len(key) == KEY_BYTES:
        return key
    try:
        _write_whole(path, os.urandom(KEY_BYTES))
    except OSError:
        return None
    key = _read_own(path, KEY_BYTES)  # another run may have renamed its own key in meanwhile
    return key if key is not None and len(key) == KEY_BYTES else None


def _read_own(path: str, limit: int) -> bytes | None:
    """A regular file's bytes, if it is the user's own, unreadable by others and at most
    `limit` bytes long — never through a symlink, never a device or FIFO (which could block)."""
    try:
        fd = os.open(
            path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (
            not stat.S_ISREG(info.st_mode)
            or info.st_uid != os.getuid()
            or info.st_mode & 0o077
            or info.st_size > limit
        ):
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(limit + 1)
    except OSError:
        return None
    finally:
        os.close(fd)


def _write_whole(path: str, data: bytes) -> None:
    """Write `data` to `path` all or nothing: into a new 0600 file beside it, renamed over `path`
    only once every byte is written. A full disk leaves `path` as it was (raises OSError)."""
    tmp = f"{path}.{os.urandom(4).hex()}.tmp"
    try:
        _create(tmp, data)
        os.replace(tmp, path)
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _create(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _signed(key: bytes, name: str, body: bytes) -> bytes:
    """The tag of an entry: over its name and its bytes, so it verifies under no other name."""
    label = f"jixiao cache entry {name}\0".encode()
    return tag(key, len(label).to_bytes(8, "big") + label + body)


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

    parts = []
    engine = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # not imported back
    folders = [os.path.dirname(jixiao.dsl.__file__ or ""), engine]
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
    data = _read_own(os.path.join(folder, f"{name}.pack"), MAX_ENTRY_BYTES)
    if data is None or len(data) <= _TAG:
        return None
    stored, body = data[:_TAG], data[_TAG:]
    if not same(stored, _signed(key, name, body)):
        return None  # not written by jixiao with this key under this name: never unpickled
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
    except Exception:  # a program too deep or too large to pickle: it is simply not cached
        return
    if len(body) + _TAG > MAX_ENTRY_BYTES:
        return
    try:
        _write_whole(os.path.join(folder, f"{name}.pack"), _signed(key, name, body) + body)
    except OSError:
        pass  # a full disk or a read-only cache: the next run checks the pack again
