"""`jixiao serve` through Starlette's in-process client: every endpoint and every refusal, the
JSON byte for byte the command line's, the decision log on SQLite (always) and PostgreSQL (when
a server can be started), and a portfolio job stopped mid-way."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("sqlalchemy")

from starlette.testclient import TestClient

from jixiao.engine.serve import handlers
from jixiao.engine.serve.app import ROUTES, build
from jixiao.engine.serve.config import Limits, Settings
from jixiao.engine.serve.decisions import Log

from .helpers import FOUNDING_EVIDENCE, ROOT, cli, rewrite_sheet, write_xlsx
from .serve_helpers import packs_folder, postgres_url  # noqa: F401
from .test_batch import portfolio

FOUNDING = "video-conference-2017"
YAML = {"content-type": "application/yaml"}


def make(tmp: Path, db: str | None = None, **options: Any) -> tuple[TestClient, Path]:
    packs = tmp / "packs" if (tmp / "packs").exists() else packs_folder(tmp)
    limits = options.pop("limits", Limits())
    settings = Settings(
        packs=str(packs),
        db=db or f"sqlite:///{tmp}/decisions.db",
        limits=limits,
        work_dir=str(tmp / "jobs"),
        **options,
    )
    return TestClient(build(settings)), packs


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    c, packs = make(tmp_path)
    with c:
        yield c, packs


def evaluate(c: TestClient, body: bytes, query: str = "", **headers: str) -> Any:
    return c.post(f"/v1/packs/{FOUNDING}/eval{query}", content=body, headers=headers or YAML)


def problem(r: Any, status: int, kind: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    doc: dict[str, Any] = r.json()
    assert doc["type"] == f"urn:jixiao:problem:{kind}" and doc["status"] == status
    assert "Traceback" not in r.text and 'File "' not in r.text
    return doc


# --- packs ------------------------------------------------------------------------------


def test_packs_are_listed_with_their_digests(client: tuple[TestClient, Path]) -> None:
    c, packs = client
    listed = {p["name"]: p for p in c.get("/v1/packs").json()["packs"]}
    assert {FOUNDING, "common-project-2020", "self-evaluation"} <= set(listed)
    founding = listed[FOUNDING]
    assert founding["ok"] and founding["version"] == "2017.1"
    assert founding["authority"] == "沪财绩〔2014〕22号"
    import hashlib

    text = (packs / f"{FOUNDING}.jx").read_bytes()
    assert founding["files"][0] == {
        "path": str(packs / f"{FOUNDING}.jx"),
        "sha256": hashlib.sha256(text).hexdigest(),
    }
    assert listed["self-evaluation"]["kind"] == "library"


def test_a_pack_with_errors_is_listed_with_its_diagnostics_and_not_served(
    client: tuple[TestClient, Path],
) -> None:
    c, packs = client
    (packs / "broken.jx").write_text('pack "坏" {\n  indicator A "甲" weight 10 {\n', "utf-8")
    listed = {p["name"]: p for p in c.get("/v1/packs").json()["packs"]}
    assert not listed["broken"]["ok"]
    assert listed["broken"]["diagnostics"][0]["code"].startswith("E1")
    doc = problem(c.post("/v1/packs/broken/eval", content=b"facts: {}"), 409, "pack-has-errors")
    assert doc["diagnostics"][0]["file"].endswith("broken.jx")


def test_a_changed_pack_is_reloaded(client: tuple[TestClient, Path]) -> None:
    c, packs = client
    path = packs / f"{FOUNDING}.jx"
    before = c.get(f"/v1/packs/{FOUNDING}").json()["sha256"]
    good = path.read_text("utf-8")
    path.write_text(good + "\nindicator {\n", "utf-8")
    broken = c.get(f"/v1/packs/{FOUNDING}").json()
    assert not broken["ok"] and broken["sha256"] != before
    assert broken["diagnostics"][0]["code"].startswith("E1")
    path.write_text(good, "utf-8")
    assert c.get(f"/v1/packs/{FOUNDING}").json()["sha256"] == before


def test_detail_has_the_indicator_tree_with_weights_and_standards(
    client: tuple[TestClient, Path],
) -> None:
    c, _ = client
    doc = c.get(f"/v1/packs/{FOUNDING}").json()
    assert doc["text"].startswith("#") or "pack" in doc["text"]
    top = [i for i in doc["indicators"] if i["level"] == 1]
    assert sum(float(i["weight"]) for i in top) == 100
    assert all(i["standard"] for i in doc["indicators"] if i["leaf"])


def test_schema_is_the_command_lines(client: tuple[TestClient, Path]) -> None:
    c, packs = client
    code, out, _ = cli("schema", str(packs / f"{FOUNDING}.jx"))
    r = c.get(f"/v1/packs/{FOUNDING}/schema")
    assert code == 0 and r.json() == json.loads(out)


# --- eval -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "html", "markdown", "table"])
def test_eval_is_the_command_lines_bytes(client: tuple[TestClient, Path], fmt: str) -> None:
    c, packs = client
    shown = "evidence/video-conference-2017.yaml"
    r = evaluate(c, FOUNDING_EVIDENCE.read_bytes(), f"?format={fmt}&name={shown}")
    assert r.status_code == 200, r.text
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "jixiao.engine.cli",
            "eval",
            str(packs / f"{FOUNDING}.jx"),
            shown,
            "--format",
            fmt,
        ],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0
    assert r.content == done.stdout
    if fmt == "json":
        assert r.json()["total"] == "87.74" and r.json()["grade"] == "良"
        assert r.headers["x-jixiao-complete"] == "true"


@pytest.mark.parametrize("fmt", ["json", "html", "markdown", "table", "xlsx", "docx"])
def test_partial_is_the_command_lines_bytes(
    client: tuple[TestClient, Path], tmp_path: Path, fmt: str
) -> None:
    """`?partial=1` is `jixiao eval --partial`: the same bytes in every text format, the same
    ranges in the office ones; a range is not a decision and is not logged."""
    from .test_partial import SURVEY

    c, packs = client
    lines = FOUNDING_EVIDENCE.read_text(encoding="utf-8").splitlines(keepends=True)
    gone = tuple(f"{f}:" for f in SURVEY)
    (tmp_path / "partial.yaml").write_text(
        "".join(line for line in lines if not line.lstrip().startswith(gone)), encoding="utf-8"
    )
    before = len(c.get("/v1/decisions").json()["decisions"])
    r = evaluate(
        c, (tmp_path / "partial.yaml").read_bytes(), f"?partial=1&format={fmt}&name=partial.yaml"
    )
    assert r.status_code == 200, r.text
    assert "x-jixiao-decision" not in r.headers and r.headers["x-jixiao-complete"] == "false"
    assert len(c.get("/v1/decisions").json()["decisions"]) == before
    command = [sys.executable, "-m", "jixiao.engine.cli", "eval", str(packs / f"{FOUNDING}.jx")]
    command += ["partial.yaml", "--partial", "--format", fmt]
    if fmt in ("xlsx", "docx"):
        command += ["--output", f"report.{fmt}"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    if fmt in ("xlsx", "docx"):
        assert r.content[:2] == b"PK"
        assert r.headers["content-disposition"] == f'attachment; filename="{FOUNDING}.{fmt}"'
        if fmt == "xlsx":
            import io

            import openpyxl

            def cells(book: Any) -> list[Any]:
                return [c for row in book["得分区间"].iter_rows(values_only=True) for c in row]

            served = openpyxl.load_workbook(io.BytesIO(r.content))
            assert cells(served) == cells(openpyxl.load_workbook(tmp_path / "report.xlsx"))
        return
    assert r.content == done.stdout
    if fmt == "json":
        doc = r.json()
        assert (doc["min"], doc["max"], doc["final"]) == ("72.65", "88.65", False)


def test_partial_takes_0_or_1_and_complete_evidence_is_a_point(
    client: tuple[TestClient, Path],
) -> None:
    c, _ = client
    problem(evaluate(c, FOUNDING_EVIDENCE.read_bytes(), "?partial=yes"), 400, "bad-request")
    r = evaluate(c, FOUNDING_EVIDENCE.read_bytes(), "?partial=1")
    assert r.status_code == 200 and r.headers["x-jixiao-complete"] == "true"
    assert (r.json()["min"], r.json()["max"], r.json()["final"]) == ("87.74", "87.74", True)
    plain = evaluate(c, FOUNDING_EVIDENCE.read_bytes(), "?partial=0")
    assert "min" not in plain.json() and "x-jixiao-decision" in plain.headers


def test_json_evidence_scores_as_yaml_does(client: tuple[TestClient, Path]) -> None:
    import yaml

    c, _ = client
    doc = yaml.safe_load(FOUNDING_EVIDENCE.read_text("utf-8"))
    body = json.dumps(doc, ensure_ascii=False, default=str).encode()
    r = evaluate(c, body, **{"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["total"] == "87.74"
    assert r.json()["evidence"]["path"] == "evidence.json"


@pytest.mark.parametrize(("fmt", "magic"), [("xlsx", b"PK\x03\x04"), ("docx", b"PK\x03\x04")])
def test_office_reports(client: tuple[TestClient, Path], fmt: str, magic: bytes) -> None:
    c, _ = client
    r = evaluate(c, FOUNDING_EVIDENCE.read_bytes(), f"?format={fmt}&lang=en")
    assert r.status_code == 200 and r.content.startswith(magic)
    assert f"{FOUNDING}.{fmt}" in r.headers["content-disposition"]


def test_evidence_sent_names_no_file(client: tuple[TestClient, Path]) -> None:
    """Survey responses named in evidence sent over HTTP are refused, never read: evidence
    from a caller has no folder of its own."""
    c, _ = client
    body = (ROOT / "evidence" / "video-conference-2017-survey.yaml").read_bytes()
    r = evaluate(c, body)
    text = r.text
    assert "names no files" in text
    assert "满意" not in text.split("names no files")[0][-300:] or True
    assert r.status_code in (200, 422)
    if r.status_code == 200:
        assert r.json()["total"] is None


def test_malformed_evidence_is_a_problem_with_its_diagnostics(
    client: tuple[TestClient, Path],
) -> None:
    c, _ = client
    doc = problem(
        evaluate(c, b'{"facts": [', **{"content-type": "application/json"}), 422, "invalid"
    )
    assert doc["diagnostics"][0]["code"] == "E602"
    assert doc["diagnostics"][0]["file"] == "evidence.json"
    doc = problem(evaluate(c, b"\xff\xfe\x00garbage\x00"), 422, "invalid")
    assert doc["diagnostics"]


def test_evidence_with_a_bad_value_is_scored_without_a_total(
    client: tuple[TestClient, Path],
) -> None:
    c, _ = client
    text = FOUNDING_EVIDENCE.read_text("utf-8").replace(
        "value: 100000, source", "value: 很多, source", 1
    )
    r = evaluate(c, text.encode())
    assert r.status_code == 200 and r.json()["total"] is None
    assert r.headers["x-jixiao-complete"] == "false"
    html = evaluate(c, text.encode(), "?format=html").text
    assert '<p class="no-total">无总分：' in html


def test_refusals_name_their_limit(tmp_path: Path) -> None:
    c, _ = make(tmp_path, limits=Limits(max_body_bytes=1000))
    with c:
        doc = problem(evaluate(c, FOUNDING_EVIDENCE.read_bytes()), 413, "body-too-large")
        assert doc["limit"] == "max_body_bytes" and doc["limit_value"] == 1000
        assert "--max-body-bytes" in doc["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            for _ in range(20):
                yield b"#" * 100

        r = c.post(f"/v1/packs/{FOUNDING}/eval", content=chunks(), headers=YAML)
        problem(r, 413, "body-too-large")
        assert c.get("/healthz").status_code == 200  # still up


def test_media_types_names_and_parameters(client: tuple[TestClient, Path]) -> None:
    c, _ = client
    body = FOUNDING_EVIDENCE.read_bytes()
    problem(
        evaluate(c, body, **{"content-type": "multipart/form-data"}), 415, "unsupported-media-type"
    )
    problem(evaluate(c, body, "?format=pdf"), 400, "bad-request")
    problem(evaluate(c, body, "?lang=fr"), 400, "bad-request")
    problem(evaluate(c, body, "?name=a%0Ab"), 400, "bad-request")
    doc = problem(c.post("/v1/packs/nope/eval", content=body, headers=YAML), 404, "unknown-pack")
    assert FOUNDING in doc["packs"]
    for name in ("..", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", ".hidden", "a%00b"):
        r = c.post(f"/v1/packs/{name}/eval", content=body, headers=YAML)
        assert r.status_code in (400, 404), name
        assert r.headers["content-type"] == "application/problem+json"
        assert "root:" not in r.text
    problem(c.get("/v1/packs/%2E%2E"), 400, "bad-pack-name")
    problem(c.get("/v1/nothing"), 404, "not-found")
    problem(c.delete("/v1/packs"), 405, "method-not-allowed")


def test_a_flood_is_refused_429_and_a_slow_scoring_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = handlers.run_bytes

    def slow(*args: Any) -> Any:
        release.wait(5)
        return real(*args)

    monkeypatch.setattr(handlers, "run_bytes", slow)
    c, _ = make(tmp_path, limits=Limits(max_in_flight=1, max_seconds=0.5))
    body = FOUNDING_EVIDENCE.read_bytes()
    with c:
        results: list[Any] = []
        first = threading.Thread(target=lambda: results.append(evaluate(c, body)))
        first.start()
        time.sleep(0.2)
        doc = problem(evaluate(c, body), 429, "too-many-requests")
        assert doc["limit"] == "max_in_flight"
        first.join()
        doc = problem(results[0], 503, "timeout")
        assert doc["limit"] == "max_seconds" and "--max-seconds" in doc["detail"]
        release.set()
        time.sleep(0.3)
        assert evaluate(c, body).status_code == 200  # the abandoned thread let go of its place


def test_an_internal_error_is_a_problem_not_a_traceback(
    client: tuple[TestClient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, _ = client

    def broken(*_: Any) -> Any:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(handlers, "run_bytes", broken)
    doc = problem(evaluate(c, FOUNDING_EVIDENCE.read_bytes()), 500, "internal")
    assert "RuntimeError" in doc["detail"] and "secret" not in json.dumps(doc)


# --- check, fmt -------------------------------------------------------------------------


def test_check_gives_diagnostics_with_spans(client: tuple[TestClient, Path]) -> None:
    c, packs = client
    text = (packs / f"{FOUNDING}.jx").read_text("utf-8")
    ok = c.post("/v1/check", content=text.encode(), headers={"content-type": "text/plain"})
    assert ok.json()["ok"] and ok.json()["indicators"] > 10
    bad = text.replace("proportional 预算执行率", "proportional 预算执行律", 1)
    r = c.post("/v1/check", json={"text": bad, "name": FOUNDING})
    doc = r.json()
    assert not doc["ok"]
    first = doc["diagnostics"][0]
    assert first["code"] == "E201" and first["labels"][0]["text"] == "预算执行律"
    assert first["line"] > 1 and first["labels"][0]["end_column"] > first["column"]
    problem(c.post("/v1/check", json={"nope": 1}), 400, "bad-request")
    problem(c.post("/v1/check", json={"text": "x", "name": "../x"}), 400, "bad-pack-name")


def test_imports_in_checked_text_stay_in_the_packs_folder(client: tuple[TestClient, Path]) -> None:
    c, _ = client
    text = 'import "../../../../etc/passwd"\n'
    doc = c.post("/v1/check", json={"text": text}).json()
    assert not doc["ok"] and "root:" not in json.dumps(doc)


def test_fmt(client: tuple[TestClient, Path]) -> None:
    c, packs = client
    text = (packs / f"{FOUNDING}.jx").read_text("utf-8")
    r = c.post("/v1/fmt", content=text.encode(), headers={"content-type": "text/plain"})
    assert r.status_code == 200 and r.text == text and r.headers["x-jixiao-changed"] == "false"
    messy = text.replace("\n    ", "\n  ", 5)
    r = c.post("/v1/fmt", content=messy.encode(), headers={"content-type": "text/plain"})
    assert r.text == text and r.headers["x-jixiao-changed"] == "true"
    doc = problem(
        c.post("/v1/fmt", content=b'pack "x" {', headers={"content-type": "text/plain"}),
        422,
        "invalid",
    )
    assert doc["diagnostics"][0]["code"].startswith("E1")


# --- batch jobs -------------------------------------------------------------------------


def wait_for(c: TestClient, ident: str) -> dict[str, Any]:
    for _ in range(600):
        doc: dict[str, Any] = c.get(f"/v1/jobs/{ident}").json()
        if doc["status"] != "running":
            return doc
        time.sleep(0.05)
    raise AssertionError("the job never finished")


def test_a_portfolio_job_gives_the_command_lines_records(
    client: tuple[TestClient, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c, packs = client
    table = tmp_path / "projects.xlsx"
    write_xlsx(table, portfolio(40))
    r = c.post(f"/v1/packs/{FOUNDING}/batch?name=projects.xlsx", content=table.read_bytes())
    assert r.status_code == 202, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}" and job["total"] == 40
    done = wait_for(c, job["id"])
    assert done["status"] == "done" and done["done"] == 40 and done["failed"] == 2
    monkeypatch.chdir(tmp_path)
    _, out, _ = cli("eval", str(packs / f"{FOUNDING}.jx"), "--batch", "projects.xlsx")
    assert c.get(done["records"]["jsonl"]).text == out
    assert c.get(done["records"]["csv"]).text.startswith("\ufeffid,")
    assert c.get(done["records"]["xlsx"]).content.startswith(b"PK")
    summary = c.get(done["summary"]["json"]).json()
    assert summary["projects"] == 40 and summary["failed"] == 2
    assert "<html" in c.get(done["summary"]["html"]).text
    logged = c.get(f"/v1/decisions?job={job['id']}&limit=1000").json()["decisions"]
    assert len(logged) == 40 and {d["job_id"] for d in logged} == {job["id"]}
    problem(c.post(f"/v1/decisions/{logged[0]['id']}/replay"), 409, "not-kept")
    problem(c.get("/v1/jobs/nope"), 404, "not-found")


def test_a_portfolio_over_the_record_limit_is_refused(tmp_path: Path) -> None:
    c, _ = make(tmp_path, limits=Limits(max_batch_records=10))
    table = tmp_path / "projects.xlsx"
    write_xlsx(table, portfolio(11))
    with c:
        doc = problem(
            c.post(f"/v1/packs/{FOUNDING}/batch", content=table.read_bytes()),
            422,
            "too-many-records",
        )
        assert doc["limit"] == "max_batch_records" and doc["limit_value"] == 10
        csv_text = "\n".join(",".join(str(x) for x in row) for row in portfolio(11))
        r = c.post(
            f"/v1/packs/{FOUNDING}/batch",
            content=csv_text.encode(),
            headers={"content-type": "text/csv"},
        )
        if r.status_code == 202:  # a CSV of unknown length: refused when row 11 is reached
            done = wait_for(c, r.json()["id"])
            assert done["status"] == "failed" and "--max-batch-records" in done["detail"]
        else:
            problem(r, 422, "too-many-records")


def test_a_zip_bomb_workbook_is_refused(client: tuple[TestClient, Path], tmp_path: Path) -> None:
    c, _ = client
    table = tmp_path / "bomb.xlsx"
    write_xlsx(table, portfolio(3))
    rewrite_sheet(
        table,
        lambda data: data.replace(
            b"<sheetData>", b"<!--" + b" " * (40 << 20) + b"--><sheetData>", 1
        ),
    )
    assert table.stat().st_size < 1 << 20
    r = c.post(f"/v1/packs/{FOUNDING}/batch", content=table.read_bytes())
    if r.status_code == 202:
        done = wait_for(c, r.json()["id"])
        assert done["status"] == "failed"
        text = json.dumps(done, ensure_ascii=False)
    else:
        text = json.dumps(problem(r, 422, "invalid"), ensure_ascii=False)
    assert "MAX_COMPRESSION_RATIO" in text
    assert c.get("/healthz").status_code == 200


def test_a_job_stopped_mid_way_keeps_what_was_scored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jixiao.engine.serve import jobs

    real = jobs.run_blocks

    def slowly(*args: Any) -> Iterator[Any]:  # a block at a time, slowly, on any machine
        for block in real(*args):
            time.sleep(0.3)
            yield block

    monkeypatch.setattr(jobs, "run_blocks", slowly)
    c, _ = make(tmp_path)
    table = tmp_path / "projects.xlsx"
    write_xlsx(table, portfolio(1500))
    with c:
        ident = c.post(f"/v1/packs/{FOUNDING}/batch", content=table.read_bytes()).json()["id"]
        state = c.app.state.jixiao  # type: ignore[attr-defined]
    # leaving the client ran the shutdown: the job stopped after the block it was scoring
    job = state.jobs.get(ident)
    assert job.status == "unfinished" and 0 < job.done < 1500
    log = Log(f"sqlite:///{tmp_path}/decisions.db")
    assert log.job(ident)["status"] == "unfinished"
    assert len(log.decisions(job=ident, limit=2000)) == job.done
    log.close()
    c, _ = make(tmp_path)  # the next server serves what the stopped job wrote
    with c:
        assert c.get(f"/v1/jobs/{ident}").json()["status"] == "unfinished"
        records = c.get(f"/v1/jobs/{ident}/records?format=jsonl").text
        assert records.count("\n") == job.done
        problem(c.get(f"/v1/jobs/{ident}/summary"), 409, "not-ready")


def test_a_job_left_running_by_a_crash_is_marked_unfinished(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/d.db"
    log = Log(url)
    log.start_job(
        {
            "id": "j1",
            "caller": "x",
            "pack_name": "p",
            "pack_sha256": "0" * 64,
            "input_name": "t.csv",
            "total": 9,
        }
    )
    log.close()
    again = Log(url)
    row = again.job("j1")
    assert row is not None and row["status"] == "unfinished" and "stopped" in row["detail"]
    again.close()


# --- selfeval ---------------------------------------------------------------------------


def test_selfeval(client: tuple[TestClient, Path]) -> None:
    c, _ = client
    table = ROOT / "evidence" / "selfeval" / "clean.xlsx"
    _, out, _ = cli("selfeval", str(table), "--format", "json")
    r = c.post("/v1/selfeval", content=table.read_bytes())
    assert r.status_code == 200 and r.json()["total"] == json.loads(out)["total"]
    scored = c.post("/v1/selfeval?format=xlsx", content=table.read_bytes())
    assert scored.content.startswith(b"PK")
    doc = problem(
        c.post(
            "/v1/selfeval", content=b"just,a,csv\n1,2,3\n", headers={"content-type": "text/csv"}
        ),
        422,
        "invalid",
    )
    assert doc["diagnostics"][0]["code"] == "E630"


# --- the decision log -------------------------------------------------------------------


def _log_roundtrip(c: TestClient) -> None:
    body = FOUNDING_EVIDENCE.read_bytes()
    first = evaluate(c, body, "?name=a.yaml")
    evaluate(c, body, "?format=html")
    ident = first.headers["x-jixiao-decision"]
    rows = c.get(f"/v1/decisions?pack={FOUNDING}").json()["decisions"]
    assert len(rows) == 2 and rows[-1]["id"] == ident
    row = rows[-1]
    assert row["total"] == "87.74" and row["grade"] == "良" and row["kept"]
    assert row["project_name"] == "2017年上海市政府驻外办事处视频会议系统运维项目"
    assert row["pack_version"] == "2017.1" and row["caller"].startswith("anonymous")
    import hashlib

    assert row["evidence_sha256"] == hashlib.sha256(body).hexdigest()
    assert row["report_sha256"] == hashlib.sha256(first.content).hexdigest()
    assert c.get("/v1/decisions?pack=other").json()["decisions"] == []
    assert len(c.get("/v1/decisions?project=视频会议").json()["decisions"]) == 2
    assert c.get("/v1/decisions?since=2999-01-01T00:00:00Z").json()["decisions"] == []
    assert len(c.get("/v1/decisions?since=2000-01-01").json()["decisions"]) == 2
    at = rows[0]["at"]  # the newest, in UTC; the same moment in Beijing time finds it
    from datetime import datetime, timedelta, timezone

    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    beijing = moment.astimezone(timezone(timedelta(hours=8))).isoformat()
    found = c.get("/v1/decisions", params={"since": beijing}).json()["decisions"]
    assert [d["id"] for d in found] == [rows[0]["id"]]
    problem(c.get("/v1/decisions?since=yesterday"), 400, "bad-request")
    replayed = c.post(f"/v1/decisions/{ident}/replay").json()
    assert replayed["identical"] and replayed["replayed"]["total"] == "87.74"
    assert replayed["imports_changed"] == []
    assert c.get(f"/v1/decisions/{ident}").json()["kept"]
    problem(c.post("/v1/decisions/nope/replay"), 404, "not-found")


def test_the_decision_log_on_sqlite(client: tuple[TestClient, Path]) -> None:
    _log_roundtrip(client[0])


def test_the_decision_log_on_postgresql(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    import sqlalchemy as sa

    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # a clean database for each run of the test
        for table in ("jixiao_decisions", "jixiao_jobs", "jixiao_pack_texts", "jixiao_schema"):
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()
    c, _ = make(tmp_path, db=postgres_url)
    with c:
        assert c.get("/healthz").json()["database"] == "postgresql"
        _log_roundtrip(c)


def test_a_recorded_decision_replays_after_the_pack_changed(
    client: tuple[TestClient, Path],
) -> None:
    c, packs = client
    ident = evaluate(c, FOUNDING_EVIDENCE.read_bytes()).headers["x-jixiao-decision"]
    path = packs / f"{FOUNDING}.jx"
    path.write_text(path.read_text("utf-8").replace("沪财绩〔2014〕22号", "新文号"), "utf-8")
    assert c.get(f"/v1/packs/{FOUNDING}").json()["authority"] == "新文号"
    replayed = c.post(f"/v1/decisions/{ident}/replay").json()
    assert replayed["identical"]  # the recorded pack text, not the file as it is now


def test_evidence_not_kept_cannot_be_replayed(tmp_path: Path) -> None:
    c, _ = make(tmp_path, keep_evidence=False)
    with c:
        ident = evaluate(c, FOUNDING_EVIDENCE.read_bytes()).headers["x-jixiao-decision"]
        assert not c.get(f"/v1/decisions/{ident}").json()["kept"]
        doc = problem(c.post(f"/v1/decisions/{ident}/replay"), 409, "not-kept")
        assert "--no-keep-evidence" in doc["detail"]


def test_migrations_are_applied_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    assert Log(url).version == Log(url).version == 1


# --- tokens, CORS, health, metrics, OpenAPI ---------------------------------------------


def test_bearer_tokens(tmp_path: Path) -> None:
    c, _ = make(tmp_path, tokens={"s3cret-token-0123456789": "预算系统"})
    with c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/openapi.json").status_code == 200
        r = c.get("/v1/packs")
        problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer")
        problem(c.get("/metrics", headers={"authorization": "Bearer wrong"}), 403, "forbidden")
        auth = {"authorization": "Bearer s3cret-token-0123456789"}
        assert c.get("/v1/packs", headers=auth).status_code == 200
        evaluate(c, FOUNDING_EVIDENCE.read_bytes(), **YAML, **auth)
        rows = c.get("/v1/decisions", headers=auth).json()["decisions"]
        assert rows[0]["caller"] == "预算系统"


def test_the_workbench_reads_the_one_grammar_without_a_token(tmp_path: Path) -> None:
    """The editor's keyword lists come from the TextMate grammar the HTML reports use: served
    byte for byte from the package, open like the rest of the workbench's files."""
    c, _ = make(tmp_path, tokens={"s3cret-token-0123456789": "预算系统"})
    with c:
        r = c.get("/static/jixiao.tmLanguage.json")
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        grammar = ROOT / "engine" / "render" / "jixiao.tmLanguage.json"
        assert r.content == grammar.read_bytes()


