"""The VS Code extension (editors/vscode): its manifest names files that exist, its TextMate
grammar highlights every keyword of the language, and — where Node.js and the extension's npm
packages are installed (`npm ci` in editors/vscode, as .ci/run does) — the grammar passes its
annotated fixtures with vscode-tmgrammar-test."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from .helpers import ROOT

VSCODE = ROOT / "editors" / "vscode"
#: The grammar's one source: package data of the HTML reports (engine/render/highlight.py) and
#: the workbench; `npm run grammar` (run before the grammar tests and `vsce package`) copies it
#: to the extension's `syntaxes/`.
GRAMMAR = ROOT / "engine" / "render" / "jixiao.tmLanguage.json"


def _manifest() -> dict[str, object]:
    data: dict[str, object] = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    return data


def test_the_manifest_names_files_that_exist() -> None:
    contributes = _manifest()["contributes"]
    assert isinstance(contributes, dict)
    [language] = contributes["languages"]
    assert language["id"] == "jixiao" and language["extensions"] == [".jx"]
    assert (VSCODE / language["configuration"]).is_file()
    [grammar] = contributes["grammars"]
    assert grammar["path"] == "./syntaxes/jixiao.tmLanguage.json"
    scripts = _manifest()["scripts"]
    assert isinstance(scripts, dict)
    assert "../../engine/render/jixiao.tmLanguage.json" in scripts["grammar"]
    assert "syntaxes/jixiao.tmLanguage.json" in scripts["grammar"]
    assert "npm run --silent grammar" in scripts["pretest:grammar"]
    assert "npm run --silent grammar" in scripts["vscode:prepublish"]
    assert (VSCODE / ".." / ".." / "engine" / "render" / "jixiao.tmLanguage.json").resolve() == (
        GRAMMAR.resolve()
    )
    assert json.loads(GRAMMAR.read_text(encoding="utf-8"))["scopeName"] == grammar["scopeName"]
    assert (VSCODE / str(_manifest()["main"])).is_file()
    assert (VSCODE / "package-lock.json").is_file()  # npm ci installs exactly these


def test_the_grammar_highlights_every_keyword_of_the_language() -> None:
    """Each word dsl/grammar.lark spells out is in one of the grammar's keyword alternations."""
    lark = (ROOT / "dsl" / "grammar.lark").read_text(encoding="utf-8")
    words = set(re.findall(r'"([a-z_]+)"', lark))
    text = GRAMMAR.read_text(encoding="utf-8")
    listed = set()
    for alternation in re.findall(r"\(\?:([a-z_|]+)\)", text):
        listed |= set(alternation.split("|"))
    for alternation in re.findall(r"\(([a-z_|]+)\)\\\\s\+", text):  # `fact NAME`, `indicator CODE`
        listed |= set(alternation.split("|"))
    ignored = {"half_up", "half_even", "down", "up"}  # rounding modes are words, not keywords
    assert words - listed - ignored == set()


def test_the_grammar_passes_its_annotated_fixtures() -> None:
    tool = VSCODE / "node_modules" / ".bin" / "vscode-tmgrammar-test"
    if shutil.which("node") is None or not tool.exists():
        pytest.skip("needs Node.js and `npm ci` in editors/vscode (as .ci/run does)")
    fixtures = sorted(str(p) for p in (VSCODE / "tests").glob("*.jx"))
    assert fixtures
    run = subprocess.run(
        [str(tool), "-g", str(GRAMMAR), *fixtures],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=VSCODE,
    )
    assert run.returncode == 0, run.stdout + run.stderr
