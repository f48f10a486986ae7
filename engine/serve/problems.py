"""RFC 9457 problem details: every refusal the server makes, as `application/problem+json`.

A problem names its kind by `type` (a URN listed in docs/serve.md), says what happened in
`title` and `detail`, and, when a limit refused the request, the limit by its option name and
value (`limit`, `limit_value`). Problems that come from the engine carry its diagnostics as
`jixiao --format json` gives them (code, file, line, column, labels, help), under
`diagnostics`. Nothing here ever shows a traceback: an unexpected exception is an `internal`
problem whose detail names only the exception's class.
"""

from __future__ import annotations

import json
from typing import Any

from jixiao.dsl.diagnostics import Diagnostic, to_json

MEDIA_TYPE = "application/problem+json"

#: kind → (HTTP status, title). The kinds are the stable part; docs/serve.md lists them.
KINDS: dict[str, tuple[int, str]] = {
    "bad-request": (400, "the request cannot be read"),
    "bad-pack-name": (400, "not a pack name"),
    "bad-host": (400, "the Host header names another server"),
    "unauthorized": (401, "a bearer token is required"),
    "forbidden": (403, "the bearer token is not known"),
    "not-found": (404, "no such resource"),
    "unknown-pack": (404, "no pack of that name"),
    "method-not-allowed": (405, "method not allowed"),
    "not-kept": (409, "the decision does not keep its evidence"),
    "pack-has-errors": (409, "the pack does not check"),
    "not-ready": (409, "the job has not finished"),
    "body-too-large": (413, "the request body is over the limit"),
    "unsupported-media-type": (415, "unsupported media type"),
    "invalid": (422, "the input has errors"),
    "too-many-records": (422, "the portfolio has more records than the limit"),
    "too-many-requests": (429, "too many scorings at once"),
    "internal": (500, "internal error"),
    "timeout": (503, "the scoring took longer than the limit"),
}


class Problem(Exception):
    """Raised by a handler; the application turns it into its response."""

    def __init__(
        self,
        kind: str,
        detail: str,
        diagnostics: list[Diagnostic] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.kind, self.detail = kind, detail
        self.diagnostics = diagnostics or []
        self.extra = extra

    @property
    def status(self) -> int:
        return KINDS[self.kind][0]

    def document(self, instance: str = "") -> dict[str, Any]:
        status, title = KINDS[self.kind]
        doc: dict[str, Any] = {
            "type": f"urn:jixiao:problem:{self.kind}",
            "title": title,
            "status": status,
            "detail": self.detail,
        }
        if instance:
            doc["instance"] = instance
        doc.update(self.extra)
        if self.diagnostics:
            doc["diagnostics"] = [
                to_json(d) for d in sorted(self.diagnostics, key=Diagnostic.sort_key)
            ]
        return doc

    def body(self, instance: str = "") -> bytes:
        return (json.dumps(self.document(instance), ensure_ascii=False, indent=2) + "\n").encode()

    def codes(self) -> list[str]:
        """The diagnostic codes of the errors it carries, else its own kind (for /metrics)."""
        codes = sorted({d.code for d in self.diagnostics if d.is_error})
        return codes or [self.kind]


def over_limit(kind: str, limit: str, value: object, detail: str) -> Problem:
    return Problem(kind, detail, limit=limit, limit_value=value)
