"""`jixiao whatif` on the command line: one evidence file, or a portfolio's projects nearest each
grade boundary (`--batch`, read as `eval --batch` reads it: `tools.batch`).

The portfolio is scored once, row by row, keeping only the `--top` projects nearest below each
boundary; what it would take is then worked out for those alone, so a large portfolio costs
about one `eval --batch` (figures in bench/README.md)."""

from __future__ import annotations

import heapq
import json
import sys
from decimal import Decimal
from pathlib import Path

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors

from .. import compile_pack
from ..common import lang
from ..common import messages as msg
from ..common.version import VERSION
from .whatif import Whatif, whatif
from .whatif_report import (
    change_text,
    counted,
    points,
    render,
    set_json,
    unreachable,
    words,
)

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import Any

    from ..plan.compiler import Plan
    from ..runtime.evidence import Evidence

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def run(
    args: argparse.Namespace,
    report: Callable[[Sequence[Diagnostic], argparse.Namespace], None],
    usage: Callable[[argparse.Namespace, str], int],
) -> int:
    if args.batch is not None and args.evidence is not None:
        return usage(args, "give an EVIDENCE file or --batch FILE|FOLDER, not both")
    if args.batch is None and args.evidence is None:
        return usage(args, "give an EVIDENCE file, or --batch FILE|FOLDER")
    if args.batch is not None and args.indicator is not None:
        return usage(args, "`--indicator` works on one EVIDENCE file, not with `--batch`")
    if args.evidence is not None and args.evidence.endswith(".jx"):
        if args.pack.lower().endswith((".yaml", ".yml", ".json")):
            return usage(args, "the pack comes first: jixiao whatif PACK.jx EVIDENCE.yaml")
    try:
        plan, warnings = compile_pack(args.pack, use_cache=True)
        fixed = _options(plan, args)
        if args.batch is not None:
            report(warnings, args)
            return _batch(plan, args, fixed, report)
        from ..runtime import scoring
        from ..runtime.evidence import load

        evidence, diags = load(args.evidence, plan.program)
        if evidence is None:
            raise JixiaoError(diags)
        result = scoring.score(plan, evidence, diags)
        if result.total is None or has_errors(result.diagnostics):
            raise JixiaoError([*result.diagnostics, msg.whatif_unscored(args.evidence)])
    except JixiaoError as exc:
        report(exc.diagnostics, args)
        return EXIT_ERRORS
    report([*warnings, *result.diagnostics], args)
    w = whatif(plan, evidence, result, fixed, args.to, args.indicator)
    sys.stdout.write(render(w, args.format or "text", args.indicator, lang.report_lang()))
    return EXIT_OK


def _options(plan: Plan, args: argparse.Namespace) -> tuple[str, ...]:
    """`--fixed`, `--to` and `--indicator` checked against the pack (E790, E791, E792)."""
    program = plan.program
    problems = []
    fixed = []
    for given in args.fixed:
        for name in filter(None, (n.strip() for n in given.replace("，", ",").split(","))):
            if name not in program.facts:
                behind = program.derived[name].reads if name in program.derived else ()
                problems.append(msg.whatif_unknown_fact(name, program.facts, behind))
            fixed.append(name)
    labels = [g.label for g in program.settings.grades]
    if args.to is not None and args.to not in labels:
        problems.append(msg.whatif_unknown_grade(args.to, labels))
    codes = [ind.code for ind in program.indicators]
    if args.indicator is not None and args.indicator not in codes:
        problems.append(msg.whatif_unknown_indicator(args.indicator, codes))
    if problems:
        raise JixiaoError(problems)
    return tuple(fixed)


# ----- portfolios -------------------------------------------------------------------------------


def _batch(
    plan: Plan,
    args: argparse.Namespace,
    fixed: tuple[str, ...],
    report: Callable[[Sequence[Diagnostic], argparse.Namespace], None],
) -> int:
    from ..runtime.evaluator import evaluate
    from .batch import read_folder, read_table, row_evidence

    program = plan.program
    source = Path(args.batch)
    if source.is_dir():
        rows, _, diags = read_folder(source)
    elif source.exists():
        rows, _, diags = read_table(source, program)
    else:
        raise JixiaoError([msg.evidence_unreadable(str(source), "no such file")])
    report(diags, args)
    bands = [g for g in program.settings.grades if g.lower is not None]
    if args.to is not None:
        bands = [g for g in bands if g.label == args.to]
    top = args.top
    # per boundary, a heap of the nearest below it: (−gap, order, id, name, evidence)
    nearest: dict[str, list[tuple[Decimal, int, str, str, Evidence]]] = {g.label: [] for g in bands}
    scored = failed = 0
    for order, row in enumerate(rows):
        evidence = _row_evidence(row, program, str(source), row_evidence)
        if evidence is None:
            failed += 1
            continue
        result = evaluate(plan, evidence)
        if result.total is None:
            failed += 1
            continue
        scored += 1
        total = result.total
        for band in reversed(bands):  # the lowest boundary above the total
            assert band.lower is not None
            if total >= band.lower:
                continue
            heap = nearest[band.label]
            item: tuple[Decimal, int, str, str, Evidence] = (
                total - band.lower,
                -order,
                row.id,
                row.name,
                evidence,
            )
            if len(heap) < top:
                heapq.heappush(heap, item)
            elif item[:2] > heap[0][:2]:
                heapq.heapreplace(heap, item)
            break  # nearest below this boundary only, not every higher one
    results: list[tuple[str, Decimal, list[tuple[str, str, Whatif]]]] = []
    for band in bands:
        assert band.lower is not None
        picked = sorted(nearest[band.label], key=lambda t: (-t[0], -t[1]))
        done = []
        for _, _, ident, name, evidence in picked:
            result = evaluate(plan, evidence)
            done.append((ident, name, whatif(plan, evidence, result, fixed, band.label)))
        results.append((band.label, band.lower, done))
    fmt = args.format or "text"
    if fmt == "json":
        sys.stdout.write(_batch_json(program.settings.title, str(source), scored, failed, results))
    elif fmt == "html":
        sys.stdout.write(_batch_html(program.settings.title, str(source), scored, failed, results))
    else:
        sys.stdout.write(_batch_text(program.settings.title, scored, failed, results))
    if scored + failed == 1:
        sys.stderr.write(lang.say(f"1 project: {scored} scored, {failed} failed\n"))
    else:
        sys.stderr.write(
            lang.say(f"{scored + failed} projects: {scored} scored, {failed} failed\n")
        )
    return EXIT_ERRORS if failed else EXIT_OK


