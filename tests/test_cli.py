"""The command as a user meets it: exit codes, streams, and no traceback for any input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, ROOT, cli


def test_check_ok() -> None:
    code, out, err = cli("check", str(FOUNDING_PACK))
    assert code == 0 and "weights add up to 100" in out and err == ""


def test_check_says_a_library_is_one_and_eval_will_not_score_it() -> None:
    """`ok … weights add up to 100` for a pack of functions alone read as a scorable pack."""
    library = str(ROOT / "rules" / "self-evaluation.jx")
    code, out, _ = cli("check", library)
    assert code == 0 and "a library" in out and "add up" not in out
    code, _, err = cli("eval", library, str(FOUNDING_EVIDENCE))
    assert code == 1 and "E504" in err


def test_check_json_lists_diagnostics(tmp_path: Path) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text('fact a: bool\nindicator A "a" 2 { full when b }', encoding="utf-8")
    code, out, err = cli("check", str(pack), "--format", "json")
    assert code == 1
    # issue #15: machine output on standard output, errors or not (`| jq` must work then)
    assert '"code": "E201"' in out and '"line": 2' in out and err == ""


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("eval",),
        ("eval", "only-pack.jx"),
        ("frobnicate",),
        ("eval", "a", "b", "--format", "pdf"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    code, _, err = cli(*args)
    assert code == 2 and ("usage:" in err or "give an EVIDENCE file" in err)


def test_missing_pack_and_evidence(tmp_path: Path) -> None:
    code, _, err = cli("eval", str(tmp_path / "none.jx"), str(FOUNDING_EVIDENCE))
    assert code == 1 and "E100" in err and "no such file" in err
    code, _, err = cli("eval", str(FOUNDING_PACK), str(tmp_path / "none.yaml"))
    assert code == 1 and "E601" in err and "none.yaml" in err
    code, _, err = cli("eval", str(FOUNDING_PACK), str(tmp_path))
    assert code == 1 and "directory" in err


def test_pack_saved_by_a_windows_editor(tmp_path: Path) -> None:
    text = FOUNDING_PACK.read_text(encoding="utf-8").replace("\n", "\r\n")
    pack = tmp_path / "win.jx"
    pack.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    code, out, _ = cli("eval", str(pack), str(FOUNDING_EVIDENCE))
    assert code == 0 and "87.74" in out


def test_binary_pack(tmp_path: Path) -> None:
    pack = tmp_path / "x.jx"
    pack.write_bytes(b"\x7fELF\x00\x00")
    code, _, err = cli("check", str(pack))
    assert code == 1 and "binary" in err and "Traceback" not in err


def test_evaluation_failure_prints_partial_table_and_exits_1(tmp_path: Path) -> None:
    evidence = tmp_path / "e.yaml"
    text = FOUNDING_EVIDENCE.read_text(encoding="utf-8")
    evidence.write_text(
        "\n".join(ln for ln in text.splitlines() if not ln.strip().startswith("设备运行正常率")),
        encoding="utf-8",
    )
    code, out, err = cli("eval", str(FOUNDING_PACK), str(evidence))
    assert code == 1 and "E605" in err and "`C2.2.4`" in err
    assert "C2.2.4 设施完备性" in out and "—" in out  # scored what it could, no total


def test_colour_only_when_asked() -> None:
    _, _, err = cli("check", "nope.jx", "--color", "always")
    assert "\x1b[" in err
    _, _, err = cli("check", "nope.jx")
    assert "\x1b[" not in err


def test_zero_budget_is_refused_with_its_place(tmp_path: Path) -> None:
    evidence = tmp_path / "e.yaml"
    text = FOUNDING_EVIDENCE.read_text(encoding="utf-8")
    evidence.write_text(
        text.replace("预算金额: {value: 100000,", "预算金额: {value: 0,"), encoding="utf-8"
    )
    code, out, err = cli("eval", str(FOUNDING_PACK), str(evidence))
    # the table is printed (issue #12): what reads 预算金额 undecided, no total
    assert code == 1 and "B1.1.2 预算执行率  未能计分" in out and "评价等级：—" in out
    assert "E616" in err and "预算金额" in err and "e.yaml:10:" in err


def test_version_is_the_installed_packages() -> None:
    # Reports, the plan cache's key and `--version` all say this; a release that bumped only
    # pyproject.toml would reuse plans cached by the previous version.
    import tomllib

    from jixiao.engine.common.version import VERSION

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert VERSION == declared["project"]["version"]
    code, out, _ = cli("--version")
    assert code == 0 and out.strip() == f"jixiao {VERSION}"


def _malformed_spending(tmp_path: Path) -> Path:
    evidence = tmp_path / "e.yaml"
    text = FOUNDING_EVIDENCE.read_text(encoding="utf-8")
    evidence.write_text(
        text.replace("实际支出: {value: 100000,", "实际支出: {value: abc,"), encoding="utf-8"
    )
    return evidence


def test_one_malformed_value_still_prints_what_could_be_scored(tmp_path: Path) -> None:
    # issue #12: one malformed evidence value suppressed the whole report (no table, empty JSON)
    evidence = _malformed_spending(tmp_path)
    code, out, err = cli("eval", str(FOUNDING_PACK), str(evidence))
    assert code == 1 and "E603" in err and "E605" not in err
    assert "A 项目决策                                            10      9.00" in out
    assert "B1.1.2 预算执行率  未能计分" in out and "评价等级：—" in out
    assert "无总分：证据或计分有 1 处错误；未能计分的指标：B1.1.2" in out
    code, out, _ = cli("eval", str(FOUNDING_PACK), str(evidence), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["total"] is None and doc["grade"] is None
    scores = {i["code"]: i["score"] for i in doc["indicators"]}
    assert scores["A"] == "9.00" and scores["C"] == "60.74" and scores["B1.1.2"] is None
    assert [d["code"] for d in doc["diagnostics"] if d["severity"] == "error"] == ["E603"]
    for fmt in ("markdown", "html"):
        code, out, _ = cli("eval", str(FOUNDING_PACK), str(evidence), "--format", fmt)
        assert code == 1 and "无总分" in out and "B1.1.2" in out
    book = tmp_path / "r.xlsx"
    code, _, _ = cli("eval", str(FOUNDING_PACK), str(evidence), "--output", str(book))
    assert code == 1 and book.exists()
    import openpyxl

    sheet = openpyxl.load_workbook(book).worksheets[0]
    assert "无总分：证据或计分有 1 处错误；未能计分的指标：B1.1.2" in [c.value for c in sheet["A"]]


@pytest.mark.parametrize(
    "text", ["- a\n", "facts: [1]\n", "facts:\n  预算金额: [\n", "project: x\n"]
)
def test_evidence_that_cannot_be_used_still_refuses_outright(tmp_path: Path, text: str) -> None:
    evidence = tmp_path / "e.yaml"
    evidence.write_text(text, encoding="utf-8")
    code, out, err = cli("eval", str(FOUNDING_PACK), str(evidence))
    assert code == 1 and out == "" and "E602" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "p.jx", "e.yaml"],
        ["eval", "规则/包.jx", "证据 2017.yaml"],
        ["eval", "p.jx", "e.yaml", "--format", "json"],
        ["eval", "p.jx", "-"],
        ["eval", "--batch", "x.csv"],
        ["eval", "p.jx"],
        ["check", "p.jx", "e.yaml"],
    ],
)
def test_a_plain_eval_line_parses_as_argparse_parses_it(argv: list[str]) -> None:
    """`jixiao eval PACK EVIDENCE` skips argparse (a warm run's 1.5 ms). Whatever it gives the
    command must be what argparse gives: an option added to `eval` and not to the plain path
    would be read as missing, so this fails until both agree. Any other line goes to argparse."""
    from jixiao.engine import cli as cli_module

    plain = cli_module._plain_eval(argv)
    if len(argv) != 3 or argv[0] != "eval" or any(a.startswith("-") for a in argv[1:]):
        assert plain is None
        return
    assert plain is not None
    parsed = cli_module.build_parser("eval").parse_args(argv)
    expected = {k: v for k, v in vars(parsed).items() if k != "parser"}
    assert vars(plain) == expected
    # a usage error in `eval` still prints the eval command's own usage
    assert plain.parser.prog == parsed.parser.prog == "jixiao eval"
