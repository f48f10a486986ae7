"""The `jixiao` command: argument parsing, exit codes and output streams — nothing else.

Exit codes: 0 success; 1 the pack or the evidence has errors (every one printed, with file, line
and column); 2 usage errors (argparse's own); 3 an internal error, reported as such — never a
Python traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors, render_json, render_text
from jixiao.dsl.source import DecodeError, Source

from . import compile_pack, load_pack, run
from .common.version import VERSION
from .render import FORMATS, render

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from .common.result import Result

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from typing import Any, TextIO


def path_of(*parts: str) -> pathlib.Path:
    """A `pathlib.Path`, with pathlib imported only by the commands that need it (a warm
    `jixiao eval` of one file does not: pathlib and what it imports cost it 4 ms)."""
    import pathlib

    return pathlib.Path(*parts)


if TYPE_CHECKING:
    import pathlib

    from jixiao.dsl import ast

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
    if fmt == "json":
        sys.stderr.write(render_json(diagnostics))
    else:
        sys.stderr.write(render_text(diagnostics, colour=_colour(sys.stderr, args.color)))


def cmd_batch(args: argparse.Namespace) -> int:
    from .render.outputs import refuse, write_text, writing
    from .tools import portfolio_report as portfolio
    from .tools.batch import Writer, read_folder, read_table, run_blocks
    from .tools.portfolio import Summary, file_digest

    try:
        refuse(
            {"--output": args.output, "--summary": args.summary},
            [("the pack", args.pack), ("the portfolio", args.batch)],
        )
        plan, warnings = compile_pack(args.pack)
        source = path_of(args.batch)
        if source.is_dir():
            rows, count, diags = read_folder(source)
        elif source.exists():
            rows, count, diags = read_table(source, plan.program)
        else:
            from .common import messages

            raise JixiaoError([messages.evidence_unreadable(str(source), "no such file")])
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    _report([*warnings, *diags], args)
    output = args.output or "-"
    try:
        with writing("--output", output):
            writer = Writer(path_of(args.output) if args.output else None, plan.program)
        summary = Summary(plan.program, input_path=str(source), input_sha256=file_digest(source))
        progress = sys.stderr.isatty()
        done = 0
        blocks = run_blocks(
            plan, args.pack, rows, str(source), count, args.jobs, writer.json_sha256
        )
        for records, tally in blocks:
            for record in records:
                with writing("--output", output):
                    line = writer.write(record)
                if line is not None:
                    sys.stdout.write(line)
                if record.total is None:
                    sys.stderr.write(f"project {record.id}: " + "；".join(record.errors) + "\n")
            summary.merge(tally)
            done += len(records)
            if progress:
                sys.stderr.write(f"\rscored {done}/{count or '?'}")
                sys.stderr.flush()
        if progress:
            sys.stderr.write("\n")
        with writing("--output", output):
            writer.close()
        if args.summary:
            suffix = os.path.splitext(args.summary)[1].lower()
            text = (
                portfolio.render_html(summary)
                if suffix in (".html", ".htm")
                else portfolio.render_markdown(summary)
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
    sys.stderr.write(f"{summary.projects} {noun}: {scored} scored, {summary.failed} failed\n")
    return EXIT_ERRORS if summary.failed else EXIT_OK


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
    if args.batch:
        return cmd_batch(args)
    if not args.evidence:
        sys.stderr.write("jixiao eval: give an EVIDENCE file, or --batch FILE|FOLDER\n")
        return EXIT_USAGE
    if os.path.splitext(args.pack)[1].lower() in (".yaml", ".yml", ".json") and (
        args.evidence.endswith(".jx")
    ):
        sys.stderr.write("jixiao eval: the pack comes first: jixiao eval PACK.jx EVIDENCE.yaml\n")
        return EXIT_USAGE
    if args.format in ("xlsx", "docx") and not args.output:
        sys.stderr.write(
            f"jixiao eval: --format {args.format} writes a file; name it with --output "
            f"FILE.{args.format}\n"
        )
        return EXIT_USAGE
    try:
        if args.output:  # only then: a warm eval to standard output imports nothing for it
            from .render.outputs import refuse

            refuse(
                {"--output": args.output},
                [("the pack", args.pack), ("the evidence", args.evidence)],
                naming=[("the evidence", args.evidence)],  # its survey responses
            )
        plan, warnings = compile_pack(args.pack, use_cache=True)
        result = run(plan, args.evidence)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    _report([*warnings, *result.diagnostics], args)
    if args.output:
        from .render.outputs import write_text, writing

        try:
            if args.format == "docx" or args.output.lower().endswith(".docx"):
                from .render import docx

                with writing("--output", args.output):
                    docx.write(
                        result, path_of(args.output), args.lang, total_reason(result, args.lang)
                    )
            elif args.format == "xlsx" or args.output.lower().endswith(".xlsx"):
                from .render import xlsx

                with writing("--output", args.output):
                    xlsx.write(
                        result, path_of(args.output), args.lang, total_reason(result, args.lang)
                    )
            else:
                text = _with_total_reason(render(result, args.format, args.lang), result, args)
                write_text("--output", args.output, text)
        except JixiaoError as exc:
            _report(exc.diagnostics, args)
            return EXIT_ERRORS
    else:
        sys.stdout.write(_with_total_reason(render(result, args.format, args.lang), result, args))
    failed = has_errors(result.diagnostics) or result.total is None
    return EXIT_ERRORS if failed else EXIT_OK


def total_reason(result: Result, lang: str) -> str | None:
    """Why a scored record has no total, in one line; None when it has one. The JSON report
    says it with `total: null` and its `diagnostics`."""
    if result.total is not None:
        return None
    undecided = [i.code for i in result.indicators if i.points is None and i.failures]
    errors = sum(1 for d in result.diagnostics if d.is_error)
    if lang == "en":
        parts = [f"{errors} error(s) in the evidence or evaluation"] if errors else []
        if undecided:
            parts.append(f"undecided: {', '.join(undecided)}")
        return "no total: " + ("; ".join(parts) or "nothing applicable was scored")
    parts = [f"证据或计分有 {errors} 处错误"] if errors else []
    if undecided:
        parts.append(f"未能计分的指标：{'、'.join(undecided)}")
    return "无总分：" + ("；".join(parts) or "没有可计分的指标")


def _with_total_reason(text: str, result: Result, args: argparse.Namespace) -> str:
    """The report with the reason for a missing total: never a bare "—"."""
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


def cmd_explain(code: str) -> int:
    """Print the entry of docs/diagnostics.md (shipped in the package) for one code."""
    code = code.upper()
    try:
        from importlib import resources

        text = resources.files(__package__).joinpath("diagnostics.md").read_text(encoding="utf-8")
    except OSError:  # pragma: no cover - a broken install
        text = ""
    entry = re.search(rf"^## {re.escape(code)}:.*?(?=^## |\Z)", text, re.M | re.S)
    if entry is None:
        known = sorted(set(re.findall(r"^## ([EW]\d{3}):", text, re.M)))
        sys.stderr.write(f"jixiao: no diagnostic `{code}`; the codes are {', '.join(known)}\n")
        return EXIT_USAGE
    sys.stdout.write(entry.group(0).rstrip("\n") + "\n")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    if args.explain:
        return cmd_explain(args.explain)
    if not args.pack:
        sys.stderr.write("jixiao check: give a PACK to check, or --explain CODE\n")
        return EXIT_USAGE
    try:
        plan, warnings = compile_pack(args.pack)
    except JixiaoError as exc:
        _report(exc.diagnostics, args, args.format)
        return EXIT_ERRORS
    if args.format == "json":
        sys.stdout.write(render_json(warnings))
        return EXIT_OK
    _report(warnings, args)
    program = plan.program
    leaves = sum(1 for i in program.indicators if i.is_leaf)
    if not program.indicators:  # a library (checked: E434 refuses any other pack without one)
        sys.stdout.write(
            f"ok: {args.pack}: a library — {len(program.facts)} facts and parameters, "
            f"{len(program.derived)} derived facts, no indicators; `eval` scores only a pack "
            "that adds its indicators\n"
        )
        return EXIT_OK
    sys.stdout.write(
        f"ok: {args.pack}: {len(program.indicators)} indicators ({leaves} scored leaves), "
        f"{len(program.facts)} facts, {len(program.derived)} derived facts; "
        f"weights add up to {program.settings.total.normalize():f}\n"
    )
    return EXIT_OK


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

    status = EXIT_OK
    for path in args.packs:
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
                f"internal error: {source.path}: {exc}; the file was left unchanged\n"
                "  = help: this is a bug in jixiao's formatter; please report it with the pack\n"
            )
            return EXIT_INTERNAL
        if path == "-":
            sys.stdout.write(text)
            continue
        if text == source.text and source.encoding == "utf-8":
            continue
        if args.check:
            import difflib

            diff = difflib.unified_diff(
                source.text.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"{path} (as is)",
                f"{path} (formatted)",
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
            sys.stderr.write(f"formatted {path}\n")
    return status


def cmd_test(args: argparse.Namespace) -> int:
    from .tools.packtest import (
        SuiteError,
        coverage,
        default_suite_path,
        edges,
        load_suite,
        run_case,
    )
    from .tools.testreport import render_json as test_json
    from .tools.testreport import render_text as test_text

    try:
        plan, warnings = compile_pack(args.pack)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        return EXIT_ERRORS
    _report(warnings, args)
    path = path_of(args.tests) if args.tests else default_suite_path(path_of(args.pack))
    try:
        suite = load_suite(path)
    except SuiteError as exc:
        _report([exc.diagnostic], args)
        return EXIT_ERRORS
    outcomes = [run_case(plan, suite, case) for case in suite.cases]
    cov = coverage(plan, outcomes)
    edge_rows = None
    if args.edges:
        from .tools.packtest import case_evidence

        base = outcomes[0].result if outcomes else None
        evidence, found = (
            case_evidence(plan, suite, suite.cases[0]) if base is not None else (None, [])
        )
        usable = evidence is not None and not has_errors(found)  # never probe partial evidence
        edge_rows = edges(plan, evidence) if evidence is not None and usable else []
    if args.format == "json":
        sys.stdout.write(test_json(suite, outcomes, cov, edge_rows))
    else:
        sys.stdout.write(test_text(suite, outcomes, cov, edge_rows, args.verbose))
    failed = any(not o.passed for o in outcomes)
    below = args.coverage_min is not None and cov.percent < Decimal(str(args.coverage_min))
    if below:
        sys.stderr.write(f"coverage {cov.percent}% is below --coverage-min {args.coverage_min}\n")
    return EXIT_ERRORS if failed or below else EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        from .tools.strategies import evidence_yaml
        from .tools.verify import verify
    except ImportError:
        sys.stderr.write("jixiao verify needs hypothesis: pip install 'jixiao[verify]'\n")
        return EXIT_USAGE
    try:
        plan, warnings = compile_pack(args.pack)
    except JixiaoError as exc:
        _report(exc.diagnostics, args)
        sys.stderr.write("verify: the pack does not check; fix the errors above first\n")
        return EXIT_ERRORS
    _report(warnings, args)
    findings = verify(plan, args.examples)
    out_dir = path_of(args.out)
    stem = path_of(args.pack).name.removesuffix(".jx")
    failed = 0
    for finding in findings:
        if finding.ok:
            sys.stdout.write(f"  ✓ {finding.prop}\n")
            continue
        failed += 1
        sys.stdout.write(f"  ✗ {finding.prop}\n      {finding.detail}\n")
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
            note = f"counterexample: {finding.prop}\n{finding.detail}"
            facts = dict(finding.facts)
            for name, value in (finding.pins or {}).items():
                if name in facts:
                    facts[name] = value  # a fact: the file itself shows the failing value
                else:
                    note += f"\nwith the derived fact {name} = {value}"
            kinds = {n: f.kind for n, f in plan.program.facts.items()}
            try:
                with writing("--out", str(path)):
                    path.write_text(evidence_yaml(facts, note, kinds), encoding="utf-8")
            except JixiaoError as exc:
                _report(exc.diagnostics, args)
                return EXIT_ERRORS
            sys.stdout.write(f"      counterexample evidence: {path}\n")
    passed = len(findings) - failed
    sys.stdout.write(f"{passed} passed, {failed} failed\n")
    return EXIT_ERRORS if failed else EXIT_OK


def cmd_selfeval(args: argparse.Namespace) -> int:
    from .tools import selfeval_run

    return selfeval_run.main(args, _report)


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout, told the terminal's width directly: asking `shutil` for it costs
    a warm `jixiao eval` the import of shutil and its archive modules (3 ms of ~70)."""

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


