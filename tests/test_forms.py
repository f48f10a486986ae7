"""Every rule form as data: the packs, evidence and ledgers under `tests/forms/`.

A fixture is a folder (at any depth under `tests/forms/`) holding `pack.jx`, a small complete
pack that uses the form, and evidence files `NAME.yaml`; beside each, `NAME.expected` is what
`jixiao eval pack.jx NAME.yaml --format json` gives, trimmed to what a reader checks: the exit
code, each diagnostic's first line and places, the total and grade, and per indicator its
weight, points and ledger lines (kind, exact points, reason, the text a user reads, the facts
the line read). Regenerate with `pytest tests/test_forms.py --update-goldens` and read the diff.

`tests/forms/FORMS.yaml` names, for each syntax class of `jixiao.dsl.ast`, the fixtures that
use it. Every rule class of the AST's unions must have one (a new form without a fixture
fails here), and every fixture must be named there. Adding a form adds a folder, not code.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from jixiao.dsl import ast

from .helpers import check_golden, cli

FORMS = Path(__file__).resolve().parent / "forms"
FIXTURES = sorted(p.parent for p in FORMS.glob("**/pack.jx"))
CASES = sorted(e for folder in FIXTURES for e in folder.glob("*.yaml"))
MAP = yaml.safe_load((FORMS / "FORMS.yaml").read_text(encoding="utf-8"))

DIAGNOSTIC = re.compile(r"^(error|warning|note)\[[EW]\d{3}\]|^ *(-->|:::) ")


def name(path: Path) -> str:
    return path.relative_to(FORMS).as_posix()


# ----- the golden: the JSON report, trimmed to the ledger ---------------------------------------


def entries(
    lines: list[dict[str, Any]], english: list[dict[str, Any]], indent: str
) -> Iterator[str]:
    """Ledger lines: kind, exact points, [reason], the text a user reads (then the English
    report's, where it differs); then the facts the line read, unless the line before read the
    same (one line per finding of a list)."""
    before = None
    for line, en in zip(lines, english, strict=True):
        reason = f" [{line['reason']}]" if line["reason"] is not None else ""
        yield f"{indent}{line['kind']} {line['points']}{reason} · {line['text']}"
        if en["text"] != line["text"]:
            yield f"{indent}  en {en['text']}"
        reads = "; ".join(f"{f['name']} = {f['display']}" for f in line["facts"])
        if reads and reads != before:
            yield f"{indent}  reads {reads}"
        before = reads


def failure(f: dict[str, Any]) -> str:
    """An undecided indicator's failure: its code, fact and place (the words are the
    diagnostic's, above)."""
    fact = f" `{f['fact']}`" if f["fact"] is not None else ""
    return f"  failure {f['code']}{fact} · {f['location']}"


def ledger(code: int, out: str, out_en: str, err: str) -> str:
    """The golden text of one run: what a user reads, numbers exact, in a fixed order; `out`
    and `out_en` are the JSON reports in Chinese and in English."""
    text = [f"exit {code}"]
    text += [line.rstrip() for line in err.splitlines() if DIAGNOSTIC.match(line)]
    if out:
        report, en = json.loads(out), json.loads(out_en)
        head = f"total {shown(report['total'])} · grade {shown(report['grade'])}"
        if report["disqualified"]:
            head += " · disqualified"
        if not same(report["tree_total"], report["total"]):
            head += f" · tree total {report['tree_total']}"
        text.append(head)
        for ind, ind_en in zip(report["indicators"], en["indicators"], strict=True):
            excluded = " · excluded" if ind["excluded"] else ""
            text.append(
                f"{ind['code']} {ind['name']} · weight {ind['weight']} · "
                f"score {shown(ind['score'])}{excluded}"
            )
            text += entries(ind["lines"], ind_en["lines"], "  ")
            text += [failure(f) for f in ind["failures"]]
        for extra, extra_en in zip(report["extras"], en["extras"], strict=True):
            text.append(
                f"{extra['kind']} {extra['code']} {extra['name']} · max {extra['max']} · "
                f"points {extra['points']}"
            )
            text += entries(extra["lines"], extra_en["lines"], "  ")
        if report["total_lines"]:
            text.append("total lines")
            text += entries(report["total_lines"], en["total_lines"], "  ")
        for veto in report["vetoes"]:
            fired = "fired" if veto["fired"] else "not fired"
            target = f" {veto['target']}" if veto["target"] is not None else ""
            text.append(f"veto {veto['action']}{target} {fired} · {veto['reason']}")
        text += [f"derived {d['derivation']}" for d in report["derived"]]
    return "\n".join(text) + "\n"


def shown(value: str | None) -> str:
    return "null" if value is None else value


def same(a: str | None, b: str | None) -> bool:
    return a == b or (a is not None and b is not None and Decimal(a) == Decimal(b))


def reconciled(out: str) -> list[str]:
    """Indicators and sections whose ledger lines do not add up to their points (none may).
    Exactly, except under `rounding … on total`, where a leaf keeps its exact points and the
    report shows them to the pack's places: there, to within half a unit of the last place."""
    if not out:
        return []
    report = json.loads(out)
    on_total = any(line["kind"] == "round" for line in report["total_lines"])
    wrong = []
    for ind in report["indicators"]:
        if ind["score"] is not None and ind["lines"]:
            score = Decimal(ind["score"])
            gap = abs(sum((Decimal(line["points"]) for line in ind["lines"]), Decimal(0)) - score)
            if gap and not (on_total and gap <= Decimal((0, (5,), score.as_tuple().exponent - 1))):
                wrong.append(ind["code"])
    for extra in report["extras"]:
        total = sum((Decimal(line["points"]) for line in extra["lines"]), Decimal(0))
        if abs(total) != Decimal(extra["points"]):
            wrong.append(extra["code"])
    return wrong


@pytest.mark.parametrize("evidence", CASES, ids=[name(e) for e in CASES])
def test_form(evidence: Path, update_goldens: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(evidence.parent)
    args = ("eval", "pack.jx", evidence.name, "--format", "json", "--color", "never")
    code, out, err = cli(*args)
    assert "Traceback" not in err and "internal error" not in err
    assert code in (0, 1)
    assert reconciled(out) == []
    code_en, out_en, err_en = cli(*args, "--lang", "en")
    assert (code_en, err_en) == (code, err)  # the language changes the report's words only
    golden = ledger(code, out, out_en, err)
    check_golden(evidence.with_suffix(".expected"), golden, update_goldens)


# ----- every form has a fixture ---------------------------------------------------------------


def union(alias: Any) -> set[str]:
    return {cls.__name__ for cls in typing.get_args(alias)}


def rule_classes() -> set[str]:
    """The classes a pack's rules are made of, read from the AST's own unions: the rules of a
    leaf (`Rule`), the clauses of a bonus or penalty section (`ExtraRule`, what `Extra.rules`
    holds), the awards, and the pack-level forms that score (sections and vetoes)."""
    assert ast.Extra.__annotations__["rules"] == "tuple[ExtraRule, ...]"
    return union(ast.Rule) | union(ast.ExtraRule) | union(ast.Award) | {"Extra", "Veto"}


def classes_in(pack: Path) -> set[str]:
    """The names of the syntax classes a pack's tree is made of."""
    from jixiao.dsl.parser import parse
    from jixiao.dsl.source import Source

    found: set[str] = set()
    stack: list[Any] = [parse(Source(pack.name, pack.read_text(encoding="utf-8")))]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple) and not hasattr(node, "_fields"):
            stack.extend(node)
        elif hasattr(node, "_fields") and type(node).__module__ == ast.__name__:
            found.add(type(node).__name__)
            stack.extend(getattr(node, f) for f in node._fields if f != "span")
    return found


def test_every_rule_class_has_a_fixture() -> None:
    assert {"FullWhen", "DeductPer", "AddPer", "Share"} <= rule_classes()  # the unions are read
    assert all(isinstance(getattr(ast, c, None), type) for c in rule_classes())
    missing = sorted(rule_classes() - set(MAP))
    assert missing == [], f"no fixture under tests/forms/ for {missing}: add one to FORMS.yaml"


def test_every_fixture_is_named_and_uses_its_class() -> None:
    named = {folder for folders in MAP.values() for folder in folders}
    assert sorted(named - {name(f) for f in FIXTURES}) == [], "FORMS.yaml names no such fixture"
    assert sorted({name(f) for f in FIXTURES} - named) == [], "a fixture FORMS.yaml does not name"
    for cls, folders in MAP.items():
        assert isinstance(getattr(ast, cls, None), type), f"`{cls}` is not a class of the AST"
        for folder in folders:
            assert cls in classes_in(FORMS / folder / "pack.jx"), f"{folder} does not use {cls}"


def test_every_fixture_has_evidence_and_every_golden_its_evidence() -> None:
    for folder in FIXTURES:
        assert list(folder.glob("*.yaml")), f"{name(folder)} has no evidence file"
        for golden in folder.glob("*.expected"):
            assert golden.with_suffix(".yaml").exists(), f"{name(golden)} has no evidence"


def test_every_fixture_pack_is_formatted() -> None:
    """Fixture packs are canonical, so they double as the formatter's corpus of every form."""
    packs = [name(f / "pack.jx") for f in FIXTURES]
    code, out, err = cli("fmt", "--check", *(str(FORMS / p) for p in packs))
    assert (code, err) == (0, ""), out
