"""``random`` with several workers: full batches once other workers' trials arrive, light reads.

Alone, a worker's batches end at multiples of ``batch`` stored trials (a resumed run repeats
an uninterrupted one). Once another worker's trials are seen, the alignment would cut every
batch down to the gap the others left (measured with 3 PostgreSQL workers: ~125 designs per
write at ``batch: 256``), doubling the writes and lock acquisitions; so batches are then
``batch`` designs.
"""

from __future__ import annotations

import optuna

from accelsmith.dse import ledger_bulk
from accelsmith.dse.campaign import open_campaign, run_worker
from accelsmith.dse.ledger_bulk import LedgerWriter, Row, design_key
from accelsmith.dse.spec import parse_spec

from .dse_helpers import tiny_spec_dict


def test_random_batches_are_full_once_another_worker_wrote(tmp_path, monkeypatch) -> None:
    data = tiny_spec_dict(
        budget=40,
        explorer={"name": "random", "options": {"batch": 8}},
        storage=f"sqlite:///{tmp_path / 'study.db'}",
    )
    del data["space"]  # the family's default space (256,000 points): no repeats by chance
    c = open_campaign(parse_spec(data))
    sizes: list[int] = []
    histories: list[bool] = []
    write = LedgerWriter.write

    def spy(self, rows, **kw):
        sizes.append(len(rows))
        histories.append(self.history)
        if len(sizes) == 1:  # another worker stores 3 trials while this one evaluates
            base = optuna.distributions.IntDistribution(1, 1000)
            other = LedgerWriter(c.study, ["x"])
            other.history = False
            write(
                other,
                [
                    Row(
                        state=optuna.trial.TrialState.FAIL,
                        params={"x": k},
                        distributions={"x": base},
                        design=design_key({"x": k}, ["x"]),
                    )
                    for k in (1, 2, 3)
                ],
            )
        return write(self, rows, **kw)

    monkeypatch.setattr(LedgerWriter, "write", spy)
    lights: list[bool] = []
    read = ledger_bulk.read_trials

    def read_spy(*a, **kw):
        lights.append(kw.get("light", False))
        return read(*a, **kw)

    monkeypatch.setattr(ledger_bulk, "read_trials", read_spy)
    run_worker(c)
    done = [t for t in c.study.trials if t.state.name == "COMPLETE"]
    assert len(done) == 40 - 3  # the budget counts the other worker's 3
    # first batch 8 (aligned); then 8 each (aligned would be 5 = 16 - 11 first), budget cut last
    assert sizes == [8, 8, 8, 8, 5]
    assert histories == [False] * 5  # random reads only the design index,
    assert len(lights) >= 6 and all(lights)  # from its first read (the ledger's sync) on
