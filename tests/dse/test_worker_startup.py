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
    """Start unfrozen (an in-process ``dse run`` of an earlier test in this process froze its
    start-up objects, as a worker does) and restore the collector as it was (and unfreeze
    what a test froze)."""
    was = gc.isenabled()
    gc.unfreeze()
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


# ----------------------------------------------------------------------------- schema check
def _storage_url(where: str, tmp_path, request) -> str:
    if where == "postgresql":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'schema.db'}"


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_a_current_schema_is_checked_without_alembic(tmp_path, request, monkeypatch, where):
    """Opening a storage whose schema is the installed Optuna's head (a campaign's storage,
    as every worker does) imports no alembic, once the head revision is cached: the first
    opening of a fresh storage (Optuna's own manager) caches it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from accelsmith.dse import rdb_schema, storage

    cache = tmp_path / "cache"
    monkeypatch.setenv("ACCELSMITH_SCHEMA_CACHE", str(cache))
    url = _storage_url(where, tmp_path, request)
    monkeypatch.setattr(storage, "_SCHEMA_CHECKED", set())
    storage.close_storage(storage.open_storage(url, write=True))  # creates and stamps it
    head = rdb_schema.cached_head()
    assert head is not None and rdb_schema.head_cache_file().parent == cache
    code = (
        "import sys\n"
        "from accelsmith.dse.storage import close_storage, open_storage\n"
        "for write in (False, True):\n"
        f"    store = open_storage({url!r}, write=write)\n"
        "    backend = getattr(store, '_backend', store)\n"
        "    assert backend._version_manager.lean\n"
        "    close_storage(store)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "ACCELSMITH_SCHEMA_CACHE": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    # what the lean manager does not know it leaves to Optuna's (alembic's answers)
    store = storage.open_storage(url, write=True)
    assert store._version_manager.lean
    assert store.get_current_version() == store.get_head_version() == head
    storage.close_storage(store)


def test_the_head_cache_is_keyed_by_the_migration_scripts(tmp_path):
    """A changed, added or removed migration script, or another Optuna version, names
    another cache file (a stale head is never read)."""
    import shutil
    from pathlib import Path

    from optuna.storages._rdb import storage as rdb

    from accelsmith.dse.rdb_schema import scripts_key

    versions = tmp_path / "versions"
    shutil.copytree(Path(rdb.__file__).parent / "alembic" / "versions", versions)
    base = scripts_key(versions, "5.1.0")
    assert scripts_key(versions, "5.1.0") == base
    assert scripts_key(versions, "5.1.1") != base
    first = sorted(versions.glob("*.py"))[0]
    text = first.read_bytes()
    first.write_bytes(text + b"\n")
    assert scripts_key(versions, "5.1.0") != base
    first.write_bytes(text)
    (versions / "v9.9.9.a.py").write_text('revision = "v9.9.9.a"\n')
    assert scripts_key(versions, "5.1.0") != base
    (versions / "v9.9.9.a.py").unlink()
    first.unlink()
    assert scripts_key(versions, "5.1.0") != base


@pytest.mark.parametrize("where", ["sqlite", "postgresql"])
def test_an_old_schema_or_a_wrong_cache_gets_optunas_own_check(
    tmp_path, request, monkeypatch, where
):
    """A storage at another revision is refused with Optuna's own message, whatever the
    cache says; a cache holding a wrong head is not trusted (Optuna's manager runs) and is
    mended."""
    import optuna
    from sqlalchemy import text

    from accelsmith.core.errors import ConfigError
    from accelsmith.dse import rdb_schema, storage

    monkeypatch.setenv("ACCELSMITH_SCHEMA_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(storage, "_SCHEMA_CHECKED", set())
    url = _storage_url(where, tmp_path, request)
    store = storage.open_storage(url, write=True)
    head = rdb_schema.cached_head()
    rdb_schema.head_cache_file().write_text("v0.0.0.bogus\n")
    storage.close_storage(store)
    store = storage.open_storage(url, write=True)
    assert not store._version_manager.lean
    assert rdb_schema.cached_head() == head  # mended by alembic's answer
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'v3.0.0.d'"))
    storage.close_storage(store)
    with pytest.raises(RuntimeError) as optunas:
        optuna.storages.RDBStorage(url)
    assert "no longer compatible" in str(optunas.value)
    monkeypatch.setattr(storage, "_SCHEMA_CHECKED", set())
    with pytest.raises(ConfigError) as ours:
        storage.open_storage(url)
    assert " ".join(str(optunas.value).split())[:100] in str(ours.value)
