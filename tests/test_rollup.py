"""Portfolio roll-ups weighted by money (资金量加权): `portfolio weighted by 预算金额` in the pack
header or `--weight-by` on the command line; the summary's weighted means of the total and of
each indicator's 得分率, beside the plain means, in HTML, Markdown and JSON; the projects left
out of them named; exact, streamed, and the same however the portfolio is cut into blocks."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.dsl.source import Source
from jixiao.engine import compile_source
from jixiao.engine.tools.portfolio import EXACT, ScoredProject, Summary
from jixiao.engine.tools.portfolio_report import render_json

from .helpers import FOUNDING_PACK, cli, diagnostics_of

PACK = """\
pack "专项资金项目自评汇总" {
    portfolio weighted by 预算金额
}

fact 预算金额: money unit "万元"
fact 完成率: percent

indicator A "产出数量" 60 { proportional 完成率 }
indicator B "效益" 40 { full when 完成率 >= 90% }
"""

HEADER = "id,项目名称,预算金额,完成率\n"
# Weights 1, 2, 7. A's 得分率 is the 完成率 (51.25%, 100%, 80%), B's 0, 1, 0; the totals are
# 30.75, 100 and 48. By hand:
#   total     (1×30.75 + 2×100 + 7×48) ÷ 10       = 56.675  → 56.68 (half up)
#   A         (1×0.5125 + 2×1 + 7×0.8) ÷ 10       = 0.81125 → 81.13% (half up; half even: 81.12)
#   B         (1×0 + 2×1 + 7×0) ÷ 10              = 0.2     → 20.00%
# and the plain means: total 178.75 ÷ 3 = 59.58, A 2.3125 ÷ 3 = 77.08%, B 33.33%.
THREE = HEADER + "P1,一,1,51.25%\nP2,二,2,100%\nP3,三,7,80%\n"


def _run(tmp_path: Path, table: str, suffix: str, *extra: str, pack: str = PACK) -> str:
    (tmp_path / "p.jx").write_text(pack, encoding="utf-8")
    (tmp_path / "t.csv").write_text(table, encoding="utf-8")
    out = tmp_path / f"s{suffix}"
    code, _, err = cli(
        "eval", str(tmp_path / "p.jx"), "--batch", str(tmp_path / "t.csv"),
        "--summary", str(out), *extra,
    )  # fmt: skip
    assert code in (0, 1), err
    return out.read_text(encoding="utf-8")


def test_three_projects_weighted_1_2_7_by_hand_in_json(tmp_path: Path) -> None:
    doc = json.loads(_run(tmp_path, THREE, ".json"))
    assert doc["weighting"] == {
        "by": "预算金额",
        "projects": 3,
        "mean_total": "59.58",
        "weighted_mean_total": "56.68",
        "without_weight": 0,
        "without_weight_ids": [],
    }
    rates = {i["code"]: (i["mean_rate"], i["weighted_mean_rate"]) for i in doc["indicators"]}
    assert rates == {"A": ("77.08%", "81.13%"), "B": ("33.33%", "20.00%")}


def test_three_projects_weighted_1_2_7_by_hand_in_markdown(tmp_path: Path) -> None:
    text = _run(tmp_path, THREE, ".md")
    assert "## 资金量加权（按预算金额）" in text
    assert "| 总分 | 59.58 | 56.68 |" in text
    assert "| 指标 | 平均得分率 | 加权平均得分率（按预算金额） | 标准差 |" in text
    assert "| A 产出数量 | 77.08% | 81.13% |" in text
    assert "| B 效益 | 33.33% | 20.00% |" in text
    assert "未计入加权平均" not in text  # every project has its weight


def test_three_projects_weighted_1_2_7_by_hand_in_html(tmp_path: Path) -> None:
    text = _run(tmp_path, THREE, ".html")
    assert "<h2>资金量加权（按预算金额）</h2>" in text
    assert "<td>总分</td><td class=n>59.58</td><td class=n>56.68</td>" in text
    assert "<th>加权平均得分率（按预算金额）</th>" in text
    assert "<td>A 产出数量</td><td class=n>77.08%</td><td class=n>81.13%</td>" in text
    assert "<td>B 效益</td><td class=n>33.33%</td><td class=n>20.00%</td>" in text


def test_projects_without_a_weight_are_left_out_and_named(tmp_path: Path) -> None:
    """A blank amount, a zero, and a project that could not be scored: the weighted means
    are those of the three weighted projects; the note names the two scored without weight
    (the failure is in no mean, and listed with the failures)."""
    table = THREE + "P4,四,,90%\nP5,五,0,90%\nP6,六,3,坏\n"
    doc = json.loads(_run(tmp_path, table, ".json"))
    weighting = doc["weighting"]
    assert weighting["weighted_mean_total"] == "56.68" and weighting["projects"] == 3
    assert weighting["without_weight"] == 2 and weighting["without_weight_ids"] == ["P4", "P5"]
    assert weighting["mean_total"] == "73.35"  # (178.75 + 94 + 94) ÷ 5: every scored project
    assert [i["weighted_mean_rate"] for i in doc["indicators"]] == ["81.13%", "20.00%"]
    note = "2个项目没有预算金额（未给出或不大于0），未计入加权平均：P4、P5"
    assert note in _run(tmp_path, table, ".md")
    assert note in _run(tmp_path, table, ".html")


def test_the_note_names_the_first_twenty_and_counts_the_rest(tmp_path: Path) -> None:
    table = THREE + "".join(f"Q{i:02d},无,,90%\n" for i in range(25))
    text = _run(tmp_path, table, ".md")
    shown = "、".join(f"Q{i:02d}" for i in range(20))
    assert f"25个项目没有预算金额（未给出或不大于0），未计入加权平均：{shown}…等25个" in text


def test_no_weight_at_all_gives_dashes_not_a_division_by_zero(tmp_path: Path) -> None:
    doc = json.loads(_run(tmp_path, HEADER + "P1,一,0,50%\nP2,二,,90%\n", ".json"))
    assert doc["weighting"]["weighted_mean_total"] == "—"
    assert [i["weighted_mean_rate"] for i in doc["indicators"]] == ["—", "—"]


def test_a_summary_without_a_weight_is_unchanged(tmp_path: Path) -> None:
    """No `portfolio weighted by` and no `--weight-by`: no weighted column, no new key."""
    pack = PACK.replace("    portfolio weighted by 预算金额\n", "")
    pack = pack.replace(">= 90% }", ">= 90% and 预算金额 >= 0 }")
    doc = json.loads(_run(tmp_path, THREE, ".json", pack=pack))
    assert "weighting" not in doc and "weighted_mean_rate" not in doc["indicators"][0]
    assert "加权" not in _run(tmp_path, THREE, ".md", pack=pack)


def test_weight_by_on_the_command_line_overrides_the_pack(tmp_path: Path) -> None:
    pack = PACK.replace("fact 完成率: percent\n", "fact 完成率: percent\nfact 人数: count\n")
    table = "id,项目名称,预算金额,完成率,人数\nP1,一,7,51.25%,1\nP2,二,2,100%,2\nP3,三,1,80%,7\n"
    doc = json.loads(_run(tmp_path, table, ".json", "--weight-by", "人数", pack=pack))
    assert doc["weighting"]["by"] == "人数"
    assert doc["weighting"]["weighted_mean_total"] == "56.68"  # the weights are 1, 2, 7 again


def test_weight_by_a_fact_no_rule_reads_has_no_unused_warning(tmp_path: Path) -> None:
    pack = PACK.replace("    portfolio weighted by 预算金额\n", "")
    (tmp_path / "p.jx").write_text(pack, encoding="utf-8")
    (tmp_path / "t.csv").write_text(THREE, encoding="utf-8")
    code, _, err = cli(
        "eval", str(tmp_path / "p.jx"), "--batch", str(tmp_path / "t.csv"),
        "--summary", str(tmp_path / "s.json"), "--weight-by", "预算金额",
    )  # fmt: skip
    assert code == 0 and "W201" not in err
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["weighting"]["by"]
    # … and the pack's own `portfolio weighted by` counts as reading it
    assert diagnostics_of(PACK) == []


@pytest.mark.parametrize(
    ("declare", "name", "code", "words"),
    [
        ("", "预算全额", "E770", "did you mean `预算金额`"),
        ("", "完成率", "E771", "is a percent fact"),
        ("param 基数: money = 100万元\n", "基数", "E771", "a parameter"),
        ("let 双倍: money = 预算金额 * 2\n", "双倍", "E771", "a derived fact"),
        ('fact 类别: choice ["甲", "乙"]\n', "类别", "E771", "is a text fact"),
    ],
)
def test_a_weight_that_is_no_amount_of_the_evidence(
    tmp_path: Path, declare: str, name: str, code: str, words: str
) -> None:
    pack = PACK.replace("indicator A", declare + "indicator A")
    in_pack = pack.replace("portfolio weighted by 预算金额", f"portfolio weighted by {name}")
    found = [d for d in diagnostics_of(in_pack) if d.is_error]
    assert [d.code for d in found] == [code] and words in f"{found[0].message} {found[0].help}"
    assert found[0].labels and found[0].labels[0].span.text == name
    (tmp_path / "p.jx").write_text(pack, encoding="utf-8")
    (tmp_path / "t.csv").write_text(THREE, encoding="utf-8")
    status, out, err = cli(
        "eval", str(tmp_path / "p.jx"), "--batch", str(tmp_path / "t.csv"),
        "--summary", str(tmp_path / "s.md"), "--weight-by", name,
    )  # fmt: skip
    assert status == 1 and f"error[{code}]: `--weight-by {name}`" in err and words in err
    assert out == "" and not (tmp_path / "s.md").exists()


def test_weight_by_needs_batch_and_summary(tmp_path: Path) -> None:
    code, _, err = cli("eval", str(FOUNDING_PACK), "--batch", "x.csv", "--weight-by", "预算金额")
    assert code == 2 and "`--weight-by` works only with `--summary`" in err
    code, _, err = cli("eval", str(FOUNDING_PACK), "e.yaml", "--weight-by", "预算金额")
    assert code == 2 and "`--weight-by` works only with `--batch`" in err


def test_the_setting_round_trips_through_fmt(tmp_path: Path) -> None:
    messy = PACK.replace("portfolio weighted by 预算金额", "portfolio   weighted\tby  预算金额")
    path = tmp_path / "p.jx"
    path.write_text(messy, encoding="utf-8")
    code, _, err = cli("fmt", str(path))
    assert code == 0, err
    formatted = path.read_text(encoding="utf-8")
    assert "    portfolio weighted by 预算金额\n" in formatted
    assert cli("fmt", "--check", str(path))[0] == 0  # idempotent
    assert compile_source(Source("p.jx", formatted))[0].program.settings.portfolio_weight == (
        "预算金额"
    )


def test_a_setting_given_twice_is_refused() -> None:
    twice = PACK.replace(
        "    portfolio weighted by 预算金额\n",
        "    portfolio weighted by 预算金额\n    portfolio weighted by 完成率\n",
    )
    found = [(d.code, d.message) for d in diagnostics_of(twice) if d.is_error]
    assert found == [("E207", "`portfolio` is set twice")]


def test_parallel_weighted_summary_is_the_serial_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jixiao.engine.tools import batch

    monkeypatch.setattr(batch, "BLOCK", 7)
    table = HEADER + "".join(
        f"P{i:03d},项目{i},{'' if i % 11 == 3 else i % 9},{50 + i % 50}%\n" for i in range(120)
    )
    runs = [_run(tmp_path, table, f"{jobs}.json", "--jobs", jobs) for jobs in ("1", "2")]
    assert runs[0] == runs[1]
    assert json.loads(runs[0])["weighting"]["without_weight"] == 11 + 13  # blank, or 0


# ----- properties -------------------------------------------------------------------------------

PROGRAM = compile_source(Source("p.jx", PACK))[0].program


def _record(i: int, cents: tuple[int, int], weight: str | None) -> ScoredProject:
    a, b = (Decimal(c) / 100 for c in cents)
    scores = {"A": str(a), "B": str(b)}
    return ScoredProject(f"P{i:03d}", "", str(a + b), "中", scores, weight=weight)


projects = st.lists(st.tuples(st.integers(0, 6000), st.integers(0, 4000)), min_size=1, max_size=40)


@given(projects, st.integers(1, 10**12).map(lambda n: Decimal(n) / 100))
@settings(max_examples=80, deadline=None)
def test_equal_weights_give_the_plain_mean(scores: list[tuple[int, int]], w: Decimal) -> None:
    summary = Summary(PROGRAM)
    for i, cents in enumerate(scores):
        summary.add(_record(i, cents, str(w)))
    for stat in summary.stats.values():
        assert stat.mean is not None and stat.weighted_mean is not None
        assert abs(stat.weighted_mean - stat.mean) < Decimal("1e-20")
    total, weighted = summary.mean_total(), summary.weighted_total()
    assert total is not None and weighted is not None and abs(total - weighted) < Decimal("1e-20")
    doc = json.loads(render_json(summary))
    assert doc["weighting"]["mean_total"] == doc["weighting"]["weighted_mean_total"]
    assert all(i["mean_rate"] == i["weighted_mean_rate"] for i in doc["indicators"])


@given(
    st.lists(
        st.tuples(
            st.tuples(st.integers(0, 6000), st.integers(0, 4000)),
            st.none() | st.integers(-5, 10**15).map(lambda n: str(Decimal(n) / 100)),
        ),
        min_size=1,
        max_size=40,
    ),
    st.lists(st.integers(0, 40), max_size=5),
)
@settings(max_examples=80, deadline=None)
def test_the_weighted_mean_lies_between_the_lowest_and_the_highest(
    rows: list[tuple[tuple[int, int], str | None]], cuts: list[int]
) -> None:
    """For any positive weights; projects without one (None, 0, negative) are left out and
    counted; and tallying by blocks, then merging, gives the same summary."""
    one = Summary(PROGRAM)
    records = [_record(i, cents, w) for i, (cents, w) in enumerate(rows)]
    for record in records:
        one.add(record)
    weighted = [r for r in records if r.weight is not None and Decimal(r.weight) > 0]
    assert one.tally.unweighted == len(records) - len(weighted)
    if weighted:
        totals = [Decimal(r.total or 0) for r in weighted]
        mean = one.weighted_total()
        assert mean is not None and min(totals) <= mean <= max(totals)
        for code, stat in one.stats.items():
            rates = [EXACT.divide(Decimal(r.scores[code] or 0), stat.weight) for r in weighted]
            assert stat.weighted_mean is not None
            assert min(rates) <= stat.weighted_mean <= max(rates)
    else:
        assert one.weighted_total() is None
    merged = Summary(PROGRAM)
    bounds = sorted({0, len(records), *(c for c in cuts if c <= len(records))})
    for start, end in itertools.pairwise(bounds):
        tally = merged.new_tally()
        for record in records[start:end]:
            tally.add(record)
        merged.merge(tally)
    assert render_json(merged) == render_json(one)


def test_a_folder_portfolio_is_weighted_by_its_evidence_files(tmp_path: Path) -> None:
    from .helpers import FOUNDING_EVIDENCE

    folder = tmp_path / "projects"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.yaml").write_text(
            FOUNDING_EVIDENCE.read_text(encoding="utf-8"), encoding="utf-8"
        )
    summary = tmp_path / "s.json"
    code, _, err = cli(
        "eval", str(FOUNDING_PACK), "--batch", str(folder), "--summary", str(summary),
        "--weight-by", "预算金额",
    )  # fmt: skip
    assert code == 0, err
    weighting = json.loads(summary.read_text(encoding="utf-8"))["weighting"]
    assert weighting["projects"] == 2 and weighting["weighted_mean_total"] == "87.74"