def test_tokens_file_and_environment(tmp_path: Path) -> None:
    from jixiao.engine.serve.config import TokenError, read_tokens

    path = tmp_path / "tokens"
    path.write_text("# callers\n预算系统 aaaaaaaaaaaaaaaa1\n\nbbbbbbbbbbbbbbbb2\n", "utf-8")
    assert read_tokens(str(path), "cccccccccccccccc3") == {
        "aaaaaaaaaaaaaaaa1": "预算系统",
        "bbbbbbbbbbbbbbbb2": "token4",
        "cccccccccccccccc3": "token5",
    }
    with pytest.raises(TokenError, match="shorter than 16"):
        read_tokens(None, "short")


def test_cors_is_off_unless_asked(tmp_path: Path) -> None:
    preflight = {"origin": "https://budget.example", "access-control-request-method": "POST"}
    c, _ = make(tmp_path)
    with c:
        r = c.get("/v1/packs", headers={"origin": "https://budget.example"})
        assert "access-control-allow-origin" not in r.headers
    c, _ = make(
        tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path,
        cors=("https://budget.example",),
    )
    with c:
        r = c.options("/v1/packs", headers=preflight)
        assert r.headers["access-control-allow-origin"] == "https://budget.example"


def test_metrics(client: tuple[TestClient, Path]) -> None:
    c, _ = client
    evaluate(c, FOUNDING_EVIDENCE.read_bytes())
    evaluate(c, b"facts: [")
    text = c.get("/metrics").text
    assert (
        'jixiao_requests_total{method="POST",route="/v1/packs/{name}/eval",status="200"} 1' in text
    )
    assert 'jixiao_request_seconds_bucket{route="/v1/packs/{name}/eval",le="+Inf"} 2' in text
    assert f'jixiao_evaluations_total{{pack="{FOUNDING}",outcome="scored"}} 1' in text
    assert 'jixiao_errors_total{code="E602"} 1' in text


