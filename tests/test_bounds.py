"""Bounded work: every input that could make jixiao's work or output grow beyond the input's own
size meets a named limit with a clear error, or is handled in linear size — never a hang, a
RecursionError, a MemoryError or exit 3."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.engine.render.json_report import INLINE_LIST_ITEMS

from .helpers import cli

# ----- JSON grows linearly with a list -----------------------------------------------------------

LIST_PACK = 'fact 问题: list\nindicator A "a" 100 { deduct 0.01 per 问题 "问题：{item}" }\n'


def _json_size(tmp_path: Path, n: int) -> int:
    pack = tmp_path / "p.jx"
    pack.write_text(LIST_PACK, encoding="utf-8")
    evidence = tmp_path / f"e{n}.yaml"
    items = "".join(f"    - 第{i}个问题\n" for i in range(n))
    evidence.write_text(f"facts:\n  问题:\n{items}", encoding="utf-8")
    code, out, err = cli("eval", str(pack), str(evidence), "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    lines = doc["indicators"][0]["lines"]
    assert len(lines) == n + 1  # the base, then one line per finding naming its item
    assert lines[-1]["item"]["text"] == f"第{n - 1}个问题"
    if n > INLINE_LIST_ITEMS:
        assert lines[1]["facts"][0]["value"] == {"list": "问题", "count": n}
        assert doc["lists"]["问题"]["value"][-1] == f"第{n - 1}个问题"
    return len(out.encode("utf-8"))


def test_json_output_grows_linearly_with_a_list(tmp_path: Path) -> None:
    """2,000 findings gave 137 MB (each line repeated the whole list); 8,000 a MemoryError."""
    small, large = _json_size(tmp_path, 500), _json_size(tmp_path, 2000)
    assert large < 4.2 * small
    assert large < 4_000_000  # ~1 KB a line


def test_a_short_list_is_still_written_on_its_lines(tmp_path: Path) -> None:
    _json_size(tmp_path, INLINE_LIST_ITEMS)  # no `lists` needed; the golden covers the layout


# ----- chains of derived facts and functions: the named limit, never a RecursionError -----------


def lets_pack(n: int, width: int, typed: bool, reverse: bool) -> str:
    """`n` derived facts, each reading the one before in an expression `width` terms long (the
    tests keep n × width small: the parser, not the limit, would take the time)."""
    annotation = ": number" if typed else ""
    terms = " + 1" * width
    lets = [f"let x0{annotation} = a\n"]
    lets += [f"let x{i}{annotation} = x{i - 1}{terms}\n" for i in range(1, n)]
    if reverse:
        lets.reverse()
    return (
        "fact a: number\nfact b: bool\n"
        + "".join(lets)
        + f'indicator A "a" 100 {{ full when x{n - 1} > 0 }}\n'
    )


def functions_pack(n: int, width: int, twice: bool) -> str:
    """`n` functions, each calling the one before (twice, or with an argument `width` terms
    longer than its own)."""
    lines = ["fact a: number\nfact b: bool\n", "function f0(x: number) { deduct 1 when x > 0 }\n"]
    for i in range(1, n):
        call = f"f{i - 1}(x{' + 1' * width})"
        lines.append(f"function f{i}(x: number) {{ {call}{' ' + call if twice else ''} }}\n")
    lines.append(f'indicator A "a" 100 {{ full when b f{n - 1}(a) }}\n')
    return "".join(lines)


LIMITS = {"E109", "E111", "E112", "E113", "E114"}


def _check_and_score(tmp_path: Path, text: str) -> int:
    pack = tmp_path / "chain.jx"
    pack.write_text(text, encoding="utf-8")
    code, _, err = cli("check", str(pack))
    assert "internal error" not in err and "Traceback" not in err, err[-500:]
    assert code in (0, 1), err[-500:]
    if code == 1:
        assert set(re.findall(r"error\[(E\d+)\]", err)) <= LIMITS, err[-500:]
        return 1
    evidence = tmp_path / "chain.yaml"
    evidence.write_text("facts: {a: 1, b: true}\n", encoding="utf-8")
    for fmt in ("table", "json"):
        code, _, err = cli("eval", str(pack), str(evidence), "--format", fmt)
        assert code == 0 and "internal error" not in err, err[-500:]
    return 0


# the depths around the limits, and now and then a long chain (3,000 is a regression test below)
DEPTHS = st.integers(1, 260) | st.sampled_from([600, 1500])
FAST = settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(
    n=DEPTHS,
    width=st.integers(0, 150),
    typed=st.booleans(),
    reverse=st.booleans(),
)
def test_any_chain_of_lets_checks_or_meets_the_named_limit(
    tmp_path: Path, n: int, width: int, typed: bool, reverse: bool
) -> None:
    _check_and_score(tmp_path, lets_pack(n, min(width, 6000 // n), typed, reverse))


@FAST
@given(n=DEPTHS | st.integers(1, 40), width=st.integers(0, 60), twice=st.booleans())
def test_any_chain_of_functions_checks_or_meets_the_named_limit(
    tmp_path: Path, n: int, width: int, twice: bool
) -> None:
    _check_and_score(tmp_path, functions_pack(n, min(width, 3000 // n), twice))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (lets_pack(1000, 1, True, False), "E114"),  # the finding: 1,000 chained lets
        (lets_pack(300, 1, False, True), "E114"),  # declared in reverse: the checker's path
        (functions_pack(3000, 0, False), "E111"),  # the finding: 3,000 chained calls
        (functions_pack(30, 0, True), "E112"),  # each calls the one before twice: 2^30
        (functions_pack(30, 1, False).replace("(x + 1)", "(x + x)"), "E112"),  # argument doubles
        (functions_pack(30, 20, False), "E113"),  # 20 levels more at every call
    ],
    ids=["lets-1000", "lets-reversed", "calls-3000", "calls-twice", "argument-doubles", "deep"],
)
def test_regressions_meet_their_limit(tmp_path: Path, text: str, code: str) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(text, encoding="utf-8")
    started = time.monotonic()
    status, _, err = cli("check", str(pack))
    assert status == 1 and f"error[{code}]" in err and "limit is" in err, err[-600:]
    assert time.monotonic() - started < 10


def test_the_deepest_accepted_pack_scores_through_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limits leave room for every stage, the cache's pickling included."""
    from jixiao.engine.check.expand import MAX_CALL_DEPTH

    monkeypatch.delenv("JIXIAO_NO_CACHE", raising=False)
    monkeypatch.setenv("JIXIAO_CACHE", str(tmp_path / "cache"))
    assert _check_and_score(tmp_path, functions_pack(MAX_CALL_DEPTH, 5, False)) == 0
    assert _check_and_score(tmp_path, lets_pack(66, 1, False, True)) == 0
    assert _check_and_score(tmp_path, functions_pack(MAX_CALL_DEPTH, 5, False)) == 0  # warm


