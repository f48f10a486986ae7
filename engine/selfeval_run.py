"""Running `jixiao selfeval`: table → generated pack → the usual pipeline → findings and output.

Kept apart from `selfeval` (which only reads tables and writes packs) and from `cli` (which only
parses arguments).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, error
from jixiao.dsl.formatter import format_pack
from jixiao.dsl.parser import parse
from jixiao.dsl.source import Source

from . import compile_source
from .evaluator import evaluate
from .evidence import load_bytes
from .outputs import refuse, save_workbook, write_text, writing
from .render import render
from .render.explain import fixed, line_text, plain
from .result import LineKind, Result
from .selfeval import Finding, Table, TableError, build, cell_name, read_table
from .sheets import put

Report = Callable[[Sequence[Diagnostic], argparse.Namespace], None]
TABLE_HELP = (
    "the table needs the national headers: 三级指标, 年度指标值, 实际完成值, 分值, 得分 "
    "(and 全年预算数/全年执行数 for the funds)"
)


def template_text(path: str | None) -> str:
    if path:
        return Path(path).read_text(encoding="utf-8")
    return resources.files(__package__).joinpath("self-evaluation.jx").read_text(encoding="utf-8")


def _param_default(template: str, name: str) -> Decimal | None:
    for line in template.splitlines():
        if line.startswith(f"param {name}:") and "=" in line:
            try:
                return Decimal(line.split("=", 1)[1].strip().rstrip("%"))
            except ArithmeticError:
                return None
    return None


def score(
    table: Table, template: str, params: dict[str, str], fallback: bool
) -> tuple[Result, list[Finding], str]:
    weight = params.get("预算执行率分值") or str(_param_default(template, "预算执行率分值") or 10)
    generated = build(table, template, Decimal(weight), fallback)
    source = Source(f"{table.path.name}.generated.jx", generated.text)
    plan, _ = compile_source(source)
    evidence_text = generated.evidence
    if params:
        evidence_text += "params:\n" + "".join(f"  {k}: {v}\n" for k, v in params.items())
    evidence, diags = load_bytes(
        evidence_text.encode("utf-8"), f"{table.path.name} (cells)", plan.program
    )
    if evidence is None:
        raise JixiaoError(diags)
    result = evaluate(plan, evidence)
    findings = list(generated.findings)
    places = result.settings.places
    where = f"{table.path.name} {table.sheet}!"
    by_code = {i.code.rsplit(".", 1)[-1]: i for i in result.indicators}
    printed_sum = Decimal(0)
    for row in table.rows:
        if row.published is not None:
            printed_sum += row.published
        ind = by_code.get(row.code)
        if ind is None or ind.points is None or row.published is None:
            continue
        if ind.points.quantize(Decimal(1).scaleb(-places)) != row.published.quantize(
            Decimal(1).scaleb(-places)
        ):
            findings.append(
                Finding(
                    "S3",
                    f"{where}{cell_name(row.row, table.columns['得分'])}",
                    f"`{row.name}` is printed as {plain(row.published)}; the rule gives "
                    f"{fixed(ind.points, places)}",
                )
            )
    funds = table.funds
    budget = by_code.get("S")
    if funds is not None and funds.published is not None:
        printed_sum += funds.published
        if budget is not None and budget.points is not None and budget.points != funds.published:
            findings.append(
                Finding(
                    "S3",
                    f"{where}{cell_name(funds.row, 8)}",
                    f"预算执行 is printed as {plain(funds.published)}; the rule "
                    f"gives {fixed(budget.points, places)}",
                )
            )
    if table.total_row is not None:
        row_number, printed = table.total_row
        cell = f"{where}{cell_name(row_number, table.columns['得分'])}"
        if printed is None or printed != printed_sum:
            findings.append(
                Finding(
                    "S4",
                    cell,
                    f"总分 is printed as "
                    f"{plain(printed) if printed is not None else '空'}; the "
                    f"printed scores add up to {plain(printed_sum)}",
                )
            )
        if result.total is not None and printed is not None and printed != result.total:
            findings.append(
                Finding(
                    "S3",
                    cell,
                    f"总分 is printed as {plain(printed)}; the rules "
                    f"give {fixed(result.total, places)}",
                )
            )
    return result, findings, generated.text


def _explain(result: Result, code: str) -> str:
    ind = next((i for i in result.indicators if i.code.rsplit(".", 1)[-1] == code), None)
    if ind is None:
        return ""
    if ind.points is None:
        return "；".join(f"{f.code} {f.detail or f.fact or ''}".strip() for f in ind.failures)
    return "；".join(
        line_text(ln, ind.weight, result, "zh") for ln in ind.lines if ln.kind is not LineKind.BASE
    )


def write_back(table: Table, result: Result, findings: list[Finding], out: Path) -> None:
    """The table as it was, with two columns added: jixiao's score and its explanation."""
    import openpyxl

    book = openpyxl.load_workbook(table.path)
    sheet = book.worksheets[0]
    col = sheet.max_column + 1
    put(sheet, table.header_row, col, "jixiao得分")
    put(sheet, table.header_row, col + 1, "jixiao说明")
    places = result.settings.places
    codes = {i.code.rsplit(".", 1)[-1]: i for i in result.indicators}

    def found(row: int) -> list[str]:
        return [f.message for f in findings if re.search(rf"[A-Z]+{row}$", f.cell)]

    for row in table.rows:
        ind = codes.get(row.code)
        if ind is not None and ind.points is not None:
            put(sheet, row.row, col, fixed(ind.points, places))
        notes = [_explain(result, row.code), *found(row.row)]
        put(sheet, row.row, col + 1, "；".join(n for n in notes if n) or "未计分")
    if table.funds is not None and "S" in codes and codes["S"].points is not None:
        put(sheet, table.funds.row, col, fixed(codes["S"].points, places))
        put(sheet, table.funds.row, col + 1, _explain(result, "S"))
    if table.total_row is not None and result.total is not None:
        put(sheet, table.total_row[0], col, fixed(result.total, places))
        put(sheet, table.total_row[0], col + 1, f"等级：{result.grade}")
    save_workbook(book, out)


