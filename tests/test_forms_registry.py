"""The rule-form registry (`engine/forms/`) is complete: every rule class of the AST's unions has
a form, every form has every hook, every ledger line kind has its named arguments and words in
both languages, and the generic stages name no form.

The classes are read off the unions themselves (`ast.Base.__args__` …), so a class added to a
union without a form module fails here; a hook left out of a form module fails when the module
is imported (every `Form` field is required: mypy says so too) and here.
"""

from __future__ import annotations

import ast as pyast
import typing
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jixiao.dsl import ast, record
from jixiao.dsl.source import Source
from jixiao.engine.common.ir import Settings
from jixiao.engine.common.result import Line, LineKind
from jixiao.engine.forms import BY_NODE, FORMS, LINES, form_of, named
from jixiao.engine.forms.base import Form, LineSpec, Words
from jixiao.engine.render.explain import line_text

from .helpers import ROOT

#: Every class a rule of an indicator, a bonus or penalty clause or a nested award may be, read
#: off the AST's unions; `CallRule` and `NaPolicy` are not forms (the checker expands calls and
#: takes policies out of the rules before any form is asked).
NOT_FORMS = {ast.CallRule, ast.NaPolicy}
RULE_CLASSES = sorted(
    {
        *ast.Base.__args__,
        *ast.Deduction.__args__,
        *ast.ExtraRule.__args__,
        *ast.Award.__args__,
        *ast.Rule.__args__,
    }
    - NOT_FORMS,
    key=lambda c: c.__name__,
)
SPAN = Source("pack.jx", "full when 是否完成").span(0, 4)
HOOKS = [f for f in record.fields(Form) if f not in ("name", "nodes", "lines")]


def test_the_classes_are_read_off_the_unions() -> None:
    assert set(typing.get_args(ast.Base)) <= set(RULE_CLASSES)
    assert {ast.ZeroWhen, ast.WarnWhen, ast.AddPer, ast.AddWhen, ast.Full} <= set(RULE_CLASSES)
    assert len(RULE_CLASSES) > len(ast.Base.__args__)


@pytest.mark.parametrize("cls", RULE_CLASSES, ids=lambda c: c.__name__)
def test_every_rule_class_has_a_form(cls: type) -> None:
    assert cls in BY_NODE, f"{cls.__name__} has no form: add a module under engine/forms/"
    assert cls in BY_NODE[cls].nodes


def test_the_registry_knows_only_rule_classes_each_once() -> None:
    claimed = [node for form in FORMS for node in form.nodes]
    assert len(claimed) == len(set(claimed)), "a class claimed by two forms"
    assert set(claimed) == set(RULE_CLASSES)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_every_form_has_every_hook(form: Form) -> None:
    for hook in HOOKS:
        assert callable(getattr(form, hook)), f"{form.name}: `{hook}` is not a function"
    assert form.lines, f"{form.name} writes no ledger line"
    assert all(isinstance(spec, LineSpec) for spec in form.lines)


@pytest.mark.parametrize("hook", HOOKS)
def test_a_form_without_a_hook_is_refused(hook: str) -> None:
    """What removing a hook from a form module does: the module no longer imports."""
    form = FORMS[0]
    given = {f: getattr(form, f) for f in record.fields(Form) if f != hook}
    with pytest.raises(TypeError):
        Form(**given)


def test_every_line_kind_has_named_arguments_and_words() -> None:
    assert set(LINES) == set(LineKind)
    for form in FORMS:
        for spec in form.lines:
            assert LINES[spec.kind] is spec, f"{spec.kind}: declared twice, differently"


def settings() -> Settings:
    from jixiao.engine import compile_pack

    plan, _ = compile_pack(ROOT / "rules" / "video-conference-2017.jx")
    return plan.program.settings


def sample(spec: LineSpec) -> Any:
    fields = spec.args._fields
    return spec.args(*(True if f.startswith("as_") else Decimal("0.5") for f in fields))


@pytest.mark.parametrize("kind", list(LineKind), ids=lambda k: k.value)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_line_kind_reads_in_both_languages(kind: LineKind, lang: str) -> None:
    """The words' fields are all given: a template naming a field its kind does not fill
    would fail on the first such line of a report."""
    spec = LINES[kind]
    assert isinstance(spec.words, Words) and spec.words.zh and spec.words.en
    line = Line(kind, Decimal("-0.5"), SPAN, "原因", (), tuple(sample(spec)))
    result = SimpleNamespace(settings=settings())
    text = line_text(line, Decimal(10), result, lang)  # type: ignore[arg-type]
    assert "{" not in text and text


