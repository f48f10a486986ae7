"""`jixiao serve`: the engine as an HTTP service, with a decision log and a browser workbench.

A layer above the tools, beside the command line; everything here needs the `serve` extra
(Starlette, uvicorn, SQLAlchemy) and is imported only by `jixiao serve` — never by `eval`.

    config    what the operator chose: folders, limits, tokens, CORS, the database
    packs     the packs folder: loaded, checked, digested, reloaded when a file changes
    problems  RFC 9457 problem details: every refusal and every diagnostic as JSON
    metrics   the Prometheus text exposition of requests, latency, evaluations and errors
    work      scoring off the event loop, bounded in time and in requests at once
    reports   a result in each format, as bytes (the command line's, byte for byte)
    jobs      portfolio (batch) jobs: progress, records, summary
    decisions the decision log (SQLAlchemy; SQLite or PostgreSQL) and replay
    openapi   the OpenAPI description, checked against the routes
    app       the Starlette application: routes, middleware, the workbench's files
"""
