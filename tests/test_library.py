"""The standard pack library under rules/: every pack checks clean, is formatted, passes its
own suite at 100 % coverage, survives `verify`, and scores its example evidence — each through
the command line, as a bureau would run it."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from .helpers import ROOT, cli

RULES = ROOT / "rules"
EVIDENCE = ROOT / "evidence"

# The library as shipped; discovery below must find at least these, so that a pack whose suite
# goes missing is a failure here, not a pack silently left out.
STANDARD = ("common-project-2020", "department-overall", "mid-year-monitoring")

# every pack with its own suite and example evidence is held to the library's standard
LIBRARY = sorted(
    p.name.removesuffix(".test.yaml")
    for p in RULES.glob("*.test.yaml")
    if (RULES / p.name.replace(".test.yaml", ".jx")).exists()
    and (EVIDENCE / p.name.replace(".test.yaml", ".yaml")).exists()
)

# `verify` is hypothesis: a bounded search keeps the suite fast (a few seconds a pack)
VERIFY_EXAMPLES = "60"


def pack(name: str) -> str:
    return str(RULES / f"{name}.jx")


def test_the_standard_packs_are_in_the_library() -> None:
    assert set(STANDARD) <= set(LIBRARY)


@pytest.mark.parametrize("name", LIBRARY)
def test_pack_checks_clean(name: str) -> None:
    code, out, err = cli("check", pack(name))
    assert code == 0, err
    assert "warning" not in err and "error" not in err, err
    assert "weights add up to 100" in out


@pytest.mark.parametrize("name", LIBRARY)
def test_pack_is_formatted(name: str) -> None:
    code, out, _ = cli("fmt", "--check", pack(name))
    assert code == 0, out


@pytest.mark.parametrize("name", LIBRARY)
def test_suite_passes_at_full_coverage(name: str) -> None:
    code, out, err = cli("test", pack(name), "--coverage-min", "100")
    assert code == 0, out + err
    assert "coverage: 100.0%" in out, out
    assert re.search(r"\b0 failed\b", out), out


@pytest.mark.parametrize("name", LIBRARY)
def test_verify_finds_nothing(name: str, tmp_path: Path) -> None:
    code, out, err = cli(
        "verify", pack(name), "--examples", VERIFY_EXAMPLES, "--out", str(tmp_path)
    )
    assert code == 0, out + err
    assert re.search(r"\b0 failed\b", out), out
    assert not list(tmp_path.iterdir()), "verify wrote a counterexample"


@pytest.mark.parametrize("name", LIBRARY)
def test_example_evidence_scores_with_weights_adding_to_100(name: str) -> None:
    code, out, err = cli("eval", pack(name), str(EVIDENCE / f"{name}.yaml"), "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    top = [i for i in report["indicators"] if i["parent"] is None]
    assert sum(Decimal(i["weight"]) for i in top) == 100
    assert report["pack"]["total"] == "100"
    assert report["total"] is not None and report["grade"] is not None
    for ind in report["indicators"]:
        assert ind["failures"] == [], ind
        assert Decimal(0) <= Decimal(ind["score"]) <= Decimal(ind["weight"]), ind


@pytest.mark.parametrize("name", STANDARD)
def test_pack_names_its_authority_and_is_listed_in_the_readme(name: str) -> None:
    text = Path(pack(name)).read_text(encoding="utf-8")
    authority = re.search(r'authority "([^"]+)"', text)
    assert authority is not None
    number = re.search(r"财预〔\d{4}〕\d+号", authority.group(1))
    assert number is not None, "the authority names the measure by its number"
    assert number.group(0) in text.split('\npack "', 1)[0], "the header comment cites it too"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"rules/{name}.jx" in readme


# The templates the library's packs import: each checks clean on its own as a library (no
# indicators), is formatted, and is listed in the README.
TEMPLATES = ("templates/scoring.jx", "self-evaluation.jx")
SHARED = "templates/scoring.jx"


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_checks_clean_alone_and_is_formatted(name: str) -> None:
    code, out, err = cli("check", str(RULES / name))
    assert code == 0, err
    assert "warning" not in err and "error" not in err, err
    assert "a library" in out, out
    assert cli("fmt", "--check", str(RULES / name))[0] == 0
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"rules/{name}" in readme


@pytest.mark.parametrize("name", STANDARD)
def test_standard_pack_imports_the_shared_rules_instead_of_copying_them(name: str) -> None:
    text = Path(pack(name)).read_text(encoding="utf-8")
    assert f'import "{SHARED}"' in text
    shared = (RULES / SHARED).read_text(encoding="utf-8")
    for function in re.findall(r"^function (\S+?)\(", shared, re.M):
        assert not re.search(rf"^function {function}\(", text, re.M), f"{name} copies `{function}`"
    for param in re.findall(r"^param (\S+?):", shared, re.M):
        assert not re.search(rf"^param {param}:", text, re.M), f"{name} copies `{param}`"
    # the qualitative 档次 are choices, so a misspelt 档次 never reaches a rule
    assert not re.search(r"^fact \S*档次: text", text, re.M)
    assert "GAP: imports" not in text and "GAP: choices" not in text


def test_the_self_evaluation_template_imports_the_shared_rules() -> None:
    text = (RULES / "self-evaluation.jx").read_text(encoding="utf-8")
    assert f'import "{SHARED}"' in text
    assert "function 定性(" not in text and "param 达成下限:" not in text


def test_a_pack_anywhere_imports_the_shipped_template(tmp_path: Path) -> None:
    """The shipped library is on every pack's import path: a bureau's pack in its own folder
    imports the shared rules by the same line as the library's packs, adapts a threshold with a
    `param` of its own, and a misspelt 档次 is refused at its evidence line."""
    (tmp_path / "p.jx").write_text(
        'pack "某项目" { total 10 }\n'
        f'import "{SHARED}"\n'
        "param 达成下限: percent = 90%\n"
        'fact 效益档次: choice ["达成", "部分达成", "未达成"]\n'
        "fact 效益得分: number\n"
        "fact 满意度: percent\n"
        'indicator A "效益" 5 { 定性(效益档次, 效益得分) }\n'
        'indicator B "满意度" 5 { 比率计分(满意度, 90%) }\n',
        encoding="utf-8",
    )
    (tmp_path / "e.yaml").write_text(
        "facts:\n  效益档次: 部分达成\n  效益得分: 4\n  满意度: 81%\n", encoding="utf-8"
    )
    p, e = str(tmp_path / "p.jx"), str(tmp_path / "e.yaml")
    code, _, err = cli("check", p)
    assert code == 0 and "error" not in err, err
    code, out, err = cli("eval", p, e, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    points = {i["code"]: i["score"] for i in doc["indicators"]}
    assert points == {"A": "4.00", "B": "4.50"}  # 4 of 5 is 部分达成 under 90%: [60%, 90%)
    assert any(SHARED in f["path"] for f in doc["pack"]["imports"]), doc["pack"]
    (tmp_path / "e.yaml").write_text(
        "facts:\n  效益档次: 基本达成\n  效益得分: 4\n  满意度: 81%\n", encoding="utf-8"
    )
    code, _, err = cli("eval", p, e)
    assert code == 1 and "E660" in err and "e.yaml:2" in err, err
