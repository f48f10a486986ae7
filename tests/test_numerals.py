"""Chinese numerals: every example of issue #12, canonical spellings of every size, and random
strings read either as an independent reference reads them or refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.engine.common.types import Kind
from jixiao.engine.runtime import numerals
from jixiao.engine.runtime.evidence import parse_value

READ = [
    ("一二三", "123"),
    ("二〇二三", "2023"),
    ("十二", "12"),
    ("一十二", "12"),
    ("二十", "20"),
    ("一百零一", "101"),
    ("一千零一十", "1010"),
    ("两万零五", "20005"),
    ("三亿零五百万", "305000000"),
    ("一万亿", "1000000000000"),
    ("一万二千亿", "1200000000000"),
    ("十万零一十二", "100012"),
    ("两千", "2000"),
    ("零", "0"),
    ("〇", "0"),
    ("十", "10"),
    ("三点五", "3.5"),
    ("零点零五", "0.05"),
    ("负三", "-3"),
    ("壹仟贰佰叁拾肆", "1234"),
    ("壹拾万零伍佰", "100500"),
    ("叁億", "300000000"),
    ("3万", "30000"),
    ("1.5亿", "150000000"),
    ("3千", "3000"),
    ("2.5万亿", "2500000000000"),
    ("1,000万", "10000000"),
    ("-3万", "-30000"),
    ("三点五万", "35000"),
    ("１.５亿", "150000000"),  # full-width digits, as Chinese input methods type them
]


@pytest.mark.parametrize(("text", "value"), READ)
def test_reads(text: str, value: str) -> None:
    got = numerals.parse(text)
    assert got == Decimal(value)
    assert str(got) == value  # 3万 is 30000, not 3E+4, in every ledger


REFUSED = [
    ("三五", "ambiguous"),
    ("四五", "ambiguous"),
    ("十十", "well-formed"),
    ("一百百", "well-formed"),
    ("万万", "well-formed"),
    ("一万万", "well-formed"),
    ("一百一", "well-formed"),  # 110 to most readers, 101 to some
    ("一千一十", "well-formed"),  # the gap needs 零
    ("一百零零一", "well-formed"),
    ("一百零", "well-formed"),
    ("百", "well-formed"),
    ("亿", "well-formed"),
    ("点五", "whole part"),
    ("三点", "点"),
    ("三点十", "点"),
    ("负负三", "two signs"),
    ("负-3", "two signs"),
    ("3万5", "not a number"),
    ("2〇23", "not a number"),
    ("三个", "not a number"),
    ("", "no number"),
    ("一" * 100, "longer than"),
    ("一" * 30, "digits"),
]


@pytest.mark.parametrize(("text", "why"), REFUSED)
def test_refuses_with_a_reason(text: str, why: str) -> None:
    value, reason = numerals.read(text)
    assert value is None
    assert why in reason


@pytest.mark.parametrize(
    ("text", "value"), [("一二三", 123), ("二〇二三", 2023), ("二十三", 23), ("两万零五", 20005)]
)
def test_evidence_reads_numerals(text: str, value: int) -> None:
    assert parse_value(Kind.COUNT, text) == (Decimal(value), "")


@pytest.mark.parametrize("text", ["三五", "十十", "一百百", "万万"])
def test_evidence_refuses_what_it_cannot_read(text: str) -> None:
    value, why = parse_value(Kind.NUMBER, text)
    assert value is None and why


# ----- an independent speller and reader ------------------------------------------------------

DIGITS = "零一二三四五六七八九"
CAPITALS = dict(zip("一二三四五六七八九十百千", "壹贰叁肆伍陆柒捌玖拾佰仟", strict=True))


def speller(n: int) -> str:
    """The textbook spelling: 亿 over a number below 10⁸, 万 over four places, one 零 per gap."""

    def group(g: int) -> str:
        text, zero = "", False
        for place, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = g // place % 10
            if d == 0:
                zero = bool(text)
            else:
                text += ("零" if zero else "") + DIGITS[d] + unit
                zero = False
        return text

    def below_yi(m: int, out: str) -> str:
        high, low = divmod(m, 10000)
        if high:
            out += group(high) + "万"
        if low:
            out += ("零" if out and low < 1000 else "") + group(low)
        return out

    if n == 0:
        return "零"
    yi, rest = divmod(n, 10**8)
    out = below_yi(yi, "") + "亿" if yi else ""
    if rest:
        out += "零" if out and rest < 10**7 else ""
        out = below_yi(rest, out) if not out else out + below_yi(rest, "")
    return out[1:] if out.startswith("一十") else out


def reference(text: str) -> int:
    """The classic stack reader, without any of the module's code."""
    text = text.replace("两", "二").replace("〇", "零")
    for plain, capital in CAPITALS.items():
        text = text.replace(capital, plain)
    if all(ch in DIGITS for ch in text):
        return int("".join(str(DIGITS.index(ch)) for ch in text))
    result, big, small, digit = 0, 0, 0, 0
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS.index(ch)
        elif ch in "十百千":
            small += (digit or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = 0
        elif ch == "万":
            big += (small + digit) * 10000
            small = digit = 0
        elif ch == "亿":
            result = (result + big + small + digit) * 10**8
            big = small = digit = 0
    return result + big + small + digit


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (12, "十二"),
        (101, "一百零一"),
        (1010, "一千零一十"),
        (20005, "二万零五"),
        (305000000, "三亿零五百万"),
        (100010000, "一亿零一万"),
        (10**12 + 5, "一万亿零五"),
        (1200000000000, "一万二千亿"),
    ],
)
def test_speller(n: int, text: str) -> None:
    assert speller(n) == text


