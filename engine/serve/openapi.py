"""The OpenAPI 3.1 description of the API, written beside the routes it describes:
`tests/test_serve.py` holds that every route of `app.ROUTES` is here with its methods, and
nothing else is. The interactive page (`/docs`) is the workbench's own (static/api.html),
which reads this document: no CDN, nothing fetched from elsewhere."""

from __future__ import annotations

from typing import Any

from ..common.version import VERSION
from .problems import KINDS, MEDIA_TYPE
from .reports import FORMATS

PROBLEM = {"$ref": "#/components/schemas/Problem"}
JSON_OBJECT = {"type": "object"}


def _problems(*statuses: int) -> dict[str, Any]:
    out = {}
    for status in statuses:
        kinds = sorted(k for k, (s, _) in KINDS.items() if s == status)
        out[str(status)] = {
            "description": "a problem: " + ", ".join(kinds),
            "content": {MEDIA_TYPE: {"schema": PROBLEM}},
        }
    return out


def _json(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": JSON_OBJECT}}}


NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
IDENT = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _q(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _body(*media: str, example: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {m: {"schema": {"type": "string"}} for m in media}
    if example is not None:
        content[media[0]]["example"] = example
    return {"required": True, "content": content}


EVIDENCE_EXAMPLE = "facts:\n  预算金额: 100000\n  实际支出: 98000\n"
LIMITED = (401, 403, 413, 415, 422, 429, 503)


def paths() -> dict[str, dict[str, Any]]:
    return {
        "/healthz": {
            "get": {"summary": "whether the server is up", "responses": {"200": _json("up")}}
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics: requests, latency, evaluations, errors by code",
                "responses": {"200": {"description": "text format 0.0.4"}},
            }
        },
        "/v1/packs": {
            "get": {
                "summary": "the packs: name, version, authority, SHA-256 of every file, "
                "diagnostics of a pack that does not check",
                "responses": {"200": _json("the packs")},
            }
        },
        "/v1/packs/{name}": {
            "get": {
                "summary": "one pack: its text, indicators with weights and standards",
                "parameters": [NAME],
                "responses": {"200": _json("the pack"), **_problems(400, 404)},
            }
        },
        "/v1/packs/{name}/schema": {
            "get": {
                "summary": "the JSON Schema of the pack's evidence",
                "parameters": [NAME],
                "responses": {"200": _json("a JSON Schema"), **_problems(400, 404, 409)},
            }
        },
        "/v1/packs/{name}/eval": {
            "post": {
                "summary": "score evidence (YAML or JSON); the JSON is `jixiao eval --format "
                "json`'s, byte for byte",
                "parameters": [
                    NAME,
                    _q(
                        "format",
                        "the report's format",
                        type="string",
                        enum=list(FORMATS),
                        default="json",
                    ),
                    _q(
                        "lang",
                        "the report's language",
                        type="string",
                        enum=["zh", "en"],
                        default="zh",
                    ),
                    _q("name", "the evidence file name shown in the report (never opened)"),
                    _q(
                        "partial",
                        "1: `jixiao eval --partial`'s report, the range of every indicator and "
                        "of the total over the facts the evidence lacks (not logged as a decision)",
                        type="string",
                        enum=["0", "1"],
                        default="0",
                    ),
                ],
                "requestBody": _body(
                    "application/yaml", "application/json", example=EVIDENCE_EXAMPLE
                ),
                "responses": {
                    "200": {
                        "description": "the report; header X-Jixiao-Decision names the "
                        "decision logged",
                        "content": {"application/json": {"schema": JSON_OBJECT}},
                    },
                    **_problems(400, 404, 409, *LIMITED),
                },
            }
        },
        "/v1/packs/{name}/batch": {
            "post": {
                "summary": "score a portfolio (CSV or XLSX, one project per row) as a job",
                "parameters": [NAME, _q("name", "the table's file name (never opened)")],
                "requestBody": _body("text/csv", "application/octet-stream"),
                "responses": {"202": _json("the job"), **_problems(400, 404, 409, *LIMITED)},
            }
        },
        "/v1/jobs/{id}": {
            "get": {
                "summary": "a job's status and progress",
                "parameters": [IDENT],
                "responses": {"200": _json("the job"), **_problems(404)},
            }
        },
        "/v1/jobs/{id}/records": {
            "get": {
                "summary": "a job's per-project records",
                "parameters": [
                    IDENT,
                    _q("format", "", type="string", enum=["jsonl", "csv", "xlsx"]),
                ],
                "responses": {"200": {"description": "the records"}, **_problems(404, 409)},
            }
        },
        "/v1/jobs/{id}/summary": {
            "get": {
                "summary": "a finished job's portfolio summary",
                "parameters": [
                    IDENT,
                    _q("format", "", type="string", enum=["json", "html", "markdown"]),
                ],
                "responses": {"200": {"description": "the summary"}, **_problems(404, 409)},
            }
        },
        "/v1/check": {
            "post": {
                "summary": "check pack text; the diagnostics with their spans",
                "parameters": [_q("name", "the pack's name in the packs folder (for imports)")],
                "requestBody": _body("text/plain", "application/json"),
                "responses": {"200": _json("ok and the diagnostics"), **_problems(400, *LIMITED)},
            }
        },
        "/v1/fmt": {
            "post": {
                "summary": "format pack text canonically",
                "requestBody": _body("text/plain", "application/json"),
                "responses": {
                    "200": {"description": "the formatted text"},
                    **_problems(400, *LIMITED),
                },
            }
        },
        "/v1/selfeval": {
            "post": {
                "summary": "score a 项目支出绩效自评表 (XLSX or CSV)",
                "parameters": [
                    _q("format", "", type="string", enum=["json", "xlsx", "html", "markdown"]),
                    _q("param", "a provincial variant, NAME=VALUE (repeatable)"),
                ],
                "requestBody": _body("application/octet-stream", "text/csv"),
                "responses": {
                    "200": {"description": "the findings, or the scored workbook"},
                    **_problems(400, *LIMITED),
                },
            }
        },
        "/v1/decisions": {
            "get": {
                "summary": "the decision log, newest first",
                "parameters": [
                    _q("pack", "only this pack"),
                    _q("project", "a project id, or part of its name"),
                    _q("since", "from this UTC time (ISO 8601)"),
                    _q("job", "only this job's records"),
                    _q("limit", "at most this many (≤ 1000)", type="integer", default=100),
                    _q("offset", "skip this many", type="integer", default=0),
                ],
                "responses": {"200": _json("the decisions"), **_problems(400)},
            }
        },
        "/v1/decisions/{id}": {
            "get": {
                "summary": "one decision",
                "parameters": [IDENT],
                "responses": {"200": _json("the decision"), **_problems(404)},
            }
        },
        "/v1/decisions/{id}/replay": {
            "post": {
                "summary": "re-score with the recorded pack and evidence; whether the bytes "
                "are identical",
                "parameters": [IDENT],
                "responses": {"200": _json("the replay"), **_problems(404, 409, 422)},
            }
        },
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "jixiao",
            "version": VERSION,
            "description": "Scoring of performance evaluations of public spending "
            "(财政支出绩效评价) with rule packs; see docs/serve.md.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "description": "RFC 9457 problem details",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                        "limit": {"type": "string"},
                        "limit_value": {},
                        "diagnostics": {"type": "array", "items": JSON_OBJECT},
                    },
                    "required": ["type", "title", "status", "detail"],
                }
            },
        },
        "security": [{}, {"bearer": []}],
        "paths": paths(),
    }
