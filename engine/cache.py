"""A cache of parsed packs, so an unchanged pack skips the parser (and Lark) and the graph (and
networkx) on the next run.

What is cached is the pack's syntax tree and its evaluation order, keyed by the SHA-256 of the
pack's path and text, jixiao's version and the grammar: a changed pack, a new jixiao or a new
grammar never meets an old entry. The checker and the analyses still run on every load (they
are fast, and their warnings must be the same warm or cold).

Entries are pickles, so they are only ever read back if jixiao wrote them: each carries an
HMAC-SHA256 under a random key kept in the cache folder (mode 0700, the key file 0600, both the
user's own), and a file whose tag does not verify is ignored and replaced — never unpickled.
`JIXIAO_NO_CACHE=1` turns the cache off; `JIXIAO_CACHE=DIR` moves it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
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
                f.write(secrets.token_bytes(32))
        info = path.stat()
        if info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        return path.read_bytes()
    except OSError:
        return None


def entry_name(path: str, text: str, grammar: str) -> str:
    digest = hashlib.sha256()
    for part in (VERSION, grammar, path, text):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


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
    tmp = folder / f"{name}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(tag + body)
        os.replace(tmp, folder / f"{name}.pack")
    except OSError:
        tmp.unlink(missing_ok=True)