def test_the_expansion_limit_is_for_the_whole_pack(tmp_path: Path) -> None:
    """Fifty indicators each under a per-indicator limit made a 2.6 KB pack take 16 s to check
    and 880 MB to score: the budget is the pack's."""
    lines = [
        "fact a: number\nfact b: bool\n",
        "function f0(x: number) { deduct 0.001 when x > 0 }\n",
    ]
    lines += [f"function f{i}(x: number) {{ f{i - 1}(x) f{i - 1}(x) }}\n" for i in range(1, 12)]
    lines += [f'indicator A{k} "a" 2 {{ full when b f11(a) }}\n' for k in range(50)]
    pack = tmp_path / "p.jx"
    pack.write_text("".join(lines), encoding="utf-8")
    started = time.monotonic()
    status, _, err = cli("check", str(pack))
    assert status == 1 and "error[E112]" in err and "in this pack" in err
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "args",
    [
        ("verify", "p.jx", "--examples", "0"),
        ("verify", "p.jx", "--examples", "-1"),
        ("eval", "p.jx", "--batch", "x.csv", "--jobs", "-2"),
        ("eval", "p.jx", "--batch", "x.csv", "--jobs", "two"),
    ],
)
def test_a_count_out_of_range_is_a_usage_error(args: tuple[str, ...]) -> None:
    """`--examples 0` was exit 3 (hypothesis refused it deep inside)."""
    status, _, err = cli(*args)
    assert status == 2 and "internal error" not in err


@pytest.mark.parametrize("depth", [7, 60])
@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "html", "xlsx"])
def test_a_deep_indicator_tree_renders_in_every_format(
    tmp_path: Path, depth: int, fmt: str
) -> None:
    """HTML and XLSX named six levels (一级 … 六级指标): a seventh was exit 3."""
    codes = ["A" + "1" * i for i in range(depth)]
    text = "fact a: bool\n" + "".join(f'indicator {c} "x" 100 {{\n' for c in codes)
    text += "full when a\n" + "}\n" * depth
    pack, evidence = tmp_path / "p.jx", tmp_path / "e.yaml"
    pack.write_text(text, encoding="utf-8")
    evidence.write_text("facts: {a: true}\n", encoding="utf-8")
    status, _, err = cli(
        "eval", str(pack), str(evidence), "--format", fmt, "--output", str(tmp_path / f"r.{fmt}")
    )
    assert status == 0, err
    if fmt in ("html", "xlsx"):
        content = (tmp_path / f"r.{fmt}").read_bytes()
        assert fmt == "xlsx" or "七级指标".encode() in content
