"""Outputs: never written over an input — by path, symlink or hard link — and every way writing
can fail is a diagnostic with exit 1, before the work where it can be told."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import FOUNDING_EVIDENCE, FOUNDING_PACK, ROOT, cli

SELFEVAL_TABLE = ROOT / "evidence" / "selfeval" / "clean.xlsx"


@pytest.fixture
def portfolio(tmp_path: Path) -> Path:
    """A two-project portfolio of the founding pack, as CSV."""
    import yaml

    facts = yaml.safe_load(FOUNDING_EVIDENCE.read_text(encoding="utf-8"))["facts"]
    cells = {}
    for name, value in facts.items():
        value = value["value"] if isinstance(value, dict) else value
        if isinstance(value, list):
            value = "；".join(x["item"] if isinstance(x, dict) else str(x) for x in value)
        cells[name] = value
    path = tmp_path / "p.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["id", *cells])
        out.writerow(["P1", *cells.values()])
        out.writerow(["P2", *cells.values()])
    return path


def _refused(result: tuple[int, str, str], code: str = "E680") -> str:
    status, _, err = result
    assert status == 1 and f"error[{code}]" in err, err
    assert "internal error" not in err and "Traceback" not in err
    return err


def _links(tmp_path: Path, target: Path) -> list[Path]:
    """The same file under three other names: a copy of its path, a symlink, a hard link."""
    symlink, hardlink = tmp_path / "link.out", tmp_path / "hard.out"
    symlink.symlink_to(target)
    os.link(target, hardlink)
    return [target, Path(os.path.relpath(target)), symlink, hardlink]


def test_batch_output_over_the_portfolio_is_refused(portfolio: Path, tmp_path: Path) -> None:
    """The finding: `--batch p.csv --output p.csv` truncated the portfolio, scored 0 projects
    and exited 0."""
    before = portfolio.read_bytes()
    for name in _links(tmp_path, portfolio):
        for option in ("--output", "--summary"):
            err = _refused(
                cli("eval", str(FOUNDING_PACK), "--batch", str(portfolio), option, str(name))
            )
            assert "the portfolio" in err and " scored, " not in err
            assert portfolio.read_bytes() == before
    status, _, err = cli("eval", str(FOUNDING_PACK), "--batch", str(portfolio))
    assert status == 0 and "2 projects: 2 scored, 0 failed" in err


def test_batch_output_over_the_pack_or_each_other_is_refused(
    portfolio: Path, tmp_path: Path
) -> None:
    pack = tmp_path / "pack.jx"
    shutil.copy(FOUNDING_PACK, pack)
    before = pack.read_bytes()
    _refused(cli("eval", str(pack), "--batch", str(portfolio), "--output", str(pack)))
    assert pack.read_bytes() == before
    same = str(tmp_path / "r.json")
    err = _refused(
        cli("eval", str(pack), "--batch", str(portfolio), "--output", same, "--summary", same)
    )
    assert "--output" in err and not Path(same).exists()


def test_batch_output_inside_the_folder_scored_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    shutil.copy(FOUNDING_EVIDENCE, folder / "a.yaml")
    (folder / "responses.csv").write_text("q1\n5\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for name in ("a.yaml", "b.yaml", "responses.csv"):
        err = _refused(
            cli("eval", str(FOUNDING_PACK), "--batch", str(folder), "--output", str(folder / name))
        )
        assert "inside" in err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    # a new report beside the evidence is no input: it may be written there
    status, _, err = cli(
        "eval", str(FOUNDING_PACK), "--batch", str(folder), "--summary", str(folder / "s.html")
    )
    assert status == 0, err


def test_eval_output_over_its_inputs_is_refused(tmp_path: Path) -> None:
    pack, evidence = tmp_path / "p.jx", tmp_path / "e.yaml"
    shutil.copy(FOUNDING_PACK, pack)
    shutil.copy(FOUNDING_EVIDENCE, evidence)
    for target, role in ((pack, "the pack"), (evidence, "the evidence")):
        before = target.read_bytes()
        for name in _links(tmp_path, target):
            for fmt in ("json", "xlsx"):
                err = _refused(
                    cli("eval", str(pack), str(evidence), "--output", str(name), "--format", fmt)
                )
                assert role in err
            assert target.read_bytes() == before
        (tmp_path / "link.out").unlink()
        (tmp_path / "hard.out").unlink()


def test_selfeval_outputs_over_the_table_are_refused(tmp_path: Path) -> None:
    table = tmp_path / "t.xlsx"
    shutil.copy(SELFEVAL_TABLE, table)
    before = table.read_bytes()
    for option in ("--output", "--emit-pack"):
        err = _refused(cli("selfeval", str(table), option, str(table)))
        assert "the table" in err
    assert table.read_bytes() == before
    template = tmp_path / "template.jx"
    shutil.copy(ROOT / "rules" / "self-evaluation.jx", template)
    _refused(cli("selfeval", str(table), "--template", str(template), "--emit-pack", str(template)))


@pytest.mark.parametrize("where", ["missing/r.json", "missing/deeper/r.xlsx"])
def test_a_missing_output_folder_is_a_clear_error(tmp_path: Path, where: str) -> None:
    """It was exit 3 (an internal error) after all the work."""
    out = str(tmp_path / where)
    err = _refused(cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--output", out), "E681")
    assert "does not exist" in err


def test_a_missing_folder_stops_a_batch_before_scoring(portfolio: Path, tmp_path: Path) -> None:
    for option in ("--output", "--summary"):
        out = str(tmp_path / "missing" / "r.csv")
        err = _refused(
            cli("eval", str(FOUNDING_PACK), "--batch", str(portfolio), option, out), "E681"
        )
        assert "scored" not in err


def test_an_output_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    err = _refused(
        cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--output", str(tmp_path)), "E681"
    )
    assert "folder" in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_a_clear_error(portfolio: Path) -> None:
    """/dev/full fails every write with ENOSPC, as a full disk does."""
    for fmt in ("json", "xlsx"):
        args = ("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--format", fmt)
        err = _refused(cli(*args, "--output", "/dev/full"), "E681")
        assert "the disk is full" in err
    for option, name in (("--output", "/dev/full"), ("--summary", "/dev/full")):
        err = _refused(
            cli("eval", str(FOUNDING_PACK), "--batch", str(portfolio), option, name), "E681"
        )
        assert "the disk is full" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_a_folder_without_permission_is_a_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        out = str(locked / "r.json")
        err = _refused(
            cli("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), "--output", out), "E681"
        )
        assert "permission" in err
    finally:
        locked.chmod(0o700)


# ----- a terminal that cannot encode Chinese ------------------------------------------------------


def _jixiao(*args: str, encoding: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUTF8", "LC_ALL", "LANG")}
    env["PYTHONIOENCODING"] = encoding
    return subprocess.run(
        [sys.executable, "-m", "jixiao.engine.cli", *args],
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize("encoding", ["ascii", "cp1252", "latin-1"])
def test_a_terminal_without_chinese_gets_escapes_and_a_note(encoding: str, tmp_path: Path) -> None:
    """It was exit 3 (UnicodeEncodeError) for every command that prints Chinese."""
    broken = tmp_path / "broken.jx"
    broken.write_text('fact 完成: bool\nindicator A "产出" 100 { full when 完成率 }\n', "utf-8")
    runs = [
        (_jixiao("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), encoding=encoding), 0),
        (_jixiao("check", str(broken), encoding=encoding), 1),
        (_jixiao("eval", "--help", encoding=encoding), 0),
    ]
    for proc, status in runs:
        err = proc.stderr.decode(encoding)
        assert proc.returncode == status, err
        assert "Traceback" not in err and "internal error" not in err
        assert err.startswith("note: the output encoding") and "PYTHONIOENCODING=utf-8" in err
        proc.stdout.decode(encoding)  # every byte in the terminal's encoding
    eval_out = runs[0][0].stdout.decode(encoding)
    assert "87.74" in eval_out and "\\u826f" in eval_out  # 良, escaped
    assert "\\u5b8c\\u6210\\u7387" in runs[1][0].stderr.decode(encoding)  # `完成率`


def test_a_terminal_with_chinese_gets_no_note() -> None:
    for encoding in ("utf-8", "gb18030"):
        proc = _jixiao("eval", str(FOUNDING_PACK), str(FOUNDING_EVIDENCE), encoding=encoding)
        assert proc.returncode == 0 and not proc.stderr.decode(encoding).startswith("note:")
        assert "良" in proc.stdout.decode(encoding)


def test_fmt_reads_a_piped_pack_whatever_the_locale() -> None:
    text = 'fact 完成: bool\nindicator A "产出" 100 { full when 完成 }\n'
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUTF8", "LC_ALL", "LANG")}
    env["PYTHONIOENCODING"] = "ascii"
    proc = subprocess.run(
        [sys.executable, "-m", "jixiao.engine.cli", "fmt", "-"],
        input=text.encode("utf-8"),
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "\\u4ea7\\u51fa" in proc.stdout.decode("ascii")  # 产出


# ----- property: however an input is spelled, it is never an output ------------------------------


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    spelling=st.lists(
        st.sampled_from(["dot", "parent", "symlink", "hardlink", "folder-link", "absolute"]),
        min_size=1,
        max_size=4,
    )
)
def test_any_spelling_of_an_input_is_refused(tmp_path: Path, spelling: list[str]) -> None:
    import tempfile

    from jixiao.dsl.diagnostics import JixiaoError
    from jixiao.engine.render.outputs import refuse

    base = Path(tempfile.mkdtemp(dir=tmp_path))  # one per example
    (base / "data" / "sub").mkdir(parents=True)
    original = base / "data" / "p.csv"
    original.write_text("id\n1\n", encoding="utf-8")
    target, n = original, 0
    for step in spelling:
        n += 1
        if step == "dot":
            target = target.parent / "." / target.name
        elif step == "parent":
            (target.parent / "sub").mkdir(exist_ok=True)
            target = target.parent / "sub" / ".." / target.name
        elif step == "symlink":
            link = base / f"link{n}.csv"
            link.symlink_to(target)
            target = link
        elif step == "hardlink":
            link = base / f"hard{n}.csv"
            os.link(os.path.realpath(target), link)
            target = link
        elif step == "folder-link":
            folder = base / f"folder{n}"
            folder.symlink_to(target.parent, target_is_directory=True)
            target = folder / target.name
        else:
            target = Path(os.path.abspath(target))
    with pytest.raises(JixiaoError) as caught:
        refuse({"--output": str(target)}, [("the portfolio", str(original))])
    assert [d.code for d in caught.value.diagnostics] == ["E680"]
    assert original.read_text(encoding="utf-8") == "id\n1\n"


def test_fmt_never_leaves_a_pack_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`fmt` rewrites its input: a full disk used to truncate the pack (and exit 3)."""
    import errno

    from jixiao.engine.render import outputs

    pack = tmp_path / "p.jx"
    messy = 'fact 完成: bool\nindicator A "产出" 100 {   full when 完成 }\n'
    pack.write_text(messy, encoding="utf-8")
    pack.chmod(0o640)

    def full_disk(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as m:
        m.setattr(outputs.os, "replace", full_disk)
        err = _refused(cli("fmt", str(pack)), "E681")
    assert "the disk is full" in err
    assert pack.read_text(encoding="utf-8") == messy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jx"]  # no temporary file left
    link = tmp_path / "link.jx"
    link.symlink_to(pack)
    status, _, err = cli("fmt", str(link))
    assert status == 0, err
    assert link.is_symlink() and pack.read_text(encoding="utf-8") != messy  # the target, formatted
    assert pack.stat().st_mode & 0o777 == 0o640


def test_eval_output_over_the_survey_responses_is_refused(tmp_path: Path) -> None:
    """The responses file the evidence names is an input as much as the evidence."""
    evidence = tmp_path / "e.yaml"
    shutil.copy(ROOT / "evidence" / "video-conference-2017-survey.yaml", evidence)
    responses = tmp_path / "video-conference-2017-responses.csv"
    shutil.copy(ROOT / "evidence" / "video-conference-2017-responses.csv", responses)
    before = responses.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(responses)
    for name in (responses, Path(os.path.relpath(responses)), link):
        err = _refused(cli("eval", str(FOUNDING_PACK), str(evidence), "--output", str(name)))
        assert "a file the evidence names" in err
    assert responses.read_bytes() == before
    status, _, err = cli(
        "eval", str(FOUNDING_PACK), str(evidence), "--output", str(tmp_path / "r.md")
    )
    assert status == 0, err
