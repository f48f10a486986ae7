"""The plan cache: a warm run gives the bytes a cold run gives, and an entry jixiao did not
write (or a changed pack) is never used."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.engine.common.digest import tag
from jixiao.engine.plan import cache

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


def test_an_entry_is_the_checked_program_with_its_kinds_and_nothing_keyed_by_identity(
    cache_dir: Path,
) -> None:
    """The checker writes each expression's kind on its node, so an entry is the program, order
    and warnings pickled as they are: no table keyed by a node's id (which no pickle keeps) is
    frozen and thawed, and the kinds come back on the nodes."""
    import pickle

    from jixiao.dsl import ast, record
    from jixiao.dsl.source import Span
    from jixiao.engine import compile_pack

    plan, _ = compile_pack(FOUNDING_PACK, use_cache=True)
    entry = pickle.loads(_founding_entry(cache_dir).read_bytes()[32:])
    program, ordered, warnings, templates = entry
    assert templates == ()  # the founding pack imports nothing
    assert program.indicators == plan.program.indicators and ordered == plan.order
    assert isinstance(warnings, tuple)
    seen: set[int] = set()
    stack: list[object] = [entry]
    typed = 0
    while stack:
        x = stack.pop()
        if isinstance(x, dict):
            assert not any(isinstance(k, int) for k in x), "a table keyed by identity"
            stack.extend(x.values())
        elif isinstance(x, tuple | list):
            stack.extend(x)
        elif isinstance(x, record.Record) and not isinstance(x, Span) and id(x) not in seen:
            seen.add(id(x))
            if isinstance(x, ast.Expr.__args__):
                assert isinstance(x.kind, ast.Kind), x  # type: ignore[union-attr]
                typed += 1
            stack.extend(getattr(x, n) for n in record.fields(x))
    assert typed > 100
    again, _ = compile_pack(FOUNDING_PACK, use_cache=True)  # from the entry: the same plan
    assert again.program.indicators == plan.program.indicators


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

    from jixiao.engine.common import digest

    data = "规则包".encode() * 100
    assert digest.sha256_hex(data) == hashlib.sha256(data).hexdigest()
    key = bytes(range(32))
    assert digest.tag(key, data) == hashlib.blake2b(data, key=key, digest_size=32).digest()
    assert digest.same(b"abc", b"abc") and not digest.same(b"abc", b"abd")
    assert not digest.same(b"abc", b"abcd")


# ----- the audit: keys, names and bytes that must never be trusted -----------------------------

EVAL = ("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", "json")


def _bomb(marker: Path) -> bytes:
    """A pickle that creates `marker` if it is ever unpickled."""
    return b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."


def _founding_entry(cache_dir: Path) -> Path:
    return (
        cache_dir / f"{cache.entry_name(str(FOUNDING_PACK), FOUNDING_PACK.read_text('utf-8'))}.pack"
    )


def _sign(key: bytes, name: str, body: bytes) -> bytes:
    return cache._signed(key, name, body) + body


@pytest.fixture
def cold(cache_dir: Path) -> tuple[int, str, str]:
    """The founding report, scored without a cache."""
    result = cli(*EVAL)
    assert result[0] == 0 and '"total": "87.74"' in result[1]
    for entry in cache_dir.iterdir():
        entry.unlink()
    return result


@pytest.mark.parametrize(
    "key", [b"", b"\x01", bytes(16), bytes(31)], ids=["empty", "1", "16", "31"]
)
def test_an_empty_or_short_key_is_never_trusted(
    cache_dir: Path, cold: tuple[int, str, str], tmp_path: Path, key: bytes
) -> None:
    """A key file a full disk left empty (or cut short) gives an attacker the key: an entry
    forged with it must not be unpickled, and the key is replaced by a whole new one."""
    marker = tmp_path / "pwned"
    (cache_dir / "key").write_bytes(key)
    (cache_dir / "key").chmod(0o600)
    entry = _founding_entry(cache_dir)
    entry.write_bytes(_sign(key, entry.stem, _bomb(marker)))
    entry.chmod(0o600)
    assert cli(*EVAL) == cold
    assert not marker.exists()
    new = (cache_dir / "key").read_bytes()
    assert len(new) == cache.KEY_BYTES and new != key
    assert (cache_dir / "key").stat().st_mode & 0o777 == 0o600
    assert cli(*EVAL) == cold  # and the cache works again with the new key


def test_a_forged_entry_is_never_unpickled(
    cache_dir: Path, cold: tuple[int, str, str], tmp_path: Path
) -> None:
    cli(*EVAL)
    marker = tmp_path / "pwned"
    entry = _founding_entry(cache_dir)
    entry.write_bytes(_sign(os.urandom(32), entry.stem, _bomb(marker)))  # signed with a guess
    assert cli(*EVAL) == cold
    assert not marker.exists()


def test_an_entry_copied_under_another_name_is_never_used(
    cache_dir: Path, cold: tuple[int, str, str], tmp_path: Path
) -> None:
    """An entry signed for one pack, copied under the name of another, is neither unpickled
    nor scores that pack."""
    cli(*EVAL)
    key = (cache_dir / "key").read_bytes()
    marker = tmp_path / "pwned"
    other = tmp_path / "other.jx"
    other.write_text('fact 甲: bool\nindicator A "a" 100 { full when 甲 }\n', encoding="utf-8")
    evidence = tmp_path / "e.yaml"
    evidence.write_text("facts: {甲: false}\n", encoding="utf-8")
    assert "0.00" in cli("eval", str(other), str(evidence))[1]
    [theirs] = [p for p in cache_dir.glob("*.pack") if p != _founding_entry(cache_dir)]
    # a real entry of the founding pack under the other pack's name: the founding plan would
    # score 87.74 — or worse, a signed entry for some name carrying a payload
    theirs.write_bytes(_founding_entry(cache_dir).read_bytes())
    code, out, _ = cli("eval", str(other), str(evidence))
    assert code == 0 and "0.00" in out and "87.74" not in out
    theirs.write_bytes(_sign(key, "another-name", _bomb(marker)))
    assert "0.00" in cli("eval", str(other), str(evidence))[1]
    assert not marker.exists()


@pytest.mark.parametrize("keep", [0, 1, 31, 32, 33, 1000])
def test_a_truncated_entry_misses(cache_dir: Path, cold: tuple[int, str, str], keep: int) -> None:
    cli(*EVAL)
    entry = _founding_entry(cache_dir)
    entry.write_bytes(entry.read_bytes()[:keep])
    assert cli(*EVAL) == cold


def test_a_full_disk_leaves_no_key_to_trust(
    cache_dir: Path, cold: tuple[int, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding: the key file was created, the disk was full, the empty file was kept and
    trusted the next time. Now a key or an entry is written whole or not at all."""
    for name in list(os.listdir(cache_dir)):
        os.remove(cache_dir / name)

    def full_disk(path: str, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, data[: len(data) // 3])
        os.close(fd)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(cache, "_create", full_disk)
    assert cli(*EVAL) == cold
    assert os.listdir(cache_dir) == []  # no key, no entry, no temporary file left behind
    # an attacker (or the disk) left an empty key: forge an entry with it
    (cache_dir / "key").write_bytes(b"")
    (cache_dir / "key").chmod(0o600)
    marker = tmp_path / "pwned"
    entry = _founding_entry(cache_dir)
    entry.write_bytes(_sign(b"", entry.stem, _bomb(marker)))
    entry.chmod(0o600)
    assert cli(*EVAL) == cold
    assert not marker.exists()
    monkeypatch.undo()
    monkeypatch.delenv("JIXIAO_NO_CACHE", raising=False)
    monkeypatch.setenv("JIXIAO_CACHE", str(cache_dir))
    assert cli(*EVAL) == cold
    assert len((cache_dir / "key").read_bytes()) == cache.KEY_BYTES


def test_an_unkeyed_hash_is_not_a_tag() -> None:
    """BLAKE2b with an empty key is a plain hash anyone can compute: the cache never uses one."""
    assert tag(b"", b"x") != tag(bytes(32), b"x")
    assert cache.KEY_BYTES >= 32


# ----- the warm run stays light -------------------------------------------------------------------

#: What a warm `jixiao eval` (the pack from the cache) imports of jixiao. A module joins this list
#: deliberately: each one costs every warm run its import time.
#: The rule forms: the registry and the engine's own steps, and only the forms the founding pack
#: uses (a form's module is imported when a stage first asks for it, see `forms._load`).
WARM_FORMS = {
    f"jixiao.engine.forms{m}"
    for m in (
        "",
        ".base",
        ".steps",
        ".deduct_per",
        ".deduct_when",
        ".full_when",
        ".proportional",
        ".tiers",
        ".warn_when",
        ".zero_when",
    )
}
WARM_JIXIAO = WARM_FORMS | {
    "jixiao",
    "jixiao.dsl",
    "jixiao.dsl.ast",
    "jixiao.dsl.diagnostics",
    "jixiao.dsl.formatter",
    "jixiao.dsl.record",
    "jixiao.dsl.source",
    "jixiao.engine",
    "jixiao.engine.check",
    "jixiao.engine.check.units",
    "jixiao.engine.cli",
    "jixiao.engine.common",
    "jixiao.engine.common.digest",
    "jixiao.engine.common.ir",
    "jixiao.engine.common.lang",  # which language messages are in (the catalogue only for zh)
    "jixiao.engine.common.messages",
    "jixiao.engine.common.result",
    "jixiao.engine.common.types",
    "jixiao.engine.common.version",
    "jixiao.engine.common.walk",
    "jixiao.engine.plan",
    "jixiao.engine.plan.cache",
    "jixiao.engine.plan.compile_expr",
    "jixiao.engine.plan.compiler",
    "jixiao.engine.plan.scorer",
    "jixiao.engine.render",
    "jixiao.engine.render.explain",
    "jixiao.engine.render.outputs",  # the registry of report formats `--format` lists
    "jixiao.engine.render.table",
    "jixiao.engine.runtime",
    "jixiao.engine.runtime.evaluator",
    "jixiao.engine.runtime.evidence",
    "jixiao.engine.runtime.files",
    "jixiao.engine.runtime.ledger",
    "jixiao.engine.runtime.numerals",
    "jixiao.engine.runtime.packfile",
    "jixiao.engine.runtime.scoring",
}

_IMPORTS = """
import json, sys
from jixiao.engine.cli import main
code = main(sys.argv[1:])
std = set(sys.stdlib_module_names)
mods = set(sys.modules)
print(json.dumps({
    "code": code,
    "jixiao": sorted(m for m in mods if m.split(".")[0] == "jixiao"),
    "parsing": sorted(mods & {"argparse", "gettext", "locale", "typing", "shutil"}),
    "third": sorted({m.split(".")[0] for m in mods} - std - {"jixiao", "cython_runtime"}
                    - {m for m in mods if m.startswith("_")}),
}))
"""


def test_a_warm_eval_imports_no_parser_checker_or_heavy_library(cache_dir: Path) -> None:
    """The cache's promise: a warm `eval` skips the parser and the checker, so it must not
    import them, nor Lark, networkx or openpyxl (`python -X importtime` shows what each costs)."""
    import json
    import subprocess
    import sys

    env = {**os.environ, "JIXIAO_CACHE": str(cache_dir)}
    env.pop("JIXIAO_NO_CACHE", None)
    args = ["eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE)]

    def imports() -> dict[str, object]:
        proc = subprocess.run(
            [sys.executable, "-c", _IMPORTS, *args], capture_output=True, env=env, timeout=120
        )
        assert proc.returncode == 0, proc.stderr.decode()
        result: dict[str, object] = json.loads(proc.stdout.decode().splitlines()[-1])
        return result

    cold = imports()
    assert "jixiao.dsl.parser" in cold["jixiao"]
    warm = imports()
    assert warm["code"] == 0
    assert set(warm["jixiao"]) == WARM_JIXIAO
    assert set(warm["third"]) <= {"yaml"}, warm["third"]
    # a plain `eval PACK EVIDENCE` is parsed without argparse (and its gettext and locale)
    assert warm["parsing"] == [], warm["parsing"]
    assert not [m for m in warm["jixiao"] if m.startswith("jixiao.engine.lsp")]  # nor pygls


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_change_to_an_entry_is_a_miss(tmp_path: Path, data: st.DataObject) -> None:
    """Property: an entry changed anywhere — bytes flipped, cut, extended, or renamed — is never
    unpickled; only the bytes jixiao wrote, under their own name, are read."""
    folder = tmp_path / "cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("JIXIAO_NO_CACHE", raising=False)
        mp.setenv("JIXIAO_CACHE", str(folder))
        cache.store("a" * 64, {"plan": list(range(50))})
        entry = folder / f"{'a' * 64}.pack"
        good = entry.read_bytes()
        assert cache.load("a" * 64) == {"plan": list(range(50))}
        change = data.draw(st.sampled_from(["flip", "cut", "extend", "rename"]))
        if change == "flip":
            i = data.draw(st.integers(0, len(good) - 1))
            bad = good[:i] + bytes([good[i] ^ data.draw(st.integers(1, 255))]) + good[i + 1 :]
            entry.write_bytes(bad)
            assert cache.load("a" * 64) is None
        elif change == "cut":
            entry.write_bytes(good[: data.draw(st.integers(0, len(good) - 1))])
            assert cache.load("a" * 64) is None
        elif change == "extend":
            entry.write_bytes(good + data.draw(st.binary(min_size=1, max_size=64)))
            assert cache.load("a" * 64) is None
        else:
            other = data.draw(st.text("0123456789abcdef", min_size=64, max_size=64))
            (folder / f"{other}.pack").write_bytes(good)
            (folder / f"{other}.pack").chmod(0o600)
            assert other == "a" * 64 or cache.load(other) is None


def test_no_cache_without_posix_owners(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Windows there is no `os.getuid`: the cache is off rather than an AttributeError (exit
    3) on every eval, since neither owner nor mode could be checked."""
    monkeypatch.delattr(os, "getuid")
    cache.store("x", {"a": 1})
    assert cache.load("x") is None
    assert cli(*EVAL)[0] == 0
