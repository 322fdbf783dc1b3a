"""SQLite pragmas are set on accelsmith's own writing engines only (issue 17, storage hygiene).

A campaign's store runs in WAL mode with ``synchronous=NORMAL``; a SQLite database the user
opens in the same process (an Optuna study of their own, any SQLAlchemy engine) keeps the
journal mode and synchronous setting SQLite gives it.
"""

from __future__ import annotations

import sqlite3

import optuna
import sqlalchemy as sa

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
