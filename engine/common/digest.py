"""SHA-256 for the reports' digests and a keyed BLAKE2b for the plan cache, without OpenSSL.

`hashlib` and `hmac` load OpenSSL's libcrypto on import — 4 ms of a warm `jixiao eval` that
takes 70. CPython builds SHA-256 and BLAKE2 in; this module takes them from there (falling back
to `hashlib` on a Python that lacks them). The cache's tag is BLAKE2b keyed with the cache's
secret, the MAC construction BLAKE2 provides itself (RFC 7693, and `hashlib`'s documentation
offers it in place of HMAC).
"""

from __future__ import annotations

TYPE_CHECKING = False  # (typing itself is not imported on the warm path)
if TYPE_CHECKING:
    from hashlib import blake2b, sha256
else:
    try:  # CPython 3.12+
        from _sha2 import sha256
    except ImportError:  # pragma: no cover - depends on the Python
        try:  # CPython 3.11
            from _sha256 import sha256
        except ImportError:
            from hashlib import sha256
    try:
        from _blake2 import blake2b
    except ImportError:  # pragma: no cover - depends on the Python
        from hashlib import blake2b

__all__ = ["blake2b", "same", "sha256", "sha256_hex", "tag"]


def sha256_hex(data: bytes) -> str:
    return str(sha256(data).hexdigest())


def tag(key: bytes, data: bytes) -> bytes:
    """A 32-byte keyed BLAKE2b of `data`: only a holder of `key` can make it."""
    return bytes(blake2b(data, key=key, digest_size=32).digest())


def same(a: bytes, b: bytes) -> bool:
    """Equal, in time that does not depend on where they differ."""
    if len(a) != len(b):
        return False
    difference = 0
    for x, y in zip(a, b, strict=True):
        difference |= x ^ y
    return difference == 0
