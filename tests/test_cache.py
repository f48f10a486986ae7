"""The plan cache: a warm run gives the bytes a cold run gives, and an entry jixiao did not
write (or a changed pack) is never used."""

from __future__ import annotations

from pathlib import Path

import pytest

from jixiao.engine import cache

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, cli


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.delenv("JIXIAO_NO_CACHE", raising=False)
    monkeypatch.setenv("JIXIAO_CACHE", str(folder))
    return folder


def test_warm_run_is_byte_identical(cache_dir: Path) -> None:
    args = ("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "json")
    cold = cli(*args)
    assert len(list(cache_dir.glob("*.pack"))) == 1
    warm = cli(*args)
    assert warm == cold and cold[0] == 0


def test_tampered_entry_is_never_unpickled(cache_dir: Path, tmp_path: Path) -> None:
    args = ("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "json")
    cold = cli(*args)
    [entry] = cache_dir.glob("*.pack")
    marker = tmp_path / "pwned"
    # a pickle that would create a file if it were ever loaded
    payload = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    entry.write_bytes(b"\0" * 32 + payload)
    assert cli(*args) == cold
    assert not marker.exists()


def test_changed_pack_misses(cache_dir: Path, tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text('fact 甲: bool\nindicator A "a" 100 { full when 甲 }\n', encoding="utf-8")
    evidence = tmp_path / "e.yaml"
    evidence.write_text("facts: {甲: true}\n", encoding="utf-8")
    assert "100.00" in cli("eval", str(pack), str(evidence))[1]
    pack.write_text('fact 甲: bool\nindicator A "a" 100 { full when not 甲 }\n', encoding="utf-8")
    assert "0.00" in cli("eval", str(pack), str(evidence))[1]
    assert len(list(cache_dir.glob("*.pack"))) == 2


def test_no_cache_in_a_folder_others_can_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    monkeypatch.delenv("JIXIAO_NO_CACHE", raising=False)
    monkeypatch.setenv("JIXIAO_CACHE", str(folder))
    cache.store("x", {"a": 1})
    assert cache.load("x") is None and not list(folder.iterdir())


def test_a_warm_run_keeps_what_the_checker_decided(cache_dir: Path, tmp_path: Path) -> None:
    """The cache holds the checked program: its warnings, and the kind of every expression
    (a `max 50%` is half the weight, not half a point), must be those of a cold run."""
    pack = tmp_path / "p.jx"
    pack.write_text(
        "fact 问题: list\nfact 好: bool\nfact 未用: bool\n"
        'indicator A "a" 4 { deduct 1 per 问题 max 50% "问题：{item}" }\n'
        'indicator B "b" 96 { full when 好 }\n',
        encoding="utf-8",
    )
    evidence = tmp_path / "e.yaml"
    evidence.write_text("facts: {问题: [一, 二, 三], 好: true, 未用: true}\n", encoding="utf-8")
    args = ("eval", str(pack), str(evidence))
    cold = cli(*args)
    assert "本款扣分以 2 分为限" in cold[1] and "W201" in cold[2]  # 50% of 4; `未用` unread
    assert len(list(cache_dir.glob("*.pack"))) == 1
    assert cli(*args) == cold


def test_a_changed_jixiao_misses(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "json")
    cli(*args)
    monkeypatch.setattr(cache, "_code", lambda: "another build of jixiao")
    cli(*args)
    assert len(list(cache_dir.glob("*.pack"))) == 2


def test_digests_are_the_standard_ones() -> None:
    """The report's SHA-256 and the cache's tag come from CPython's built-in hashes, not
    hashlib's OpenSSL: they must be the same functions."""
    import hashlib

    from jixiao.engine import digest

    data = "规则包".encode() * 100
    assert digest.sha256_hex(data) == hashlib.sha256(data).hexdigest()
    key = bytes(range(32))
    assert digest.tag(key, data) == hashlib.blake2b(data, key=key, digest_size=32).digest()
    assert digest.same(b"abc", b"abc") and not digest.same(b"abc", b"abd")
    assert not digest.same(b"abc", b"abcd")
