"""Chinese numbers as offices type them into evidence (issue #15 item 7): 万/亿 compounds where a
count or an amount is expected, financial capitals with 元角分整, percentages written out, and
the mixed forms Excel exports hold — read exactly as Decimals, or refused with the value named
and what is accepted. cn2an, an independent writer of Chinese numerals, is the oracle."""

from __future__ import annotations

import warnings
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.engine.check.units import Unit
from jixiao.engine.common.types import Kind
from jixiao.engine.runtime import evidence, numerals
from jixiao.engine.runtime.evidence import parse_value

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # cn2an's own imports warn on new Pythons
    cn2an = pytest.importorskip("cn2an")


# ----- what a user types, and what the evidence then holds --------------------------------------

READ = [
    (Kind.COUNT, "一万", "10000"),
    (Kind.COUNT, "一万二千", "12000"),
    (Kind.COUNT, "一万二千次", "12000"),
    (Kind.COUNT, "十二万三千四百五十六", "123456"),
    (Kind.COUNT, "三亿零五百万", "305000000"),
    (Kind.COUNT, "两万〇五", "20005"),
    (Kind.COUNT, "1.2万", "12000"),
    (Kind.COUNT, "3亿", "300000000"),
    (Kind.NUMBER, "1.2万", "12000"),
    (Kind.MONEY, "壹拾万元整", "100000"),
    (Kind.MONEY, "贰佰叁拾肆万伍仟元", "2345000"),
    (Kind.MONEY, "叁元零伍分", "3.05"),
    (Kind.MONEY, "壹佰元伍角", "100.5"),
    (Kind.MONEY, "伍角整", "0.5"),
    (Kind.MONEY, "一百元五角三分", "100.53"),
    (Kind.MONEY, "¥壹拾万元整", "100000"),
    (Kind.MONEY, "一万二千元", "12000"),
    (Kind.MONEY, "12万元", "120000"),
    (Kind.MONEY, "1.2万", "12000"),
    (Kind.MONEY, "3亿", "300000000"),
    (Kind.MONEY, "三千万元", "30000000"),
    (Kind.PERCENT, "百分之九十二", "0.92"),
    (Kind.PERCENT, "百分之九十二点五", "0.925"),
    (Kind.PERCENT, "百分之92.5", "0.925"),
    (Kind.PERCENT, "百分之一百", "1"),
    (Kind.PERCENT, "九十二%", "0.92"),
]


@pytest.mark.parametrize(("kind", "text", "value"), READ)
def test_evidence_reads(kind: Kind, text: str, value: str) -> None:
    got, why = parse_value(kind, text)
    assert why == "" and got == Decimal(value)


REFUSED = [
    (Kind.COUNT, "12万元", "`12万元` is money"),
    (Kind.COUNT, "一千二", "not a well-formed numeral"),
    (Kind.MONEY, "五角元", "`五角元` is not an amount of money"),
    (Kind.MONEY, "壹拾万元整整", "write it as `壹拾万元整`"),
    (Kind.MONEY, "十元五分整", "`整` closes an amount without 分"),
    (Kind.MONEY, "叁元零零伍分", "`叁元零零伍分` is not an amount of money"),
    (Kind.MONEY, "零角", "角 takes one digit"),
    (Kind.MONEY, "12.5元3角", "a fraction before 角 or 分"),
    (Kind.PERCENT, "百分之三五", "`三五` is ambiguous"),
    (Kind.PERCENT, "百分之", "after 百分之 comes the number of percent"),
    (Kind.PERCENT, "百分之一百零五", "105% is outside the domain"),
    (Kind.NUMBER, "很多", "not a number"),
]


@pytest.mark.parametrize(("kind", "text", "reason"), REFUSED)
def test_evidence_refuses_with_the_value_and_what_is_accepted(
    kind: Kind, text: str, reason: str
) -> None:
    got, why = parse_value(kind, text)
    assert got is None and reason in why


def test_a_numeral_naming_wan_counts_yuan_in_a_fact_held_in_wan_yuan() -> None:
    """`3万` is 3 万元 and `一万二千` is 1.2 万元, as `12000元` is, never 12000 万元; a bare number
    without 万 or 亿 is in the fact's own unit."""
    wan = Unit("money", "万元", 4)
    for text, value in [
        ("3万", "3"),
        ("一万二千", "1.2"),
        ("12000元", "1.2"),
        ("壹拾万元整", "10"),
        ("十二", "12"),
        ("12", "12"),
    ]:
        assert evidence._amount(text, wan, "not an amount") == (Decimal(value), "")


def test_free_text_is_never_a_number() -> None:
    for text in ("三五个", "若干", "约一万", "一万左右", "百分之九十二以上"):
        for kind in (Kind.COUNT, Kind.MONEY, Kind.NUMBER, Kind.PERCENT):
            assert parse_value(kind, text)[0] is None


# ----- cn2an writes, the reader reads back exactly -----------------------------------------------


def _an2cn(value: object, mode: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return str(cn2an.an2cn(str(value), mode))


@given(st.integers(min_value=0, max_value=10**16 - 1))
def test_integers_written_by_cn2an_read_back(n: int) -> None:
    for mode in ("low", "up"):  # 一万二千 and 壹万贰仟
        text = _an2cn(n, mode)
        assert numerals.parse(text) == n, text
        assert parse_value(Kind.COUNT, text) == (n, ""), text


@given(st.integers(min_value=1, max_value=99999), st.integers(min_value=0, max_value=11))
def test_round_numbers_written_by_cn2an_read_back(head: int, zeros: int) -> None:
    n = head * 10**zeros  # many zero places: the gaps 零 marks (三亿零五百万)
    assert numerals.parse(_an2cn(n, "low")) == n


@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_amounts_written_by_cn2an_as_a_cheque_read_back(amount: Decimal) -> None:
    text = _an2cn(f"{amount:f}", "rmb")  # 壹拾贰元伍角, 壹拾万元整, 叁元零伍分
    assert numerals.money(text) == amount, text
    assert parse_value(Kind.MONEY, text) == (amount, ""), text


@given(st.decimals(min_value=0, max_value=10**8, places=4, allow_nan=False))
def test_decimals_written_by_cn2an_read_back(number: Decimal) -> None:
    text = _an2cn(f"{number:f}", "low")  # 十二点三四
    assert numerals.parse(text) == number, text


@given(st.decimals(min_value=0, max_value=100, places=2, allow_nan=False))
def test_percentages_written_out_read_back(number: Decimal) -> None:
    text = "百分之" + _an2cn(f"{number:f}", "low")
    assert parse_value(Kind.PERCENT, text) == (number / 100, ""), text


@pytest.mark.parametrize(
    ("text", "value"), [("≥百分之九十", "0.9"), ("百分之九十五", "0.95"), ("百分之三五", None)]
)
def test_selfeval_targets_written_out_as_percentages(text: str, value: str | None) -> None:
    from jixiao.engine.tools.selfeval import parse_target

    target = parse_target(text)
    if value is None:
        assert target is None  # never guessed
    else:
        assert target is not None and target.percent and target.value == Decimal(value)


@given(st.text(alphabet="零一二两三伍拾佰仟万亿元圆角分整正点百分之负1.5%", max_size=14))
def test_any_text_is_read_or_refused_with_a_reason(text: str) -> None:
    """Never an exception, never a float: a value or a reason, for every kind that reads one."""
    for kind in (Kind.COUNT, Kind.MONEY, Kind.NUMBER, Kind.PERCENT):
        value, why = parse_value(kind, text)
        assert (value is None) == bool(why)
        assert value is None or isinstance(value, Decimal)
