"""Compiling a pack pauses the garbage collector (a large pack builds many objects and frees
few) and always gives it back as it was: enabled, or disabled by the caller."""

from __future__ import annotations

import gc

import pytest

from jixiao.dsl.source import Source
from jixiao.engine import compile_source
from jixiao.engine.common.collector import paused

from .helpers import FOUNDING_PACK


def test_paused_inside_and_restored_after_even_on_an_exception() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with paused():
            assert not gc.isenabled()
            raise RuntimeError
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_compiling_good_and_bad_packs_leaves_the_collector_on() -> None:
    from jixiao.dsl.diagnostics import JixiaoError

    compile_source(Source("pack.jx", FOUNDING_PACK.read_text(encoding="utf-8")))
    assert gc.isenabled()
    with pytest.raises(JixiaoError):
        compile_source(Source("bad.jx", 'pack "坏" { total 100 }\nindicator A "甲" 100 {\n'))
    assert gc.isenabled()
