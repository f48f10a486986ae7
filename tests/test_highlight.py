"""Rule text in the HTML reports is highlighted by the editors' TextMate grammar
(engine/render/jixiao.tmLanguage.json, the one copy): every pattern runs under Python's `re`,
every keyword the grammar highlights gets a span, the text itself is never changed, and the
founding report shows its rules highlighted."""

from __future__ import annotations

import html
import json
import re
import tomllib

from hypothesis import given
from hypothesis import strategies as st

from jixiao.engine.render.highlight import STYLED, grammar, grammar_text, highlight, translate

from .helpers import FOUNDING_EVIDENCE, ROOT, cli

GRAMMAR = ROOT / "engine" / "render" / "jixiao.tmLanguage.json"
HIGHLIGHTED = ("keyword", "storage", "support", "constant")


def keyword_words() -> dict[str, str]:
    """Each word of a keyword-like pattern's alternation, with the pattern's scope (the same
    reading as the workbench's `grammarWords` and tests/test_editor.py)."""
    data = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    words: dict[str, str] = {}
    for section in data["repository"].values():
        for p in section["patterns"]:
            scopes = [p.get("name"), p.get("captures", {}).get("1", {}).get("name")]
            for scope in scopes:
                if not scope or scope.split(".")[0] not in HIGHLIGHTED or "match" not in p:
                    continue
                for a, b in re.findall(r"\(\?:([a-z_|]+)\)|\(([a-z_|]+)\)\\s\+", p["match"]):
                    for w in (a or b).split("|"):
                        words.setdefault(w, scope)
    return words


def test_the_grammar_is_package_data_and_the_one_copy() -> None:
    assert grammar_text() == GRAMMAR.read_text(encoding="utf-8")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert (
        "jixiao.tmLanguage.json"
        in data["tool"]["setuptools"]["package-data"]["jixiao.engine.render"]
    )
    committed = list((ROOT / "editors").rglob("*.tmLanguage.json"))
    assert all("node_modules" in p.parts or "syntaxes" in p.parts for p in committed)


def test_every_pattern_of_the_grammar_runs_under_python_re() -> None:
    assert len(grammar()) > 20


def test_an_oniguruma_construct_python_lacks_is_refused() -> None:
    assert translate(r"[\p{L}_][\w]*") == r"[^\W\d][\w]*"
    try:
        translate(r"\p{Han}+")
    except ValueError as e:
        assert "\\p{" in str(e)
    else:
        raise AssertionError("an untranslatable pattern was accepted")


def test_every_keyword_the_grammar_highlights_is_highlighted_in_html() -> None:
    words = keyword_words()
    assert {"deduct", "tiers", "fact", "money", "true", "unless", "panel"} <= set(words)
    for word, scope in words.items():
        out = highlight(f"x: {word}")
        head = scope.split(".")[0]
        assert re.search(rf'<span class="j-{head}">\s*{word}</span>', out), (word, out)


def test_strings_numbers_comments_and_placeholders() -> None:
    out = highlight('deduct 0.5 per 缺失项 "缺少：{item}" # 注\ntiers 率 { >= 95%: 2 }')
    assert out == (
        '<span class="j-keyword">deduct</span> <span class="j-constant">0.5</span> '
        '<span class="j-keyword">per</span> 缺失项 <span class="j-string">&quot;缺少：'
        '<span class="j-constant">{item}</span>&quot;</span> <span class="j-comment"># 注</span>\n'
        '<span class="j-keyword">tiers</span> 率 { <span class="j-keyword">&gt;=</span> '
        '<span class="j-constant">95</span><span class="j-keyword">%</span>: '
        '<span class="j-constant">2</span> }'
    )
    assert (
        highlight('"open') == '<span class="j-string">&quot;open</span>'
    )  # closed at the line end
    assert (
        highlight("<b>&")
        == '<span class="j-keyword">&lt;</span>b<span class="j-keyword">&gt;</span>&amp;'
    )


@given(st.text(alphabet=st.sampled_from(list('abdefilnoprtuwx 0123456789.%"{}#<>&:=\n率项“”'))))
def test_highlighting_never_changes_the_text(text: str) -> None:
    out = highlight(text)
    assert html.unescape(re.sub(r"</?span[^>]*>", "", out)) == text
    assert out.count("<span") == out.count("</span>")
    assert {c for c in re.findall(r'class="j-(\w+)"', out)} <= set(STYLED)


def test_the_founding_report_highlights_its_rules_and_is_the_same_twice() -> None:
    args = ("eval", str(ROOT / "rules" / "video-conference-2017.jx"), str(FOUNDING_EVIDENCE))
    code, first, _ = cli(*args, "--format", "html")
    assert code == 0
    assert '规则：<code><span class="j-keyword">deduct</span>' in first
    assert ".j-keyword" in first
    assert cli(*args, "--format", "html")[1] == first


def test_a_hostile_rule_text_is_quick_and_left_plain_past_the_limits() -> None:
    """A long line or text (a name 100,000 characters long) is not scanned in quadratic time:
    past MAX_LINE or MAX_TEXT it is shown plain, escaped."""
    import time

    from jixiao.engine.render.highlight import MAX_LINE, MAX_TEXT

    started = time.perf_counter()
    assert highlight("甲" * 100_000 + "<") == "甲" * 100_000 + "&lt;"
    assert highlight("full " + "甲" * MAX_LINE) == "full " + "甲" * MAX_LINE
    assert highlight("full\n" * (MAX_TEXT // 5 + 1)) == "full\n" * (MAX_TEXT // 5 + 1)
    many = highlight("full when 甲 and 乙\n" * 1_000)  # 18,000 characters: highlighted
    assert many.count('<span class="j-keyword">full</span>') == 1_000
    assert time.perf_counter() - started < 20
