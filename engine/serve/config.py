"""What the operator chose for a server: the packs folder, the database, the limits, who may
call it and from which browser origins. Plain data; `app.build` reads it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

#: Defaults of the limits, each changeable on the command line (`jixiao serve --help`).
MAX_BODY_BYTES = 16 << 20
MAX_BATCH_RECORDS = 10_000
MAX_SECONDS = 30.0
MAX_IN_FLIGHT = 8


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int = MAX_BODY_BYTES  # a request body larger is refused, 413
    max_batch_records: int = MAX_BATCH_RECORDS  # a portfolio with more rows is refused, 422
    max_seconds: float = MAX_SECONDS  # a scoring that takes longer is abandoned, 503
    max_in_flight: int = MAX_IN_FLIGHT  # scorings at once; one more is refused, 429


@dataclass(frozen=True, slots=True)
class Settings:
    packs: str
    db: str | None = None  # a SQLAlchemy URL; None: SQLite in `<packs>/.jixiao/decisions.db`
    limits: Limits = field(default_factory=Limits)
    tokens: dict[str, str] = field(default_factory=dict)  # token → caller name; empty: open
    cors: tuple[str, ...] = ()  # browser origins allowed to call the API; none by default
    keep_evidence: bool = True  # store each evaluation's evidence in the log (for replay)
    work_dir: str | None = None  # job files; None: `<packs>/.jixiao/jobs`
    # the Host names a request may carry; empty: any. `jixiao serve` on the loopback address
    # accepts only loopback names, so a web page cannot reach it by DNS rebinding.
    hosts: tuple[str, ...] = ()

    @property
    def state_dir(self) -> str:
        return os.path.join(self.packs, ".jixiao")

    @property
    def db_url(self) -> str:
        if self.db:
            return self.db
        return "sqlite:///" + os.path.abspath(os.path.join(self.state_dir, "decisions.db"))

    @property
    def jobs_dir(self) -> str:
        return self.work_dir or os.path.join(self.state_dir, "jobs")


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


class TokenError(Exception):
    """The tokens file cannot be used; the message says why."""


def read_tokens(path: str | None, env: str | None) -> dict[str, str]:
    """Bearer tokens: from a file (one per line, `NAME TOKEN` or just `TOKEN`; `#` comments)
    and from an environment value (comma-separated, same forms). Token → caller name."""
    lines: list[str] = []
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                lines += f.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise TokenError(f"cannot read the tokens file `{path}`: {exc}") from None
    if env:
        lines += env.split(",")
    out: dict[str, str] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) > 2:
            raise TokenError(f"entry {number} has {len(parts)} words; write NAME TOKEN")
        name, token = (parts[0], parts[1]) if len(parts) == 2 else (f"token{number}", parts[0])
        if len(token) < 16:
            raise TokenError(f"the token of `{name}` is shorter than 16 characters")
        out[token] = name
    return out
