"""Values typed by hand in Chinese offices: what the evidence loader accepts and refuses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.engine.common.result import Provenance
from jixiao.engine.common.types import Kind
from jixiao.engine.runtime.evidence import Evidence, load_bytes, parse_value

from .helpers import compile_text

ACCEPTED = [
    (Kind.MONEY, "100000", Decimal("100000")),
    (Kind.MONEY, "100,000.50", Decimal("100000.50")),
    (Kind.MONEY, "10万元", Decimal("100000")),
    (Kind.MONEY, "10万", Decimal("100000")),
    (Kind.MONEY, "￥１００", Decimal("100")),  # full-width digits from an IME
    (Kind.PERCENT, "92%", Decimal("0.92")),
    (Kind.PERCENT, "92％", Decimal("0.92")),
    (Kind.PERCENT, "0.92", Decimal("0.92")),
    (Kind.PERCENT, "91.30%", Decimal("0.9130")),
    (Kind.COUNT, "12", Decimal(12)),
    (Kind.COUNT, "12次", Decimal(12)),
    (Kind.COUNT, "二十三", Decimal(23)),
    (Kind.COUNT, "一次", Decimal(1)),
    (Kind.NUMBER, "3.5", Decimal("3.5")),
    (Kind.BOOL, "true", True),
    (Kind.BOOL, "是", True),
    (Kind.BOOL, "否", False),
    (Kind.BOOL, "No", False),
    (Kind.DATE, "2017-12-31", dt.date(2017, 12, 31)),
    (Kind.DATE, "2017年12月31日", dt.date(2017, 12, 31)),
    (Kind.DATE, "2017/5/1", dt.date(2017, 5, 1)),
    # the minus sign (U+2212) Word and WPS type for `-`, and a full-width one from an IME
    (Kind.NUMBER, "\u22125", Decimal(-5)),
    (Kind.NUMBER, "－2.5", Decimal("-2.5")),
]


@pytest.mark.parametrize(("kind", "text", "value"), ACCEPTED)
def test_accepts(kind: Kind, text: str, value: object) -> None:
    assert parse_value(kind, text) == (value, "")


REFUSED = [
    (Kind.MONEY, "十万块", "not an amount"),
    (Kind.PERCENT, "92", "write `92%`"),
    (Kind.PERCENT, "九成", "not a percentage"),
    (Kind.COUNT, "1.5", "whole number"),
    (Kind.COUNT, "-1", "whole number"),
    (Kind.BOOL, "也许", "yes/no"),
    (Kind.DATE, "2017-02-30", "no such day"),
    (Kind.NUMBER, "1,00", "not a number"),
    # a key held down in Excel: beyond Decimal's context, so refused rather than rounded
    (Kind.COUNT, "9" * 40, "40 digits; at most 20"),
    (Kind.MONEY, "1" * 30 + "万元", "30 digits; at most 20"),
    (Kind.PERCENT, "5" * 25 + "%", "25 digits"),
    (Kind.NUMBER, "０" * 21, "21 digits"),
    # what Excel writes for a number too wide for its column may have lost digits: refused
    # with the reason and the fix, never read as the rounded number it shows
    (Kind.MONEY, "1.5E+05", "scientific notation, as Excel shows"),
    (Kind.NUMBER, "1.23457e14", "widen the column"),
    (Kind.PERCENT, "9.5E+01%", "scientific notation"),
    # an accounting format's negative
    (Kind.NUMBER, "(5,000.00)", "with a minus sign (`-5,000.00`)"),
    (Kind.MONEY, "\u22125", "outside the domain"),
]


@pytest.mark.parametrize(("kind", "text", "why"), REFUSED)
def test_refuses(kind: Kind, text: str, why: str) -> None:
    value, reason = parse_value(kind, text)
    assert value is None and why in reason


PACK = (
    'pack "t" { total 2 }\nfact 相符: bool\nfact 问题: list\n'
    'indicator A "a" 2 { full when 相符 and count(问题) == 0 }'
)


def load(data: bytes):  # type: ignore[no-untyped-def]
    return load_bytes(data, "e.yaml", compile_text(PACK).program)


def test_windows_bom_crlf_and_gbk() -> None:
    text = "facts:\r\n  相符: 是\r\n  问题: []\r\n"
    for data in (b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gb18030")):
        evidence, diags = load(data)
        assert evidence is not None and evidence.values["相符"] is True
    _, diags = load(text.encode("gb18030"))
    assert [d.code for d in diags] == ["W603"]


def test_binary_file_is_refused() -> None:
    evidence, diags = load(b"\x00\x01\x02facts")
    assert evidence is None and diags[0].code == "E601"


def test_list_items_carry_their_provenance() -> None:
    evidence, _ = load(
        "facts:\n  相符: true\n  问题:\n    - {item: 缺少记录, source: 档案3, severity: 一般}\n"
        "    - 另一项\n".encode()
    )
    assert evidence is not None
    first, second = evidence.values["问题"]
    assert (first.text, first.origin.source, first.origin.details) == (
        "缺少记录",
        "档案3",
        (("severity", "一般"),),
    )
    assert second.text == "另一项" and second.origin.span.line == 5


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("- a\n- b\n", "E602"),
        ("project: x\n", "E602"),
        ("facts: [1, 2]\n", "E602"),
    ],
)
def test_unusable_evidence(text: str, code: str) -> None:
    evidence, diags = load(text.encode())
    assert evidence is None
    assert code in [d.code for d in diags]


@pytest.mark.parametrize(
    ("text", "code", "refused"),
    [
        ("facts:\n  相符: {source: x}\n", "E602", "相符"),
        ("facts:\n  相符: true\n  相符: false\n", "E604", None),
        ("facts:\n  相符: ~\n", "E603", "相符"),
        ("facts:\n  问题: 一项\n", "E603", "问题"),
        ("facts:\n  相符: !!python/object:os.system x\n", "E603", "相符"),
    ],
)
def test_malformed_value_is_left_out_and_named(text: str, code: str, refused: str | None) -> None:
    # The evidence it could read comes back with the errors (issue #12): the malformed fact is
    # left out, named in `refused`, so the indicators reading it are undecided, not scored.
    evidence, diags = load(text.encode())
    assert evidence is not None
    assert code in [d.code for d in diags if d.is_error]
    if refused is not None:
        assert refused not in evidence.values and refused in evidence.refused
    else:
        assert evidence.values["相符"] is True  # the first of two: the second never wins


@pytest.mark.parametrize(
    ("depth", "code", "message"),
    [
        (500, "E603", "fact `相符` should be true or false, not `…`"),
        (2_000, "E602", "the evidence is nested too deeply to read"),
        (50_000, "E602", "the evidence is nested too deeply to read"),
    ],
)
def test_evidence_nested_past_any_sense_is_an_error_not_a_crash(
    depth: int, code: str, message: str
) -> None:
    text = "facts:\n  相符: " + "[" * depth + "]" * depth + "\n"
    evidence, diags = load(text.encode())
    assert evidence is None if code == "E602" else "相符" in evidence.refused  # type: ignore[union-attr]
    assert [(d.code, d.message) for d in diags] == [(code, message)]


def test_null_list_is_empty() -> None:
    evidence, _ = load("facts:\n  相符: true\n  问题:\n".encode())
    assert evidence is not None and evidence.values["问题"] == ()


def test_libyaml_and_pure_python_loaders_read_the_same_evidence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Where PyYAML was built without libyaml, the pure loader is used: same values, same spans.
    import yaml

    from jixiao.engine.runtime import evidence as module

    from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, compile_text

    program = compile_text(FOUNDING_PACK.read_text(encoding="utf-8")).program
    data = FOUNDING_EVIDENCE.read_bytes()
    fast, _ = load_bytes(data, "e.yaml", program)
    monkeypatch.setattr(module, "SAFE_LOADER", yaml.SafeLoader)
    pure, _ = load_bytes(data, "e.yaml", program)
    assert fast is not None and pure is not None

    def seen(evidence: Evidence) -> list[object]:
        # Spans carry their Source, which compares by identity: compare offsets instead.
        def where(p: Provenance) -> object:
            return (p.span.start, p.span.end) if p.span else None

        values = [
            [(i.text, where(i.origin), i.origin.source) for i in v] if isinstance(v, tuple) else v
            for v in evidence.values.values()
        ]
        return [values, [(k, where(p), p.source) for k, p in evidence.origins.items()]]

    assert seen(fast) == seen(pure)


@given(
    st.sampled_from(list(Kind)),
    st.one_of(
        st.text(alphabet="0123456789", max_size=25),
        st.from_regex(r"[0-9]{1,20}\.[0-9]{1,20}", fullmatch=True),  # an amount: `123456.78`
        st.sampled_from(["是", " 否 ", "TRUE", "No", "√", "\u3000有", "1", "0", "12次", "١٢"]),
        st.text(max_size=6),
    ),
)
def test_the_fast_paths_read_cells_as_the_general_parser_does(kind: Kind, text: str) -> None:
    """Plain digits, plain decimals and yes/no words skip the general parser; they must mean
    the same."""
    from jixiao.engine.runtime.evidence import _parse, parse_typed

    # parse_typed: parse_value before the domain check, which both paths share
    fast, general = parse_typed(kind, text), _parse(kind, text)
    assert fast == general
    if isinstance(fast[0], Decimal):
        assert str(fast[0]) == str(general[0])  # the same digits, not just an equal number
