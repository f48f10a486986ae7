"""Fixes the checker knows for certain travel with their diagnostic as data (`Diagnostic.fixes`):
applied as they stand, each leaves a pack where that mistake is gone. `jixiao lsp` offers them
as code actions."""

from __future__ import annotations

from pathlib import Path

import pytest

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError
from jixiao.dsl.source import Source
from jixiao.engine import compile_source


def diagnostics(text: str) -> list[Diagnostic]:
    try:
        return compile_source(Source("p.jx", text))[1]
    except JixiaoError as exc:
        return list(exc.diagnostics)


def applied(text: str, code: str, which: int = 0) -> str:
    [found] = [d for d in diagnostics(text) if d.code == code]
    fix = found.fixes[which]
    return text[: fix.span.start] + fix.text + text[fix.span.end :]


CASES = [
    (  # did you mean: the misspelt fact
        "E201",
        0,
        'fact 预算执行率: percent\nindicator A "a" 100 { proportional 预算执行律 }\n',
        'fact 预算执行率: percent\nindicator A "a" 100 { proportional 预算执行率 }\n',
    ),
    (  # a single `=` in a condition
        "E102",
        0,
        'fact 率: percent\nindicator A "a" 100 { full when 率 = 100% }\n',
        'fact 率: percent\nindicator A "a" 100 { full when 率 == 100% }\n',
    ),
    (  # tiers without an else band, on one line
        "E420",
        0,
        'fact 率: percent\nindicator A "a" 100 { tiers 率 { >= 90%: full; [50%, 90%): 1 } }\n',
        'fact 率: percent\nindicator A "a" 100 { tiers 率 { >= 90%: full; [50%, 90%): 1; else: 0 } }\n',
    ),
    (  # … and with a band a line
        "E420",
        0,
        'fact 率: percent\nindicator A "a" 100 {\n    tiers 率 {\n        >= 90%: full\n    }\n}\n',
        'fact 率: percent\nindicator A "a" 100 {\n    tiers 率 {\n        >= 90%: full\n        else: 0\n    }\n}\n',
    ),
    (  # a branch that does not add up: the last child takes the difference …
        "E401",
        0,
        'fact 率: percent\nindicator A "a" 100 {\n    indicator A1 "b" 30 { proportional 率 }\n    indicator A2 "c" 60 { proportional 率 }\n}\n',
        'fact 率: percent\nindicator A "a" 100 {\n    indicator A1 "b" 30 { proportional 率 }\n    indicator A2 "c" 70 { proportional 率 }\n}\n',
    ),
]


@pytest.mark.parametrize(("code", "which", "before", "after"), CASES)
def test_a_fix_removes_its_mistake(code: str, which: int, before: str, after: str) -> None:
    fixed = applied(before, code, which)
    assert fixed == after
    assert not [d for d in diagnostics(fixed) if d.is_error]


def test_the_parents_weight_is_the_other_way_to_add_up() -> None:
    text = 'fact 率: percent\nindicator A "a" 100 {\n    indicator A1 "b" 30 { proportional 率 }\n    indicator A2 "c" 60 { proportional 率 }\n}\n'
    fixed = applied(text, "E401", 1)
    assert 'indicator A "a" 90 {' in fixed
    assert [d.code for d in diagnostics(fixed)] == ["E406"]  # the pack's total is 100 now


def test_no_fix_without_a_close_name() -> None:
    [found] = [
        d
        for d in diagnostics('fact 甲: bool\nindicator A "a" 100 { full when 完全不同的名字 }\n')
        if d.code == "E201"
    ]
    assert found.fixes == ()


CORPUS = Path(__file__).parent / "diagnostics"


@pytest.mark.parametrize(
    "name",
    [
        "E101-fullwidth",  # `｛` → `{`, twice
        "E101-space-before-percent",  # `85 %` → `85%`
        "E102-chinese-and",  # `且` → `and`
        "E102-comma-between-bands",  # `,` → `;`, twice
        "E102-single-equals",
        "E102-grade-without-else",  # `… 差 }` → `… 差 else }`
        "E410-grades-else",  # `… 中 >= 60 }` → `… 中 >= 60; 差 else }`
        "E201-unknown-fact",
        "E401-weights",
    ],
)
def test_the_corpus_mistakes_are_fixed_by_their_fixes(name: str) -> None:
    """Applying the first fix of the mistake, again while one is left, leaves the corpus pack
    without it, and parsing and checking: what an author accepting the quick fixes gets."""
    text = (CORPUS / f"{name}.jx").read_text(encoding="utf-8")
    code = name.split("-")[0]
    for _ in range(5):
        errors = [d for d in diagnostics(text) if d.code == code]
        if not errors:
            break
        assert errors[0].fixes, errors[0]
        fix = errors[0].fixes[0]
        text = text[: fix.span.start] + fix.text + text[fix.span.end :]
    assert [d.code for d in diagnostics(text) if d.is_error] in ([], ["E406"])  # (no header)
