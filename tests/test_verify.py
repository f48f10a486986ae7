"""`jixiao verify` catches planted mistakes with a counterexample, and passes correct packs."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import FOUNDING_PACK, cli


def test_founding_pack_passes() -> None:
    code, out, _ = cli("verify", str(FOUNDING_PACK), "--examples", "40")
    assert code == 0 and out.rstrip().endswith("0 failed")
    assert "`C2.2.4`" in out  # its tier table is checked for monotonicity


def test_a_rule_that_loses_points_when_its_rate_improves(tmp_path: Path) -> None:
    pack = tmp_path / "planted.jx"
    pack.write_text(
        'pack "有错" { total 5 }\nfact 完成率: percent\n'
        'indicator A "完成情况" 5 { tiers 完成率 { >= 95%: 1; >= 90%: full; else: 0 } }\n',
        encoding="utf-8",
    )
    code, out, _ = cli("verify", str(pack), "--examples", "100", "--out", str(tmp_path))
    assert code == 1 and "✗ `A`" in out
    written = (tmp_path / "planted.counterexample-1.yaml").read_text(encoding="utf-8")
    assert "完成率: 90%" in written or "完成率:" in written
    # the counterexample is an evidence file jixiao can run
    code, out, _ = cli("eval", str(pack), str(tmp_path / "planted.counterexample-1.yaml"))
    assert code == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            'indicator A "a" 5 { tiers 率 { >= 95%: full; [90%, 96%): 1; else: 0 } }\n'
            'indicator B "b" 5 { full when 率 > 0 }',
            "E421",
        ),  # a tier overlap
        (
            'indicator A "a" 5 { tiers 率 { >= 95%: full; [80%, 90%): 1; < 80%: 0 } }\n'
            'indicator B "b" 5 { full when 率 > 0 }',
            "E420",
        ),
        ('indicator A "a" 5.5 { proportional 率 }\nindicator B "b" 5 { full when 率 > 0 }', "E406"),
    ],
)
def test_planted_pack_errors_are_refused_before_verifying(
    tmp_path: Path, body: str, code: str
) -> None:
    pack = tmp_path / "p.jx"
    pack.write_text(f'pack "p" {{ total 10 }}\nfact 率: percent\n{body}\n', encoding="utf-8")
    status, _, err = cli("verify", str(pack), "--examples", "10")
    assert status == 1 and f"[{code}]" in err


def test_counterexamples_go_to_a_folder_the_gitignore_covers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --out, a failure's evidence goes to ./counterexamples/ (ignored by git), never
    beside the user's own files in the current folder."""
    from .helpers import ROOT

    pack = tmp_path / "planted.jx"
    pack.write_text(
        'pack "有错" { total 5 }\nfact 完成率: percent\n'
        'indicator A "完成情况" 5 { tiers 完成率 { >= 95%: 1; >= 90%: full; else: 0 } }\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("verify", str(pack), "--examples", "100")
    assert code == 1 and "counterexamples/planted.counterexample-1.yaml" in out
    assert (tmp_path / "counterexamples" / "planted.counterexample-1.yaml").is_file()
    assert not list(tmp_path.glob("*.yaml"))
    assert "counterexamples/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
