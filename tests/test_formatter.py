"""`jixiao fmt`: canonical layout, comments kept, meaning never changed, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest

from jixiao.dsl.diagnostics import JixiaoError
from jixiao.dsl.formatter import FormatError, format_pack
from jixiao.dsl.parser import parse_text
from jixiao.dsl.source import Source
from jixiao.engine import compile_source

from .helpers import ROOT, check_golden, cli

HERE = ROOT / "tests" / "formatter"
PACKS = sorted((ROOT / "rules").glob("*.jx"))


def fmt(text: str) -> str:
    return format_pack(parse_text(text, "t.jx"), check=lambda t: parse_text(t, "t.jx"))


def test_messy_pack_golden(update_goldens: bool) -> None:
    text = (HERE / "messy.jx").read_text(encoding="utf-8")
    formatted = fmt(text)
    check_golden(HERE / "messy.formatted.jx", formatted, update_goldens)
    assert fmt(formatted) == formatted
    assert formatted.count("#") + formatted.count("//") == text.count("#") + text.count("//")


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.name)
def test_every_shipped_pack_is_formatted_and_checks_clean(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert fmt(text) == text, f"run `jixiao fmt {path.relative_to(ROOT)}`"
    _, warnings = compile_source(Source(str(path), text))
    assert warnings == []


def test_the_published_duplicate_code_is_refused_with_both_places() -> None:
    text = (ROOT / "rules" / "video-conference-2017.jx").read_text(encoding="utf-8")
    text = text.replace(
        'indicator B1.3 "资金使用合规性情况"', 'indicator B1.2 "资金使用合规性情况"'
    )
    with pytest.raises(JixiaoError) as info:
        compile_source(Source("founding.jx", text))
    [diag] = [d for d in info.value.diagnostics if d.code == "E402"]
    assert [label.span.text for label in diag.labels] == ["B1.2", "B1.2"]
    assert diag.labels[0].span.line != diag.labels[1].span.line


def test_format_refuses_to_change_meaning() -> None:
    pack = parse_text('fact 甲: bool\nindicator A "a" 2 { full when 甲 }', "t.jx")
    with pytest.raises(FormatError):
        format_pack(pack, check=lambda t: parse_text(t.replace("2 {", "3 {"), "t.jx"))


def test_fmt_check_diff_and_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "p.jx"
    path.write_text('fact 甲:bool\r\nindicator A "a" 2 {full when 甲}\r\n', encoding="utf-8")
    code, out, _ = cli("fmt", "--check", str(path))
    assert code == 1 and '+indicator A "a" 2 {' in out
    assert b"\r\n" in path.read_bytes()  # --check changes nothing
    code, _, err = cli("fmt", str(path))
    assert code == 0 and "formatted" in err
    assert cli("fmt", "--check", str(path))[0] == 0


def test_fmt_reads_standard_input() -> None:
    code, out, _ = cli("fmt", "-", stdin="fact 甲:bool")
    assert code == 0 and out == "fact 甲: bool\n"


def test_fmt_reports_syntax_errors_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.jx"
    path.write_text("fact 甲: bool\nindicator A {", encoding="utf-8")
    code, _, err = cli("fmt", str(path))
    assert code == 1 and "E102" in err
    assert path.read_text(encoding="utf-8") == "fact 甲: bool\nindicator A {"


def test_a_choose_branch_ending_in_full_keeps_its_semicolon() -> None:
    """Without it the next branch's `when` would join it: `full when …`, another rule."""
    from jixiao.dsl.formatter import format_pack
    from jixiao.dsl.parser import parse_text

    rate = "当年度计划完成率" * 3
    text = (
        'pack "t" {\n    total 10\n}\n\n'
        f'fact 类别: choice ["甲", "乙"]\nfact {rate}: percent\n\n'
        'indicator A "a" 10 {\n    choose {\n'
        f'        when 类别 == "甲" and {rate} >= 0%: full;\n'
        f'        when 类别 == "乙": proportional {rate}\n'
        "    }\n}\n"
    )
    assert format_pack(parse_text(text), parse_text) == text
