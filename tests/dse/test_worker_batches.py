"""``random`` with several workers: full batches once other workers' trials arrive, light reads.

Alone, a worker's batches end at multiples of ``batch`` stored trials (a resumed run repeats
an uninterrupted one). Once another worker's trials are seen, the alignment would cut every
batch down to the gap the others left (measured with 3 PostgreSQL workers: ~125 designs per
write at ``batch: 256``), doubling the writes and lock acquisitions; so batches are then
``batch`` designs; on a server database they grow while the workers queue for the study lock
(``LedgerWriter.batch_size``).
"""

from __future__ import annotations

import time

import optuna
import pytest

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


#: the writer's own write (the tests below spy on LedgerWriter.write)
_WRITE = LedgerWriter.write


def _fail_rows(keys) -> list[Row]:
    """FAIL rows of designs ``{"x": k}`` (a stand-in space: only their design keys matter)."""
    base = optuna.distributions.IntDistribution(1, 10**6)
    return [
        Row(
            state=optuna.trial.TrialState.FAIL,
            params={"x": k},
            distributions={"x": base},
            design=design_key({"x": k}, ["x"]),
        )
        for k in keys
    ]


def _other_workers_trials(study, keys=(1, 2, 3)) -> None:
    _WRITE(LedgerWriter(study, ["x"]), _fail_rows(keys))


def _random_campaign(url: str, budget: int):
    data = tiny_spec_dict(
        budget=budget, explorer={"name": "random", "options": {"batch": 8}}, storage=url
    )
    del data["space"]  # the family's default space (256,000 points): no repeats by chance
    return open_campaign(parse_spec(data))


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_random_batches_grow_while_workers_queue_for_the_lock(
    backend, request, tmp_path, monkeypatch
) -> None:
    """Several workers on PostgreSQL: a write that waited for the study lock (here: made to
    wait 0.3 s, as behind two other workers' writes) doubles the next batches up to 8x,
    capped at a quarter of the remaining budget; on SQLite batches stay as they were."""
    url = (
        request.getfixturevalue("postgres_url")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path / 'study.db'}"
    )
    c = _random_campaign(url, 200)
    sizes: list[int] = []
    write, lock = LedgerWriter.write, ledger_bulk._lock_study

    def spy(self, rows, **kw):
        sizes.append(len(rows))
        if len(sizes) == 1:  # another worker stores 3 trials while this one evaluates
            _other_workers_trials(c.study)
        return write(self, rows, **kw)

    def slow_lock(conn, study_id):
        if len(sizes) > 1:
            time.sleep(0.3)
        lock(conn, study_id)

    asked: list[tuple[int, int]] = []  # (remaining budget, batch size) of each batch_size call
    batch_size = LedgerWriter.batch_size

    def size_spy(self, base, remaining):
        asked.append((remaining, batch_size(self, base, remaining)))
        return asked[-1][1]

    monkeypatch.setattr(LedgerWriter, "write", spy)
    monkeypatch.setattr(LedgerWriter, "batch_size", size_spy)
    monkeypatch.setattr(ledger_bulk, "_lock_study", slow_lock)
    run_worker(c)
    done = [t for t in c.study.trials if t.state.name == "COMPLETE"]
    assert len(done) == 200 - 3
    assert len({t.user_attrs["design"] for t in done}) == len(done)
    assert len(asked) == len(sizes) - 1  # every batch after the first (aligned) one
    if backend == "postgresql":  # scale 1, 2, 4, 8, 8 ...: every write waited
        rule = [max(8, min(8 * min(8, 2**i), rem // 4)) for i, (rem, _) in enumerate(asked)]
        assert [n for _, n in asked] == rule
        assert max(n for _, n in asked) >= 32 and max(sizes) > 16
    else:
        assert {n for _, n in asked} == {8} and max(sizes) == 8
    assert all(m <= n for m, (_, n) in zip(sizes[1:], asked, strict=True))


def test_the_batch_scale_shrinks_back_when_the_lock_is_free(postgres_url) -> None:
    """A real wait (another connection holds the study lock) grows the scale; writes that
    find the lock free halve it back to 1."""
    import threading

    import sqlalchemy as sa

    c = _random_campaign(postgres_url, 10_000)
    writer = LedgerWriter(c.study, ["x"])
    counter = iter(range(10, 10**6))

    def batch(n: int) -> list[Row]:
        return _fail_rows([next(counter) for _ in range(n)])

    _other_workers_trials(c.study)
    writer.write(batch(4))  # sees the other's trials: several workers from here on
    assert writer.others_seen and writer.batch_size(8, 10_000) == 8
    engine = sa.create_engine(postgres_url)
    held = threading.Event()

    def hold() -> None:
        with engine.begin() as conn:
            ledger_bulk._lock_study(conn, c.study._study_id)
            held.set()
            time.sleep(0.5)

    for expected in (16, 32, 64, 64):
        t = threading.Thread(target=hold)
        t.start()
        held.wait(10)
        writer.write(batch(4))
        t.join()
        held.clear()
        assert writer.lock_wait_s > 0.3
        assert writer.batch_size(8, 10_000) == expected
    assert writer.batch_size(8, 40) == 10 and writer.batch_size(8, 4) == 8  # budget cap
    for expected in (32, 16, 8, 8):
        time.sleep(0.5)  # a cycle with no wait (evaluation time)
        writer.write(batch(4))
        assert writer.batch_size(8, 10_000) == expected
    engine.dispose()
