"""The decision log: every evaluation the server makes, in a real database, with replay.

SQLAlchemy 2 (Core, not the ORM: rows in, rows out) over SQLite by default — a file in the
packs folder's `.jixiao/`, nothing to install — or PostgreSQL through psycopg 3 when the
operator gives `--db postgresql://…`. The schema is versioned by a table of its own
(`jixiao_schema`): `migrate` applies, in one transaction each, the steps in `MIGRATIONS` a
database has not seen, so an old log opens under a newer server. (Alembic would add a script
folder, an `env.py` and an ini file to ship for three tables; the steps here are plain
functions, in order, tested on both databases.)

What a decision keeps: id, time (UTC, ISO 8601), caller, pack name, version, the SHA-256 of
the pack and of every file it imports, the pack text (once per digest, in `jixiao_pack_texts`),
the evidence's name and SHA-256 and — unless `--no-keep-evidence` — its bytes, the project,
total, grade, the time taken, and the SHA-256 of the JSON report. Replay re-scores the kept
pack text with the kept evidence and compares the JSON bytes' digests.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

META = sa.MetaData()

SCHEMA = sa.Table(
    "jixiao_schema",
    META,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("applied_at", sa.String(40), nullable=False),
)
PACK_TEXTS = sa.Table(
    "jixiao_pack_texts",
    META,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
)
JOBS = sa.Table(
    "jixiao_jobs",
    META,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("caller", sa.String(200), nullable=False),
    sa.Column("pack_name", sa.String(200), nullable=False),
    sa.Column("pack_sha256", sa.String(64), nullable=False),
    sa.Column("input_name", sa.String(500), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # running | done | failed | unfinished
    sa.Column("done", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer),
    sa.Column("finished_at", sa.String(40)),
    sa.Column("detail", sa.Text),
)
DECISIONS = sa.Table(
    "jixiao_decisions",
    META,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("at", sa.String(40), nullable=False, index=True),
    sa.Column("caller", sa.String(200), nullable=False),
    sa.Column("pack_name", sa.String(200), nullable=False, index=True),
    sa.Column("pack_path", sa.String(1000), nullable=False),
    sa.Column("pack_version", sa.String(200)),
    sa.Column("pack_sha256", sa.String(64), nullable=False),
    sa.Column("pack_files", sa.Text, nullable=False),  # JSON: [[path, sha256], …]
    sa.Column("evidence_name", sa.String(500), nullable=False),
    sa.Column("evidence_sha256", sa.String(64), nullable=False),
    sa.Column("evidence", sa.LargeBinary),  # None: not kept (or a portfolio row)
    sa.Column("project_id", sa.String(500)),
    sa.Column("project_name", sa.String(1000)),
    sa.Column("lang", sa.String(8), nullable=False),
    sa.Column("total", sa.String(40)),
    sa.Column("grade", sa.String(40)),
    sa.Column("duration_ms", sa.Float, nullable=False),
    sa.Column("report_sha256", sa.String(64), nullable=False),
    sa.Column("job_id", sa.String(32), index=True),
)


def _v1(conn: Connection) -> None:
    for table in (PACK_TEXTS, JOBS, DECISIONS):
        table.create(conn)


#: (version, step), oldest first; a new step is appended, never edited once released.
MIGRATIONS: tuple[tuple[int, Callable[[Connection], None]], ...] = ((1, _v1),)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def engine_for(url: str) -> Engine:
    """An engine for `url`; `postgresql://` is read as psycopg 3's dialect."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _wal(dbapi: Any, _record: Any) -> None:
            cursor = dbapi.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for a batch's writes
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> int:
    """Bring the database to the newest schema; returns its version."""
    with engine.begin() as conn:
        SCHEMA.create(conn, checkfirst=True)
    version = 0
    for number, step in MIGRATIONS:
        with engine.begin() as conn:
            seen = conn.execute(sa.select(SCHEMA.c.version).where(SCHEMA.c.version == number))
            if seen.first() is None:
                step(conn)
                conn.execute(SCHEMA.insert().values(version=number, applied_at=now()))
        version = number
    return version


class Log:
    """The decision log of one server process (thread-safe: SQLAlchemy's pool)."""

    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)
        self.version = migrate(self.engine)
        self._texts: set[str] = set()
        self._lock = threading.Lock()
        with self.engine.begin() as conn:  # a job left running by a server that stopped
            conn.execute(
                JOBS.update()
                .where(JOBS.c.status == "running")
                .values(
                    status="unfinished",
                    finished_at=now(),
                    detail="the server stopped while the job ran",
                )
            )

    def close(self) -> None:
        self.engine.dispose()

    def _keep_text(self, conn: Connection, sha256: str, text: str) -> None:
        with self._lock:
            if sha256 in self._texts:
                return
        found = conn.execute(sa.select(PACK_TEXTS.c.sha256).where(PACK_TEXTS.c.sha256 == sha256))
        if found.first() is None:
            conn.execute(PACK_TEXTS.insert().values(sha256=sha256, text=text))
        with self._lock:
            self._texts.add(sha256)

    def record(self, rows: list[dict[str, Any]], pack_text: str) -> list[str]:
        """Write decisions (one transaction); each gets an id and a time. Returns the ids."""
        ids = []
        with self.engine.begin() as conn:
            if rows:
                self._keep_text(conn, rows[0]["pack_sha256"], pack_text)
            for row in rows:
                row.setdefault("id", uuid.uuid4().hex)
                row.setdefault("at", now())
                ids.append(row["id"])
            if rows:
                conn.execute(DECISIONS.insert(), rows)
        return ids

    def decisions(
        self,
        pack: str | None = None,
        project: str | None = None,
        since: str | None = None,
        job: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        cols = [c for c in DECISIONS.c if c.name != "evidence"]
        query = sa.select(*cols, DECISIONS.c.evidence.is_not(None).label("kept"))
        if pack:
            query = query.where(DECISIONS.c.pack_name == pack)
        if project:
            like = f"%{project}%"
            query = query.where(
                sa.or_(DECISIONS.c.project_id == project, DECISIONS.c.project_name.like(like))
            )
        if since:
            query = query.where(DECISIONS.c.at >= since)
        if job:
            query = query.where(DECISIONS.c.job_id == job)
        query = query.order_by(DECISIONS.c.at.desc(), DECISIONS.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            out = []
            for row in conn.execute(query).mappings():
                item = dict(row)
                item["pack_files"] = json.loads(item["pack_files"])
                item["kept"] = bool(item["kept"])
                out.append(item)
        return out

    def decision(self, ident: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(DECISIONS, PACK_TEXTS.c.text.label("pack_text"))
                    .join(PACK_TEXTS, PACK_TEXTS.c.sha256 == DECISIONS.c.pack_sha256)
                    .where(DECISIONS.c.id == ident)
                )
                .mappings()
                .first()
            )
        return dict(row) if row is not None else None

    def start_job(self, row: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(JOBS.insert().values(at=now(), status="running", done=0, **row))

    def update_job(self, ident: str, **values: Any) -> None:
        if values.get("status") in ("done", "failed", "unfinished"):
            values["finished_at"] = now()
        with self.engine.begin() as conn:
            conn.execute(JOBS.update().where(JOBS.c.id == ident).values(**values))

    def job(self, ident: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(JOBS).where(JOBS.c.id == ident)).mappings().first()
        return dict(row) if row is not None else None

    def jobs(self, limit: int = 100) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(JOBS).order_by(JOBS.c.at.desc()).limit(limit))
            return [dict(r) for r in rows.mappings()]
