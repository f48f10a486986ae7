"""Fixtures shared by the server's tests: a packs folder, a server in process, and a throwaway
PostgreSQL when the distribution's server is installed (Debian's initdb and pg_ctl)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import ROOT


def packs_folder(tmp: Path) -> Path:
    folder = tmp / "packs"
    shutil.copytree(ROOT / "rules", folder, ignore=shutil.ignore_patterns("*.test.yaml"))
    return folder


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return os.path.dirname(found[-1])
    path = shutil.which("pg_ctl")
    return os.path.dirname(path) if path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of its own, started for the session and removed after; the tests
    using it are skipped when no server is installed (CI installs one: see .ci/run)."""
    given = os.environ.get("JIXIAO_TEST_POSTGRES")
    if given:
        yield given
        return
    binaries = _pg_bin()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    folder = tempfile.mkdtemp(prefix="jixiao-pg-")
    data = os.path.join(folder, "data")
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: the distribution's user runs it
        shutil.chown(folder, "postgres")
        os.chmod(folder, 0o755)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    run = [*prefix, f"{binaries}/initdb", "-D", data, "-U", "jixiao", "--auth=trust", "-E", "UTF8"]
    subprocess.run(run, check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=''"
    start = [
        *prefix,
        f"{binaries}/pg_ctl",
        "-D",
        data,
        "-o",
        options,
        "-w",
        "-l",
        f"{data}/log",
        "start",
    ]
    subprocess.run(start, check=True, capture_output=True)
    try:
        yield f"postgresql://jixiao@/postgres?host={folder}&port={port}"
    finally:
        stop = [*prefix, f"{binaries}/pg_ctl", "-D", data, "-m", "immediate", "stop"]
        subprocess.run(stop, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
