"""`import "template.jx"`: a bureau's template shared by many project packs. What a policy
author relies on: the template's rules score as if written in the pack, a `param` in the pack
adapts the template's threshold, a fix to the template reaches every pack (the cache included),
the audit digests name the template, and a pack cannot read a file that is not a pack."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .helpers import cli

HEAD = 'pack "项目" {\n    total 10\n    rounding 2 half_up\n    grades { 优 >= 9; 良 >= 8; 中 >= 6; 差 else }\n}\n'

TEMPLATE = """# 共性指标模板
param 达成线: percent = 90%
fact 预算金额: money unit "元" nonzero
fact 实际支出: money unit "元"
let 预算执行率: percent = 实际支出 / 预算金额
function 执行率计分(率: percent) {
    full when 率 >= 达成线 else proportional 率
}
"""

PROJECT = (
    HEAD + 'import "tpl/common.jx"\n\nindicator A "预算执行率" 10 { 执行率计分(预算执行率) }\n'
)
EVIDENCE = "facts:\n  预算金额: 100\n  实际支出: 92\n"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "common.jx").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "proj.jx").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "proj.yaml").write_text(EVIDENCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JIXIAO_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("JIXIAO_NO_CACHE", raising=False)
    monkeypatch.delenv("JIXIAO_PATH", raising=False)
    return tmp_path


def total(*args: str) -> str:
    code, out, err = cli("eval", *args, "--format", "json")
    assert code == 0, err
    return str(json.loads(out)["total"])


def test_the_templates_rules_score_and_the_pack_adapts_its_threshold(folder: Path) -> None:
    assert total("proj.jx", "proj.yaml") == "10.00"  # 92% reaches the template's 90%
    text = PROJECT.replace("\nindicator", "\nparam 达成线: percent = 95%\n\nindicator")
    (folder / "proj.jx").write_text(text, encoding="utf-8")
    assert total("proj.jx", "proj.yaml") == "9.20"  # the pack's own 95% is not reached


def test_a_fix_to_the_template_reaches_the_pack_through_the_cache(folder: Path) -> None:
    assert total("proj.jx", "proj.yaml") == "10.00"
    assert total("proj.jx", "proj.yaml") == "10.00"  # from the cache
    fixed = TEMPLATE.replace("达成线: percent = 90%", "达成线: percent = 95%")
    (folder / "tpl" / "common.jx").write_text(fixed, encoding="utf-8")
    assert total("proj.jx", "proj.yaml") == "9.20"


def test_the_audit_digests_name_every_imported_file(folder: Path) -> None:
    import hashlib

    _, out, _ = cli("eval", "proj.jx", "proj.yaml", "--format", "json")
    digest = hashlib.sha256(TEMPLATE.encode("utf-8")).hexdigest()
    imports = json.loads(out)["pack"]["imports"]
    assert imports == [{"path": os.path.join("tpl", "common.jx"), "sha256": digest}]
    _, out, _ = cli("eval", "proj.jx", "proj.yaml")
    assert f"SHA-256 {digest}" in out


def test_a_mistake_in_the_template_is_shown_in_the_template(folder: Path) -> None:
    broken = TEMPLATE.replace("full when 率 >= 达成线", "full when 率 >= 达成")
    (folder / "tpl" / "common.jx").write_text(broken, encoding="utf-8")
    code, _, err = cli("check", "proj.jx")
    assert code == 1
    assert f"--> {os.path.join('tpl', 'common.jx')}:7:" in err and "E201" in err


def test_a_template_imported_twice_is_included_once(folder: Path) -> None:
    (folder / "tpl" / "more.jx").write_text(
        'import "common.jx"\nfact 已验收: bool\n', encoding="utf-8"
    )
    text = PROJECT.replace(
        'import "tpl/common.jx"\n', 'import "tpl/common.jx"\nimport "tpl/more.jx"\n'
    ).replace("执行率计分(预算执行率) }", "执行率计分(预算执行率); zero when not 已验收 }")
    (folder / "proj.jx").write_text(text, encoding="utf-8")
    code, _, err = cli("check", "proj.jx")
    assert code == 0, err


def test_the_header_of_a_template_fills_only_what_the_pack_leaves_unset(folder: Path) -> None:
    template = (
        'pack "模板" {\n    total 10\n    rounding 0 down\n    grades { 好 >= 5; 差 else }\n}\n'
    )
    (folder / "tpl" / "common.jx").write_text(template + TEMPLATE, encoding="utf-8")
    own = PROJECT.replace("    rounding 2 half_up\n", "")
    (folder / "proj.jx").write_text(own, encoding="utf-8")
    text = PROJECT.replace("\nindicator", "\nparam 达成线: percent = 95%\n\nindicator")
    (folder / "proj.jx").write_text(text.replace("    rounding 2 half_up\n", ""), "utf-8")
    code, out, err = cli("eval", "proj.jx", "proj.yaml", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["total"] == "9"  # the template's `rounding 0 down`: 9.2 → 9
    assert report["grade"] == "优"  # the pack's own grades, not the template's


def test_the_import_path_and_the_shipped_library(folder: Path) -> None:
    shared = folder.parent / f"{folder.name}-shared"
    shared.mkdir()
    (shared / "common.jx").write_text(TEMPLATE, encoding="utf-8")
    (folder / "proj.jx").write_text(PROJECT.replace("tpl/common.jx", "common.jx"), "utf-8")
    code, _, err = cli("check", "proj.jx")
    assert code == 1 and "E116" in err
    code, _, err = cli("check", "proj.jx", "--import-path", str(shared))
    assert code == 0, err
    library = HEAD + 'import "self-evaluation.jx"\n'
    (folder / "lib.jx").write_text(library, encoding="utf-8")
    _, _, err = cli("check", "lib.jx")
    assert "E116" not in err  # found among the standard packs


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("/etc/passwd", "E117"),
        ("../../../../../../etc/hostname", "E117"),
        ("evil.jx", "E117"),  # a link to a pack-looking file outside the folder
        ("notes.txt", "E117"),
        ("nothing-here.jx", "E116"),
        ("proj.jx", "E118"),  # importing itself
    ],
)
def test_no_file_outside_the_packs_folder_is_read(folder: Path, written: str, code: str) -> None:
    outside = folder.parent / f"{folder.name}-secret.jx"
    outside.write_text('fact 秘密: text label "do not show this"\n', encoding="utf-8")
    (folder / "evil.jx").symlink_to(outside)
    (folder / "notes.txt").write_text("不是规则包\n", encoding="utf-8")
    (folder / "proj.jx").write_text(HEAD + f'import "{written}"\n', encoding="utf-8")
    status, out, err = cli("check", "proj.jx")
    assert status == 1 and f"[{code}]" in err
    assert "do not show this" not in out + err and "root:" not in out + err
    assert "Traceback" not in err


def test_a_cycle_through_two_files_is_shown_with_its_chain(folder: Path) -> None:
    (folder / "tpl" / "a.jx").write_text('import "b.jx"\n', encoding="utf-8")
    (folder / "tpl" / "b.jx").write_text('import "a.jx"\n', encoding="utf-8")
    (folder / "proj.jx").write_text(HEAD + 'import "tpl/a.jx"\n', encoding="utf-8")
    code, _, err = cli("check", "proj.jx")
    a, b = os.path.join("tpl", "a.jx"), os.path.join("tpl", "b.jx")
    assert code == 1 and f"`{a}` → `{b}` → `{a}`" in err


def test_too_many_files_are_refused(folder: Path) -> None:
    for i in range(300):
        (folder / "tpl" / f"t{i}.jx").write_text(f"fact 事实{i}: bool\n", encoding="utf-8")
    imports = "".join(f'import "tpl/t{i}.jx"\n' for i in range(300))
    (folder / "proj.jx").write_text(HEAD + imports, encoding="utf-8")
    code, _, err = cli("check", "proj.jx")
    assert code == 1 and "E119" in err


def test_the_formatter_keeps_imports() -> None:
    from jixiao.dsl.formatter import format_pack
    from jixiao.dsl.parser import parse_text

    text = HEAD + '\nimport "tpl/common.jx"\n\nindicator A "a" 10 {\n    full when 甲\n}\n'
    assert format_pack(parse_text(text), parse_text) == text


def test_any_split_of_a_pack_into_template_and_pack_scores_the_same(tmp_path: Path) -> None:
    """Moving declarations into a template changes nothing a report shows but its audit lines:
    the founding pack, its declarations split at random between a template and the pack."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from jixiao.dsl.parser import parse_text

    from .helpers import ROOT

    pack_path = ROOT / "rules" / "video-conference-2017.jx"
    text = pack_path.read_text(encoding="utf-8")
    pack = parse_text(text, str(pack_path))
    items = [
        *pack.facts,
        *pack.params,
        *pack.lets,
        *pack.functions,
        *pack.indicators,
        *pack.extras,
        *pack.vetoes,
        *pack.surveys,
    ]
    evidence = ROOT / "evidence" / "video-conference-2017.yaml"
    code, whole, _ = cli("eval", str(pack_path), str(evidence), "--format", "json")

    def comparable(report: str) -> object:
        """Every score, line and fact value; not where the text stood, nor the order of what
        moved (a template's declarations come before the pack's own)."""
        data = json.loads(report)
        lines = [
            (i["code"], i["score"], [(ln["kind"], ln["points"], ln["text"]) for ln in i["lines"]])
            for i in data["indicators"]
        ]
        derived = [(d["name"], d.get("value")) for d in data["derived"]]
        return data["total"], data["grade"], sorted(lines), sorted(derived)

    expected = comparable(whole)

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.booleans(), min_size=len(items), max_size=len(items)))
    def split(moved: list[bool]) -> None:
        kept, template = [text[: pack.headers[0].span.end]], []
        for item, move in zip(items, moved, strict=True):
            (template if move else kept).append(text[item.span.start : item.span.end])
        folder = tmp_path / "split"
        folder.mkdir(exist_ok=True)
        (folder / "template.jx").write_text("\n".join(template) + "\n", encoding="utf-8")
        (folder / "pack.jx").write_text(
            kept[0] + '\nimport "template.jx"\n' + "\n".join(kept[1:]) + "\n", encoding="utf-8"
        )
        status, out, err = cli("eval", str(folder / "pack.jx"), str(evidence), "--format", "json")
        assert status == code, err
        assert comparable(out) == expected

    split()
