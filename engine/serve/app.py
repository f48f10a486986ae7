"""The Starlette application: routes, the middleware that measures, authenticates and turns
every failure into a problem, and the workbench's files. `build(settings)` makes it;
`serve(settings, host, port, workers)` runs it under uvicorn."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import handlers as h
from .config import Settings
from .decisions import Log
from .jobs import Jobs
from .metrics import Metrics
from .packs import Packs
from .problems import MEDIA_TYPE, Problem
from .state import State
from .work import Gate

#: Paths anyone may fetch, token or not: the workbench's page and files, the API's
#: description, the health check. Everything under /v1 and /metrics needs a token when the
#: server has tokens.
PUBLIC = ("/", "/healthz", "/openapi.json", "/docs", "/static/")


def static_dir() -> str:
    return str(resources.files("jixiao.engine.serve").joinpath("static"))


ROUTES = [
    Route("/healthz", h.healthz, methods=["GET"], name="healthz"),
    Route("/metrics", h.metrics, methods=["GET"], name="metrics"),
    Route("/v1/packs", h.list_packs, methods=["GET"], name="list_packs"),
    Route("/v1/packs/{name}", h.pack_detail, methods=["GET"], name="pack_detail"),
    Route("/v1/packs/{name}/schema", h.pack_schema, methods=["GET"], name="pack_schema"),
    Route("/v1/packs/{name}/eval", h.evaluate, methods=["POST"], name="evaluate"),
    Route("/v1/packs/{name}/batch", h.batch, methods=["POST"], name="batch"),
    Route("/v1/jobs/{id}", h.job_status, methods=["GET"], name="job_status"),
    Route("/v1/jobs/{id}/records", h.job_records, methods=["GET"], name="job_records"),
    Route("/v1/jobs/{id}/summary", h.job_summary, methods=["GET"], name="job_summary"),
    Route("/v1/check", h.check, methods=["POST"], name="check"),
    Route("/v1/fmt", h.fmt, methods=["POST"], name="fmt"),
    Route("/v1/selfeval", h.selfeval, methods=["POST"], name="selfeval"),
    Route("/v1/decisions", h.list_decisions, methods=["GET"], name="list_decisions"),
    Route("/v1/decisions/{id}", h.decision, methods=["GET"], name="decision"),
    Route("/v1/decisions/{id}/replay", h.replay, methods=["POST"], name="replay"),
]


async def openapi(request: Request) -> Response:
    from .openapi import document

    return JSONResponse(document())


async def index(request: Request) -> Response:
    return RedirectResponse("/static/index.html")


async def docs(request: Request) -> Response:
    return RedirectResponse("/static/api.html")


async def grammar(request: Request) -> Response:
    """The editors' TextMate grammar, package data of the HTML reports: the workbench's editor
    takes its keyword lists from it (one grammar for VS Code, the reports and the workbench)."""
    from ..render.highlight import grammar_text

    return Response(grammar_text(), media_type="application/json")


class Guard:
    """Pure ASGI middleware around everything: the bearer token, the time taken and the
    answer's status for /metrics, and a problem (never a traceback) for any failure."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = False

        async def sending(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status, sent = message["status"], True
            await send(message)

        path: str = scope["path"]
        try:
            self.check_host(scope)
            self.authenticate(scope)
            await self.app(scope, receive, sending)
        except Exception as exc:
            problem = (
                exc
                if isinstance(exc, Problem)
                else Problem(
                    "internal", f"an internal error ({type(exc).__name__}); this is a bug in jixiao"
                )
            )
            if not sent:
                status = problem.status
                await problem_response(problem, path)(scope, receive, send)
            for code in problem.codes():
                self.state.metrics.error(code)
        route = scope.get("route")
        template = getattr(route, "path", None) or (
            "static" if path.startswith("/static/") else "other"
        )
        self.state.metrics.request(scope["method"], template, status, time.perf_counter() - started)

    def check_host(self, scope: Scope) -> None:
        hosts = self.state.settings.hosts
        if not hosts:
            return
        header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        name = header.rsplit(":", 1)[0] if not header.endswith("]") else header
        if name not in hosts:
            raise Problem(
                "bad-host",
                f"this server answers to {', '.join(hosts)}, not `{header}`; start it with "
                "--host to serve other names",
            )

    def authenticate(self, scope: Scope) -> None:
        tokens = self.state.settings.tokens
        path: str = scope["path"]
        if not tokens or path in PUBLIC or path.startswith("/static/"):
            return
        if scope["method"] == "OPTIONS":  # a CORS preflight carries no credentials
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Problem("unauthorized", "send `Authorization: Bearer TOKEN`")
        name = tokens.get(token.strip())
        if name is None:
            raise Problem("forbidden", "the bearer token is not one of the server's")
        scope["jixiao.caller"] = name


def problem_response(problem: Problem, instance: str) -> Response:
    headers = {}
    if problem.kind == "too-many-requests":
        headers["Retry-After"] = "1"
    if problem.kind == "unauthorized":
        headers["WWW-Authenticate"] = 'Bearer realm="jixiao"'
    return Response(problem.body(instance), problem.status, headers, media_type=MEDIA_TYPE)


async def _http_error(request: Request, exc: Exception) -> Response:
    from starlette.exceptions import HTTPException

    assert isinstance(exc, HTTPException)
    kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "bad-request")
    detail = {
        "not-found": f"nothing at `{request.url.path}`; the API is described at /openapi.json",
        "method-not-allowed": f"`{request.method}` is not answered at `{request.url.path}`",
    }.get(kind, str(exc.detail))
    return problem_response(Problem(kind, detail), request.url.path)


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    for code in exc.codes():
        request.app.state.jixiao.metrics.error(code)
    return problem_response(exc, request.url.path)