def render_text(table: Table, result: Result, findings: list[Finding]) -> str:
    places = result.settings.places
    out = [f"{table.project or table.path.name}（{table.path.name}）", ""]
    codes = {i.code.rsplit(".", 1)[-1]: i for i in result.indicators}
    budget = codes.get("S")
    if budget is not None:
        pts = fixed(budget.points, places) if budget.points is not None else "—"
        out.append(
            f"  预算执行率  {plain(budget.weight)} 分  jixiao {pts}  {_explain(result, 'S')}"
        )
    for row in table.rows:
        scored = codes.get(row.code)
        pts = (
            fixed(scored.points, places)
            if scored is not None and scored.points is not None
            else "—"
        )
        printed = plain(row.published) if row.published is not None else "空"
        out.append(
            f"  {row.code:<5} {row.name}  目标 {row.target_text}  实际 "
            f"{row.actual_text or '空'}  分值 {plain(row.weight) if row.weight else '空'}"
            f"  表中 {printed}  jixiao {pts}"
        )
    total = fixed(result.total, places) if result.total is not None else "—"
    out += ["", f"总分 {total}  等级 {result.grade or '—'}", ""]
    if findings:
        out.append(f"发现 {len(findings)} 处问题：")
        out += [f"  [{f.code}] {f.cell}  {f.message}" for f in findings]
    else:
        out.append("表中得分与规则一致，未发现问题。")
    return "\n".join(out) + "\n"


def main(args: argparse.Namespace, report: Report) -> int:
    params: dict[str, str] = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            sys.stderr.write(f"jixiao selfeval: --param takes NAME=VALUE, not `{item}`\n")
            return 2
        params[name.strip()] = value.strip()
    try:
        refuse(  # before anything is read or written: never over the table or the template
            {"--output": args.output, "--emit-pack": args.emit_pack},
            [("the table", args.table), ("the template", args.template)],
        )
        table = read_table(Path(args.table))
        template = template_text(args.template)
        result, findings, pack_text = score(table, template, params, args.qualitative_fallback)
    except TableError as exc:
        report([error("E630", str(exc), help=TABLE_HELP)], args)
        return 1
    except OSError as exc:
        report(
            [error("E630", f"cannot read {args.table}: {exc.strerror or exc}", help=TABLE_HELP)],
            args,
        )
        return 1
    except JixiaoError as exc:
        report(exc.diagnostics, args)
        return 1
    try:
        if args.emit_pack:
            formatted = format_pack(parse(Source(args.emit_pack, pack_text)))
            write_text("--emit-pack", args.emit_pack, formatted)
        report([d for d in result.diagnostics], args)
        if args.output:
            with writing("--output", args.output):
                write_back(table, result, findings, Path(args.output))
    except JixiaoError as exc:
        report(exc.diagnostics, args)
        return 1
    if args.format == "json":
        from .render.json_report import document

        doc: dict[str, Any] = document(result)
        doc["findings"] = [{"code": f.code, "cell": f.cell, "message": f.message} for f in findings]
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    elif args.format in ("markdown", "html"):
        sys.stdout.write(render(result, args.format, "zh"))
    else:
        sys.stdout.write(render_text(table, result, findings))
    return 1 if findings or result.total is None else 0
