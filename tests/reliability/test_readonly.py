"""Read-only means read-only (issue 19 item 2, issue 14 item 6).

Inspection commands (``dse status|pareto|export``, ``report``, ``dashboard``) open storage
read-only and create nothing; a database that is not an accelsmith campaign store is refused
by every command without being touched; ``:memory:`` storage is refused; a campaign stored
before these changes (``data/old_runs/old-mobilenet``, written by accelsmith at commit a61f425)
still opens, reports and resumes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from accelsmith.cli.main import main

from ..dse.dse_helpers import tiny_spec_dict

DATA = Path(__file__).parent / "data"
OLD = "old-mobilenet"


def _cli(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accelsmith.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _one_line_exit_2(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def _spec(folder: Path, name: str = "ro", **changes: object) -> Path:
    data = tiny_spec_dict(name, **changes)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def old_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the campaign stored before this change, as ``<tmp>/runs/old-mobilenet``."""
    shutil.copytree(DATA / "old_runs", tmp_path / "runs")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "runs" / OLD


# --------------------------------------------------------------------- nothing is created


@pytest.mark.parametrize(
    "command",
    [
        ["dse", "status"],
        ["dse", "pareto"],
        ["dse", "export", "--csv", "out.csv"],
        ["report"],
    ],
)
def test_never_run_spec_creates_nothing(command, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _spec(tmp_path)
    before = _files(tmp_path)
    code = main([*command, str(spec)])
    line = _one_line_exit_2(capsys, code)
    assert "does not exist" in line and "study.db" in line
    assert _files(tmp_path) == before and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("command", [["dse", "status"], ["dse", "pareto"], ["report"]])
def test_storage_option_to_a_new_path_creates_nothing(
    command, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _spec(tmp_path)
    code = main([*command, str(spec), "--storage", f"sqlite:///{tmp_path / 'new' / 'x.db'}"])
    assert "does not exist" in _one_line_exit_2(capsys, code)
    assert not (tmp_path / "new").exists() and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("command", [["dse", "status"], ["report"], ["dashboard"]])
def test_missing_run_folder_is_one_line(command, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    code = main([*command, "runs/nothing-here/"])
    _one_line_exit_2(capsys, code)
    assert list(tmp_path.iterdir()) == []


def test_worker_for_an_unknown_campaign_creates_no_database(tmp_path, capsys) -> None:
    db = tmp_path / "none.db"
    code = main(["dse", "worker", "--storage", f"sqlite:///{db}", "--campaign", "nope"])
    assert "no campaign 'nope'" in _one_line_exit_2(capsys, code)
    assert not db.exists()


# ------------------------------------------------------------------- foreign databases


@pytest.fixture
def foreign_db(tmp_path: Path) -> Path:
    """A user's own SQLite database (nothing to do with accelsmith)."""
    db = tmp_path / "mine.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE recipes (name TEXT, minutes INTEGER)")
    con.execute("INSERT INTO recipes VALUES ('soup', 40)")
    con.commit()
    con.close()
    return db


@pytest.mark.parametrize(
    "command",
    [
        ["dse", "status", "{spec}", "--storage", "{url}"],
        ["dse", "pareto", "{spec}", "--storage", "{url}"],
        ["dse", "export", "{spec}", "--storage", "{url}", "--csv", "x.csv"],
        ["dse", "run", "{spec}", "--storage", "{url}", "--quiet"],
        ["dse", "worker", "--storage", "{url}", "--campaign", "ro"],
        ["report", "{url}"],
        ["report", "{db}"],
        ["dashboard", "{db}"],
    ],
)
def test_foreign_sqlite_database_is_refused_untouched(
    command, foreign_db, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _spec(tmp_path)
    before = _files(tmp_path)
    mtime = foreign_db.stat().st_mtime_ns
    args = [a.format(spec=spec, url=f"sqlite:///{foreign_db}", db=foreign_db) for a in command]
    line = _one_line_exit_2(capsys, main(args))
    assert "not an accelsmith campaign store" in line and "recipes" in line
    assert _files(tmp_path) == before and foreign_db.stat().st_mtime_ns == mtime


def test_optuna_database_of_other_studies_is_refused(tmp_path, monkeypatch, capsys) -> None:
    import optuna

    db = tmp_path / "optuna.db"
    storage = optuna.storages.RDBStorage(f"sqlite:///{db}")
    optuna.create_study(study_name="my-own-study", storage=storage)
    # close this test's own connection first: once any campaign was opened in this process,
    # every SQLite engine runs in WAL mode, and the study just created would otherwise be
    # checkpointed into the file whenever the garbage collector closed that connection
    storage.engine.dispose()
    capsys.readouterr()  # Optuna's "A new study created" log line
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    monkeypatch.chdir(tmp_path)
    spec = _spec(tmp_path)
    code = main(["dse", "run", str(spec), "--storage", f"sqlite:///{db}", "--quiet"])
    assert "'my-own-study'" in _one_line_exit_2(capsys, code)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest


def test_damaged_database_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    db = tmp_path / "corrupt.db"
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    monkeypatch.chdir(tmp_path)
    code = main(["dse", "status", str(_spec(tmp_path)), "--storage", f"sqlite:///{db}"])
    assert "corrupt.db" in _one_line_exit_2(capsys, code)


@pytest.mark.parametrize("command", [["dse", "run"], ["dse", "status"], ["report"]])
def test_memory_storage_is_refused(command, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    spec = _spec(tmp_path)
    code = main([*command, str(spec), "--storage", "sqlite:///:memory:"])
    assert "in-memory" in _one_line_exit_2(capsys, code)
    assert not (tmp_path / "runs").exists()


# ---------------------------------------------------------- old campaigns, read-only media


def test_campaign_stored_before_opens_reports_and_resumes(old_run: Path, capsys) -> None:
    for command in (["dse", "status"], ["dse", "pareto"]):
        assert main([*command, str(old_run)]) == 0, capsys.readouterr().err
    before = len(capsys.readouterr().out)
    assert before > 0
    out = old_run / "r.html"
    assert main(["report", str(old_run), "-o", str(out)]) == 0, capsys.readouterr().err
    assert out.stat().st_size > 10_000
    assert main(["dse", "resume", str(old_run), "--budget", "15", "--quiet"]) == 0
    con = sqlite3.connect(f"file:{old_run / 'study.db'}?mode=ro", uri=True)
    n = con.execute("SELECT count(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
    con.close()
    assert n == 15


def test_status_leaves_the_run_folder_as_it_was(old_run: Path, tmp_path: Path, capsys) -> None:
    before = _files(old_run)
    assert main(["dse", "status", str(old_run)]) == 0
    assert main(["dse", "export", str(old_run), "--csv", str(tmp_path / "x.csv")]) == 0
    assert _files(old_run) == before  # no -wal, -shm or journal left, bytes unchanged


def test_read_only_media(old_run: Path, monkeypatch, capsys) -> None:
    """On a read-only mount SQLite cannot create its WAL index; the store opens immutable."""
    import accelsmith.dse.storage as storage

    real = os.access
    folder = str(old_run.resolve())
    monkeypatch.setattr(
        storage.os,
        "access",
        lambda p, mode: False if str(p) == folder and mode == os.W_OK else real(p, mode),
    )
    before = _files(old_run)
    assert main(["dse", "status", str(old_run), "--json"]) == 0, capsys.readouterr().err
    assert '"random"' in capsys.readouterr().out
    assert _files(old_run) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a read-only mount")
def test_read_only_mount(old_run: Path, tmp_path: Path, capsys) -> None:
    """The real thing where the machine allows it (a read-only bind mount)."""
    mnt = tmp_path / "ro"
    mnt.mkdir()
    r = subprocess.run(["mount", "--bind", "-o", "ro", str(old_run), str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip("this machine does not allow mounts")
    try:
        assert main(["dse", "status", str(mnt), "--json"]) == 0, capsys.readouterr().err
        assert main(["report", str(mnt), "-o", str(tmp_path / "r.html")]) == 0
    finally:
        busy = subprocess.run(["umount", str(mnt)], capture_output=True, text=True)
        if busy.returncode != 0:  # never leave the mount behind, then say what held it
            subprocess.run(["umount", "-l", str(mnt)], check=False)
    assert busy.returncode == 0, f"a command left the store open: {busy.stderr}"


def test_report_accepts_storage(old_run: Path, tmp_path: Path, capsys) -> None:
    spec = old_run / "spec.yaml"
    moved = tmp_path / "elsewhere.db"
    shutil.copy(old_run / "study.db", moved)
    out = tmp_path / "r.html"
    args = ["report", str(spec), "--storage", f"sqlite:///{moved}", "-o", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    assert out.is_file()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_dashboard_sigterm_leaves_no_wal_files(old_run: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "accelsmith.cli.main",
            "dashboard",
            str(old_run),
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.3)
        else:
            pytest.fail("dashboard did not start")
        assert {p.name for p in old_run.iterdir()} >= {"study.db-wal", "study.db-shm"}
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert sorted(p.name for p in old_run.iterdir()) == ["campaign.json", "spec.yaml", "study.db"]
