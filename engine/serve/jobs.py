"""Portfolio jobs: a CSV or XLSX upload scored in a thread of its own, a block of rows at a
time (`tools.batch.run_blocks`, in order, one process). After each block its records are
appended to the job's files (JSON lines, CSV, XLSX) and written to the decision log in one
transaction, and the progress is updated; so when the server stops mid-way, what was scored
is in the log and the job is marked `unfinished` (at shutdown, or at the next start after a
crash). When all rows are scored the summary is written (JSON, HTML, Markdown).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, to_json

from ..tools import portfolio_report
from ..tools.batch import Row, Writer, Written, read_table, record_json, run_blocks
from ..tools.portfolio import Summary, file_digest
from .decisions import Log
from .packs import Pack, sha256

RECORD_FORMATS = {"jsonl": "records.jsonl", "csv": "records.csv", "xlsx": "records.xlsx"}
SUMMARY_FORMATS = {"json": "summary.json", "html": "summary.html", "markdown": "summary.md"}


@dataclass
class Job:
    id: str
    pack: Pack
    folder: str
    input_name: str
    input_path: str
    caller: str
    total: int | None
    status: str = "running"
    done: int = 0
    scored: int = 0
    failed: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)
    detail: str = ""
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "pack": self.pack.name,
            "input": self.input_name,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "scored": self.scored,
            "failed": self.failed,
        }
        if self.detail:
            doc["detail"] = self.detail
        if self.diagnostics:
            doc["diagnostics"] = [to_json(d) for d in self.diagnostics]
        base = f"/v1/jobs/{self.id}"
        doc["records"] = {k: f"{base}/records?format={k}" for k in RECORD_FORMATS}
        if self.status == "done":
            doc["summary"] = {k: f"{base}/summary?format={k}" for k in SUMMARY_FORMATS}
        return doc


class Jobs:
    def __init__(self, folder: str, log: Log, max_records: int) -> None:
        self.folder = folder
        self.log = log
        self.max_records = max_records
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def prepare(
        self, pack: Pack, data: bytes, name: str, caller: str
    ) -> tuple[Job, Any, list[Diagnostic]]:
        """Save the upload and open it (rows are read lazily); raises JixiaoError when the
        table cannot be read. The job is not started (see `start`)."""
        assert pack.plan is not None
        ident = uuid.uuid4().hex
        folder = os.path.join(self.folder, ident)
        os.makedirs(folder)
        suffix = ".xlsx" if data[:4] == b"PK\x03\x04" else ".csv"
        path = os.path.join(folder, "input" + suffix)
        with open(path, "wb") as f:
            f.write(data)
        rows, count, diags = read_table(Path(path), pack.plan.program)
        job = Job(ident, pack, folder, name, path, caller, count)
        return job, rows, diags

    def start(self, job: Job, rows: Any, warnings: list[Diagnostic]) -> None:
        job.diagnostics = list(warnings)
        self.log.start_job(
            {
                "id": job.id,
                "caller": job.caller,
                "pack_name": job.pack.name,
                "pack_sha256": job.pack.sha256,
                "input_name": job.input_name,
                "total": job.total,
            }
        )
        with self._lock:
            self.jobs[job.id] = job
        job.thread = threading.Thread(target=self._run, args=(job, rows), daemon=True)
        job.thread.start()

    def get(self, ident: str) -> Job | None:
        with self._lock:
            return self.jobs.get(ident)

    def stop_all(self, wait: float = 10.0) -> None:
        """At shutdown: every running job stops after its current block, marked unfinished."""
        with self._lock:
            running = [j for j in self.jobs.values() if j.status == "running"]
        for job in running:
            job.stop.set()
        for job in running:
            if job.thread is not None:
                job.thread.join(wait)

    def _run(self, job: Job, rows: Any) -> None:
        plan = job.pack.plan
        assert plan is not None
        program = plan.program
        writers = [Writer(Path(job.folder, n), program) for n in RECORD_FORMATS.values()]
        summary = Summary(
            program, input_path=job.input_name, input_sha256=file_digest(Path(job.input_path))
        )
        files = json.dumps(job.pack.files)
        version = program.settings.version
        try:
            blocks = run_blocks(
                plan,
                job.pack.path,
                _limited(rows, self.max_records),
                job.input_name,
                job.total,
                1,
                writers[0].json_sha256,
            )
            for records, tally in blocks:
                assert not isinstance(records, Written)  # one process: records, not a text
                decisions = []
                for record in records:
                    for writer in writers:
                        writer.write(record)
                    line = record.line or record_json(record, job.pack.sha256)
                    decisions.append(
                        {
                            "caller": job.caller,
                            "pack_name": job.pack.name,
                            "pack_path": job.pack.path,
                            "pack_version": version,
                            "pack_sha256": job.pack.sha256,
                            "pack_files": files,
                            "evidence_name": f"{job.input_name}#{record.id}",
                            "evidence_sha256": summary.input_sha256,
                            "evidence": None,
                            "project_id": record.id,
                            "project_name": record.name,
                            "lang": "zh",
                            "total": record.total,
                            "grade": record.grade,
                            "duration_ms": 0.0,
                            "report_sha256": sha256(line),
                            "job_id": job.id,
                        }
                    )
                self.log.record(decisions, job.pack.source.text)
                summary.merge(tally)
                job.done += len(records)
                job.failed += sum(1 for r in records if r.total is None)
                job.scored = job.done - job.failed
                self.log.update_job(job.id, done=job.done)
                if job.stop.is_set():
                    job.status = "unfinished"
                    job.detail = f"stopped after {job.done} records: the server was shut down"
                    break
        except TooMany as exc:
            job.status = "failed"
            job.detail = str(exc)
        except JixiaoError as exc:
            job.status = "failed"
            job.diagnostics += exc.diagnostics
            job.detail = "the portfolio could not be read to the end"
        except Exception as exc:  # reported as such; the job never stays `running`
            job.status = "failed"
            job.detail = f"internal error: {type(exc).__name__}"
        finally:
            for writer in writers:
                try:
                    writer.close()
                except Exception:  # an unwritable file must not hide the job's status
                    job.detail = job.detail or "a records file could not be completed"
        if job.status == "running":
            texts = {
                "json": portfolio_report.render_json(summary),
                "html": portfolio_report.render_html(summary),
                "markdown": portfolio_report.render_markdown(summary),
            }
            for fmt, name in SUMMARY_FORMATS.items():
                Path(job.folder, name).write_text(texts[fmt], encoding="utf-8")
            job.status = "done"
        self.log.update_job(job.id, status=job.status, done=job.done, detail=job.detail or None)


class TooMany(Exception):
    pass


def _limited(rows: Any, limit: int) -> Any:
    """The rows, refusing the one past `limit` (a table whose size was not known ahead)."""
    for n, row in enumerate(rows, 1):
        if n > limit:
            raise TooMany(
                f"the portfolio has more than {limit:,} records, the limit --max-batch-records"
            )
        yield row


__all__ = ["Job", "Jobs", "Row"]