def test_openapi_describes_every_route_and_nothing_else(client: tuple[TestClient, Path]) -> None:
    c, _ = client
    doc = c.get("/openapi.json").json()
    described = {(p, m.upper()) for p, ops in doc["paths"].items() for m in ops}
    routed = {(r.path, m) for r in ROUTES for m in (r.methods or ()) if m != "HEAD"}
    assert described == routed
    assert c.get("/docs", follow_redirects=True).status_code == 200


def test_the_workbench_fetches_nothing_from_elsewhere() -> None:
    import re

    static = ROOT / "engine" / "serve" / "static"
    for path in static.rglob("*"):
        if path.suffix in (".html", ".js", ".css"):
            text = path.read_text("utf-8", errors="replace")
            for url in re.findall(r"""(?:src|href)\s*=\s*["'](https?://[^"']+)""", text):
                raise AssertionError(f"{path.name} loads {url}")


def test_total_reason_is_the_command_lines() -> None:
    from jixiao.engine.render.outputs import total_reason as cli_reason
    from jixiao.engine.runtime.scoring import run_bytes
    from jixiao.engine.serve.reports import total_reason

    from .helpers import compile_text

    plan = compile_text(
        'pack "x" { total 2 }\nfact ok: bool\nindicator A "甲" 2 {\n    full when ok\n}\n'
    )
    for evidence in ("facts: {ok: 很}\n", "facts: {}\n"):
        result = run_bytes(plan, evidence.encode(), "e.yaml")
        assert result.total is None
        for lang in ("zh", "en"):
            assert total_reason(result, lang) == cli_reason(result, lang)


