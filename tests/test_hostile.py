"""Hostile and dirty inputs, run as a user runs them: the `jixiao` command in its own process.

Each case is one thing an evaluator's files or a stranger's pack can do. Whatever the input, the
command must end by itself within 20 s, under 1 GiB, with exit 0, 1 or 2 (never 3, the internal
error), no Python traceback, and — where the case says so — the right score or a refusal that
names the place. The specific regression tests live beside the code they guard; this file holds
the promise across all of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOUNDING = ROOT / "rules" / "video-conference-2017.jx"
FOUNDING_EVIDENCE = ROOT / "evidence" / "video-conference-2017.yaml"
SURVEY_EVIDENCE = ROOT / "evidence" / "video-conference-2017-survey.yaml"
RESPONSES = ROOT / "evidence" / "video-conference-2017-responses.csv"

# Runs the command in a child, then reports its peak memory on the last line of stderr, so the
# 1 GiB promise is measured for each case (RLIMIT_AS only stops runaways past 3 GiB).
RUNNER = textwrap.dedent(
    """
    import os, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    from jixiao.engine.cli import main
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    sys.stdout.flush()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    os.write(2, f"\\n@@peak-kib {peak}\\n".encode())
    os._exit(code)
    """
)


@dataclass
class Run:
    code: int
    out: str
    err: str
    peak_mib: int

    @property
    def text(self) -> str:
        return self.out + self.err


def jixiao(
    *args: str | Path,
    cwd: Path,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 20,
) -> Run:
    environ = {**os.environ, "JIXIAO_NO_CACHE": "1", **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, *map(str, args)],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=environ,
        timeout=timeout,
    )
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    peak = 0
    if "@@peak-kib " in err:
        err, _, tail = err.rpartition("@@peak-kib ")
        peak = int(tail.split()[0]) // 1024
    run = Run(proc.returncode, out, err, peak)
    assert "Traceback" not in run.text, run.text
    assert run.code in (0, 1, 2), f"exit {run.code}\n{run.text}"
    assert run.peak_mib < 1024, f"peak {run.peak_mib} MiB"
    return run


def write(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return folder


def survey_evidence(responses: str) -> str:
    """The founding survey evidence, naming another responses file."""
    text = SURVEY_EVIDENCE.read_text(encoding="utf-8")
    return text.replace("用户问卷: video-conference-2017-responses.csv", f"用户问卷: {responses}")


def total_of(run: Run) -> str:
    return str(json.loads(run.out)["total"])


# ----- evidence never reaches outside its folder ------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "/etc/passwd",
        "../outside/secret.csv",
        "link-out.csv",
        "/dev/zero",
        "sub/../../outside/secret.csv",
    ],
)
def test_survey_files_stay_in_the_evidence_folder(tmp_path: Path, name: str) -> None:
    outside = write(tmp_path / "outside", {"secret.csv": "受访者,总体满意度\nSECRET-LINE,很满意\n"})
    case = write(tmp_path / "case", {"e.yaml": survey_evidence(name)})
    (case / "sub").mkdir()
    (case / "link-out.csv").symlink_to(outside / "secret.csv")
    run = jixiao("eval", FOUNDING, case / "e.yaml", cwd=case)
    assert run.code in (1, 2)
    assert "root:" not in run.text and "SECRET-LINE" not in run.text
    assert "e.yaml" in run.err  # the refusal names the evidence file


def test_a_fifo_named_by_evidence_does_not_hang(tmp_path: Path) -> None:
    case = write(tmp_path, {"e.yaml": survey_evidence("pipe.csv")})
    os.mkfifo(case / "pipe.csv")
    run = jixiao("eval", FOUNDING, case / "e.yaml", cwd=case, timeout=20)
    assert run.code in (1, 2)


def test_a_fifo_given_as_the_evidence_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "e.yaml")
    run = jixiao("eval", FOUNDING, tmp_path / "e.yaml", cwd=tmp_path, timeout=20)
    assert run.code in (1, 2)


def test_the_responses_file_is_part_of_the_audit_trail(tmp_path: Path) -> None:
    """Editing the responses moves the score: it must move a digest too."""
    write(tmp_path, {"e.yaml": survey_evidence("r.csv")})
    (tmp_path / "r.csv").write_bytes(RESPONSES.read_bytes())
    first = jixiao("eval", FOUNDING, "e.yaml", "--format", "json", cwd=tmp_path)
    edited = RESPONSES.read_text(encoding="utf-8").replace("很满意", "不满意")
    (tmp_path / "r.csv").write_text(edited, encoding="utf-8")
    second = jixiao("eval", FOUNDING, "e.yaml", "--format", "json", cwd=tmp_path)
    assert total_of(first) != total_of(second)

    def audit(run: Run) -> dict[str, object]:
        scores = {"total", "grade", "indicators", "derived"}
        return {k: v for k, v in json.loads(run.out).items() if k not in scores}

    assert audit(first) != audit(second), "the responses file changed but no digest did"


# ----- the engine never scores silently wrong --------------------------------------------------

UNIT_PACK = """
pack "单位" { total 100 }
fact 运维成本: money unit "万元"
indicator A "成本控制" 100 { reverse 运维成本 target 50 }
"""


@pytest.mark.parametrize("value", ["50万元", "50", "500000元", "500,000元", "0.005亿元"])
def test_money_in_any_unit_is_converted_exactly(tmp_path: Path, value: str) -> None:
    write(tmp_path, {"p.jx": UNIT_PACK, "e.yaml": f"facts:\n  运维成本: {value}\n"})
    run = jixiao("eval", "p.jx", "e.yaml", "--format", "json", cwd=tmp_path)
    assert run.code == 0, run.text
    assert total_of(run) == "100.00"


@pytest.mark.parametrize(
    "rule",
    [
        "tiers r { >= 95: full; else: 0 }",
        "full when r >= 100 else proportional r",
    ],
)
def test_a_bare_number_where_a_percent_is_meant_is_refused(tmp_path: Path, rule: str) -> None:
    write(
        tmp_path,
        {"p.jx": f'pack "p" {{ total 100 }}\nfact r: percent\nindicator A "率" 100 {{ {rule} }}\n'},
    )
    run = jixiao("check", "p.jx", cwd=tmp_path)
    assert run.code == 1
    assert "p.jx:3:" in run.err and "%" in run.err


def test_a_derived_value_on_a_band_bound_takes_that_band(tmp_path: Path) -> None:
    """10/12 × 40% + 4/9 × 60% is exactly 60%: `>= 60%` holds."""
    write(
        tmp_path,
        {
            "p.jx": """
            pack "p" { total 100 }
            fact a: count
            fact b: count nonzero
            fact c: count
            fact d: count nonzero
            let v: percent = a / b * 40% + c / d * 60%
            indicator A "综合" 100 { tiers v { >= 60%: full; else: 0 } }
            """,
            "e.yaml": "facts: {a: 10, b: 12, c: 4, d: 9}\n",
        },
    )
    run = jixiao("eval", "p.jx", "e.yaml", "--format", "json", cwd=tmp_path)
    assert run.code == 0, run.text
    assert total_of(run) == "100.00"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("negative deduction", 'fact n: count\nindicator A "a" 100 { deduct -1 per n "扣 1 分" }'),
        (
            "rounding lifts past the weight",
            'fact r: percent\nindicator A "a" 2.5 { proportional r }\nindicator B "b" 97.5 { proportional r }',
        ),
        (
            "unknown placeholder",
            'fact n: count\nindicator A "a" 100 { deduct 1 per n "发现{问题}个" }',
        ),
        ("no indicator", "fact n: count"),
    ],
)
def test_check_refuses_packs_that_would_score_silently_wrong(
    tmp_path: Path, name: str, body: str
) -> None:
    header = (
        'pack "p" { total 100 rounding 0 half_up }'
        if "rounding" in name
        else 'pack "p" { total 100 }'
    )
    write(tmp_path, {"p.jx": f"{header}\n{body}\n", "e.yaml": "facts: {n: 3, r: 99%}\n"})
    checked = jixiao("check", "p.jx", cwd=tmp_path)
    scored = jixiao("eval", "p.jx", "e.yaml", cwd=tmp_path)
    assert checked.code == 1, checked.text
    assert scored.code == 1, scored.text


def test_grades_out_of_reach_are_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"p.jx": 'pack "p" { total 10 }\nfact a: bool\nindicator A "a" 10 { full when a }\n'},
    )
    run = jixiao("check", "p.jx", cwd=tmp_path)
    assert "优" in run.err


def test_a_condition_that_can_never_hold_is_reported(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "p.jx": 'pack "p" { total 100 }\nfact r: percent\nindicator A "a" 100 { full when r > 100% and r < 100% else proportional r }\n'
        },
    )
    run = jixiao("check", "p.jx", cwd=tmp_path)
    assert "p.jx:3:" in run.err


def test_relative_weights_rescale_by_the_branch_share_when_a_child_is_excluded(
    tmp_path: Path,
) -> None:
    """A (50 points, children in a 100-point scale) loses A2 (not applicable, excluded): A is
    scored 50 × (A1's 0 of 50) and the total is rescaled by the 75 points left in scale of 100:
    (0 + 50) / 75 × 100 = 66.67… — never 83.33, which rescales by A2's weight in A's units."""
    write(
        tmp_path,
        {
            "p.jx": """
            pack "p" { total 100 not_applicable exclude }
            fact a: bool
            fact b: bool
            fact c: bool
            indicator A "一" 50 of 100 {
                indicator A1 "甲" 50 { full when a }
                indicator A2 "乙" 50 { full when b }
            }
            indicator B "二" 50 { full when c }
            """,
            "e.yaml": "facts: {a: false, b: 不适用, c: true}\n",
        },
    )
    run = jixiao("eval", "p.jx", "e.yaml", "--format", "json", cwd=tmp_path)
    if run.code == 0:
        assert total_of(run) != "83.33"


def test_nothing_applicable_has_no_total(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "p.jx": 'pack "p" { total 100 not_applicable exclude }\nfact a: bool\nindicator A "a" 100 { full when a }\n',
            "e.yaml": "facts: {a: 不适用}\n",
        },
    )
    run = jixiao("eval", "p.jx", "e.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "差" not in run.out


# ----- dirty evidence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "evidence",
    [
        "facts:\n  计划巡检次数: {value: 12, value: 13}\n",
        "facts:\n  计划巡检次数: 12\n  计划巡检次数: 13\n",
        "facts:\n  计划巡检次数: 12\nfacts:\n  完成巡检次数: 12\n",
        "facts:\n  完成巡检次数: 十十\n",
        "facts:\n  完成巡检次数: 三五\n",
        "facts:\n  设备运行正常率: 150%\n",
        "facts:\n  预算金额: -3\n",
    ],
)
def test_ambiguous_or_impossible_evidence_is_refused_at_its_line(
    tmp_path: Path, evidence: str
) -> None:
    base = FOUNDING_EVIDENCE.read_text(encoding="utf-8")
    key = evidence.splitlines()[1].split(":")[0].strip() + ":"
    kept = "\n".join(line for line in base.splitlines() if not line.strip().startswith(key))
    extra = evidence.removeprefix("facts:\n")
    text = (
        kept.replace("facts:\n", "facts:\n" + extra, 1)
        if "\nfacts:" not in evidence[6:]
        else kept + "\n" + evidence
    )
    write(tmp_path, {"e.yaml": text})
    run = jixiao("eval", FOUNDING, "e.yaml", cwd=tmp_path)
    assert run.code == 1, run.text
    assert "e.yaml:" in run.err


def test_one_malformed_value_still_prints_what_could_be_scored(tmp_path: Path) -> None:
    text = FOUNDING_EVIDENCE.read_text(encoding="utf-8").replace(
        "重复故障次数: {value: 1,", "重复故障次数: {value: 一次多,", 1
    )
    write(tmp_path, {"e.yaml": text})
    run = jixiao("eval", FOUNDING, "e.yaml", cwd=tmp_path)
    assert run.code == 1
    assert "合计" in run.out and "—" in run.out
    assert "87.74" not in run.out


# ----- portfolios --------------------------------------------------------------------------------

BATCH_PACK = """
pack "p" { total 100 }
fact 预算金额: money unit "元" nonzero
fact 实际支出: money unit "元"
fact 问题: list
let 执行率: percent = 实际支出 / 预算金额
indicator A "预算执行率" 50 { full when 执行率 >= 100% else proportional 执行率 }
indicator B "问题" 50 { deduct 10 per 问题 "发现问题：{item}" }
"""


@pytest.mark.parametrize(
    "row",
    ["p2,-3,100,", "p2,100,100,#REF!", "p2,100,100,=1+1", "p2,100,abc,", "p2,100,100,#DIV/0!"],
)
def test_a_portfolio_refuses_impossible_cells_by_row_and_column(tmp_path: Path, row: str) -> None:
    write(
        tmp_path, {"p.jx": BATCH_PACK, "b.csv": f"id,预算金额,实际支出,问题\np1,100,100,\n{row}\n"}
    )
    run = jixiao("eval", "p.jx", "--batch", "b.csv", "--output", "r.jsonl", cwd=tmp_path)
    assert run.code == 1, run.text
    assert "3" in run.err  # the row
    records = [
        json.loads(line) for line in (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    scored = [r for r in records if r.get("total") not in (None, "", "—")]
    assert len(scored) == 1  # p1 only


def test_a_portfolio_is_never_overwritten_by_its_own_output(tmp_path: Path) -> None:
    table = "id,预算金额,实际支出,问题\np1,100,100,\n"
    write(tmp_path, {"p.jx": BATCH_PACK, "b.csv": table})
    run = jixiao("eval", "p.jx", "--batch", "b.csv", "--output", "b.csv", cwd=tmp_path)
    assert run.code in (1, 2)
    assert (tmp_path / "b.csv").read_text(encoding="utf-8") == table


def test_an_output_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path, {"p.jx": BATCH_PACK, "b.csv": "id,预算金额,实际支出,问题\np1,100,100,\n"})
    run = jixiao("eval", "p.jx", "--batch", "b.csv", "--output", "no/such/r.jsonl", cwd=tmp_path)
    assert run.code in (1, 2)
    assert "no/such" in run.err


def test_a_piped_pack_scores_the_same_on_two_processes(tmp_path: Path) -> None:
    rows = "".join(f"p{i},100,{i % 120},{'甲；乙' if i % 3 else ''}\n" for i in range(2100))
    write(tmp_path, {"b.csv": "id,预算金额,实际支出,问题\n" + rows, "p.jx": BATCH_PACK})
    pack = (tmp_path / "p.jx").read_bytes()
    serial = jixiao(
        "eval",
        "p.jx",
        "--batch",
        "b.csv",
        "--jobs",
        "1",
        "--output",
        "s.jsonl",
        cwd=tmp_path,
        timeout=60,
    )
    piped = jixiao(
        "eval",
        "/dev/stdin",
        "--batch",
        "b.csv",
        "--jobs",
        "2",
        "--output",
        "j.jsonl",
        cwd=tmp_path,
        stdin=pack,
        timeout=60,
    )
    assert serial.code == 0 and piped.code == 0, piped.text

    def records(name: str) -> list[dict[str, object]]:
        lines = (tmp_path / name).read_text(encoding="utf-8").splitlines()
        return [{k: v for k, v in json.loads(line).items() if "sha" not in k} for line in lines]

    assert records("j.jsonl") == records("s.jsonl")


def test_a_huge_csv_cell_is_a_clear_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "p.jx": BATCH_PACK,
            "b.csv": "id,预算金额,实际支出,问题\np1,100,100," + "问" * 200_000 + "\n",
        },
    )
    run = jixiao("eval", "p.jx", "--batch", "b.csv", "--output", "r.jsonl", cwd=tmp_path)
    assert run.code in (1, 2)


# ----- unbounded work ----------------------------------------------------------------------------


def test_exponential_function_expansion_is_refused_quickly(tmp_path: Path) -> None:
    """Each function passes its argument twice: naive expansion doubles at every level."""
    lines = [
        'pack "p" { total 100 }',
        "fact x: number",
        "function f0(v: number) { full when v > 0 }",
    ]
    lines += [f"function f{i}(v: number) {{ f{i - 1}(v + v) }}" for i in range(1, 40)]
    lines += ['indicator A "a" 100 { f39(x) }']
    write(tmp_path, {"p.jx": "\n".join(lines) + "\n"})
    run = jixiao("check", "p.jx", cwd=tmp_path)
    assert run.code == 1


@pytest.mark.parametrize("depth", [1000, 3000])
def test_long_chains_of_derived_facts_end_in_a_score_or_a_named_limit(
    tmp_path: Path, depth: int
) -> None:
    lines = ['pack "p" { total 100 }', "fact x: number", "let v0: number = x"]
    lines += [f"let v{i}: number = v{i - 1} + 1" for i in range(1, depth)]
    lines += [f'indicator A "a" 100 {{ full when v{depth - 1} > 0 }}']
    write(tmp_path, {"p.jx": "\n".join(lines) + "\n", "e.yaml": "facts: {x: 1}\n"})
    jixiao("eval", "p.jx", "e.yaml", cwd=tmp_path, timeout=60)


def test_json_output_grows_linearly_with_a_list(tmp_path: Path) -> None:
    items = "".join(f"    - 问题{i}\n" for i in range(8000))
    write(
        tmp_path,
        {
            "p.jx": BATCH_PACK,
            "e.yaml": f"facts:\n  预算金额: 100\n  实际支出: 100\n  问题:\n{items}",
        },
    )
    run = jixiao("eval", "p.jx", "e.yaml", "--format", "json", cwd=tmp_path, timeout=60)
    assert run.code == 0
    assert len(run.out.encode()) < 50 * 8000 * 20


def test_a_terminal_that_cannot_show_chinese_is_not_a_crash(tmp_path: Path) -> None:
    for encoding in ("ascii", "cp1252"):
        run = jixiao(
            "eval", FOUNDING, FOUNDING_EVIDENCE, cwd=tmp_path, env={"PYTHONIOENCODING": encoding}
        )
        assert run.code == 0
