"""The `jixiao` command: argument parsing, exit codes and output streams — nothing else.

Exit codes: 0 success; 1 the pack or the evidence has errors (every one printed, with file, line
and column); 2 usage errors (argparse's own); 3 an internal error, reported as such — never a
Python traceback.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors, render_json, render_text
from jixiao.dsl.source import DecodeError, Source

from . import compile_pack, load_pack, run
from .common import lang
from .common.lang import say
from .common.version import VERSION
from .render import render

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from .common.result import Result
    from .plan.compiler import Plan

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any, NoReturn, TextIO

    from .tools.batch import Written
    from .tools.portfolio import ScoredProject, Tally


def path_of(*parts: str) -> pathlib.Path:
    """A `pathlib.Path`, with pathlib imported only by the commands that need it (a warm
    `jixiao eval` of one file does not: pathlib and what it imports cost it 4 ms)."""
    import pathlib

    return pathlib.Path(*parts)


if TYPE_CHECKING:
    import argparse
    import pathlib

    from jixiao.dsl import ast

    from .tools.testreport import SuiteRun

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def _colour(stream: TextIO, choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _report(diagnostics: Sequence[Diagnostic], args: argparse.Namespace, fmt: str = "text") -> None:
    if not diagnostics:
        return
    if lang.current() == "zh" and fmt != "json":  # JSON keeps its English texts (see README)
        from .common.i18n import render_text_zh

        sys.stderr.write(render_text_zh(diagnostics, colour=_colour(sys.stderr, args.color)))
    elif fmt == "json":
        sys.stderr.write(render_json(diagnostics))
    else:
        sys.stderr.write(render_text(diagnostics, colour=_colour(sys.stderr, args.color)))


def _usage(args: argparse.Namespace, message: str) -> int:
    """A usage error of the command being run: its own usage line, the message, exit 2 (as
    argparse's own errors do)."""
    parser: argparse.ArgumentParser = args.parser
    sys.stderr.write(parser.format_usage())
    sys.stderr.write(say(f"{parser.prog}: error: {message}\n"))
    return EXIT_USAGE


def _only_with(args: argparse.Namespace, mode: str, given: Sequence[tuple[str, object]]) -> int:
    """Options given that do nothing without `mode`: a usage error naming the first."""
    for option, value in given:
        if value is not None and value is not False:
            return _usage(args, f"`{option}` works only with `{mode}`; drop it, or add `{mode}`")
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    from .render.outputs import refuse, write_text, writing
    from .tools import portfolio_report as portfolio
    from .tools.batch import Writer, Written, run_blocks
    from .tools.portfolio import Summary, file_digest

    try:
        refuse(
            {"--output": None if _dataset_output(args) else args.output, "--summary": args.summary},
            [("the pack", args.pack), ("the portfolio", args.batch)],
        )
        problem = _batch_suffixes(args)
        if problem is not None:  # after E680/E681, before the work
            return _usage(args, problem)
        if args.summary is None and _only_with(
            args, "--summary", [("--weight-by", args.weight_by)]
        ):
            return EXIT_USAGE
        if args.engine != "dask" and _only_with(
            args, "--engine dask", [("--scheduler", args.scheduler)]
        ):
            return EXIT_USAGE
        if args.engine == "dask" and _only_with(args, "--engine local", [("--jobs", args.jobs)]):
            return EXIT_USAGE
        if args.points_only and (args.summary is not None or args.engine == "dask"):
            clash = "--summary" if args.summary is not None else "--engine dask"
            return _usage(
                args,
                f"`--points-only` keeps no reasons and runs on this machine: drop `{clash}`, "
                "or drop `--points-only`",
            )
        if args.points_only and args.engine == "local":  # before any file is opened
            try:
                import numpy  # noqa: F401
            except ImportError as exc:
                from .common import messages as msg

                raise JixiaoError([msg.columnar_unavailable(str(exc))]) from None
        plan, warnings = compile_pack(args.pack, use_cache=True)
        if args.weight_by is not None:
            from .check.rollup import check_weight

            program = plan.program
            bad = check_weight(args.weight_by, program.facts, program.derived, path=args.pack)
            if bad is not None:
                raise JixiaoError([*warnings, bad])
            # a fact the summary weighs by is read, though no rule of the pack reads it
            unused = f"fact `{args.weight_by}` is declared but no rule reads it"
            warnings = [w for w in warnings if not (w.code == "W201" and w.message == unused)]
        source = path_of(args.batch)
        if args.engine == "dask":  # partitions read where they lie (engine/tools/distributed.py)
            from .tools.distributed import prepare

            parts, problems, count, diags = prepare(source, plan.program)
        else:
            rows, count, diags = _portfolio(source, plan)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    _report([*warnings, *diags], args)
    output = args.output or "-"
    try:
        with writing("--output", output):
            writer = Writer(
                path_of(args.output) if args.output and not _dataset_output(args) else None,
                plan.program,
                lang.report_lang(),
                explain=not args.points_only,
            )
        summary = Summary(
            plan.program,
            input_path=str(source),
            input_sha256=file_digest(source),
            weight_by=args.weight_by,
        )
        from .tools.progress import Progress

        progress = Progress(count, sys.stderr)  # nothing unless standard error is a terminal
        # `--output DIR/` with `--engine dask`: each worker writes its partition's records there
        parts_dir = _dataset_output(args)
        blocks: Iterator[tuple[Iterable[ScoredProject] | Written, Tally]]
        if args.engine == "dask":
            from .tools.distributed import run_dask

            blocks = run_dask(
                plan,
                args.pack,
                parts,
                problems,
                args.scheduler,
                writer.json_sha256,
                summary.weighted_by,
                parts_dir,
                summary=bool(args.summary),
                lang=lang.report_lang(),
            )
        elif args.engine == "local" and (vp := _columnar(plan, args)) is not None:
            from .tools.batch_columnar import columnar_blocks

            blocks = columnar_blocks(
                plan,
                vp,
                rows,
                str(source),
                writer.json_sha256,
                args.jobs or 0,
                args.pack,
                explain=not args.points_only,
                lang=lang.report_lang(),
                summary=bool(args.summary),
                weight_by=summary.weighted_by,
            )
        else:
            blocks = run_blocks(
                plan,
                args.pack,
                rows,
                str(source),
                count,
                args.jobs or 0,
                writer.json_sha256,
                summary.weighted_by,
                summary=bool(args.summary),
                lang=lang.report_lang(),
                explain=not args.points_only,
            )
        try:
            # a portfolio's CSV and XLSX are read by people: their errors in the messages'
            # language (JSON lines keep the English texts, as every JSON output does)
            readable = lang.current() == "zh" and writer.kind in ("csv", "xlsx")
            for records, tally in blocks:
                if isinstance(records, Written):  # a worker's block of JSON lines, worded
                    with writing("--output", output):
                        text = writer.write_text(records) if parts_dir is None else None
                    if text is not None:
                        sys.stdout.write(text)
                    for ident, reasons in records.failed:
                        errors = "；".join(say(e) for e in reasons)
                        progress.note(say(f"project {ident}: ") + errors + "\n")
                    summary.merge(tally)
                    progress.advance(tally.projects)
                    continue
                for record in records:
                    if readable and record.errors:
                        record.errors = [say(e) for e in record.errors]
                    with writing("--output", output):
                        line = writer.write(record) if parts_dir is None else None
                    if line is not None:
                        sys.stdout.write(line)
                    if record.total is None:
                        errors = "；".join(say(e) for e in record.errors)
                        progress.note(say(f"project {record.id}: ") + errors + "\n")
                summary.merge(tally)
                progress.advance(tally.projects)
        finally:
            progress.close()
        with writing("--output", output):
            writer.close()
        if args.summary:
            suffix = os.path.splitext(args.summary)[1].lower()
            if lang.current() == "zh" and suffix not in ("", ".json"):
                failures = summary.tally.failures
                failures[:] = [
                    (ident, "；".join(say(p) for p in problem.split("；")))
                    for ident, problem in failures
                ]
            text = (
                portfolio.render_html(summary, lang.report_lang())
                if suffix in (".html", ".htm")
                else portfolio.render_markdown(summary, lang.report_lang())
                if suffix == ".md"
                else portfolio.render_json(summary)
            )
            write_text("--summary", args.summary, text)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    # "1 project scored, 1 failed" read as one score: say how many were scored, not read
    noun = "project" if summary.projects == 1 else "projects"
    scored = summary.projects - summary.failed
    sys.stderr.write(say(f"{summary.projects} {noun}: {scored} scored, {summary.failed} failed\n"))
    return EXIT_ERRORS if summary.failed else EXIT_OK


def _stop_now(code: int) -> NoReturn:
    """A command cut short — Ctrl-C, or standard output closed (`… | head`) — stops at once:
    the worker processes of a portfolio killed (they ignore Ctrl-C: `batch._init`), then the
    process ended without the worker pool's shutdown, which can wait forever on a worker
    blocked reading its next block (CPython's `Pool.terminate`, also run at exit)."""
    if "multiprocessing" in sys.modules:
        import multiprocessing

        for child in multiprocessing.active_children():
            child.kill()
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # closed: what is still buffered has nowhere to go
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    try:
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass
    os._exit(code)


def _columnar(plan: Any, args: argparse.Namespace) -> Any:
    """The pack over columns, or None: every project is then scored by the ledger path, one
    by one. The columns score a portfolio several times faster, with the same records and
    summary byte for byte, so `--engine local` takes them wherever it can: numpy is
    installed (the `columnar` extra) and the columns run every rule of the pack — if not,
    `--points-only` says so (W860)."""
    if not args.points_only:  # (`--points-only` checked numpy before any file was opened)
        try:
            import numpy  # noqa: F401
        except ImportError:
            return None
    from .tools.batch_columnar import vector_plan

    vp, why = vector_plan(plan)
    if vp is None and args.points_only:
        from .common import messages as msg

        _report([msg.not_columnar(args.pack, str(why))], args)
    return vp


#: What `--batch` writes by the suffix of `--output` and of `--summary`; a file without a
#: suffix (`/dev/stdout`) gets the first. Another suffix is a usage error, never JSON lines
#: quietly written into `r.html`.
BATCH_OUTPUTS = {
    "--output": (("", ".jsonl", ".ndjson", ".json"), (".csv",), (".xlsx",), (".parquet",)),
    "--summary": (("", ".json"), (".html", ".htm"), (".md",)),
}


def _dataset_output(args: argparse.Namespace) -> pathlib.Path | None:
    """`--output DIR/` (or an existing folder) with `--engine dask`: a partitioned dataset."""
    out = args.output
    if args.engine != "dask" or not out or not (out.endswith(("/", os.sep)) or os.path.isdir(out)):
        return None
    return path_of(out)  # (made, and checked, where it is written: `run_dask`)


def _batch_suffixes(args: argparse.Namespace) -> str | None:
    for option, path in (("--output", args.output), ("--summary", args.summary)):
        if path is None:
            continue
        suffix = os.path.splitext(path)[1].lower()
        known = BATCH_OUTPUTS[option]
        if not any(suffix in group for group in known):
            names = ", ".join(s for group in known for s in group if s)
            return f"`{option} {path}`: with --batch it is written as {names}; name it so"
    return None


def cmd_schema(args: argparse.Namespace) -> int:
    from .tools.schema import evidence_schema

    try:
        plan, _ = compile_pack(args.pack)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    import json

    sys.stdout.write(json.dumps(evidence_schema(plan.program), ensure_ascii=False, indent=2))
    sys.stdout.write("\n")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    if args.batch and args.explain:
        return _batch_explain(args)
    if args.batch:
        for option, value in (
            ("EVIDENCE", args.evidence),
            ("--format", args.format),
        ):
            if value is not None:
                return _usage(
                    args,
                    f"`{option}` does nothing with `--batch`: the portfolio is the evidence, and "
                    "`--output`/`--summary` take their format from their suffix",
                )
        if args.partial:
            return _batch_partial(args)
        return cmd_batch(args)
    if _only_with(
        args,
        "--batch",
        [
            ("--summary", args.summary),
            ("--jobs", args.jobs),
            ("--weight-by", args.weight_by),
            ("--engine dask", args.engine == "dask"),
            ("--scheduler", args.scheduler),
            ("--explain", args.explain),
            ("--points-only", args.points_only),
        ],
    ):
        return EXIT_USAGE
    if not args.evidence:
        return _usage(args, "give an EVIDENCE file, or --batch FILE|FOLDER")
    if os.path.splitext(args.pack)[1].lower() in (".yaml", ".yml", ".json") and (
        args.evidence.endswith(".jx")
    ):
        return _usage(args, "the pack comes first: jixiao eval PACK.jx EVIDENCE.yaml")
    args.lang = lang.report_lang()
    problem, inferred = _report_format(args)
    if problem is not None:
        return _usage(args, problem)
    try:
        if args.output:  # only then: a warm eval to standard output imports nothing for it
            from .render.outputs import refuse

            refuse(
                {"--output": args.output},
                [("the pack", args.pack), ("the evidence", args.evidence)],
                naming=[("the evidence", args.evidence)],  # its survey responses
            )
            if args.format is None and inferred is None:  # after E680/E681, before the work
                from .render.outputs import known_suffixes

                return _usage(
                    args,
                    f"cannot tell the format of `--output {args.output}` from its suffix; name "
                    f"the file {known_suffixes()}, or give `--format`",
                )
        plan, warnings = compile_pack(args.pack, use_cache=True)
        if args.partial:
            return _eval_partial(args, plan, warnings, inferred)
        result = run(plan, args.evidence)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        if args.format == "json" and not args.output:
            from .render.outputs import unscored_json

            sys.stdout.write(unscored_json(exc.diagnostics))
        return EXIT_ERRORS
    _report([*warnings, *result.diagnostics], args)
    if args.output:
        return _write_report(args, result, inferred)
    args.format = args.format or "table"
    sys.stdout.write(_with_total_reason(render(result, args.format, args.lang), result, args))
    failed = has_errors(result.diagnostics) or result.total is None
    return EXIT_ERRORS if failed else EXIT_OK


def _report_format(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """A usage problem of `--format` with `--output` (None: none), and the format the suffix
    of `--output` names (None: none given, or not known)."""
    from .render.outputs import format_of, output_named

    inferred = format_of(args.output) if args.output else None
    if args.format and inferred and args.format != inferred:
        return (
            f"`--format {args.format}` contradicts `--output {args.output}`, whose suffix "
            f"says {inferred}; drop `--format`, or name the file "
            f"{output_named(args.format).suffixes[0]}",
            inferred,
        )
    if args.output is None and args.format and output_named(args.format).writer:
        return (
            f"`--format {args.format}` writes a file; name it with "
            f"`--output FILE{output_named(args.format).suffixes[0]}`",
            inferred,
        )
    return None, inferred


def _batch_explain(args: argparse.Namespace) -> int:
    """`eval --batch PORTFOLIO --explain ID`: the report `eval` gives, for each project asked
    for, read from the portfolio as a stream (engine/tools/batch_explain.py)."""
    for option, value in (
        ("EVIDENCE", args.evidence),
        ("--summary", args.summary),
        ("--jobs", args.jobs),
        ("--weight-by", args.weight_by),
        ("--partial", args.partial or None),
        ("--engine dask", (args.engine == "dask") or None),
        ("--scheduler", args.scheduler),
        ("--points-only", args.points_only or None),
    ):
        if value is not None:
            return _usage(
                args,
                f"`{option}` does nothing with `--explain`: it writes the chosen projects' "
                "reports, as `eval` writes one; drop it",
            )
    from .common import messages
    from .render.outputs import refuse
    from .tools.batch_explain import asked_ids, chosen, output_for
    from .tools.portfolio import file_digest

    ids = asked_ids(args.explain)
    if not ids:
        return _usage(args, "`--explain` needs a project id: --explain ID[,ID…]")
    args.lang = lang.report_lang()
    problem, inferred = _report_format(args)
    if problem is not None:
        return _usage(args, problem)
    output = args.output
    try:
        if output:
            for ident in ids:
                refuse(
                    {"--output": output_for(output, ident, len(ids) > 1)},
                    [("the pack", args.pack), ("the portfolio", args.batch)],
                )
            if args.format is None and inferred is None:
                from .render.outputs import known_suffixes

                return _usage(
                    args,
                    f"cannot tell the format of `--output {args.output}` from its suffix; name "
                    f"the file {known_suffixes()}, or give `--format`",
                )
        plan, warnings = compile_pack(args.pack, use_cache=True)
        source = path_of(args.batch)
        rows, _, diags = _portfolio(source, plan)
        digest = file_digest(source) if source.is_file() else ""
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    _report([*warnings, *diags], args)
    status, found = EXIT_OK, set()
    try:
        for ident, result, problems in chosen(plan, rows, ids, str(source), digest):
            found.add(ident)
            if result is None:
                texts = [p for p in problems if isinstance(p, str)]
                _report(
                    [p for p in problems if not isinstance(p, str)]
                    or [messages.project_not_scored(ident, str(source), texts)],
                    args,
                )
                status = EXIT_ERRORS
                continue
            _report(result.diagnostics, args)
            if output:
                args.output = output_for(output, ident, len(ids) > 1)
                status = max(status, _write_report(args, result, inferred))
                continue
            args.format = args.format or "table"
            text = render(result, args.format, args.lang)
            sys.stdout.write(_with_total_reason(text, result, args))
            if has_errors(result.diagnostics) or result.total is None:
                status = EXIT_ERRORS
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    absent = [i for i in ids if i not in found]
    if absent:
        _report([messages.project_not_in_portfolio(absent, str(source))], args)
        return EXIT_USAGE
    return status


def _portfolio(source: pathlib.Path, plan: Plan) -> tuple[Any, int | None, list[Diagnostic]]:
    """The rows of a portfolio (a folder of evidence files, or a CSV/XLSX sheet), how many
    (None when not known before reading), and what reading found; a missing path raises."""
    from .tools.batch import read_folder, read_table

    if source.is_dir():
        return read_folder(source)
    if source.exists():
        from .tools.arrow import is_columnar  # (pyarrow only for a Parquet or Arrow file)

        if is_columnar(source):
            from .tools.batch_arrow import read_columnar

            return read_columnar(source, plan.program)
        return read_table(source, plan.program)
    from .common import messages

    raise JixiaoError([messages.evidence_unreadable(str(source), "no such file")])


def _batch_partial(args: argparse.Namespace) -> int:
    """`eval --batch … --partial`: one JSON line of ranges per project (docs/partial.md)."""
    for option, value in (
        ("--summary", args.summary),
        ("--jobs", args.jobs),
        ("--weight-by", args.weight_by),
    ):
        if value is not None:
            return _usage(args, f"`{option}` does nothing with `--batch --partial`; drop it")
    if args.output and os.path.splitext(args.output)[1].lower() not in ("", ".jsonl", ".ndjson"):
        return _usage(
            args, f"`--output {args.output}`: with --batch --partial it is written as .jsonl"
        )
    from .render.outputs import refuse, writing
    from .tools.partial_batch import records

    try:
        refuse({"--output": args.output}, [("the pack", args.pack), ("the portfolio", args.batch)])
        plan, warnings = compile_pack(args.pack, use_cache=True)
        source = path_of(args.batch)
        rows, _, diags = _portfolio(source, plan)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    _report([*warnings, *diags], args)
    output = args.output or "-"
    projects = failed = 0
    try:
        with writing("--output", output):
            stream = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
        try:
            for line, bad in records(plan, rows, str(source)):
                projects += 1
                failed += bad
                with writing("--output", output):
                    stream.write(line)
        finally:
            if stream is not sys.stdout:
                stream.close()
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    noun = "project" if projects == 1 else "projects"
    sys.stderr.write(say(f"{projects} {noun}: {projects - failed} with ranges, {failed} failed\n"))
    return EXIT_ERRORS if failed else EXIT_OK


def _eval_partial(
    args: argparse.Namespace, plan: Any, warnings: list[Diagnostic], inferred: str | None
) -> int:
    """`eval --partial`: the facts the evidence lacks are unknown; the report gains the range
    of every indicator and of the total (see docs/partial.md)."""
    from .runtime.partial import partial_result

    result, ranges = partial_result(plan, args.evidence)
    _report([*warnings, *result.diagnostics], args)
    failed = has_errors(result.diagnostics) or ranges.total is None
    fmt = args.format or inferred or "table"
    from .render import partial_report as pr
    from .render.outputs import output_named, writing

    if output_named(fmt).writer is not None:
        import importlib

        writer = importlib.import_module(f"{__package__}.render.{output_named(fmt).writer}")
        try:
            with writing("--output", args.output):
                writer.write(result, path_of(args.output), args.lang, None, ranges=ranges)
        except JixiaoError as exc:
            _report(exc.diagnostics, args)
            return EXIT_ERRORS
        return EXIT_ERRORS if failed else EXIT_OK
    text = pr.report_text(result, ranges, fmt, args.lang)
    if args.output:
        from .render.outputs import write_text

        try:
            write_text("--output", args.output, text)
        except JixiaoError as exc:
            _report(exc.diagnostics, args)
            return EXIT_ERRORS
    else:
        sys.stdout.write(text)
    return EXIT_ERRORS if failed else EXIT_OK


def _write_report(args: argparse.Namespace, result: Result, inferred: str | None) -> int:
    """`eval --output FILE`: the format `--format` names, else the one the suffix names."""
    from .render.outputs import output_named, total_reason, write_text, writing

    args.format = args.format or inferred
    output = output_named(args.format)
    try:
        if output.writer is not None:
            import importlib

            writer = importlib.import_module(f"{__package__}.render.{output.writer}")
            with writing("--output", args.output):
                writer.write(
                    result, path_of(args.output), args.lang, total_reason(result, args.lang)
                )
        else:
            text = _with_total_reason(render(result, args.format, args.lang), result, args)
            write_text("--output", args.output, text)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    failed = has_errors(result.diagnostics) or result.total is None
    return EXIT_ERRORS if failed else EXIT_OK


def _with_total_reason(text: str, result: Result, args: argparse.Namespace) -> str:
    """The report with the reason for a missing total: never a bare "—"."""
    from .render.outputs import total_reason

    reason = total_reason(result, args.lang)
    if reason is None or args.format == "json":
        return text
    if args.format == "html":
        from html import escape

        note = f'<p class="no-total">{escape(reason)}</p>\n'
        return text.replace("</body>", note + "</body>", 1) if "</body>" in text else text + note
    if args.format == "markdown":
        return text + f"\n> {reason}\n"
    return text + reason + "\n"


def cmd_explain(args: argparse.Namespace) -> int:
    """Print the entry of docs/diagnostics.md (shipped in the package) for one code."""
    code = args.explain.upper()
    try:
        from importlib import resources

        text = resources.files(__package__).joinpath("diagnostics.md").read_text(encoding="utf-8")
    except OSError:  # pragma: no cover - a broken install
        text = ""
    entry = re.search(rf"^## {re.escape(code)}:.*?(?=^## |\Z)", text, re.M | re.S)
    if entry is None:
        known = sorted(set(re.findall(r"^## ([EW]\d{3}):", text, re.M)))
        return _usage(args, f"no diagnostic `{code}`; the codes are {', '.join(known)}")
    sys.stdout.write(entry.group(0).rstrip("\n") + "\n")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    if args.explain:
        if args.packs:
            return _usage(args, "`--explain CODE` checks no pack; run `check PACK…` separately")
        if args.format is not None:
            return _usage(args, "`--format` does nothing with `--explain`; drop it")
        return cmd_explain(args)
    if not args.packs:
        return _usage(args, "give a PACK to check, or --explain CODE")
    from .tools.testselect import expand

    paths, diags = expand(args.packs, ".jx", "packs (*.jx)")
    status = EXIT_ERRORS if diags else EXIT_OK
    lines = []
    for path in paths:
        try:
            plan, warnings = compile_pack(path)
        except JixiaoError as exc:
            diags += exc.diagnostics
            status = EXIT_ERRORS
            continue
        diags += warnings
        lines.append(_checked(path, plan.program))
    if args.format == "json":  # machine output: on standard output, errors or not
        sys.stdout.write(render_json(diags))
        return status
    _report(diags, args)
    sys.stdout.write(say("".join(lines)))
    return status


def _checked(path: str, program: Any) -> str:
    """The `ok:` line of a pack that checks."""
    leaves = sum(1 for i in program.indicators if i.is_leaf)
    facts = sum(1 for n in program.facts if "@" not in n)  # not an indicator's own param value
    if not program.indicators:  # a library (checked: E434 refuses any other pack without one)
        return (
            f"ok: {path}: a library — {facts} facts and parameters, "
            f"{len(program.derived)} derived facts, no indicators; `eval` scores only a pack "
            "that adds its indicators\n"
        )
    return (
        f"ok: {path}: {len(program.indicators)} indicators ({leaves} scored leaves), "
        f"{facts} facts, {len(program.derived)} derived facts; "
        f"weights add up to {program.settings.total.normalize():f}\n"
    )


def _reparse(path: str, text: str) -> ast.Pack:
    from jixiao.dsl.parser import parse

    return parse(Source(path, text))


def _stdin_pack() -> Source:
    """A pack piped in, decoded as a pack file is (UTF-8, else GB18030), whatever the locale."""
    from jixiao.dsl.source import decode

    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream (tests): already decoded
        return Source("<stdin>", sys.stdin.read())
    try:
        text, encoding = decode(stream.read())
    except DecodeError as exc:
        from .common import messages

        raise JixiaoError([messages.pack_unreadable("<stdin>", str(exc))]) from None
    return Source("<stdin>", text, encoding)


def cmd_fmt(args: argparse.Namespace) -> int:
    """Rewrite packs canonically; with --check, only report (and diff) what would change."""
    from jixiao.dsl.formatter import FormatError, format_pack
    from jixiao.dsl.parser import parse

    from .tools.testselect import expand

    paths, missing = expand(args.packs, ".jx", "packs (*.jx)")
    _report(missing, args)
    status = EXIT_ERRORS if missing else EXIT_OK
    for path in paths:
        try:
            source = _stdin_pack() if path == "-" else load_pack(path)
            pack = parse(source)
            import functools

            text = format_pack(pack, check=functools.partial(_reparse, source.path))
        except JixiaoError as exc:
            _report(exc.diagnostics, args)
            status = EXIT_ERRORS
            continue
        except FormatError as exc:
            sys.stderr.write(
                say(
                    f"internal error: {source.path}: {exc}; the file was left unchanged\n"
                    "  = help: this is a bug in jixiao's formatter; please report it with the "
                    "pack\n"
                )
            )
            return EXIT_INTERNAL
        if path == "-" and not args.check:
            sys.stdout.write(text)
            continue
        if text == source.text and (source.encoding == "utf-8" or path == "-"):
            continue
        if args.check:
            import difflib

            diff = difflib.unified_diff(
                source.text.splitlines(keepends=True),
                text.splitlines(keepends=True),
                say(f"{path} (as is)"),
                say(f"{path} (formatted)"),
            )
            sys.stdout.write("".join(diff))
            status = max(status, EXIT_ERRORS)
        else:
            from .render.outputs import replace_text

            try:
                replace_text("jixiao fmt", path, text)
            except JixiaoError as exc:
                _report(exc.diagnostics, args)
                status = EXIT_ERRORS
                continue
            sys.stderr.write(say(f"formatted {path}\n"))
    return status


def cmd_test(args: argparse.Namespace) -> int:
    from .tools.testreport import render_json as test_json
    from .tools.testreport import render_junit, render_runs_json
    from .tools.testreport import render_text as test_text
    from .tools.testselect import collect

    if args.verbose and args.format == "json":
        return _usage(args, "`--verbose` lists coverage in the text report; JSON lists it all")
    if args.k is not None:
        from .tools.testselect import SelectionError, selector

        try:
            args.k_match = selector(args.k)
        except SelectionError as exc:
            return _usage(args, f"cannot read `-k {args.k}`: {exc}")
    pairs, problems = collect(args.paths)
    if args.junit_xml:  # before any case runs: never over a pack, a test file or a folder's file
        from .render.outputs import refuse

        inputs = [*args.paths, *(p for pair in pairs for p in pair)]
        try:
            refuse({"--junit-xml": args.junit_xml}, [("an input", p) for p in inputs])
        except JixiaoError as exc:
            _report(exc.diagnostics, args)
            return EXIT_ERRORS
    _report(problems, args)
    runs = [_run_suite(args, pack, suite) for pack, suite in pairs]
    selected = sum(len(r.outcomes) for r in runs)
    if args.k is not None and selected == 0 and any(r.suite is not None for r in runs):
        from .common import messages

        total = sum(r.deselected for r in runs)
        problems.append(messages.no_case_selected(args.k, total))
        _report(problems[-1:], args)
    if args.format == "json":
        if len(runs) == 1 and runs[0].suite is not None and runs[0].cov is not None:
            run = runs[0]
            assert run.suite is not None and run.cov is not None
            sys.stdout.write(test_json(run.suite, run.outcomes, run.cov, run.edges, run.deselected))
        else:
            sys.stdout.write(render_runs_json(runs, problems))
    else:
        for run in runs:
            if run.suite is not None and run.cov is not None:
                sys.stdout.write(
                    say(
                        test_text(
                            run.suite,
                            run.outcomes,
                            run.cov,
                            run.edges,
                            args.verbose,
                            run.deselected,
                        )
                    )
                )
        if len(runs) > 1:
            passed, failed = sum(r.passed for r in runs), sum(r.failed for r in runs)
            broken = sum(1 for r in runs if r.problems)
            sys.stdout.write(
                say(f"\n{len(runs)} test files: {passed} passed, {failed} failed")
                + (say(f", {broken} could not be run") if broken else "")
                + "\n"
            )
    if args.junit_xml:
        from .render.outputs import write_text

        try:
            write_text("--junit-xml", args.junit_xml, render_junit(runs))
        except JixiaoError as exc:
            _report(exc.diagnostics, args)
            return EXIT_ERRORS
    bad = problems or any(r.problems or r.failed for r in runs)
    below = [
        r
        for r in runs
        if args.coverage_min is not None and r.cov is not None and r.cov.percent < args.coverage_min
    ]
    for r in below:
        assert r.cov is not None
        sys.stderr.write(
            say(
                f"coverage of {r.path}: {r.cov.percent}% is below --coverage-min "
                f"{args.coverage_min}\n"
            )
        )
    return EXIT_ERRORS if bad or below else EXIT_OK


def _run_suite(args: argparse.Namespace, pack: str, suite_path: str) -> SuiteRun:
    """One test file run: its pack compiled, its cases (those `-k` selects) scored."""
    from .tools.packtest import SuiteError, case_evidence, coverage, edges, load_suite, run_case
    from .tools.testreport import SuiteRun

    run = SuiteRun(suite_path, pack)
    try:
        plan, warnings = compile_pack(pack)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        run.problems = list(exc.diagnostics)
        return run
    _report(warnings, args)
    try:
        suite = load_suite(path_of(suite_path))
    except SuiteError as exc:
        _report([exc.diagnostic], args)
        run.problems = [exc.diagnostic]
        return run
    run.suite = suite
    cases = list(suite.cases)
    if args.k is not None:
        file_name = path_of(suite_path).name
        cases = [c for c in cases if args.k_match(c.name, file_name)]
    run.deselected = len(suite.cases) - len(cases)
    run.outcomes = [run_case(plan, suite, case) for case in cases]
    run.cov = coverage(plan, run.outcomes)
    if args.edges:
        evidence = None
        if run.outcomes and run.outcomes[0].result is not None:
            evidence, found = case_evidence(plan, suite, cases[0])
            if has_errors(found):  # never probe partial evidence
                evidence = None
        run.edges = edges(plan, evidence) if evidence is not None else []
    return run


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        from .tools.strategies import evidence_yaml
        from .tools.verify import verify
    except ImportError:
        sys.stderr.write(say("jixiao verify needs hypothesis: pip install 'jixiao[verify]'\n"))
        return EXIT_USAGE
    try:
        plan, warnings = compile_pack(args.pack)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        sys.stderr.write(say("verify: the pack does not check; fix the errors above first\n"))
        if args.format == "json":  # machine output on standard output, errors or not
            import json

            from jixiao.dsl.diagnostics import to_json

            doc = {
                "pack": args.pack,
                "diagnostics": [to_json(d) for d in exc.diagnostics],
                "properties": [],
                "passed": 0,
                "failed": 0,
            }
            sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return EXIT_ERRORS
    _report(warnings, args)
    findings = verify(plan, args.examples)
    out_dir = path_of(args.out)
    stem = path_of(args.pack).name.removesuffix(".jx")
    failed = 0
    written: list[str | None] = []
    for finding in findings:
        written.append(None)
        if finding.ok:
            continue
        failed += 1
        if finding.facts is not None:
            from .render.outputs import refuse, writing

            path = out_dir / f"{stem}.counterexample-{failed}.yaml"
            try:
                with writing("--out", str(out_dir)):
                    out_dir.mkdir(parents=True, exist_ok=True)
                refuse({"--out": str(path)}, [("the pack", args.pack)])
            except JixiaoError as exc:
                _report(exc.diagnostics, args)
                return EXIT_ERRORS
            note = say(f"counterexample: {finding.prop}") + "\n" + say(finding.detail)
            facts = dict(finding.facts)
            for name, value in (finding.pins or {}).items():
                if name in facts:
                    facts[name] = value  # a fact: the file itself shows the failing value
                else:
                    note += "\n" + say(f"with the derived fact {name} = {value}")
            kinds = {n: f.kind for n, f in plan.program.facts.items()}
            try:
                with writing("--out", str(path)):
                    path.write_text(evidence_yaml(facts, note, kinds), encoding="utf-8")
            except JixiaoError as exc:
                _report(exc.diagnostics, args)
                return EXIT_ERRORS
            written[-1] = str(path)
    passed = len(findings) - failed
    if args.format == "json":
        import json

        doc = {
            "pack": args.pack,
            "examples": args.examples,
            "properties": [
                {
                    "property": f.prop,
                    "ok": f.ok,
                    "detail": f.detail or None,
                    "counterexample": saved,
                }
                for f, saved in zip(findings, written, strict=True)
            ],
            "passed": passed,
            "failed": failed,
        }
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        for finding, saved in zip(findings, written, strict=True):
            if finding.ok:
                sys.stdout.write(f"  ✓ {say(finding.prop)}\n")
                continue
            sys.stdout.write(f"  ✗ {say(finding.prop)}\n      {say(finding.detail)}\n")
            if saved is not None:
                sys.stdout.write(say(f"      counterexample evidence: {saved}\n"))
        sys.stdout.write(say(f"{passed} passed, {failed} failed\n"))
    return EXIT_ERRORS if failed else EXIT_OK


def cmd_selfeval(args: argparse.Namespace) -> int:
    from .tools import selfeval_run

    suffixes = (".xlsx", ".xlsm", ".csv")  # .xlsm: a table with macros keeps them
    if args.output and os.path.splitext(args.output)[1].lower() not in suffixes:
        return _usage(
            args,
            f"`--output {args.output}` writes the table back with the scores: name it .xlsx "
            "(.xlsm for a table with macros) or .csv (the report itself is `--format`, on "
            "standard output)",
        )
    problem = selfeval_run.param_problem(args)
    if problem is not None:
        return _usage(args, problem)
    return selfeval_run.main(args, _report)


def cmd_diff(args: argparse.Namespace) -> int:
    """Exit 0: nothing changes (no structural change; with evidence, no score); 1: something
    does; 2: a usage error, or a pack, the evidence or the portfolio that cannot be used."""
    from .tools import diff_report

    if args.evidence and args.batch:
        return _usage(args, "give an EVIDENCE file or --batch SHEET, not both")
    if args.jobs is not None and not args.batch:
        return _usage(args, "`--jobs` works only with `--batch`; drop it, or add `--batch`")
    for name, path in (("OLD", args.old), ("NEW", args.new)):
        if os.path.splitext(path)[1].lower() in (".yaml", ".yml", ".json", ".csv", ".xlsx"):
            return _usage(args, f"{name} is a pack: jixiao diff OLD.jx NEW.jx [EVIDENCE]")
    if args.evidence and (
        os.path.isdir(args.evidence)
        or os.path.splitext(args.evidence)[1].lower() in (".csv", ".xlsx", ".xlsm")
    ):
        return _usage(
            args, f"`{args.evidence}` is a portfolio: give it as `--batch {args.evidence}`"
        )
    suffix = os.path.splitext(args.output or "")[1].lower()
    inferred = {".json": "json", ".html": "html", ".htm": "html", ".txt": "text"}.get(suffix)
    if args.output and inferred is None:
        return _usage(args, f"`--output {args.output}`: name it .txt, .json or .html")
    if args.format and inferred and args.format != inferred:
        return _usage(
            args, f"`--format {args.format}` contradicts `--output {args.output}`; drop one"
        )
    fmt = args.format or inferred or "text"
    try:
        from .render.outputs import refuse

        refuse(
            {"--output": args.output},
            [
                ("the old pack", args.old),
                ("the new pack", args.new),
                ("the evidence", args.evidence),
                ("the portfolio", args.batch),
            ],
        )
        plans, errors = [], list[Diagnostic]()
        for path in (args.old, args.new):
            try:
                plans.append(compile_pack(path)[0])
            except JixiaoError as exc:
                errors += exc.diagnostics
        if errors:
            raise JixiaoError(errors)
        from jixiao.dsl.parser import parse

        from .tools import diff

        old, new = plans
        old_pack, new_pack = parse(old.program.source), parse(new.program.source)
        changes = diff.structure(old.program, new.program, old_pack, new_pack)
        one = batch = None
        changed = bool(changes)
        trouble = False
        if args.evidence:
            one = diff.impact_one(old, new, args.evidence)
            bad = [d for r in (one.old, one.new) for d in r.diagnostics if d.is_error]
            if bad:  # the same mistake in the evidence, once, though both packs found it
                raise JixiaoError(list({_diagnostic_key(d): d for d in bad}.values()))
            changed = one.changed
        elif args.batch:
            sheet = path_of(args.batch)
            if not sheet.exists():
                from .common import messages

                raise JixiaoError([messages.evidence_unreadable(str(sheet), "no such file")])
            from .tools.diff_batch import impact_batch

            batch, diags = impact_batch(old, new, sheet, args.jobs or 0)
            _report(diags, args)
            changed = batch.any_change
            trouble = any(p.old is None and p.new is None for p in batch.failed)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_USAGE
    if fmt == "text":
        colour = args.output is None and _colour(sys.stdout, args.color)
        text = diff_report.text(args.old, args.new, changes, one, batch, colour)
    else:
        doc = diff_report.document(args.old, args.new, changes, one, batch)
        text = diff_report.render_json(doc) if fmt == "json" else diff_report.render_html(doc)
    if args.output:
        from .render.outputs import write_text

        try:
            write_text("--output", args.output, text)
        except JixiaoError as exc:
            _report(exc.diagnostics, args)
            return EXIT_USAGE
    else:
        sys.stdout.write(text)
    if trouble:
        return EXIT_USAGE
    return EXIT_ERRORS if changed else EXIT_OK


def _diagnostic_key(d: Diagnostic) -> tuple[object, ...]:
    place = d.labels[0].span if d.labels else None
    return (d.code, d.message, d.path, place and (place.source.path, place.start, place.end))


def cmd_serve(args: argparse.Namespace) -> int:
    """`jixiao serve`: check the options, then hand over to engine/serve (the `serve` extra)."""
    from .common import messages

    problems: list[Diagnostic] = []
    if not os.path.isdir(args.packs):
        why = "no such folder" if not os.path.exists(args.packs) else "it is not a folder"
        problems.append(messages.serve_no_packs_folder(args.packs, why))
    if args.db is not None and not args.db.startswith(
        ("sqlite:///", "postgresql://", "postgres://", "postgresql+psycopg://")
    ):
        scheme = args.db.split(":", 1)[0] if ":" in args.db else args.db
        problems.append(
            messages.serve_bad_database(args.db, f"`{scheme}` is not SQLite or PostgreSQL")
        )
    tokens: dict[str, str] = {}
    try:
        from .serve.config import TokenError, read_tokens

        tokens = read_tokens(args.tokens, os.environ.get("JIXIAO_TOKENS"))
    except TokenError as exc:
        problems.append(messages.serve_bad_option("--tokens", str(exc)))
    if problems:
        _report(problems, args)
        return EXIT_ERRORS
    try:
        import sqlalchemy  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        sys.stderr.write(say("jixiao serve needs its extra: pip install 'jixiao[serve]'\n"))
        return EXIT_USAGE
    from .serve.app import serve
    from .serve.config import LOOPBACK_HOSTS, Limits, Settings

    settings = Settings(
        packs=args.packs,
        db=args.db,
        limits=Limits(
            args.max_body_bytes, args.max_batch_records, args.max_seconds, args.max_in_flight
        ),
        tokens=tokens,
        cors=tuple(args.cors_origin),
        keep_evidence=not args.no_keep_evidence,
        hosts=LOOPBACK_HOSTS if args.host in LOOPBACK_HOSTS else (),
    )
    if args.host not in ("127.0.0.1", "::1", "localhost") and not tokens:
        sys.stderr.write(
            say(
                f"warning: serving on {args.host} without tokens: anyone who reaches it may score "
                "and read the decision log (give --tokens FILE or JIXIAO_TOKENS)\n"
            )
        )
    try:
        from sqlalchemy.exc import SQLAlchemyError

        serve(settings, args.host, args.port, args.workers)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        _report([messages.serve_bad_database(settings.db_url, reason)], args)
        return EXIT_ERRORS
    return EXIT_OK


def _columns() -> int:
    """What `shutil.get_terminal_size().columns` answers: $COLUMNS, the terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _percent(text: str) -> Decimal:
    """An argparse type: a percentage from 0 to 100 (`--coverage-min 90`)."""
    import argparse
    from decimal import InvalidOperation

    try:
        value = Decimal(text.strip().removesuffix("%"))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"give a percentage from 0 to 100, not `{text}`")
    return value


def _seconds(text: str) -> float:
    """An argparse type: a time in seconds, more than 0 (`--max-seconds 2.5`)."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"give a time of more than 0 seconds, not `{text}`")
    return value


def _count(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `least` (a usage error, exit 2, otherwise)."""

    def parse(text: str) -> int:
        import argparse

        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"give a number of at least {least}, not {value}")
        return value

    return parse


def _parser_class() -> type[argparse.ArgumentParser]:
    """argparse's parser with the terminal's width told directly. Made when a command line
    needs parsing, so that a plain `jixiao eval PACK EVIDENCE` (see `_plain_eval`) never imports
    argparse and the gettext and locale modules it brings (1.5 ms of a warm run)."""
    import argparse

    class Formatter(argparse.HelpFormatter):
        # asking `shutil` for the width costs the import of shutil and its archive modules
        def __init__(
            self,
            prog: str,
            indent_increment: int = 2,
            max_help_position: int = 24,
            width: int | None = None,
        ) -> None:
            if width is None:
                width = _columns() - 2
            super().__init__(prog, indent_increment, max_help_position, width)

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("formatter_class", Formatter)
            super().__init__(*args, **kwargs)

    return Parser


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line. With `only`, just that command's parser is built: a warm `jixiao eval`
    should not pay for setting up the other six."""
    _Parser = _parser_class()
    parser = _Parser(
        prog="jixiao",
        description="Score performance evaluations of public spending (财政支出绩效评价) "
        "with explained, reproducible rule packs.",
    )
    parser.add_argument("--version", action="version", version=f"jixiao {VERSION}")
    common = _Parser(add_help=False)
    common.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour diagnostics (default: only on a terminal without NO_COLOR)",
    )
    common.add_argument(
        "--lang",
        choices=("zh", "en"),
        help="language of messages and of a report's labels (default: JIXIAO_LANG, else zh "
        "when the locale is Chinese; a report's labels are zh unless en is chosen)",
    )
    common.add_argument(
        "--import-path",
        action="append",
        default=[],
        metavar="DIR",
        help='look for imported packs (`import "x.jx"`) in DIR too, after the pack\'s own '
        "folder (repeatable; also the JIXIAO_PATH environment variable)",
    )
    confine = _Parser(add_help=False)
    confine.add_argument(
        "--allow-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="let evidence name files (survey responses) inside DIR too, not only beside it "
        "(repeatable)",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    if only in (None, "eval"):
        from .render.outputs import FORMAT_NAMES

        p_eval = sub.add_parser(
            "eval", parents=[common, confine], help="score an evidence file with a rule pack"
        )
        p_eval.add_argument("pack", help="the rule pack (.jx)")
        p_eval.add_argument("evidence", nargs="?", help="the evidence file (.yaml or .json)")
        p_eval.add_argument(
            "--batch",
            metavar="INPUT",
            help="score a portfolio: a CSV or XLSX sheet (one project per row), a Parquet "
            "or Arrow file (the `columnar` extra) or a folder of evidence files",
        )
        p_eval.add_argument(
            "--output",
            metavar="FILE",
            help="write the report to FILE, in the format its suffix names (.txt, .json, .md, "
            ".html, .xlsx); with --batch: per-project results, .jsonl, .csv, .xlsx or .parquet "
            "(default: standard output)",
        )
        p_eval.add_argument(
            "--summary",
            metavar="FILE",
            help="with --batch: the portfolio summary, .html, .md or .json",
        )
        p_eval.add_argument(
            "--weight-by",
            metavar="FACT",
            help="with --summary: also weight the means by this money, number or count fact "
            "(资金量加权; default: the pack's `portfolio weighted by`)",
        )
        p_eval.add_argument(
            "--jobs",
            type=_count(0),
            metavar="N",
            help="with --batch: worker processes (default: one per core, up to 4, from 2000 rows)",
        )
        p_eval.add_argument(
            "--engine",
            choices=("local", "ledger", "dask"),
            default="local",
            help="with --batch: score on this machine (default: over columns where numpy and "
            "the pack allow, else project by project), on this machine project by project "
            "(`ledger`), or on a Dask cluster (a Parquet file or dataset; the `distributed` "
            "extra)",
        )
        p_eval.add_argument(
            "--scheduler",
            metavar="ADDRESS",
            help="with --engine dask: the scheduler, tcp://HOST:8786 (default: a local cluster)",
        )
        p_eval.add_argument(
            "--format",
            choices=FORMAT_NAMES,
            help="report format (default: the --output suffix's, else table)",
        )
        p_eval.add_argument(
            "--points-only",
            action="store_true",
            help="with --batch: points, totals and grades only, computed over whole columns "
            "(the `columnar` extra); projects it cannot decide exactly, and packs with rules "
            "it cannot run, are scored as without it; no explanations in the records",
        )
        p_eval.add_argument(
            "--partial",
            action="store_true",
            help="evidence may lack facts: give each indicator and the total the range of "
            "points still possible, the grades still possible and the facts that can move it",
        )
        p_eval.add_argument(
            "--explain",
            metavar="ID",
            action="append",
            help="with --batch: the full report of the project with this id, as eval gives "
            "one (repeatable, or ID,ID; with several, --output FILE becomes FILE-ID)",
        )
        p_eval.set_defaults(func=cmd_eval, parser=p_eval)

    if only in (None, "check"):
        p_check = sub.add_parser(
            "check", parents=[common], help="check a rule pack without evidence"
        )
        p_check.add_argument(
            "packs",
            nargs="*",
            metavar="PACK",
            help="rule packs (.jx), folders of packs, or patterns such as rules/*.jx",
        )
        p_check.add_argument(
            "--explain", metavar="CODE", help="print what a diagnostic code means, with an example"
        )
        p_check.add_argument(
            "--format",
            choices=("text", "json"),
            help="diagnostics as text (standard error) or JSON (standard output; default: text)",
        )
        p_check.set_defaults(func=cmd_check, parser=p_check)

    if only in (None, "test"):
        p_test = sub.add_parser(
            "test",
            parents=[common, confine],
            help="run a pack's example cases, with scoring coverage",
        )
        p_test.add_argument(
            "paths",
            nargs="+",
            metavar="PATH",
            help="a pack (its NAME.test.yaml beside it, or the test file named right after it), "
            "a test file, a folder of test files, or a pattern",
        )
        p_test.add_argument(
            "-k",
            metavar="EXPR",
            help="run only the cases whose names (or test file names) match EXPR: words, "
            "`and`, `or`, `not`, parentheses",
        )
        p_test.add_argument(
            "--junit-xml",
            metavar="FILE",
            help="also write the results as JUnit XML, for CI",
        )
        p_test.add_argument(
            "--coverage-min",
            type=_percent,
            metavar="N",
            help="fail when coverage is below N percent (0 to 100)",
        )
        p_test.add_argument(
            "--edges",
            action="store_true",
            help="evaluate every band edge just below, at and above, on the first case's evidence",
        )
        p_test.add_argument("--format", choices=("text", "json"), default="text")
        p_test.add_argument(
            "--verbose",
            action="store_true",
            help="list coverage for every indicator, not only the incomplete ones",
        )
        p_test.set_defaults(func=cmd_test, parser=p_test)

    if only in (None, "verify"):
        p_verify = sub.add_parser(
            "verify", parents=[common], help="check a pack's properties on generated evidence"
        )
        p_verify.add_argument("pack", help="the rule pack (.jx)")
        p_verify.add_argument(
            "--examples",
            type=_count(1),
            default=200,
            metavar="N",
            help="evidence records to try per property (default: 200)",
        )
        p_verify.add_argument(
            "--out",
            default="counterexamples",
            metavar="DIR",
            help="where to write counterexample evidence files (default: counterexamples, "
            "which the project's .gitignore covers)",
        )
        p_verify.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="the findings as text or JSON (default: text)",
        )
        p_verify.set_defaults(func=cmd_verify, parser=p_verify)

    if only in (None, "schema"):
        p_schema = sub.add_parser(
            "schema", parents=[common], help="print the JSON Schema of a pack's evidence"
        )
        p_schema.add_argument("pack", help="the rule pack (.jx)")
        p_schema.set_defaults(func=cmd_schema, parser=p_schema)

    if only in (None, "selfeval"):
        p_self = sub.add_parser(
            "selfeval", parents=[common], help="score a 项目支出绩效自评表 in the national layout"
        )
        p_self.add_argument("table", help="the table, .xlsx or .csv")
        p_self.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a provincial variant: 预算执行率分值=20, 部分达成下限=50%%, …",
        )
        p_self.add_argument(
            "--template",
            metavar="PACK",
            help="the template library (default: rules/self-evaluation.jx)",
        )
        p_self.add_argument(
            "--output",
            metavar="FILE.xlsx",
            help="write the table back with jixiao's scores and explanations",
        )
        p_self.add_argument(
            "--format", choices=("text", "json", "markdown", "html"), default="text"
        )
        p_self.add_argument(
            "--emit-pack", metavar="FILE", help="also write the rule pack generated from the table"
        )
        p_self.add_argument(
            "--qualitative-fallback",
            action="store_true",
            help="score a row whose target cannot be read as qualitative",
        )
        p_self.set_defaults(func=cmd_selfeval, parser=p_self)

    if only in (None, "fmt"):
        p_fmt = sub.add_parser("fmt", parents=[common], help="format rule packs canonically")
        p_fmt.add_argument(
            "packs",
            nargs="+",
            metavar="PACK",
            help="packs to rewrite in place (folders and patterns too); `-` reads standard input",
        )
        p_fmt.add_argument(
            "--check",
            action="store_true",
            help="change nothing; show a diff and exit 1 if a pack is not formatted",
        )
        p_fmt.set_defaults(func=cmd_fmt, parser=p_fmt)

    if only in (None, "lsp"):
        p_lsp = sub.add_parser(
            "lsp",
            parents=[common],
            help="serve editors over the Language Server Protocol (stdio)",
            description="A language server for packs on standard input and output: "
            "diagnostics as you type, hover, definition, references, completion, formatting, "
            "an outline and quick fixes. Needs the `lsp` extra: pip install 'jixiao[lsp]'.",
        )
        p_lsp.add_argument(
            "--stdio", action="store_true", help="speak over stdin/stdout (the only transport)"
        )
        p_lsp.set_defaults(func=cmd_lsp, parser=p_lsp)
    if only in (None, "serve"):
        p_serve = sub.add_parser(
            "serve",
            parents=[common],
            help="serve packs over HTTP, with a decision log and a workbench",
        )
        p_serve.add_argument(
            "--packs", default="rules", metavar="DIR", help="the packs to serve (default: rules)"
        )
        p_serve.add_argument(
            "--db",
            metavar="URL",
            help="the decision log: sqlite:///FILE.db or postgresql://USER@HOST/DB "
            "(default: SQLite in DIR/.jixiao/decisions.db)",
        )
        p_serve.add_argument(
            "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)"
        )
        p_serve.add_argument("--port", type=_count(0), default=8000, help="port (default: 8000)")
        p_serve.add_argument(
            "--workers", type=_count(1), default=1, help="worker processes (default: 1)"
        )
        p_serve.add_argument(
            "--tokens",
            metavar="FILE",
            help="require `Authorization: Bearer TOKEN`; FILE holds `NAME TOKEN` lines (also "
            "the JIXIAO_TOKENS environment variable, comma-separated)",
        )
        p_serve.add_argument(
            "--cors-origin",
            action="append",
            default=[],
            metavar="ORIGIN",
            help="let a web page from ORIGIN call the API (repeatable; default: none)",
        )
        p_serve.add_argument(
            "--no-keep-evidence",
            action="store_true",
            help="log evidence digests only, not the evidence (such decisions cannot be replayed)",
        )
        p_serve.add_argument(
            "--max-body-bytes",
            type=_count(1),
            default=16 << 20,
            metavar="N",
            help="largest request body (default: 16 MiB)",
        )
        p_serve.add_argument(
            "--max-batch-records",
            type=_count(1),
            default=10_000,
            metavar="N",
            help="most rows of a portfolio (default: 10000)",
        )
        p_serve.add_argument(
            "--max-seconds",
            type=_seconds,
            default=30.0,
            metavar="S",
            help="longest scoring of a request (default: 30)",
        )
        p_serve.add_argument(
            "--max-in-flight",
            type=_count(1),
            default=8,
            metavar="N",
            help="scorings at once; more are refused with 429 (default: 8)",
        )
        p_serve.set_defaults(func=cmd_serve, parser=p_serve)
    if only in (None, "whatif"):
        p_whatif = sub.add_parser(
            "whatif",
            parents=[common, confine],
            help="what it would take: the smallest changes that recover points or reach a grade",
        )
        p_whatif.add_argument("pack", help="the rule pack (.jx)")
        p_whatif.add_argument("evidence", nargs="?", help="the evidence file (.yaml or .json)")
        aim = p_whatif.add_mutually_exclusive_group()
        aim.add_argument("--to", metavar="GRADE", help="the grade to reach (default: the next)")
        aim.add_argument(
            "--indicator", metavar="CODE", help="only the changes that recover this indicator"
        )
        p_whatif.add_argument(
            "--fixed",
            action="append",
            default=[],
            metavar="FACT",
            help="a fact that cannot change (repeatable, or comma-separated)",
        )
        p_whatif.add_argument("--format", choices=("text", "json", "html"))
        p_whatif.add_argument(
            "--batch",
            metavar="INPUT",
            help="a portfolio (CSV or XLSX sheet, or folder): the projects nearest each grade "
            "boundary, with their cheapest changes",
        )
        p_whatif.add_argument(
            "--top",
            type=_count(1),
            default=5,
            metavar="N",
            help="with --batch: projects shown per grade boundary (default: 5)",
        )
        p_whatif.set_defaults(func=cmd_whatif, parser=p_whatif)
    if only in (None, "diff"):
        p_diff = sub.add_parser(
            "diff",
            parents=[common, confine],
            help="what a revision of a pack changes: its structure, and scores",
        )
        p_diff.add_argument("old", metavar="OLD", help="the pack as it was (.jx)")
        p_diff.add_argument("new", metavar="NEW", help="the pack as revised (.jx)")
        p_diff.add_argument(
            "evidence", nargs="?", metavar="EVIDENCE", help="score this evidence with both"
        )
        p_diff.add_argument(
            "--batch",
            metavar="SHEET",
            help="score a portfolio (CSV or XLSX sheet, or a folder of evidence) with both",
        )
        p_diff.add_argument(
            "--format",
            choices=("text", "json", "html"),
            help="report format (default: the --output suffix's, else text)",
        )
        p_diff.add_argument(
            "--output", metavar="FILE", help="write the report to FILE (.txt, .json, .html)"
        )
        p_diff.add_argument(
            "--jobs",
            type=_count(0),
            metavar="N",
            help="with --batch: worker processes per pack (default: as `eval --batch`)",
        )
        p_diff.set_defaults(func=cmd_diff, parser=p_diff)
    return parser


COMMANDS = (
    "eval",
    "check",
    "test",
    "verify",
    "schema",
    "selfeval",
    "fmt",
    "lsp",
    "serve",
    "whatif",
    "diff",
)


def cmd_lsp(args: argparse.Namespace) -> int:
    try:
        from .lsp.server import serve
    except ImportError:
        sys.stderr.write(say("jixiao lsp needs pygls: pip install 'jixiao[lsp]'\n"))
        return EXIT_USAGE
    serve()
    return EXIT_OK


def _lang_given(argv: Sequence[str]) -> str | None:
    """`--lang zh|en` (or `--lang=…`) from the command line, before argparse reads it: the
    language of argparse's own messages depends on it. A wrong value is argparse's to refuse."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = arg[7:] if arg.startswith("--lang=") else None
        if arg == "--lang" and i + 1 < len(argv):
            value = argv[i + 1]
        if value in lang.LANGS:
            return value
    return None


def cmd_whatif(args: argparse.Namespace) -> int:
    from .tools.whatif_run import run as run_whatif

    return run_whatif(args, _report, _usage)


def _encodable_streams() -> None:
    """A terminal or pipe that cannot encode Chinese (`PYTHONIOENCODING=ascii`, a Windows code
    page such as cp1252) gets `\\uXXXX` escapes instead of a UnicodeEncodeError, and one line
    saying how to see the characters. Streams that can (UTF-8, GB18030) are left alone."""
    note = None
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            "绩效评价，％—“”".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="backslashreplace")
                note = encoding
    if note is not None:
        sys.stderr.write(
            f"note: the output encoding {note} cannot show Chinese; it is written as \\u escapes "
            "(set PYTHONIOENCODING=utf-8, or run `chcp 65001` in a Windows console)\n"
        )


class _PlainEval:
    """What argparse makes of `jixiao eval PACK EVIDENCE` with nothing else on the line — the
    command evaluators run most — without importing argparse (with the gettext and locale
    modules it brings, 1.5 ms of a 33 ms warm run). tests/test_cli.py holds every attribute
    equal to the eval parser's, so an option added there fails the test until it is added here.
    The parser itself is built only when a usage error needs its usage line."""

    def __init__(self, pack: str, evidence: str) -> None:
        self.command, self.pack, self.evidence, self.func = "eval", pack, evidence, cmd_eval
        self.color = "auto"
        self.import_path: list[str] = []
        self.allow_dir: list[str] = []
        self.batch = self.output = self.summary = self.weight_by = self.jobs = None
        self.format = self.lang = None
        self.partial = self.points_only = False
        self.engine, self.scheduler = "local", None
        self.explain = None

    @property
    def parser(self) -> argparse.ArgumentParser:
        _argparse_language()
        parser: argparse.ArgumentParser = (
            build_parser("eval").parse_args(["eval", self.pack, self.evidence]).parser
        )
        return parser


def _argparse_language() -> None:
    """argparse's own words in the chosen language: built only when argparse parses (a plain
    `eval PACK EVIDENCE` does not, and a Chinese one need not load the catalogue for it)."""
    if lang.current() == "zh":
        from .common.i18n import speak_argparse

        speak_argparse()
    elif "jixiao.engine.common.i18n" in sys.modules:  # a Chinese run before, in this process
        sys.modules["jixiao.engine.common.i18n"].quiet_argparse()


def _plain_eval(argv: Sequence[str]) -> argparse.Namespace | None:
    """The parsed line when it is a plain `eval PACK EVIDENCE` (no option, no `-` argument that
    argparse could read as one), else None: argparse parses it."""
    if len(argv) == 3 and argv[0] == "eval" and not any(a.startswith("-") for a in argv[1:]):
        # duck-typed: the commands read a Namespace's attributes only
        return _PlainEval(argv[1], argv[2])  # type: ignore[return-value]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _encodable_streams()
    lang.choose(_lang_given(argv))
    args = _plain_eval(argv)
    if args is None:
        _argparse_language()
        # `jixiao eval …` needs only the eval parser; anything else (`--help`, a typo) gets all
        parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
        if lang.current() == "zh":
            from .common.i18n import translate_help

            translate_help(parser)
        args, extra = parser.parse_known_args(argv)
        if extra:  # the command's own usage, not the top-level one
            own: argparse.ArgumentParser = getattr(args, "parser", parser)
            own.error(say(f"unrecognized arguments: {' '.join(extra)}"))
    if getattr(args, "import_path", None):
        # through the environment, so batch workers in other processes resolve imports alike;
        # restored afterwards, so a caller of `main` in the same process is left as it was
        before = os.environ.get("JIXIAO_PATH")
        os.environ["JIXIAO_PATH"] = os.pathsep.join([*args.import_path, *filter(None, [before])])
        try:
            return _confined(args)
        finally:
            if before is None:
                del os.environ["JIXIAO_PATH"]
            else:
                os.environ["JIXIAO_PATH"] = before
    return _confined(args)


def _confined(args: argparse.Namespace) -> int:
    if getattr(args, "allow_dir", None):
        from .runtime import files

        token = files.set_allowed(args.allow_dir)
        try:
            return _dispatch(args)
        finally:
            files.reset_allowed(token)
    return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        code: int = args.func(args)
        return code
    except KeyboardInterrupt:
        sys.stderr.write(say("interrupted\n"))
        _stop_now(130)
    except BrokenPipeError:
        _stop_now(EXIT_OK)
    except Exception as exc:
        sys.stderr.write(
            say(
                f"internal error: {type(exc).__name__}: {exc}\n"
                "  = help: this is a bug in jixiao, not in your pack; please report it with the "
                "pack and evidence that caused it\n"
            )
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
