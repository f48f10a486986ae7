"""The API's endpoints: each reads its request, does its work through the gate (a worker
thread, bounded), and answers with JSON, a report, or a problem (`problems.Problem`)."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from jixiao.dsl.diagnostics import Diagnostic, JixiaoError, has_errors, to_json

from ..common.version import VERSION
from ..runtime.scoring import run_bytes
from .packs import Pack, compile_text, sha256, valid_name
from .problems import Problem, over_limit
from .reports import FORMATS, MEDIA, report

if TYPE_CHECKING:
    from .state import State

EVIDENCE_TYPES = (
    "",
    "application/json",
    "application/yaml",
    "application/x-yaml",
    "text/yaml",
    "text/x-yaml",
    "text/plain",
    "application/octet-stream",
    "application/x-www-form-urlencoded",  # what `curl --data-binary` sends unless told
)
TABLE_TYPES = (
    "",
    "text/csv",
    "application/octet-stream",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/x-www-form-urlencoded",
)


def state(request: Request) -> State:
    s: State = request.app.state.jixiao
    return s


def caller(request: Request) -> str:
    who: str | None = request.scope.get("jixiao.caller")
    if who:
        return who
    client = request.client
    return f"anonymous@{client.host}" if client else "anonymous"


async def body_of(request: Request, allowed: tuple[str, ...]) -> bytes:
    """The request body, refused past `--max-body-bytes` (by its Content-Length, else while it
    streams in) and unless its media type is one of `allowed`."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in allowed:
        shown = ", ".join(a for a in allowed if a and "form" not in a)
        raise Problem(
            "unsupported-media-type",
            f"a body of type `{media}` is not read here; send the file's bytes as {shown}",
        )
    limit = state(request).settings.limits.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Problem:
    return over_limit(
        "body-too-large",
        "max_body_bytes",
        limit,
        f"the body is over {limit:,} bytes, the limit --max-body-bytes",
    )


def _query(request: Request, name: str, choices: tuple[str, ...], default: str) -> str:
    value = request.query_params.get(name, default)
    if value not in choices:
        raise Problem(
            "bad-request", f"`{name}={value}` is not one of {', '.join(choices)}", parameter=name
        )
    return value


def _label(request: Request, default: str) -> str:
    """The name a caller gives its upload (`?name=`), shown in reports; never opened."""
    name = request.query_params.get("name", default)
    if not name or len(name) > 200 or any(ord(c) < 32 or c == "\x7f" for c in name):
        raise Problem(
            "bad-request", "`name` is the upload's file name: 1 to 200 printable characters"
        )
    return name


async def packs_now(request: Request) -> list[Pack]:
    """The packs, the folder looked at first — in a worker thread, as a changed pack is
    checked again there, which must not hold up the other requests."""
    return await anyio.to_thread.run_sync(state(request).packs.all)


async def pack_of(request: Request, scored: bool = True) -> Pack:
    name = request.path_params["name"]
    if not valid_name(name):
        raise Problem(
            "bad-pack-name",
            f"`{name}` is not a pack name; a pack is named by its file in the packs folder, "
            "without folders or `.jx`",
        )
    pack = {p.name: p for p in await packs_now(request)}.get(name)
    if pack is None:
        known = sorted(state(request).packs.packs)
        raise Problem("unknown-pack", f"no pack `{name}`", packs=known)
    if scored and not pack.ok:
        raise Problem(
            "pack-has-errors",
            f"pack `{name}` does not check; fix it and it is reloaded",
            pack.diagnostics,
        )
    if scored and pack.library:
        raise Problem("pack-has-errors", f"`{name}` is a library: it has no indicators to score")
    return pack


def pack_summary(pack: Pack) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": pack.name,
        **pack.settings(),
        "ok": pack.ok,
        "kind": "library" if pack.library else "pack",
        "sha256": pack.sha256,
        "files": [{"path": p, "sha256": d} for p, d in pack.files],
    }
    errors = [d for d in pack.diagnostics if d.is_error]
    if errors:
        doc["diagnostics"] = [to_json(d) for d in sorted(errors, key=Diagnostic.sort_key)]
    return doc


