"""The ledger writer's PostgreSQL path (COPY of the child rows) and its light reads.

COPY must store exactly what the SQLAlchemy ``INSERT`` path stores, including strings that
COPY's text format has to escape, infinite values and failed trials; a light read must give
the design index a full read gives.
"""

from __future__ import annotations

import datetime

import numpy as np
import optuna
import pytest
import sqlalchemy

from accelsmith.dse import ledger_insert
from accelsmith.dse.ledger_bulk import LedgerWriter, Row, design_key
from accelsmith.dse.storage import open_storage

S = optuna.trial.TrialState
DISTS = {
    "rows": optuna.distributions.IntDistribution(4, 64, step=4),
    "clock": optuna.distributions.FloatDistribution(1e6, 1e9, log=True),
    "dataflow": optuna.distributions.CategoricalDistribution(["os", "ws", "is"]),
}
NAMES = tuple(DISTS)
NASTY = 'tab\there, newline\nthere, cr\r, back\\slash, "quote", \\N, \u00b5m, \U0001f600'


def _rows() -> list[Row]:
    out = []
    for i in range(12):
        config = {"rows": 4 * (i + 1), "clock": float(np.float64(1e6 * 1.7**i)), "dataflow": "ws"}
        values = [float(np.float64(0.1 * i + 1e-300)), np.float64(3.5e-12 * (i + 1)), 7.0]
        state = S.COMPLETE
        user = {"config": config, "note": NASTY, "metrics": {"x": i / 3, "y": [1, None]}}
        if i == 3:
            values = [float("inf"), -float("inf"), 0.0]  # stored as INF_POS / INF_NEG
        if i == 5:
            state, values = S.FAIL, None
            user = {"config": config, "error": f"refused\t{NASTY}"}
        out.append(
            Row(
                state=state,
                params=config,
                distributions=DISTS,
                values=values,
                user_attrs=user,
                system_attrs={"accelsmith:owner": {"pid": 7, "host": "h\\x"}, "k": [i, "\n"]},
                design=design_key(config, NAMES),
                datetime_start=datetime.datetime(2026, 12, 7, 3, 0, i, tzinfo=datetime.UTC),
                datetime_complete=datetime.datetime(2026, 12, 7, 3, 1, i, tzinfo=datetime.UTC),
            )
        )
    return out


def _study(url: str, name: str) -> optuna.Study:
    store = open_storage(url, write=True)
    return optuna.create_study(storage=store, study_name=name, directions=["minimize"] * 3)


def _frozen(study: optuna.Study) -> list[tuple]:
    return [
        (
            t.number,
            t.state,
            t.values,
            t.params,
            t.distributions,
            t.user_attrs,
            t.system_attrs,
            t.datetime_start,
            t.datetime_complete,
        )
        for t in study.get_trials()
    ]


def test_copy_stores_what_the_insert_path_stores(postgres_url, tmp_path, monkeypatch) -> None:
    copied = _study(postgres_url, "c@random")
    out = LedgerWriter(copied, NAMES).write(_rows())
    assert out.numbers == list(range(12))
    calls = []
    monkeypatch.setattr(
        ledger_insert, "_is_copy", lambda dialect: calls.append(dialect.name) or False
    )
    inserted = _study(postgres_url, "i@random")
    LedgerWriter(inserted, NAMES).write(_rows())
    assert calls  # the second study really took the INSERT path
    lite = _study(f"sqlite:///{tmp_path / 'study.db'}", "s@random")
    LedgerWriter(lite, NAMES).write(_rows())

    got = _frozen(copied)
    assert got == _frozen(inserted)
    assert got == _frozen(lite)
    t3, t5 = copied.trials[3], copied.trials[5]
    assert t3.values == [float("inf"), -float("inf"), 0.0]
    assert t5.state == S.FAIL and t5.values is None and t5.user_attrs["error"].endswith(NASTY)
    assert copied.trials[0].user_attrs["note"] == NASTY
    assert copied.trials[0].values[0] == 1e-300  # shortest repr round trip


