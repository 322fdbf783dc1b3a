"""The column-wise SQL reader returns what Optuna's own reads give (whole and incremental)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accelsmith.dse import ledger
from accelsmith.dse.ledger_columns import ColumnReader
from tests.reports.ledger_fixtures import _configs, _rows, add_trials, write_campaign

OBJ = [("latency_s", "minimize"), ("energy_j", "minimize")]
CONS = [("power_w", "<=", 6.0)]


@pytest.fixture
def store(tmp_path: Path):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'study.db'}")
    write_campaign(storage, "c", objectives=OBJ, constraints=CONS, explorers={"nsga2": 40})
    study = optuna.load_study(study_name="c@nsga2", storage=storage)
    t = study.ask()  # a failed trial with its sampler time, then one left running
    t.set_user_attr(ledger.SAMPLER_SECONDS_KEY, 0.25)
    study.tell(t, state=optuna.trial.TrialState.FAIL)
    study.ask().set_user_attr(ledger.SAMPLER_SECONDS_KEY, 0.5)
    yield storage
    storage.remove_session()
    storage.engine.dispose()


def _orm(storage, include_failed: bool = False) -> ledger.CampaignData:
    # since={} takes Optuna's ORM path (the reference the SQL reader must equal)
    return ledger.read_campaign(storage, "c", since={}, include_failed=include_failed)


@pytest.mark.parametrize("include_failed", [False, True])
def test_whole_read_equals_optuna(store, include_failed: bool) -> None:
    got = ledger.read_campaign(store, "c", include_failed=include_failed)  # SQL path
    want = _orm(store, include_failed)
    assert list(got.frames) == list(want.frames) == ["nsga2"]
    pd.testing.assert_frame_equal(got.frames["nsga2"], want.frames["nsga2"])
    assert got.infos == want.infos
    assert got.infos["nsga2"]["_all_trials"] == 42
    assert got.seen == want.seen


def test_incremental_read_returns_only_new_trials(store) -> None:
    import optuna

    reader = ColumnReader(store, "c")
    first = reader.read()
    assert len(first.frames["nsga2"]) == 40
    assert len(reader.read().frames["nsga2"]) == 0  # nothing new
    study = optuna.load_study(study_name="c@nsga2", storage=store)
    running = next(t for t in study.trials if t.state == optuna.trial.TrialState.RUNNING)
    add_trials(study, _rows(_configs(np.random.default_rng(5), 3), OBJ, CONS), "nsga2")
    study.tell(running.number, [1.0, 2.0])  # the older running trial completes after them
    new = reader.read()
    assert sorted(new.frames["nsga2"]["number"]) == [41, 42, 43, 44]
    whole = _orm(store).frames["nsga2"]
    merged = pd.concat([first.frames["nsga2"], new.frames["nsga2"]], ignore_index=True)
    merged = merged.sort_values("number", ignore_index=True)
    pd.testing.assert_frame_equal(merged[whole.columns], whole, check_dtype=False)
    assert new.infos["nsga2"]["sampler_ms"] == pytest.approx(375.0)
    assert len(reader.read().frames["nsga2"]) == 0


def test_missing_campaign_is_one_line_error(store) -> None:
    from accelsmith.core.errors import ConfigError

    with pytest.raises(ConfigError, match="no campaign 'nope'"):
        ColumnReader(store, "nope").read()
