"""A worker's start-up helpers: the garbage-collector pause (:mod:`accelsmith.dse.startup`) and
the keys read's JSON shortcut (:func:`accelsmith.dse.ledger_bulk._json_str`)."""

from __future__ import annotations

import gc
import json

import pytest

from accelsmith.dse import startup
from accelsmith.dse.ledger_bulk import _json_str


@pytest.fixture
def gc_state():
    """Restore the collector as it was (and unfreeze what a test froze)."""
    was = gc.isenabled()
    yield
    startup._paused = False
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_start_up_pause_turns_the_collector_off_then_on_and_freezes(gc_state):
    gc.enable()
    frozen = gc.get_freeze_count()
    startup.pause_for_startup()
    assert not gc.isenabled()
    with startup.gc_paused():  # nested: stays off, and off after the block
        assert not gc.isenabled()
    assert not gc.isenabled()
    startup.startup_done()
    assert gc.isenabled() and gc.get_freeze_count() > frozen
    startup.startup_done()  # a second end is a no-op
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off(gc_state):
    gc.disable()
    startup.pause_for_startup()
    startup.startup_done()
    assert not gc.isenabled() and gc.get_freeze_count() == 0
    with startup.gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_gc_paused_restores_the_collector_after_an_error(gc_state):
    gc.enable()
    with pytest.raises(RuntimeError), startup.gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("x")
    assert gc.isenabled()


@pytest.mark.parametrize(
    "value",
    [
        "0123456789abcdef0123",  # a design key
        "",
        'a "quoted" word',
        "back\\slash",
        "\u00e9t\u00e9 \u2192 \U0001f600",
        "tab\there",
        17,
        1.5,
        None,
        ["a", 1],
        {"k": "v"},
    ],
)
def test_the_json_shortcut_reads_what_json_reads(value):
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        assert _json_str(text) == json.loads(text)
        assert type(_json_str(text)) is type(json.loads(text))


def test_optuna_checks_a_storage_schema_once_per_process(tmp_path, monkeypatch):
    """A worker opens its storage twice (the stored spec, then writing): Optuna's schema check
    (it loads every alembic migration script) runs at the first opening of a URL only."""
    from optuna.storages._rdb import storage as rdb

    from accelsmith.dse import storage

    calls: list[str] = []
    real = rdb._VersionManager.check_table_schema_compatibility

    def counted(self):
        calls.append(self.url)
        return real(self)

    monkeypatch.setattr(rdb._VersionManager, "check_table_schema_compatibility", counted)
    monkeypatch.setattr(storage, "_SCHEMA_CHECKED", set())
    urls = [f"sqlite:///{tmp_path / name}" for name in ("a.db", "b.db")]
    for url in urls:
        storage.close_storage(storage.open_storage(url, write=True))
    storage.close_storage(storage.open_storage(urls[0]))  # read-only, the same file
    storage.close_storage(storage.open_storage(urls[0], write=True))
    assert calls == urls


@pytest.mark.parametrize("where", ["sqlite", "postgresql", "memory"])
def test_count_trials_counts_what_get_trials_gives(tmp_path, request, where):
    """``dse run`` counts the stored trials (its "resuming" line) with one query."""
    import optuna

    from accelsmith.dse.ledger_bulk import count_trials

    S = optuna.trial.TrialState
    storage = {
        "sqlite": f"sqlite:///{tmp_path / 'c.db'}",
        "postgresql": request.getfixturevalue("postgres_url") if where == "postgresql" else None,
        "memory": None,
    }[where]
    study = optuna.create_study(storage=storage)
    for state, n in ((S.COMPLETE, 3), (S.FAIL, 2), (S.PRUNED, 1), (S.RUNNING, 1)):
        for _ in range(n):
            trial = study.ask()
            if state is S.COMPLETE:
                study.tell(trial, 1.0)
            elif state is not S.RUNNING:
                study.tell(trial, state=state)
    for states in (None, (S.COMPLETE, S.FAIL), (S.PRUNED,), (S.WAITING,)):
        assert count_trials(study, states) == len(study.get_trials(states=states))
    assert count_trials(study) == 7