def test_postgresql_trials_rows_are_one_driver_statement_with_ids_in_number_order(
    postgres_url,
) -> None:
    """On PostgreSQL the ``trials`` rows of a batch go in as one driver statement over arrays
    (:func:`accelsmith.dse.ledger_insert.insert_trials`; SQLAlchemy's insert, which builds
    every value in Python, is not used), their ids drawn in trial-number order, batch after
    batch (what the comparison with the INSERT path above checks is stored the same)."""
    study = _study(postgres_url, "o@random")
    writer = LedgerWriter(study, NAMES)
    backend = writer.backend
    seen: list[str] = []

    def statement(conn, cursor, sql, *args):
        seen.append(" ".join(sql.split()).lower())

    sqlalchemy.event.listen(backend.engine, "before_cursor_execute", statement)
    try:
        rows = _rows()
        assert writer.write(rows[:7]).numbers == list(range(7))
        assert writer.write(rows[7:]).numbers == list(range(7, 12))
    finally:
        sqlalchemy.event.remove(backend.engine, "before_cursor_execute", statement)
    assert seen and not any(s.startswith("insert into trials") for s in seen), seen
    with backend.engine.connect() as conn:
        stored = conn.execute(
            sqlalchemy.text("SELECT number FROM trials WHERE study_id = :s ORDER BY trial_id"),
            {"s": study._study_id},
        ).scalars()
        assert list(stored) == list(range(12))
    assert [t.number for t in study.get_trials()] == list(range(12))
    assert [t.state for t in study.get_trials()] == [r.state for r in _rows()]


