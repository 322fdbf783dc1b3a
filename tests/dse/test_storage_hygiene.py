"""Storage hygiene (issue 17).

- SQLite pragmas are set on accelsmith's own writing engines only: a campaign's store runs in
  WAL mode with ``synchronous=NORMAL``; a SQLite database the user opens in the same process
  (an Optuna study of their own, any SQLAlchemy engine) keeps the journal mode and
  synchronous setting SQLite gives it.
- Worker slots are claimed under the study lock on every storage a campaign can be written
  to (SQLite, PostgreSQL, MySQL). An Optuna journal has no such lock, and campaigns are never
  written to one: a worker pointed at a journal holding a campaign is refused before it
  claims anything, and the journal is left as it was.
"""

from __future__ import annotations

import hashlib
import sqlite3

import optuna
import sqlalchemy as sa
import yaml

from accelsmith.cli.main import main
from accelsmith.dse.campaign import open_campaign, run_worker
from accelsmith.dse.spec import parse_spec
from accelsmith.dse.storage import close_storage, open_storage

from .dse_helpers import tiny_spec_dict


def _journal_mode(path) -> str:
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        con.close()


def test_a_foreign_engine_opened_after_a_campaign_keeps_its_journal_mode(tmp_path) -> None:
    db = tmp_path / "study.db"
    c = open_campaign(parse_spec(tiny_spec_dict(budget=8, storage=f"sqlite:///{db}")))
    run_worker(c)
    assert len(c.study.trials) == 8
    assert _journal_mode(db) == "wal"  # the campaign's store

    # a plain SQLAlchemy engine of the user's, created after the campaign in this process
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'foreign.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "delete"
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 2  # FULL, SQLite's
    finally:
        engine.dispose()
    assert _journal_mode(tmp_path / "foreign.db") == "delete"
    assert not (tmp_path / "foreign.db-wal").exists()

    # the user's own Optuna study on SQLite, in the same process
    user = tmp_path / "user.db"
    study = optuna.create_study(storage=f"sqlite:///{user}", study_name="mine")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    study._storage._backend.engine.dispose()  # Optuna wraps it in its cache
    assert _journal_mode(user) == "delete"


def test_the_campaign_store_connections_use_wal_and_synchronous_normal(tmp_path) -> None:
    db = tmp_path / "runs" / "x" / "study.db"
    store = open_storage(f"sqlite:///{db}", write=True)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 60_000
    finally:
        close_storage(store)


def test_a_worker_on_a_journal_holding_a_campaign_is_refused_untouched(tmp_path, capsys) -> None:
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    db = tmp_path / "study.db"
    c = open_campaign(parse_spec(tiny_spec_dict(budget=4, storage=f"sqlite:///{db}")))
    run_worker(c)
    journal = tmp_path / "journal.log"
    optuna.copy_study(
        from_study_name="tiny@random",
        from_storage=f"sqlite:///{db}",
        to_storage=JournalStorage(JournalFileBackend(str(journal))),
    )
    before = hashlib.sha256(journal.read_bytes()).hexdigest()
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(tiny_spec_dict(budget=8, storage=f"journal:{journal}")))
    for argv in (
        ["dse", "worker", "--storage", f"journal:{journal}", "--campaign", "tiny"],
        ["dse", "run", str(spec), "--workers", "2", "--quiet"],
    ):
        code = main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1, err
        assert err[0].startswith("error: storage must be an sqlite:///, postgresql:// or mysql://")
    assert hashlib.sha256(journal.read_bytes()).hexdigest() == before  # no slot was claimed