def test_lines_are_named_when_read() -> None:
    line = Line(
        LineKind.STEP,
        Decimal(-1),
        SPAN,
        None,
        (),
        (Decimal(1), Decimal(1), Decimal("0.05"), Decimal("0.03"), True),
    )
    args = named(line).args
    assert (args.amount, args.steps, args.shortfall, args.step, args.as_percent) == (
        Decimal(1),
        Decimal(1),
        Decimal("0.05"),
        Decimal("0.03"),
        True,
    )


# ----- the generic stages name no form ------------------------------------------------------------

#: The classes a generic stage may not name: each rule form's own (an award is a form too, but
#: the amount of an award is read in many places, through `walk.constant_points` and
#: `ExprCompiler.amount`, which dispatch over `ast.Award` and end in `assert_never`).
FORM_CLASSES = {c.__name__ for c in RULE_CLASSES} - {c.__name__ for c in ast.Award.__args__}
#: Where a form is still named outside engine/forms/, and why. Shrink it; never grow it.
KNOWN = {
    # the engine's own step after the rules: `zero when` takes the node's points (`settle`)
    ("plan/compiler.py", "ZeroWhen"),
}


def named_forms() -> set[tuple[str, str]]:
    out = set()
    engine = ROOT / "engine"
    for path in sorted(engine.rglob("*.py")):
        rel = path.relative_to(engine).as_posix()
        if rel.startswith("forms/"):
            continue
        for node in pyast.walk(pyast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, pyast.Attribute)
                and isinstance(node.value, pyast.Name)
                and node.value.id == "ast"
                and node.attr in FORM_CLASSES
            ):
                out.add((rel, node.attr))
    return out


def test_the_generic_stages_name_no_form() -> None:
    found = named_forms()
    assert found - KNOWN == set(), "a stage names a form: call through `engine.forms` instead"
    assert KNOWN - found == set(), "a known exception is gone: take it out of KNOWN"


def test_form_of_every_fixture_rule() -> None:
    """The registry answers for the rules of a real pack (the founding one)."""
    from jixiao.engine import compile_pack

    plan, _ = compile_pack(ROOT / "rules" / "video-conference-2017.jx")
    for ind in plan.program.indicators:
        for rule in ind.rules:
            assert type(rule) in form_of(rule).nodes


def test_the_folder_listing_names_every_form() -> None:
    """`ls engine/forms/` answers where a form is checked, compiled and explained."""
    modules = {p.stem for p in (ROOT / "engine" / "forms").glob("*.py")}
    for form in FORMS:
        module = Path(typing.cast(Any, form.check).__code__.co_filename).stem
        assert module in modules, form.name


def test_every_line_of_a_result_has_named_arguments() -> None:
    """A report reads `line.args.<name>`: the ledger names the arguments of every line the
    closures wrote (they append plain tuples, cheaper on the hot path)."""
    from jixiao.engine import compile_pack
    from jixiao.engine.runtime.evaluator import evaluate
    from jixiao.engine.runtime.evidence import load

    from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK

    plan, _ = compile_pack(FOUNDING_PACK)
    evidence = load(FOUNDING_EVIDENCE, plan.program)
    result = evaluate(plan, evidence[0] if isinstance(evidence, tuple) else evidence)
    kinds = set()
    for ind in result.indicators:
        for line in ind.lines:
            assert type(line.args) is LINES[line.kind].args, line.kind
            kinds.add(line.kind)
    assert {LineKind.FULL, LineKind.DEDUCT, LineKind.TIER} <= kinds


def test_forms_load_on_first_use_whatever_asks_first() -> None:
    """In a fresh process no form is loaded until a stage asks: `[]`, `.get`, `in` and the
    line kinds must each load it (a plain dict's `.get` would answer None, and a check would
    silently skip the form's own rules), and a class no form takes answers None."""
    import subprocess
    import sys

    code = """
import sys
from jixiao.dsl import ast
from jixiao.engine import forms
from jixiao.engine.common.result import LineKind
assert 'jixiao.engine.forms.tiers' not in sys.modules
assert forms.BY_NODE.get(ast.Tiers).name == 'tiers'
assert ast.Levels in forms.BY_NODE
assert forms.BY_NODE.get(ast.Name) is None and ast.Band not in forms.BY_NODE
assert all(forms.LINES[k].words for k in LineKind)
print('ok')
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "ok", run.stderr
