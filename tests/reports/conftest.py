"""Campaign storages shared by the report and dashboard tests (written once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .ledger_fixtures import journal_storage, write_campaign

THREE = [("latency_s", "minimize"), ("energy_j", "minimize"), ("area_mm2", "minimize")]
POWER_LIMIT = [("power_w", "<=", 6.0)]


@pytest.fixture(scope="session")
def campaign_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three objectives, a power constraint, two explorers and the exact front."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    path = tmp_path_factory.mktemp("campaign") / "journal.log"
    write_campaign(
        journal_storage(path),
        "sa-three",
        objectives=THREE,
        constraints=POWER_LIMIT,
        explorers={"nsga2": 120, "random": 60},
        exhaustive=True,
    )
    return path