def _row_evidence(row: Any, program: Any, source: str, row_evidence: Any) -> Evidence | None:
    if row.problem:
        return None
    if row.path is not None:  # read as `eval --batch` reads it: inside its folder only
        from .batch import _folder_evidence

        evidence, problems = _folder_evidence(row, program, [])
        return None if evidence is None or problems else evidence
    evidence, problems = row_evidence(row, program, source)
    return evidence if not problems else None


def _cheapest(w: Whatif) -> str:
    if not w.sets:
        return unreachable(w)
    said, s = words(), w.sets[0]
    head = counted(said, "cheapest", len(s.changes)).format(
        n=len(s.changes), total=points(s.total, w.places), grade=s.grade
    )
    return head + said["join"].join(change_text(c, w.units) for c in s.changes)


def _batch_text(
    title: str,
    scored: int,
    failed: int,
    results: list[tuple[str, Decimal, list[tuple[str, str, Whatif]]]],
) -> str:
    said = words()
    n = scored + failed
    out = [title, counted(said, "projects", n).format(n=n, scored=scored, failed=failed), ""]
    if not results:
        out.append(said["lowest"])
    for label, lower, done in results:
        out.append(said["nearest"].format(grade=label, lower=lower))
        if not done:
            out.append("  " + said["none_below"])
        for ident, name, w in done:
            head = f"{ident}{' ' + name if name else ''}"
            shown = said["project"].format(
                head=head, total=points(w.total, w.places), grade=w.grade
            )
            out.append("  " + shown)
            out.append(f"    {_cheapest(w)}")
        out.append("")
    return "\n".join(out) + "\n"


def _batch_doc(
    title: str,
    source: str,
    scored: int,
    failed: int,
    results: list[tuple[str, Decimal, list[tuple[str, str, Whatif]]]],
) -> dict[str, Any]:
    return {
        "pack": title,
        "input": source,
        "projects": scored + failed,
        "failed": failed,
        "boundaries": [
            {
                "grade": label,
                "lower": str(lower),
                "projects": [
                    {
                        "id": ident,
                        "name": name,
                        "total": points(w.total, w.places),
                        "grade": w.grade,
                        "gap": points(lower - w.total, w.places),
                        "cheapest": set_json(w.sets[0], w.places) if w.sets else None,
                        "best": set_json(w.best, w.places) if w.best is not None else None,
                        "search_cut": w.cut,
                    }
                    for ident, name, w in done
                ],
            }
            for label, lower, done in results
        ],
        "jixiao": VERSION,
    }


def _batch_json(
    title: str,
    source: str,
    scored: int,
    failed: int,
    results: list[tuple[str, Decimal, list[tuple[str, str, Whatif]]]],
) -> str:
    doc = _batch_doc(title, source, scored, failed, results)
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _batch_html(
    title: str,
    source: str,
    scored: int,
    failed: int,
    results: list[tuple[str, Decimal, list[tuple[str, str, Whatif]]]],
) -> str:
    from html import escape as e

    from ..render.html import CSS

    said = words()
    page = e(said["b_page"].format(title=title))
    n = scored + failed
    meta = e(counted(said, "b_meta", n).format(n=n, failed=failed, source=source))
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{said["html_lang"]}"><head><meta charset="utf-8">',
        f"<title>{page}</title><style>{CSS}</style></head><body>",
        f"<h1>{page}</h1>",
        f'<p class="meta">{meta} · jixiao {VERSION}</p>',
    ]
    heads = "".join(f"<th>{h}</th>" for h in said["b_heads"].split("|"))
    for label, lower, done in results:
        out.append(f"<h2>{e(said['nearest'].format(grade=label, lower=lower))}</h2>")
        out.append(f"<table><thead><tr>{heads}</tr></thead><tbody>")
        for ident, name, w in done:
            out.append(
                f"<tr><td>{e(ident)} {e(name)}</td><td class=n>{points(w.total, w.places)}</td>"
                f"<td>{e(w.grade)}</td><td>{e(_cheapest(w))}</td></tr>"
            )
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