def _study_with_a_keyless_trial(backend: str, request, tmp_path, name: str) -> optuna.Study:
    url = (
        f"sqlite:///{tmp_path / 'study.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    study = _study(url, name)
    # a trial stored before design keys existed: keyed from its configuration
    study.add_trial(
        optuna.trial.create_trial(
            params={"rows": 64, "clock": 2e6, "dataflow": "is"},
            distributions=DISTS,
            values=[1.0, 2.0, 3.0],
            user_attrs={"config": {"rows": 64, "clock": 2e6, "dataflow": "is"}},
        )
    )
    return study


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_light_read_gives_the_design_index_of_a_full_read(backend, request, tmp_path) -> None:
    study = _study_with_a_keyless_trial(backend, request, tmp_path, "l@random")
    full, light = LedgerWriter(study, NAMES), LedgerWriter(study, NAMES)
    light.history = False
    full.sync(), light.sync()
    other = LedgerWriter(study, NAMES)
    other.write(_rows())  # another worker's batch
    seen_full, seen_light = full.sync(), light.sync()
    assert [t.number for t in seen_light] == [t.number for t in seen_full] == list(range(1, 13))
    assert light.designs == full.designs and len(full.designs) == 13
    assert (light.total, light.counted, light.last_id) == (full.total, full.counted, full.last_id)
    assert all(t.params for t in seen_full) and not any(t.params for t in seen_light)
    assert design_key({"rows": 64, "clock": 2e6, "dataflow": "is"}, NAMES) in light.designs
    # under the lock too: the light writer reads the others' trials and drops their designs
    other.write(
        [
            Row(
                state=S.COMPLETE,
                params={"rows": 8, "clock": 5e6, "dataflow": "os"},
                distributions=DISTS,
                values=[1.0, 1.0, 1.0],
                design=design_key({"rows": 8, "clock": 5e6, "dataflow": "os"}, NAMES),
            )
        ]
    )
    again = _rows()[:2]
    out = light.write(again)
    assert out.numbers == [None, None] and out.duplicate_of == [1, 2]
    assert [t.number for t in out.others] == [13] and light.others_seen


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_keys_read_gives_which_designs_a_full_read_gives(backend, request, tmp_path) -> None:
    """``results=False`` (``random``): one query per read, numbers, states and design keys
    as a full read gives them (a trial stored without a design key keyed from its
    configuration), no stored results; duplicates still caught under the lock."""
    study = _study_with_a_keyless_trial(backend, request, tmp_path, "k@random")
    full, keys = LedgerWriter(study, NAMES), LedgerWriter(study, NAMES)
    keys.history = keys.results = False
    full.sync(), keys.sync()
    other = LedgerWriter(study, NAMES)
    other.write(_rows())
    statements: list[str] = []
    engine = keys.backend.engine

    def count(conn, cursor, statement, *a) -> None:
        statements.append(statement)

    sqlalchemy.event.listen(engine, "before_cursor_execute", count)
    try:
        seen = keys.sync()
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", count)
    seen_full = full.sync()
    assert len(statements) == 1  # one query
    assert [(t.number, t.state) for t in seen] == [(t.number, t.state) for t in seen_full]
    assert all(t.values is None and not t.params for t in seen)
    assert {k: v[:2] for k, v in keys.designs.items()} == {
        k: v[:2] for k, v in full.designs.items()
    }
    assert len(keys.designs) == 13 and all(v[2] is None for v in keys.designs.values())
    assert (keys.total, keys.counted, keys.last_id) == (full.total, full.counted, full.last_id)
    assert design_key({"rows": 64, "clock": 2e6, "dataflow": "is"}, NAMES) in keys.designs
    new = {"rows": 8, "clock": 5e6, "dataflow": "os"}
    other.write(
        [
            Row(
                state=S.COMPLETE,
                params=new,
                distributions=DISTS,
                values=[1.0, 1.0, 1.0],
                design=design_key(new, NAMES),
            )
        ]
    )
    mine = Row(
        state=S.COMPLETE,
        params=new,
        distributions=DISTS,
        values=[2.0, 2.0, 2.0],
        design=design_key(new, NAMES),
    )
    out = keys.write([_rows()[0], mine])  # mine: the other's new design, read under the lock
    assert out.numbers == [None, None] and out.duplicate_of == [1, 13]
    assert [t.number for t in out.others] == [13] and keys.others_seen


def _count(url: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM trials")).scalar()
    except sa.exc.SQLAlchemyError:
        return 0  # tables not created yet
    finally:
        engine.dispose()


def test_kill_9_of_a_postgresql_worker_loses_and_duplicates_nothing(postgres_url, tmp_path) -> None:
    import subprocess
    import sys

    import yaml

    from .dse_helpers import kill_9_after, tiny_spec_dict

    budget = 600
    data = tiny_spec_dict(
        budget=budget, storage=postgres_url, explorer={"name": "random", "options": {"batch": 16}}
    )
    del data["space"]  # the family's default space (256,000 points)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(data))
    cmd = [sys.executable, "-m", "accelsmith.cli.main", "dse", "run", str(spec), "--quiet"]
    killed_at = kill_9_after(cmd, tmp_path, lambda: _count(postgres_url), 64)
    assert 64 <= killed_at < budget
    r = subprocess.run([*cmd], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    trials = optuna.load_study(study_name="tiny@random", storage=postgres_url).get_trials()
    assert [t.number for t in trials] == list(range(budget))
    assert all(t.state == S.COMPLETE and len(t.values) == 3 for t in trials)
    assert len({t.user_attrs["design"] for t in trials}) == budget
    n_params = {len(t.params) for t in trials}
    assert len(n_params) == 1 and n_params.pop() > 3
    # the same trials as an uninterrupted run (no batch lost, none stored in part or twice)
    from accelsmith.dse.campaign import open_campaign, run_worker
    from accelsmith.dse.spec import parse_spec

    same = yaml.safe_load(spec.read_text())  # the spec as the runs read it (sorted keys)
    ref = open_campaign(parse_spec({**same, "storage": f"sqlite:///{tmp_path / 'ref.db'}"}))
    run_worker(ref)
    assert [t.params for t in ref.study.trials] == [t.params for t in trials]
    assert [t.values for t in ref.study.trials] == [t.values for t in trials]