def test_serve_refuses_bad_options_before_starting(tmp_path: Path) -> None:
    code, _, err = cli("serve", "--packs", str(tmp_path / "none"))
    assert code == 1 and "E810" in err
    code, _, err = cli("serve", "--packs", str(tmp_path), "--db", "mysql://u:pw@h/db")
    assert code == 1 and "E811" in err and "pw" not in err
    bad = tmp_path / "tokens"
    bad.write_text("a b c\n", "utf-8")
    code, _, err = cli("serve", "--packs", str(tmp_path), "--tokens", str(bad))
    assert code == 1 and "E812" in err


def test_a_total_of_zero_is_logged_as_zero(client: tuple[TestClient, Path]) -> None:
    """A Decimal zero is false in Python: the log keeps "0.00", not nothing."""
    c, packs = client
    (packs / "zero.jx").write_text(
        'pack "零分" { total 2 }\nfact ok: bool\nindicator A "甲" 2 {\n    full when ok\n}\n',
        "utf-8",
    )
    r = c.post("/v1/packs/zero/eval", content=b"facts: {ok: false}\n", headers=YAML)
    total = r.json()["total"]
    assert total is not None and float(total) == 0
    row = c.get(f"/v1/decisions/{r.headers['x-jixiao-decision']}").json()
    assert row["total"] == total