@given(st.integers(min_value=0, max_value=10**13 - 1))
def test_every_canonical_spelling_reads_back(n: int) -> None:
    text = speller(n)
    assert numerals.parse(text) == n
    liang = text.replace("二千", "两千").replace("二百", "两百").replace("二万", "两万")
    assert numerals.parse(liang) == n
    capital = "".join(CAPITALS.get(ch, ch) for ch in text)
    assert numerals.parse(capital) == n


@given(st.integers(min_value=0, max_value=10**13 - 1))
def test_small_and_large_magnitudes(n: int) -> None:
    # the same property, biased to numbers with many zero places
    n = int(str(n)[:2].ljust(len(str(n)), "0"))
    assert numerals.parse(speller(n)) == n


@given(st.text(alphabet="〇零一二两三四五六七八九十百千万亿壹贰拾佰仟", max_size=12))
def test_random_numerals_are_refused_or_read_like_the_reference(text: str) -> None:
    value, why = numerals.read(text)
    if value is None:
        assert why
    else:
        assert value == reference(text)


def reference_decimal(text: str) -> Decimal:
    """`负` and `点` around the reference reader: sign, whole part, digits after the point, and
    a section unit after them (三点五万)."""
    negative = text.startswith("负")
    whole, _, fraction = text.removeprefix("负").partition("点")
    scale = 0
    for suffix, places in (("万亿", 12), ("万", 4), ("亿", 8)):
        if fraction.endswith(suffix):
            fraction, scale = fraction.removesuffix(suffix), places
            break
    value = Decimal(reference(whole))
    if fraction:
        digits = fraction.replace("〇", "零").replace("两", "二")
        value += Decimal("0." + "".join(str(DIGITS.index(ch)) for ch in digits))
    value = value.scaleb(scale)
    return -value if negative else value


@given(st.text(alphabet="负点〇零一二两三四五六七八九十百千万亿", max_size=10))
def test_random_signed_decimals_are_refused_or_read_like_the_reference(text: str) -> None:
    value, why = numerals.read(text)
    if value is None:
        assert why
    else:
        assert value == reference_decimal(text)


@given(
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    st.sampled_from(sorted(("十", "百", "千", "万", "十万", "百万", "千万", "亿", "万亿"))),
)
def test_arabic_with_a_chinese_multiplier_is_exact(number: Decimal, suffix: str) -> None:
    scale = {
        "十": 1,
        "百": 2,
        "千": 3,
        "万": 4,
        "十万": 5,
        "百万": 6,
        "千万": 7,
        "亿": 8,
        "万亿": 12,
    }
    assert numerals.parse(f"{number:f}{suffix}") == number.scaleb(scale[suffix])


@pytest.mark.parametrize(
    ("text", "reason"), [("三五", "ambiguous"), ("十十", "not a well-formed numeral")]
)
def test_evidence_says_why_a_numeral_is_refused(text: str, reason: str) -> None:
    """'not a whole number' alone sends the evaluator hunting; the reader's reason names it."""
    for kind, typed in ((Kind.COUNT, text), (Kind.MONEY, text + "元"), (Kind.PERCENT, text + "%")):
        value, why = parse_value(kind, typed)
        assert value is None and reason in why, (kind, why)