def _count(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least `least` (a usage error, exit 2, otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"give a number of at least {least}, not {value}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line. With `only`, just that command's parser is built: a warm `jixiao eval`
    should not pay for setting up the other six."""
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
        p_eval = sub.add_parser(
            "eval", parents=[common, confine], help="score an evidence file with a rule pack"
        )
        p_eval.add_argument("pack", help="the rule pack (.jx)")
        p_eval.add_argument("evidence", nargs="?", help="the evidence file (.yaml or .json)")
        p_eval.add_argument(
            "--batch",
            metavar="INPUT",
            help="score a portfolio: a CSV or XLSX sheet (one project per row) or a "
            "folder of evidence files",
        )
        p_eval.add_argument(
            "--output",
            metavar="FILE",
            help="with --batch: per-project results, .jsonl, .csv or .xlsx "
            "(default: JSON lines on standard output)",
        )
        p_eval.add_argument(
            "--summary",
            metavar="FILE",
            help="with --batch: the portfolio summary, .html, .md or .json",
        )
        p_eval.add_argument(
            "--jobs",
            type=_count(0),
            default=0,
            metavar="N",
            help="with --batch: worker processes (default: one per core, up to 4, from 2000 rows)",
        )
        p_eval.add_argument(
            "--format",
            choices=(*FORMATS, "xlsx", "docx"),
            default="table",
            help="report format (default: table)",
        )
        p_eval.add_argument(
            "--lang",
            choices=("zh", "en"),
            default="zh",
            help="language of the report's labels (default: zh)",
        )
        p_eval.set_defaults(func=cmd_eval)

    if only in (None, "check"):
        p_check = sub.add_parser(
            "check", parents=[common], help="check a rule pack without evidence"
        )
        p_check.add_argument("pack", nargs="?", help="the rule pack (.jx)")
        p_check.add_argument(
            "--explain", metavar="CODE", help="print what a diagnostic code means, with an example"
        )
        p_check.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="diagnostics as text or JSON (default: text)",
        )
        p_check.set_defaults(func=cmd_check)

    if only in (None, "test"):
        p_test = sub.add_parser(
            "test",
            parents=[common, confine],
            help="run a pack's example cases, with scoring coverage",
        )
        p_test.add_argument("pack", help="the rule pack (.jx)")
        p_test.add_argument(
            "tests", nargs="?", help="the test file (default: PACK with .test.yaml beside it)"
        )
        p_test.add_argument(
            "--coverage-min", type=float, metavar="N", help="fail when coverage is below N percent"
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
        p_test.set_defaults(func=cmd_test)

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
        p_verify.set_defaults(func=cmd_verify)

    if only in (None, "schema"):
        p_schema = sub.add_parser(
            "schema", parents=[common], help="print the JSON Schema of a pack's evidence"
        )
        p_schema.add_argument("pack", help="the rule pack (.jx)")
        p_schema.set_defaults(func=cmd_schema)

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
        p_self.set_defaults(func=cmd_selfeval)

    if only in (None, "fmt"):
        p_fmt = sub.add_parser("fmt", parents=[common], help="format rule packs canonically")
        p_fmt.add_argument(
            "packs",
            nargs="+",
            metavar="PACK",
            help="packs to rewrite in place; `-` reads standard input",
        )
        p_fmt.add_argument(
            "--check",
            action="store_true",
            help="change nothing; show a diff and exit 1 if a pack is not formatted",
        )
        p_fmt.set_defaults(func=cmd_fmt)
    return parser


COMMANDS = ("eval", "check", "test", "verify", "schema", "selfeval", "fmt")


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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _encodable_streams()
    # `jixiao eval …` needs only the eval parser; anything else (`--help`, a typo) gets them all
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args = parser.parse_args(argv)
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
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        sys.stderr.write(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "  = help: this is a bug in jixiao, not in your pack; please report it with the "
            "pack and evidence that caused it\n"
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