async def healthz(request: Request) -> Response:
    packs = await packs_now(request)
    return JSONResponse(
        {
            "status": "ok",
            "jixiao": VERSION,
            "packs": sum(1 for p in packs if p.ok),
            "packs_with_errors": sum(1 for p in packs if not p.ok),
            "database": state(request).log.engine.dialect.name,
        }
    )


async def metrics(request: Request) -> Response:
    return PlainTextResponse(
        state(request).metrics.text(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )


async def list_packs(request: Request) -> Response:
    return JSONResponse({"packs": [pack_summary(p) for p in await packs_now(request)]})


async def pack_detail(request: Request) -> Response:
    pack = await pack_of(request, scored=False)
    doc = pack_summary(pack)
    doc["text"] = pack.source.text
    doc["diagnostics"] = [to_json(d) for d in sorted(pack.diagnostics, key=Diagnostic.sort_key)]
    if pack.plan is not None:
        program = pack.plan.program
        doc["total"] = str(program.settings.total)
        doc["indicators"] = [
            {
                "code": i.code,
                "name": i.name,
                "weight": str(i.weight),
                "parent": i.parent,
                "level": i.depth,
                "leaf": i.is_leaf,
                "standard": i.standard,
                "doc": i.doc,
            }
            for i in program.indicators
        ]
        # the evidence form of the workbench: one field per fact, typed, with its unit
        doc["facts"] = [
            {
                "name": f.name,
                "kind": getattr(f.kind, "value", str(f.kind)),
                "unit": f.unit,
                "label": f.label,
                "param": f.is_param,
                "choices": list(f.choices) if f.choices else None,
                "survey": f.survey,
                "default": None if f.default is None else str(f.default),
            }
            for f in program.facts.values()
            if "@" not in f.name
        ]
    return JSONResponse(doc)


async def pack_schema(request: Request) -> Response:
    pack = await pack_of(request)
    assert pack.plan is not None
    from ..tools.schema import evidence_schema

    schema = evidence_schema(pack.plan.program)
    return JSONResponse(schema, media_type="application/schema+json")


async def evaluate(request: Request) -> Response:
    s = state(request)
    pack = await pack_of(request)
    plan = pack.plan
    assert plan is not None
    fmt = _query(request, "format", FORMATS, "json")
    lang = _query(request, "lang", ("zh", "en"), "zh")
    partial = _query(request, "partial", ("0", "1"), "0") == "1"
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data = await body_of(request, EVIDENCE_TYPES)
    name = _label(request, "evidence.json" if media == "application/json" else "evidence.yaml")
    if partial:
        return await _evaluate_partial(request, pack, data, name, fmt, lang)
    started = time.perf_counter()

    def work() -> tuple[Any, bytes, str]:
        result = run_bytes(plan, data, name)
        body = report(result, fmt, lang)
        as_json = body if fmt == "json" else report(result, "json", lang)
        return result, body, sha256(as_json.decode("utf-8"))

    try:
        result, body, report_sha = await s.gate.run(work)
    except JixiaoError as exc:
        s.metrics.evaluation(pack.name, "refused")
        raise Problem("invalid", "the evidence cannot be used", list(exc.diagnostics)) from None
    seconds = time.perf_counter() - started
    s.metrics.evaluation(pack.name, "scored" if result.total is not None else "unscored")
    for d in result.diagnostics:
        if d.is_error:
            s.metrics.error(d.code)
    project = dict(result.project)
    row = {
        "caller": caller(request),
        "pack_name": pack.name,
        "pack_path": pack.path,
        "pack_version": plan.program.settings.version,
        "pack_sha256": pack.sha256,
        "pack_files": json.dumps(pack.files),
        "evidence_name": name,
        "evidence_sha256": result.evidence_sha256,
        "evidence": data if s.settings.keep_evidence else None,
        "project_id": project.get("id"),
        "project_name": project.get("name"),
        "lang": lang,
        "total": None if result.total is None else str(result.total),
        "grade": result.grade,
        "duration_ms": round(seconds * 1000, 3),
        "report_sha256": report_sha,
        "job_id": None,
    }
    (ident,) = await anyio.to_thread.run_sync(s.log.record, [row], pack.source.text)
    headers = {
        "X-Jixiao-Decision": ident,
        "X-Jixiao-Complete": "false" if result.total is None else "true",
    }
    if fmt in ("xlsx", "docx"):
        headers["Content-Disposition"] = f'attachment; filename="{pack.name}.{fmt}"'
    return Response(body, media_type=MEDIA[fmt], headers=headers)


async def _evaluate_partial(
    request: Request, pack: Pack, data: bytes, name: str, fmt: str, lang: str
) -> Response:
    """`?partial=1`: the bytes of `jixiao eval --partial` — the facts the evidence lacks are
    unknown, and the report gains every indicator's and the total's range. A range is not a
    decision: it is not written to the decision log (no `X-Jixiao-Decision`)."""
    from ..runtime.partial import partial_result_bytes
    from .reports import partial_report

    s = state(request)
    plan = pack.plan
    assert plan is not None

    def work() -> tuple[Any, bytes]:
        result, ranges = partial_result_bytes(plan, data, name)
        return result, partial_report(result, ranges, fmt, lang)

    try:
        result, body = await s.gate.run(work)
    except JixiaoError as exc:
        s.metrics.evaluation(pack.name, "refused")
        raise Problem("invalid", "the evidence cannot be used", list(exc.diagnostics)) from None
    s.metrics.evaluation(pack.name, "ranged")
    headers = {"X-Jixiao-Complete": "false" if result.total is None else "true"}
    if fmt in ("xlsx", "docx"):
        headers["Content-Disposition"] = f'attachment; filename="{pack.name}.{fmt}"'
    return Response(body, media_type=MEDIA[fmt], headers=headers)


async def _pack_text(request: Request) -> tuple[str, str]:
    """(display path, text) of a pack sent for check or fmt: the body as text, or JSON
    `{"text": …, "name": …}`; `name` places it in the packs folder, for its imports."""
    data = await body_of(
        request,
        (
            "",
            "text/plain",
            "application/json",
            "text/x-jixiao",
            "application/x-www-form-urlencoded",
        ),
    )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    name = request.query_params.get("name", "pack")
    if media == "application/json":
        try:
            doc = json.loads(data)
            text, name = doc["text"], doc.get("name", name)
            if not isinstance(text, str) or not isinstance(name, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise Problem(
                "bad-request", 'send the pack as text, or JSON `{"text": "…", "name": "…"}`'
            ) from None
    else:
        from jixiao.dsl.source import DecodeError, decode

        try:
            text, _ = decode(data)
        except DecodeError as exc:
            raise Problem("bad-request", f"the pack is not text: {exc}") from None
    name = name.removesuffix(".jx")
    if not valid_name(name):
        raise Problem("bad-pack-name", f"`{name}` is not a pack name")
    return os.path.join(state(request).settings.packs, name + ".jx"), text


async def check(request: Request) -> Response:
    path, text = await _pack_text(request)
    plan, diagnostics = await state(request).gate.run(lambda: compile_text(path, text))
    for d in diagnostics:
        if d.is_error:
            state(request).metrics.error(d.code)
    doc: dict[str, Any] = {
        "ok": plan is not None and not has_errors(diagnostics),
        "diagnostics": [to_json(d) for d in sorted(diagnostics, key=Diagnostic.sort_key)],
    }
    if plan is not None:
        program = plan.program
        doc["indicators"] = len(program.indicators)
        doc["facts"] = sum(1 for n in program.facts if "@" not in n)
    return JSONResponse(doc)


async def fmt(request: Request) -> Response:
    path, text = await _pack_text(request)

    def work() -> str:
        from jixiao.dsl.formatter import FormatError, format_pack
        from jixiao.dsl.parser import parse
        from jixiao.dsl.source import Source

        pack = parse(Source(path, text))
        try:
            return format_pack(pack, check=lambda t: parse(Source(path, t)))
        except FormatError as exc:
            raise Problem("internal", f"the formatter refused its own output: {exc}") from None

    try:
        formatted = await state(request).gate.run(work)
    except JixiaoError as exc:
        raise Problem("invalid", "the pack cannot be formatted", list(exc.diagnostics)) from None
    return PlainTextResponse(
        formatted, headers={"X-Jixiao-Changed": str(formatted != text).lower()}
    )


async def batch(request: Request) -> Response:
    s = state(request)
    pack = await pack_of(request)
    data = await body_of(request, TABLE_TYPES)
    name = _label(request, "portfolio.xlsx" if data[:4] == b"PK\x03\x04" else "portfolio.csv")
    limit = s.settings.limits.max_batch_records
    try:
        job, rows, warnings = await s.gate.run(
            lambda: s.jobs.prepare(pack, data, name, caller(request))
        )
    except JixiaoError as exc:
        raise Problem("invalid", "the portfolio cannot be read", list(exc.diagnostics)) from None
    if job.total is not None and job.total > limit:
        await anyio.to_thread.run_sync(_discard, rows)
        raise over_limit(
            "too-many-records",
            "max_batch_records",
            limit,
            f"the portfolio has {job.total:,} records; the limit --max-batch-records is {limit:,}",
        )
    await anyio.to_thread.run_sync(s.jobs.start, job, rows, warnings)
    return JSONResponse(job.document(), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"})


def _discard(rows: Any) -> None:
    """Close a table's rows never scored (its file is opened on the first)."""
    try:
        next(rows, None)
    finally:
        rows.close()


def _job(request: Request) -> Any:
    s = state(request)
    ident = request.path_params["id"]
    job = s.jobs.get(ident)
    if job is None:
        row = s.log.job(ident) if ident.isalnum() else None
        if row is None:
            raise Problem("not-found", f"no job `{ident}`")
        return row
    return job


async def job_status(request: Request) -> Response:
    job = _job(request)
    if isinstance(job, dict):  # known to the log only: an earlier server's
        return JSONResponse(job)
    return JSONResponse(job.document())


async def job_records(request: Request) -> Response:
    from .jobs import RECORD_FORMATS

    job = _job(request)
    fmt = _query(request, "format", tuple(RECORD_FORMATS), "jsonl")
    folder, pack, status = _job_files(request, job)
    if status == "running":
        raise Problem("not-ready", "the records are fetched when the job has stopped")
    media = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
    return FileResponse(
        Path(folder, RECORD_FORMATS[fmt]),
        media_type=media.get(fmt, MEDIA["xlsx"]),
        filename=f"{pack}-records.{fmt}",
    )


def _job_files(request: Request, job: Any) -> tuple[str, str, str]:
    """(folder, pack name, status) of a job this process runs, or one the log knows (another
    worker's, or an earlier server's) whose files are still in the jobs folder."""
    if not isinstance(job, dict):
        return job.folder, job.pack.name, job.status
    folder = os.path.join(state(request).settings.jobs_dir, job["id"])
    if not os.path.isdir(folder):
        raise Problem("not-found", f"the files of job `{job['id']}` are gone")
    return folder, job["pack_name"], job["status"]


async def job_summary(request: Request) -> Response:
    from .jobs import SUMMARY_FORMATS

    job = _job(request)
    fmt = _query(request, "format", tuple(SUMMARY_FORMATS), "json")
    folder, _, status = _job_files(request, job)
    if status != "done":
        raise Problem("not-ready", "the summary is written when every record is scored")
    media = {"json": "application/json", "html": MEDIA["html"], "markdown": MEDIA["markdown"]}
    return FileResponse(Path(folder, SUMMARY_FORMATS[fmt]), media_type=media[fmt])


async def selfeval(request: Request) -> Response:
    s = state(request)
    fmt = _query(request, "format", ("json", "xlsx", "html", "markdown"), "json")
    data = await body_of(request, TABLE_TYPES)
    params = {}
    for item in request.query_params.getlist("param"):
        key, sep, value = item.partition("=")
        if not sep:
            raise Problem("bad-request", f"`param` takes NAME=VALUE, not `{item}`")
        params[key.strip()] = value.strip()
    fallback = request.query_params.get("qualitative_fallback") in ("1", "true")

    def work() -> bytes:
        from ..render import render as render_text
        from ..tools import selfeval_run
        from ..tools.selfeval import TableError, read_table

        with tempfile.TemporaryDirectory() as folder:
            suffix = ".xlsx" if data[:4] == b"PK\x03\x04" else ".csv"
            path = Path(folder, "自评表" + suffix)
            path.write_bytes(data)
            try:
                table = read_table(path)
                template = selfeval_run.template_text(None)
                scored = selfeval_run.score(table, template, params, fallback, None)
            except TableError as exc:
                from jixiao.dsl.diagnostics import error

                raise JixiaoError(
                    [error("E630", str(exc), help=exc.help or selfeval_run.TABLE_HELP)]
                ) from None
            if fmt == "xlsx":
                out = Path(folder, "scored.xlsx")
                selfeval_run.write_back(table, scored, out)
                return out.read_bytes()
            if fmt == "json":
                return selfeval_run._json(scored).encode("utf-8")
            # as `selfeval --format html|markdown` writes it: with its notes
            text = render_text(scored.result, fmt, "zh")
            note = "" if scored.complete else selfeval_run._partial_note(scored, fmt)
            note += selfeval_run._findings_note(scored, fmt)
            if "</body>" in text:
                text = text.replace("</body>", note + "</body>", 1)
            else:
                text += note
            return text.encode("utf-8")

    try:
        body = await s.gate.run(work)
    except JixiaoError as exc:
        raise Problem("invalid", "the table cannot be scored", list(exc.diagnostics)) from None
    headers = {}
    if fmt == "xlsx":
        headers["Content-Disposition"] = 'attachment; filename="selfeval-scored.xlsx"'
    return Response(body, media_type=MEDIA[fmt], headers=headers)


async def list_decisions(request: Request) -> Response:
    s = state(request)
    q = request.query_params
    try:
        limit = min(int(q.get("limit", "100")), 1000)
        offset = max(int(q.get("offset", "0")), 0)
    except ValueError:
        raise Problem("bad-request", "`limit` and `offset` are whole numbers") from None
    since = q.get("since")
    if since is not None:
        from datetime import UTC, datetime

        try:
            when = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            raise Problem(
                "bad-request", f"`since={since}` is not a date or time (2026-12-01T08:00:00Z)"
            ) from None
        # as the log writes times: UTC, so `2026-12-01T08:00+08:00` is midnight UTC
        when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
        since = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rows = await anyio.to_thread.run_sync(
        lambda: s.log.decisions(q.get("pack"), q.get("project"), since, q.get("job"), limit, offset)
    )
    return JSONResponse({"decisions": rows})


async def decision(request: Request) -> Response:
    row = await anyio.to_thread.run_sync(state(request).log.decision, request.path_params["id"])
    if row is None:
        raise Problem("not-found", f"no decision `{request.path_params['id']}`")
    row.pop("pack_text")
    row["pack_files"] = json.loads(row["pack_files"])
    row["kept"] = row.pop("evidence") is not None
    return JSONResponse(row)


async def replay(request: Request) -> Response:
    s = state(request)
    ident = request.path_params["id"]
    row = await anyio.to_thread.run_sync(s.log.decision, ident)
    if row is None:
        raise Problem("not-found", f"no decision `{ident}`")
    if row["evidence"] is None:
        why = (
            "it was a row of a portfolio job"
            if row["job_id"]
            else "the server ran with --no-keep-evidence"
        )
        raise Problem("not-kept", f"decision `{ident}` cannot be replayed: {why}")

    def work() -> dict[str, Any]:
        plan, diagnostics = compile_text(row["pack_path"], row["pack_text"])
        if plan is None:
            raise JixiaoError(diagnostics)
        result = run_bytes(plan, bytes(row["evidence"]), row["evidence_name"])
        body = report(result, "json", row["lang"])
        digest = sha256(body.decode("utf-8"))
        files = [tuple(f) for f in json.loads(row["pack_files"])]
        now = [(row["pack_path"], row["pack_sha256"]), *plan.program.imports]
        return {
            "id": ident,
            "identical": digest == row["report_sha256"],
            "recorded": {
                "report_sha256": row["report_sha256"],
                "total": row["total"],
                "grade": row["grade"],
            },
            "replayed": {
                "report_sha256": digest,
                "total": None if result.total is None else str(result.total),
                "grade": result.grade,
                "jixiao": VERSION,
            },
            "imports_changed": [list(f) for f in files if f not in now],
            "report": json.loads(body),
        }

    try:
        doc = await s.gate.run(work)
    except JixiaoError as exc:
        raise Problem(
            "invalid", "the recorded pack no longer checks", list(exc.diagnostics)
        ) from None
    return JSONResponse(doc)
