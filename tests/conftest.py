"""Shared test set-up: toolchain skips and fixtures for system services.

- Tests marked ``sim`` skip, with the reason, when the simulation toolchain is missing.
- ``postgres_server`` / ``postgres_url``: a real PostgreSQL server on loopback (Debian's
  ``postgresql`` package, installed by ``make test``), one per pytest(-xdist) worker process,
  stopped at the end of the session; each test using ``postgres_url`` gets a fresh database.
- ``chromium_executable`` / ``chromium_launch_kwargs``: Debian's Chromium for Playwright
  (never ``playwright install``).

When a system tool is missing these fixtures skip with the reason; under CI (``CI=true``)
every one of them runs anyway, so that a missing tool fails the run instead of hiding.
"""

from __future__ import annotations

import functools
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _unavailable(reason: str) -> None:
    """Skip the test with ``reason``, or fail it under CI=true (nothing may hide in CI)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
    pytest.skip(reason)


# ------------------------------------------------------------------------- simulator tier


@functools.cache
def _toolchain_problem() -> str | None:
    from accelsmith.core.errors import ToolNotFoundError
    from accelsmith.sim.runner import check_toolchain

    try:
        check_toolchain()
    except ToolNotFoundError as exc:
        return str(exc)
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("sim") is None or os.environ.get("CI") == "true":
        return
    problem = _toolchain_problem()
    if problem is not None:
        pytest.skip(problem)


# ----------------------------------------------------------------------------- PostgreSQL

PG_STARTUP_TIMEOUT_S = 60


@dataclass(frozen=True)
class PostgresServer:
    """A running test server: ``url(db)`` gives the SQLAlchemy URL of database ``db``."""

    host: str
    port: int
    bindir: Path
    datadir: Path

    def url(self, db: str) -> str:
        return f"postgresql+psycopg2://postgres@{self.host}:{self.port}/{db}"


def _pg_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        bindir = Path(initdb).parent
        version = bindir.parent.name
        if (bindir / "pg_ctl").exists() and version.isdigit():
            found.append((int(version), bindir))
    return max(found)[1] if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], *, timeout: float = PG_STARTUP_TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start PostgreSQL on 127.0.0.1 (a free port, trust auth, user ``postgres``).

    One server per test process (each pytest-xdist worker has its own session), in a fresh
    data directory that is deleted afterwards. As root the server runs as the ``postgres``
    system user through ``runuser`` (PostgreSQL refuses to run as root).
    """
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable(
            "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); "
            "`make test` installs Debian's postgresql package when run as root"
        )
    as_root = os.geteuid() == 0
    if as_root and shutil.which("runuser") is None:
        _unavailable("running PostgreSQL as root needs `runuser` (util-linux)")
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    datadir = Path(tempfile.mkdtemp(prefix="accelsmith-pg-"))
    if as_root:
        shutil.chown(datadir, "postgres", "postgres")
    initdb = _run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]
    )
    if initdb.returncode != 0:
        shutil.rmtree(datadir, ignore_errors=True)
        _unavailable(f"initdb failed: {(initdb.stderr or initdb.stdout).strip()[-500:]}")
    pg_ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(datadir)]
    started = None
    for _attempt in range(3):  # a free port can be taken between probing and binding
        port = _free_port()
        opts = (
            f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200"
        )
        started = _run(
            [
                *pg_ctl,
                "-o",
                opts,
                "-l",
                str(datadir / "server.log"),
                "-w",
                "-t",
                str(PG_STARTUP_TIMEOUT_S),
                "start",
            ]
        )
        if started.returncode == 0:
            break
    if started is None or started.returncode != 0:
        log = (
            (datadir / "server.log").read_text(errors="replace")[-800:]
            if (datadir / "server.log").exists()
            else ""
        )
        shutil.rmtree(datadir, ignore_errors=True)
        _unavailable(f"PostgreSQL did not start: {started.stderr.strip() if started else ''} {log}")
    server = PostgresServer(host="127.0.0.1", port=port, bindir=bindir, datadir=datadir)
    try:
        yield server
    finally:
        _run([*pg_ctl, "-m", "fast", "-w", "stop"])
        shutil.rmtree(datadir, ignore_errors=True)


_db_counter = itertools.count()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL of a new, empty database on the session's server (one per test)."""
    import psycopg2

    name = f"accelsmith_test_{os.getpid()}_{next(_db_counter)}"
    deadline = time.monotonic() + 10
    while True:
        try:
            conn = psycopg2.connect(
                host=postgres_server.host,
                port=postgres_server.port,
                user="postgres",
                dbname="postgres",
            )
            break
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return postgres_server.url(name)


# ------------------------------------------------------------------------------- Chromium

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Path of Debian's Chromium (``make test`` installs it as root); skip/fail if missing."""
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    _unavailable(
        "Chromium not found (`chromium` on PATH or /usr/bin/chromium); `make test` installs "
        "Debian's chromium package when run as root"
    )
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def chromium_launch_kwargs(chromium_executable: str) -> dict[str, object]:
    """Keyword arguments for ``playwright ... chromium.launch(**kwargs)`` (headless)."""
    return {"executable_path": chromium_executable, "args": list(CHROMIUM_ARGS)}
