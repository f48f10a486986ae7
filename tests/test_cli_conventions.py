"""The command line's conventions (issue #15 items 5 and 6), each tried as a user would: machine
output on standard output, several packs and patterns, `test` over folders with `-k` and JUnit
XML, `verify` JSON, `--output` naming its format, options out of their mode refused, each
command's own usage, file errors named, `selfeval --param` checked, progress only on a terminal.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, ROOT, cli

PACK, EVIDENCE = str(FOUNDING_PACK), str(FOUNDING_EVIDENCE)
SUITE = ROOT / "rules" / "video-conference-2017.test.yaml"
SELFEVAL_DEFECTS = ROOT / "evidence" / "selfeval" / "defects.xlsx"
BROKEN = 'fact a: bool\nindicator A "a" 2 { full when b }\n'


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    """A folder of two packs that check and their test files, and a sub-folder with a third."""
    folder = tmp_path / "rules"
    (folder / "more").mkdir(parents=True)
    for target in (folder / "a.jx", folder / "b.jx", folder / "more" / "c.jx"):
        shutil.copy(FOUNDING_PACK, target)
        text = SUITE.read_text(encoding="utf-8").replace(
            "../evidence/", f"{FOUNDING_EVIDENCE.parent.as_posix()}/"
        )
        target.with_name(target.stem + ".test.yaml").write_text(text, encoding="utf-8")
    return folder


# ----- machine output on standard output --------------------------------------------------------


def test_check_json_with_errors_is_on_stdout_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jx"
    bad.write_text(BROKEN, encoding="utf-8")
    code, out, err = cli("check", str(bad), PACK, "--format", "json")
    doc = json.loads(out)  # one document, whatever the number of packs
    assert code == 1 and err == ""
    assert "E201" in [d["code"] for d in doc if d["severity"] == "error"]
    assert {d["file"] for d in doc} == {str(bad)}


def test_verify_json(tmp_path: Path) -> None:
    code, out, _ = cli(
        "verify", PACK, "--examples", "3", "--format", "json", "--out", str(tmp_path)
    )
    doc = json.loads(out)
    assert code == 0 and doc["failed"] == 0 and doc["passed"] == len(doc["properties"]) > 3
    assert all(p["ok"] and p["counterexample"] is None for p in doc["properties"])


def test_verify_json_of_a_pack_that_does_not_check(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jx"
    bad.write_text(BROKEN, encoding="utf-8")
    code, out, _ = cli("verify", str(bad), "--format", "json")
    assert code == 1 and "E201" in [d["code"] for d in json.loads(out)["diagnostics"]]


def test_test_json_on_stdout(packs: Path) -> None:
    code, out, _ = cli("test", str(packs / "a.jx"), "--format", "json")
    assert code == 0 and json.loads(out)["passed"] == 12  # one file: the document as before
    code, out, _ = cli("test", str(packs), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and len(doc["suites"]) == 3 and doc["passed"] == 36 and doc["failed"] == 0


# ----- several packs, folders and patterns ------------------------------------------------------


def test_check_several_packs_patterns_and_folders(packs: Path, tmp_path: Path) -> None:
    code, out, err = cli("check", str(packs / "a.jx"), str(packs / "b.jx"))
    assert code == 0 and out.count("ok: ") == 2 and err == ""
    # a pattern the shell did not expand (Windows' shells do not; a quoted one neither)
    code, out, _ = cli("check", str(packs / "*.jx"))
    assert code == 0 and out.count("ok: ") == 2
    code, out, _ = cli("check", str(packs / "**" / "*.jx"))
    assert code == 0 and out.count("ok: ") == 3
    code, out, _ = cli("check", str(packs))  # a folder: the packs under it
    assert code == 0 and out.count("ok: ") == 3
    bad = packs / "bad.jx"
    bad.write_text(BROKEN, encoding="utf-8")
    code, out, err = cli("check", str(packs / "*.jx"))  # the good ones are still checked
    assert code == 1 and out.count("ok: ") == 2 and "E201" in err and "bad.jx" in err


@pytest.mark.parametrize("command", ["check", "fmt", "test"])
def test_a_pattern_or_folder_that_names_nothing(tmp_path: Path, command: str) -> None:
    for path in (tmp_path / "none-*.jx", tmp_path):
        code, _, err = cli(command, str(path))
        assert code == 1 and "E740" in err and str(path) in err and "Traceback" not in err


def test_fmt_several_packs_and_a_pattern(tmp_path: Path) -> None:
    for name in ("a.jx", "b.jx"):
        (tmp_path / name).write_text('pack "p" { total 2 }\nfact  a : bool\n', encoding="utf-8")
    code, out, _ = cli("fmt", "--check", str(tmp_path / "*.jx"))
    assert code == 1 and out.count("(formatted)") == 2
    code, _, err = cli("fmt", str(tmp_path / "*.jx"))
    assert code == 0 and err.count("formatted ") == 2
    assert cli("fmt", "--check", str(tmp_path))[0] == 0


def test_fmt_check_of_standard_input_checks_instead_of_printing() -> None:
    """`--check` did nothing with `-`: the formatted pack was printed and the exit was 0."""
    code, out, _ = cli("fmt", "--check", "-", stdin='pack "p" { total 2 }\nfact  a : bool\n')
    assert code == 1 and out.startswith("---") and "(formatted)" in out
    code, out, _ = cli("fmt", "--check", "-", stdin=FOUNDING_PACK.read_text(encoding="utf-8"))
    assert code == 0 and out == ""


# ----- test: folders, -k, JUnit XML -------------------------------------------------------------


def test_test_over_a_folder_a_pattern_and_a_test_file(packs: Path) -> None:
    code, out, _ = cli("test", str(packs))
    assert code == 0 and out.count("12 passed, 0 failed") == 3
    assert "3 test files: 36 passed, 0 failed" in out
    code, out, _ = cli("test", str(packs / "*.jx"))
    assert code == 0 and out.count("12 passed") == 2
    code, out, _ = cli("test", str(packs / "b.test.yaml"))  # alone: its pack beside it
    assert code == 0 and f"test {packs / 'b.test.yaml'}" in out
    code, out, _ = cli("test", str(packs / "a.jx"), str(packs / "b.test.yaml"))  # PACK TESTS
    assert code == 0 and f"test {packs / 'b.test.yaml'}" in out and out.count("test ") == 1


@pytest.mark.parametrize(
    ("expr", "cases"),
    [
        ("正常率", {"设备运行正常率达到95%", "设备运行正常率低于90%"}),
        ("正常率 and 低于", {"设备运行正常率低于90%"}),
        ("正常率 and not 低于", {"设备运行正常率达到95%"}),
        (
            "（扣完为止 or 正常率） and not 违规",
            {"各项均未达标，扣完为止", "设备运行正常率达到95%", "设备运行正常率低于90%"},
        ),
        ("video-conference", None),  # the test file's name: every case
        (
            "'表5' or 中文数字",
            {"发布的得分表（表5）", "中文数字按位读取", "有歧义的中文数字拒绝而不猜测"},
        ),
    ],
)
def test_k_selects_cases(expr: str, cases: set[str] | None) -> None:
    import yaml

    names = [c["name"] for c in yaml.safe_load(SUITE.read_text(encoding="utf-8"))["cases"]]
    code, out, _ = cli("test", PACK, "-k", expr, "--format", "json")
    doc = json.loads(out)
    run = {c["name"] for c in doc["cases"]}
    assert code == 0 and run == (cases if cases is not None else set(names)), run
    assert doc.get("deselected", 0) == len(names) - len(run)


@pytest.mark.parametrize("expr", ["", "a and", "(a", "a b", "not", "a or or b", "'a", ")"])
def test_k_that_cannot_be_read_is_a_usage_error_of_test(expr: str) -> None:
    code, out, err = cli("test", PACK, "-k", expr)
    assert code == 2 and "usage: jixiao test" in err and "-k" in err and out == ""


def test_k_selecting_nothing_fails() -> None:
    code, _, err = cli("test", PACK, "-k", "没有这个用例")
    assert code == 1 and "E743" in err and "12 cases" in err


@given(st.text(max_size=30))
def test_k_never_fails_but_as_a_selection_error(expr: str) -> None:
    """Any text is a matcher or a SelectionError — never another exception, never evaluated."""
    from jixiao.engine.tools.testselect import SelectionError, selector

    try:
        matcher = selector(expr)
    except SelectionError:
        return
    assert matcher("名称", "x.test.yaml") in (True, False)


def test_k_is_no_python() -> None:
    from jixiao.engine.tools.testselect import SelectionError, selector

    assert not selector("__import__")("case", "file")  # a word like any other
    assert selector("not __import__")("case", "file")
    with pytest.raises(SelectionError):
        selector("__import__('os').system('true')")
    with pytest.raises(SelectionError):
        selector("正常率 AND 低于")  # keywords are lower-case, as pytest's: `AND` is a word


def test_junit_xml(packs: Path, tmp_path: Path) -> None:
    suite = packs / "a.test.yaml"
    suite.write_text(
        suite.read_text(encoding="utf-8").replace("total: 87.74", "total: 88", 1),
        encoding="utf-8",
    )
    (packs / "more" / "c.test.yaml").write_text("cases: 3\n", encoding="utf-8")
    report = tmp_path / "junit.xml"
    code, _, _ = cli("test", str(packs), "--junit-xml", str(report), "-k", "not 缺少")
    assert code == 1
    first = report.read_bytes()
    root = ET.fromstring(first)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {
        str(packs / n) for n in ("a.test.yaml", "b.test.yaml", "more/c.test.yaml")
    }
    a = suites[str(packs / "a.test.yaml")]
    assert a.get("failures") == "1" and a.get("errors") == "0"
    failure = next(c for c in a.iter("testcase") if c.find("failure") is not None)
    assert failure.get("name") == "发布的得分表（表5）" and failure.get("classname") == "a"
    assert "expected 88, got 87.74" in (failure.find("failure").text or "")  # type: ignore[union-attr]
    assert not any("缺少" in (c.get("name") or "") for c in root.iter("testcase"))
    c = suites[str(packs / "more" / "c.test.yaml")]
    assert c.get("errors") == "1" and "E701" in (c.find("testcase/error").get("message") or "")  # type: ignore[union-attr]
    cli("test", str(packs), "--junit-xml", str(report), "-k", "not 缺少")
    assert report.read_bytes() == first  # no times or host names: the same bytes


def test_junit_xml_never_over_an_input(packs: Path) -> None:
    suite = packs / "a.test.yaml"
    before = suite.read_bytes()
    code, _, err = cli("test", str(packs / "a.jx"), "--junit-xml", str(packs / "a.jx"))
    assert code == 1 and "E680" in err and suite.read_bytes() == before


# ----- file errors named cleanly ----------------------------------------------------------------


def test_a_missing_test_file_is_named_with_what_to_do(tmp_path: Path) -> None:
    """It was `cannot read test file …: [Errno 2] No such file or directory: '…'`."""
    missing = tmp_path / "none.test.yaml"
    code, _, err = cli("test", PACK, str(missing))
    assert code == 1 and "E741" in err and str(missing) in err and "Errno" not in err
    lone = tmp_path / "p.jx"
    shutil.copy(FOUNDING_PACK, lone)
    code, _, err = cli("test", str(lone))
    assert code == 1 and "E741" in err and "p.test.yaml" in err and "jixiao test" in err
    code, _, err = cli("test", str(missing))
    assert code == 1 and "E741" in err and "Errno" not in err


def test_a_test_file_whose_evidence_is_missing(tmp_path: Path) -> None:
    suite = tmp_path / "p.test.yaml"
    suite.write_text("evidence: none.yaml\ncases:\n  - name: x\n", encoding="utf-8")
    code, out, err = cli("test", PACK, str(suite))
    assert code == 1 and "none.yaml" in out + err and "Errno" not in out + err


def test_a_test_file_that_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "x.yaml"
    folder.mkdir()
    code, _, err = cli("test", PACK, str(folder))  # a folder of test files: it holds none
    assert code == 1 and "E740" in err and str(folder) in err and "Errno" not in err


def test_a_missing_selfeval_template_is_named(tmp_path: Path) -> None:
    """The error named the table, not the template that was missing."""
    missing = tmp_path / "t.jx"
    code, _, err = cli("selfeval", str(SELFEVAL_DEFECTS), "--template", str(missing))
    assert code == 1 and str(missing) in err and "no such file" in err
    assert "defects.xlsx" not in err


# ----- --output names its format ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        (".json", lambda b: json.loads(b)["total"] == "87.74"),
        (".JSON", lambda b: json.loads(b)["total"] == "87.74"),
        (".md", lambda b: b.startswith(b"#") and b"87.74" in b),
        (".html", lambda b: b.startswith(b"<!DOCTYPE html>")),
        (".htm", lambda b: b.startswith(b"<!DOCTYPE html>")),
        (".txt", lambda b: "评价等级：良".encode() in b),
        (".xlsx", lambda b: b.startswith(b"PK")),
    ],
)
def test_output_infers_its_format(tmp_path: Path, suffix: str, check: object) -> None:
    out = tmp_path / f"report{suffix}"
    code, stdout, _ = cli("eval", PACK, EVIDENCE, "--output", str(out))
    assert code == 0 and stdout == "" and check(out.read_bytes())  # type: ignore[operator]


def test_every_registered_format_has_a_suffix_and_is_a_format_choice() -> None:
    from jixiao.engine.render.outputs import FORMAT_NAMES, OUTPUTS, format_of

    for output in OUTPUTS:
        assert output.suffixes and all(format_of(f"r{s}") == output.name for s in output.suffixes)
    help_text = cli("eval", "--help")[1]
    assert f"{{{','.join(FORMAT_NAMES)}}}" in help_text


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("json", "r.xlsx"), ("html", "r.json"), ("table", "r.html"), ("xlsx", "r.md")],
)
def test_format_contradicting_output_is_a_usage_error(tmp_path: Path, fmt: str, name: str) -> None:
    """`--format json --output x.xlsx` quietly wrote XLSX."""
    out = tmp_path / name
    code, _, err = cli("eval", PACK, EVIDENCE, "--format", fmt, "--output", str(out))
    assert code == 2 and f"--format {fmt}" in err and str(out) in err
    assert "usage: jixiao eval" in err and not out.exists()


def test_format_agreeing_with_output_or_an_unknown_suffix(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert cli("eval", PACK, EVIDENCE, "--format", "json", "--output", str(out))[0] == 0
    out = tmp_path / "r.data"  # a suffix that says nothing: --format says it
    assert cli("eval", PACK, EVIDENCE, "--format", "json", "--output", str(out))[0] == 0
    assert json.loads(out.read_text(encoding="utf-8"))["grade"] == "良"
    out = tmp_path / "r.pdf"
    code, _, err = cli("eval", PACK, EVIDENCE, "--output", str(out))
    assert code == 2 and "r.pdf" in err and ".json" in err and not out.exists()


def test_a_file_format_needs_output() -> None:
    code, out, err = cli("eval", PACK, EVIDENCE, "--format", "xlsx")
    assert code == 2 and "--output FILE.xlsx" in err and out == ""


# ----- options that do nothing in a mode --------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ("--summary", "s.html"),
        ("--summary", "s.json"),
        ("--jobs", "2"),
    ],
)
def test_batch_options_without_batch_are_usage_errors(
    tmp_path: Path, extra: tuple[str, str]
) -> None:
    """`--summary` without `--batch` was ignored with exit 0."""
    code, out, err = cli("eval", PACK, EVIDENCE, *extra)
    assert code == 2 and extra[0] in err and "--batch" in err and "usage: jixiao eval" in err
    assert out == ""


@pytest.mark.parametrize(
    # `--lang` is not among them: it is the language of every command's messages, a
    # portfolio's included (tests/test_i18n.py)
    "extra",
    [("--format", "json"), (EVIDENCE,), ("--format", "table")],
)
def test_single_report_options_with_batch_are_usage_errors(
    tmp_path: Path, extra: tuple[str, ...]
) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    shutil.copy(FOUNDING_EVIDENCE, folder / "a.yaml")
    code, out, err = cli("eval", PACK, "--batch", str(folder), *extra)
    assert code == 2 and "--batch" in err and "usage: jixiao eval" in err and out == ""


@pytest.mark.parametrize(
    "args",
    [
        ("check", PACK, "--explain", "E201"),
        ("check", "--explain", "E201", "--format", "json"),
        ("test", PACK, "--verbose", "--format", "json"),
    ],
)
def test_options_that_do_nothing_together(args: tuple[str, ...]) -> None:
    code, out, err = cli(*args)
    assert code == 2 and f"usage: jixiao {args[0]}" in err and out == ""


# ----- each command's own usage -----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("check", PACK, "--bogus"),
        ("eval", PACK, EVIDENCE, "extra.yaml"),
        ("test", PACK, "--nope"),
        ("verify", PACK, "--frob"),
        ("schema", PACK, "more"),
        ("selfeval", "t.xlsx", "--x"),
        ("fmt", PACK, "--y"),
        ("eval", PACK),
        ("eval", "e.yaml", "p.jx"),
        ("check",),
        ("check", "--explain", "E999"),
    ],
)
def test_usage_errors_show_the_commands_own_usage(args: tuple[str, ...]) -> None:
    """Unrecognised arguments printed the top-level usage (`jixiao [-h] [--version] COMMAND`)."""
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    assert f"usage: jixiao {args[0]}" in err and "COMMAND ..." not in err
    assert f"jixiao {args[0]}: error:" in err


# ----- selfeval --param and findings ------------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "said"),
    [
        ("部分达成下=50%", "did you mean `部分达成下限`"),
        ("预算执行率=20", "did you mean `预算执行率分值`"),
        ("全无关系=1", "the template's parameters are"),
        ("预算执行率分值=abc", "not a number"),
        ("预算执行率分值=二十", None),  # a Chinese numeral is a number: accepted
        ("部分达成下限=abc", "not a percentage"),
        ("部分达成下限=150%", "outside the domain"),
        ("预算执行率分值=0", "more than 0"),
        ("预算执行率分值", "NAME=VALUE"),
        ("=5", "NAME=VALUE"),
    ],
)
def test_selfeval_params_are_checked(param: str, said: str | None) -> None:
    """An unknown name was accepted silently; `=abc` for a number was exit 3."""
    code, _, err = cli("selfeval", str(SELFEVAL_DEFECTS), "--param", param)
    assert "internal error" not in err and "Traceback" not in err
    if said is None:
        assert code == 1  # the table's own findings
    else:
        assert code == 2 and said in err and "usage: jixiao selfeval" in err


def test_selfeval_param_given_twice() -> None:
    code, _, err = cli(
        "selfeval", str(SELFEVAL_DEFECTS), "--param", "达成下限=80%", "--param", "达成下限=70%"
    )
    assert code == 2 and "twice" in err


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html"])
def test_selfeval_findings_in_every_format(fmt: str) -> None:
    """`--format html|markdown` left out the S1–S6 findings."""
    _, text_out, _ = cli("selfeval", str(SELFEVAL_DEFECTS))
    code, out, _ = cli("selfeval", str(SELFEVAL_DEFECTS), "--format", fmt)
    assert code == 1
    codes = {"S3", "S4", "S9"}
    assert all(f"[{c}]" in text_out for c in codes)
    if fmt == "json":
        assert codes <= {f["code"] for f in json.loads(out)["findings"]}
    else:
        assert all(c in out for c in codes)
        assert "自评表!H4" in out  # by cell
    if fmt in ("markdown", "html"):
        assert "发现的问题" in out


# ----- progress ---------------------------------------------------------------------------------


def _folder_portfolio(tmp_path: Path, n: int = 3) -> Path:
    folder = tmp_path / "projects"
    folder.mkdir()
    for i in range(n):
        shutil.copy(FOUNDING_EVIDENCE, folder / f"p{i}.yaml")
    return folder


def test_no_progress_text_when_not_a_terminal(tmp_path: Path) -> None:
    code, _, err = cli("eval", PACK, "--batch", str(_folder_portfolio(tmp_path)))
    assert code == 0 and "\r" not in err and "%" not in err and "scored 3/" not in err
    assert err.endswith("3 projects: 3 scored, 0 failed\n")


def test_progress_on_a_terminal_has_percentage_rate_and_time_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from jixiao.engine.cli import main

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err, out = Terminal(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", out)
    code = main(["eval", PACK, "--batch", str(_folder_portfolio(tmp_path))])
    shown = err.getvalue()
    assert code == 0 and "100%" in shown and "3/3" in shown
    assert "projects/s" in shown and "<00:00" in shown  # rate, and elapsed<left
    assert shown.endswith("3 projects: 3 scored, 0 failed\n")


def test_tqdm_is_imported_only_for_a_batch_on_a_terminal(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; from jixiao.engine.cli import main; "
        "main(sys.argv[1:]); print('tqdm' in sys.modules)"
    )
    batch = ["eval", PACK, "--batch", str(_folder_portfolio(tmp_path))]
    for args in (["eval", PACK, EVIDENCE], batch):
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
        )
        assert proc.stdout.strip().splitlines()[-1] == "False"


# ----- more of the same classes -----------------------------------------------------------------


def test_eval_json_that_scores_nothing_is_still_json_on_stdout(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jx"
    bad.write_text(BROKEN, encoding="utf-8")
    evidence = tmp_path / "e.yaml"
    evidence.write_text("- a\n", encoding="utf-8")
    for args in ((str(bad), EVIDENCE), (PACK, str(evidence)), (str(tmp_path / "no.jx"), EVIDENCE)):
        code, out, err = cli("eval", *args, "--format", "json")
        doc = json.loads(out)
        assert code == 1 and doc["total"] is None and doc["diagnostics"] and "error[" in err


def test_selfeval_json_that_scores_nothing_is_still_json_on_stdout(tmp_path: Path) -> None:
    code, out, _ = cli("selfeval", str(tmp_path / "none.xlsx"), "--format", "json")
    assert code == 1 and json.loads(out)["diagnostics"][0]["code"] == "E630"


@pytest.mark.parametrize("value", ["nan", "inf", "150", "-1", "abc", "1e999999"])
def test_coverage_min_is_a_percentage(value: str) -> None:
    """`--coverage-min nan` was an internal error (exit 3)."""
    code, _, err = cli("test", PACK, "--coverage-min", value)
    assert code == 2 and "--coverage-min" in err and "internal error" not in err


def test_coverage_min_reached_or_not() -> None:
    assert cli("test", PACK, "--coverage-min", "95%")[0] == 0
    code, _, err = cli("test", PACK, "--coverage-min", "100", "-k", "发布")
    assert code == 1 and "is below --coverage-min 100" in err


@pytest.mark.parametrize(
    ("option", "name"),
    [("--output", "r.html"), ("--output", "r.md"), ("--summary", "s.csv"), ("--summary", "s.xlsx")],
)
def test_batch_outputs_named_for_another_format(tmp_path: Path, option: str, name: str) -> None:
    """`--batch … --output r.html` wrote JSON lines into r.html."""
    out = tmp_path / name
    code, stdout, err = cli(
        "eval", PACK, "--batch", str(_folder_portfolio(tmp_path)), option, str(out)
    )
    assert code == 2 and name in err and "usage: jixiao eval" in err and not out.exists()
    assert stdout == "" and "scored" not in err


def test_selfeval_output_names_a_table(tmp_path: Path) -> None:
    """`selfeval --output x.json` wrote a workbook into x.json."""
    out = tmp_path / "x.json"
    code, _, err = cli("selfeval", str(SELFEVAL_DEFECTS), "--output", str(out))
    assert code == 2 and ".csv" in err and ".xlsx" in err and not out.exists()


def test_a_pack_pairs_only_with_a_test_file_named_after_it(packs: Path) -> None:
    """`test a.jx rules/` must not test a.jx with the folder's first test file."""
    other = packs.parent / "x.jx"
    shutil.copy(FOUNDING_PACK, other)
    code, _, err = cli("test", str(other), str(packs))
    assert code == 1 and "E741" in err and "x.test.yaml" in err
    code, out, _ = cli("test", str(packs), str(packs / "a.jx"), str(packs / "a.test.yaml"))
    assert code == 0 and out.count("12 passed, 0 failed") == 3  # each pair once


