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