def build(settings: Settings) -> Starlette:
    packs = Packs(settings.packs)
    log = Log(settings.db_url)
    os.makedirs(settings.jobs_dir, exist_ok=True)
    state = State(
        settings,
        packs,
        log,
        Jobs(settings.jobs_dir, log, settings.limits.max_batch_records),
        Gate(settings.limits),
        Metrics(),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.jobs.stop_all()
        log.close()

    middleware = [Middleware(Guard, state=state)]
    if settings.cors:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                expose_headers=["X-Jixiao-Decision", "X-Jixiao-Complete", "Location"],
            )
        )
    from starlette.exceptions import HTTPException

    exception_handlers: dict[Any, Any] = {HTTPException: _http_error, Problem: _problem}
    app = Starlette(
        routes=[
            *ROUTES,
            Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
            Route("/docs", docs, methods=["GET"], include_in_schema=False),
            Route("/", index, methods=["GET"], include_in_schema=False),
            Route(
                "/static/jixiao.tmLanguage.json", grammar, methods=["GET"], include_in_schema=False
            ),
            Mount("/static", StaticFiles(directory=static_dir()), name="static"),
        ],
        middleware=middleware,
        exception_handlers=exception_handlers,
        lifespan=lifespan,
    )
    app.state.jixiao = state
    return app


def app_from_environment() -> Starlette:
    """The application for `uvicorn --factory` (several workers): settings from the
    environment `jixiao serve` sets for its workers."""
    import json

    from .config import Limits

    doc = json.loads(os.environ["JIXIAO_SERVE_SETTINGS"])
    doc["limits"] = Limits(**doc["limits"])
    doc["cors"] = tuple(doc["cors"])
    doc["hosts"] = tuple(doc["hosts"])
    return build(Settings(**doc))


def serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    if workers <= 1:
        uvicorn.run(build(settings), host=host, port=port, log_level="info")
        return
    import dataclasses
    import json

    os.environ["JIXIAO_SERVE_SETTINGS"] = json.dumps(dataclasses.asdict(settings))
    uvicorn.run(
        "jixiao.engine.serve.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
