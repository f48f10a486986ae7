"""Reports people read: the HTML page is well-formed and carries the score table, the ranked
reasons with their evidence, and the digests that let a score be replayed."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from html.parser import HTMLParser
from pathlib import Path

import pytest

from jixiao.engine.cli import main

from .helpers import ROOT, check_golden, cli

VOID = {"meta", "br", "img", "hr", "input", "link"}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.cells: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else '-'}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] in ("td", "b", "span"):
            self.cells.append(data.strip())


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert main(list(args)) == 0
    return out.getvalue()


@pytest.fixture
def founding_html(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(ROOT)
    return run(
        "eval",
        "rules/video-conference-2017.jx",
        "evidence/video-conference-2017.yaml",
        "--format",
        "html",
    )


def test_html_is_well_formed_with_the_table_values(founding_html: str) -> None:
    checker = _Checker()
    checker.feed(founding_html)
    assert checker.problems == [] and checker.stack == []
    for value in ("87.74", "87.74%", "60.74", "93.45%", "3.65", "5.09", "良"):
        assert value in checker.cells
    assert "主要扣分原因" in founding_html and "SHA-256" in founding_html
    # ranked: the largest losses first, each with its evidence
    reasons = founding_html.split('<ol class="reasons">')[1].split("</ol>")[0]
    assert reasons.index("−1") < reasons.index("−0.91") < reasons.index("−0.5")
    assert "evidence/video-conference-2017.yaml" in reasons


def test_html_golden(founding_html: str, update_goldens: bool) -> None:
    check_golden(ROOT / "tests" / "goldens" / "founding.html", founding_html, update_goldens)


def test_english_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = run(
        "eval",
        "rules/video-conference-2017.jx",
        "evidence/video-conference-2017.yaml",
        "--format",
        "html",
        "--lang",
        "en",
    )
    assert "Main reasons points were lost" in out and "Level 4" in out


def test_xlsx_score_table(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    monkeypatch.chdir(ROOT)
    path = tmp_path / "table.xlsx"
    run(
        "eval",
        "rules/video-conference-2017.jx",
        "evidence/video-conference-2017.yaml",
        "--format",
        "xlsx",
        "--output",
        str(path),
    )
    book = openpyxl.load_workbook(path)
    rows = list(book["得分表"].iter_rows(values_only=True))
    assert rows[1][:4] == ("一级指标", "二级指标", "三级指标", "四级指标")
    # Table 5: one row per leaf, numbers as numbers (these were the text cells "9.00", "90.00%")
    assert ("A 项目决策", "A1 项目立项", "A1.1 战略目标适应性", None, 2, 2, 1) in rows
    assert ("A", "项目决策", 1, None, 10, 9, 0.9) in book["指标明细"].iter_rows(
        values_only=True, max_col=7
    )
    assert any(r[0] == "合计" and r[5] == 87.74 for r in rows)
    ledger = list(book["扣分说明"].iter_rows(values_only=True))
    assert ledger[1][0] == "B1.1.1" and ledger[1][3] == 1
    assert book["来源"]["C1"].value and len(book["来源"]["C1"].value) == 64


def test_json_evidence_is_accepted(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import json

    import yaml

    monkeypatch.chdir(ROOT)
    data = yaml.safe_load((ROOT / "evidence/video-conference-2017.yaml").read_text("utf-8"))
    data["facts"]["设备运行正常率"]["value"] = "92%"
    path = tmp_path / "e.json"
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    out = run("eval", "rules/video-conference-2017.jx", str(path), "--format", "json")
    assert json.loads(out)["total"] == "87.74"


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "html", "xlsx"])
def test_a_library_pack_without_indicators_renders_in_every_format(
    tmp_path: Path, fmt: str
) -> None:
    # The self-evaluation library declares functions and parameters only; scoring it directly
    # is refused (E504, exit 1: there is no total) and must not crash a renderer that assumed
    # at least one row.
    evidence = tmp_path / "e.yaml"
    evidence.write_text("facts: {}\n", encoding="utf-8")
    out = tmp_path / f"r.{fmt}"
    args = ["--output", str(out)] if fmt == "xlsx" else []
    code, _, err = cli(
        "eval", str(ROOT / "rules" / "self-evaluation.jx"), str(evidence), "--format", fmt, *args
    )
    assert code == 1 and "internal error" not in err, err
    assert "E504" in err