@pytest.mark.parametrize("expr", ["(" * 5000 + "a" + ")" * 5000, "not " * 5000 + "a"])
def test_k_nested_deeply_is_refused_not_a_crash(expr: str) -> None:
    code, _, err = cli("test", PACK, "-k", expr)
    assert code == 2 and "nested more than 50" in err and "internal error" not in err


def test_k_long_flat_expression_is_fine() -> None:
    code, _, _ = cli("test", PACK, "-k", " or ".join(["没有"] * 3000 + ["发布"]))
    assert code == 0


def test_junit_xml_never_over_the_test_file_found_beside_the_pack(packs: Path) -> None:
    suite = packs / "a.test.yaml"
    before = suite.read_bytes()
    code, _, err = cli("test", str(packs / "a.jx"), "--junit-xml", str(suite))
    assert code == 1 and "E680" in err and suite.read_bytes() == before


def test_a_pattern_takes_the_files_of_the_command(packs: Path) -> None:
    """`check rules/*` checks the packs, not the test files beside them (nor folders)."""
    code, out, err = cli("check", str(packs / "*"))
    assert code == 0 and out.count("ok: ") == 2 and err == ""
    code, out, _ = cli("test", str(packs / "*"))
    assert code == 0 and out.count("12 passed") == 2  # a.jx with a.test.yaml: once each