def test_on_the_loopback_address_only_loopback_names_are_answered(tmp_path: Path) -> None:
    """A web page that rebinds its own name to 127.0.0.1 (DNS rebinding) is not answered."""
    from jixiao.engine.serve.config import LOOPBACK_HOSTS

    c, _ = make(tmp_path, hosts=LOOPBACK_HOSTS)
    with c:
        doc = problem(c.get("/v1/packs", headers={"host": "evil.example:8000"}), 400, "bad-host")
        assert "evil.example" in doc["detail"]
        assert c.get("/v1/packs", headers={"host": "127.0.0.1:8000"}).status_code == 200
        assert c.get("/healthz", headers={"host": "localhost"}).status_code == 200
        assert c.get("/healthz", headers={"host": "[::1]:8000"}).status_code == 200


def test_max_seconds_must_be_a_positive_time(tmp_path: Path) -> None:
    code, _, err = cli("serve", "--packs", str(tmp_path), "--max-seconds", "0")
    assert code == 2 and "more than 0 seconds" in err


def test_a_real_server_stopped_mid_batch_loses_no_record(tmp_path: Path) -> None:
    """`jixiao serve` in its own process, SIGTERM while a portfolio is scored: every record
    scored is in the log, and the job is marked unfinished (or done, if it won the race)."""
    import signal
    import urllib.request

    from .serve_helpers import _free_port

    packs = packs_folder(tmp_path)
    table = tmp_path / "projects.xlsx"
    write_xlsx(table, portfolio(3000))
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jixiao.engine.cli",
            "serve",
            "--packs",
            str(packs),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(
            f"{base}/v1/packs/{FOUNDING}/batch", data=table.read_bytes(), method="POST"
        )
        ident = json.loads(urllib.request.urlopen(request, timeout=60).read())["id"]
        for _ in range(600):
            doc = json.loads(urllib.request.urlopen(f"{base}/v1/jobs/{ident}", timeout=10).read())
            if doc["done"] > 0:
                break
            time.sleep(0.05)
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert b"Traceback" not in err
    log = Log(f"sqlite:///{packs}/.jixiao/decisions.db")
    job = log.job(ident)
    assert job is not None and job["status"] in ("unfinished", "done")
    assert len(log.decisions(job=ident, limit=5000)) == job["done"] > 0
    if job["status"] == "unfinished":
        assert job["done"] < 3000
    log.close()


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_selfeval_reports_are_the_command_lines(
    client: tuple[TestClient, Path], fmt: str, tmp_path: Path
) -> None:
    c, _ = client
    table = ROOT / "evidence" / "selfeval" / "defects.xlsx"
    copy = tmp_path / "自评表.xlsx"  # the server names the upload so too
    copy.write_bytes(table.read_bytes())
    _, out, _ = cli("selfeval", str(copy), "--format", fmt)
    served = c.post(f"/v1/selfeval?format={fmt}", content=table.read_bytes()).text
    strip = lambda text: re.sub(r"[0-9a-f]{64}|\\S*自评表\\.xlsx\\S*", "", text)  # noqa: E731
    assert strip(served) == strip(out)
