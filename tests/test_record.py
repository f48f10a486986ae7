"""`record`: the syntax tree and the checked program are records, so they must behave as the
frozen dataclasses they replaced — the parser, the formatter's round trip and the plan cache
depend on it."""

from __future__ import annotations

import pickle
from decimal import Decimal

import pytest

from jixiao.dsl import ast, record
from jixiao.dsl.source import Source


def test_fields_keep_their_order_defaults_and_keywords() -> None:
    span = Source("p.jx", "x").span(0, 1)
    word = ast.Word("率", span)
    assert word == ast.Word(text="率", span=span)
    assert record.fields(word) == ("text", "span")
    assert record.fields(ast.Name("率", span)) == ("name", "span", "kind")
    pack = ast.Pack((), (), (), (), (), (), (), (), span)
    assert pack.surveys == () and pack.comments == ()
    with pytest.raises(TypeError, match="missing the argument 'span'"):
        ast.Word("率")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected arguments"):
        ast.Word("率", span, colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="takes 2 arguments"):
        ast.Word("率", span, span)  # type: ignore[call-arg]


def test_records_are_immutable() -> None:
    name = ast.Name("率", Source("p.jx", "率").span(0, 1))
    with pytest.raises(AttributeError):
        name.name = "别的"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del name.name  # type: ignore[misc]
    with pytest.raises(AttributeError):
        name.colour = "red"  # type: ignore[attr-defined]


def test_spans_take_no_part_in_equality_hashing_or_repr() -> None:
    a = ast.Number(Decimal("2"), Source("a.jx", "2").span(0, 1))
    b = ast.Number(Decimal("2"), Source("b.jx", "  2").span(2, 3))
    assert a == b and hash(a) == hash(b) and repr(a) == "Number(value=Decimal('2'))"
    assert a != ast.Percent(Decimal("2"), a.span)  # same fields, another class
    assert ast.Name("x", a.span) != ast.String("x", a.span)


def test_kinds_take_no_part_in_equality_hashing_or_repr() -> None:
    """The checker writes each expression's kind on its node: the checked tree still compares
    equal to the tree as written, and prints as it."""
    span = Source("a.jx", "2").span(0, 1)
    typed = ast.Number(Decimal("2"), span, None, ast.Kind.NUMBER)
    plain = ast.Number(Decimal("2"), span)
    assert typed == plain and hash(typed) == hash(plain) and repr(typed) == repr(plain)
    assert typed.kind is ast.Kind.NUMBER and plain.kind is None
    assert pickle.loads(pickle.dumps(typed)).kind is ast.Kind.NUMBER


def test_sources_are_equal_only_to_themselves() -> None:
    assert Source("p.jx", "x") != Source("p.jx", "x")
    source = Source("p.jx", "一\n二")
    assert source == source and source.line_col(2) == (2, 1)


def test_pickling_round_trips_a_whole_tree() -> None:
    from jixiao.dsl.parser import parse

    text = 'fact 甲: bool\nindicator A "a" 100 { full when 甲 }\n'
    pack = parse(Source("p.jx", text))
    again = pickle.loads(pickle.dumps(pack))
    assert again == pack and again is not pack
    assert again.indicators[0].span.line == 2


def test_replace_changes_only_what_it_names() -> None:
    span = Source("p.jx", "x").span(0, 1)
    call = ast.Call("min", (ast.Name("a", span),), span, span)
    other = record.replace(call, func="max")
    assert other.func == "max" and other.args is call.args and call.func == "min"
    with pytest.raises(TypeError):
        record.replace(call, colour="red")


def test_a_field_without_default_after_defaults_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows defaults"):

        @record.record
        class Bad:
            a: int = 1
            b: int
