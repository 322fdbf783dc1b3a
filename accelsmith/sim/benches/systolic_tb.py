"""cocotb testbench of the systolic array: driver, monitor, reference model and scoreboard.

The simulator process reads its configuration from the JSON file named by
``ACCELSMITH_TB_CONFIG`` (parameters, the port table of the manifest, seed, tile count and the
report folder). One clock coroutine calls, every cycle, each driver's ``drive`` at the falling
edge and each ``sample`` after the signals settle; the scoreboard is called back on every
transfer. Three tests, each from reset:

``corner_cases``
    Isolated tiles at full rate (zeros, all-max, all-min, min x max, K = 1, K = max_k,
    identity, random); each tile's cycle count must equal :func:`tile_cycles` exactly.
``back_to_back``
    Random tiles streamed with no gaps; every start, every result row and every ``done``
    must land on the cycle :func:`full_rate_schedule` predicts.
``random_stalls``
    Random valid gaps on every input and random ``ready`` back-pressure on the output; every
    result row must appear at the advance-cycle :func:`output_times` predicts.

Each test writes ``<report_dir>/<test>.json`` with tiles checked, mismatches and cycles.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from accelsmith.core.families.systolic import SystolicParams
from accelsmith.core.latency.systolic import full_rate_schedule, output_times, tile_cycles
from accelsmith.sim.benches.common import (
    StreamDriver,
    port,
    reset,
    tb_config,
    timing_report,
    write_report,
)
from accelsmith.sim.benches.systolic_io import pack, tile_beats, unpack
from accelsmith.sim.golden.systolic import element_range, golden

# ----------------------------------------------------------------------------- configuration


# ----------------------------------------------------------------------------- stimulus


def corner_tiles(p: SystolicParams, rng: np.random.Generator) -> list[tuple[np.ndarray, ...]]:
    """Corner-case tiles from the specification's edge cases."""
    lo, hi = element_range(p)
    r, c, kmax = p.rows, p.cols, p.max_k

    def full(v: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        return np.full((r, k), v, dtype=np.int64), np.full((k, c), v, dtype=np.int64)

    def rand(k: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.integers(lo, hi + 1, (r, k)), rng.integers(lo, hi + 1, (k, c))

    tiles = [full(0, min(3, kmax)), full(hi, kmax), rand(1), rand(kmax)]
    if p.signed:
        tiles += [full(lo, kmax)]  # the largest positive sum: min * min, max_k times
        a, b = full(lo, kmax)
        tiles += [(a, np.full_like(b, hi))]  # the most negative sum
    k_id = min(r, kmax)
    eye = np.eye(r, k_id, dtype=np.int64)
    tiles += [(eye, rng.integers(lo, hi + 1, (k_id, c)))]  # identity: C = B's first rows
    return tiles


def random_tiles(p: SystolicParams, rng: np.random.Generator, n: int) -> list[tuple]:
    """Random tiles with K mostly around the array size, sometimes deep, always <= max_k."""
    lo, hi = element_range(p)
    kcap = min(p.max_k, max(2 * p.rows, 8))
    tiles = []
    for _ in range(n):
        k = (
            int(rng.integers(1, kcap + 1))
            if rng.random() < 0.85
            else int(rng.integers(1, p.max_k + 1))
        )
        tiles.append((rng.integers(lo, hi + 1, (p.rows, k)), rng.integers(lo, hi + 1, (k, p.cols))))
    return tiles


# ----------------------------------------------------------------------------- components


class ResultMonitor:
    """Applies random back-pressure on ``c`` and reports every transferred row."""

    def __init__(
        self,
        dut: Any,
        ports: dict,
        p: SystolicParams,
        rng: random.Random,
        stall: float,
        on_row: Callable[[list[int], bool, int, int], None],
    ) -> None:
        self.valid = port(dut, ports, "c__valid")
        self.ready = port(dut, ports, "c__ready")
        self.payload = port(dut, ports, "c__payload")
        self.done = port(dut, ports, "done")
        self.p, self.rng, self.stall, self.on_row = p, rng, stall, on_row
        self.ready_now = True
        self.done_pulses = 0

    def drive(self) -> None:
        self.ready_now = self.rng.random() >= self.stall
        self.ready.value = int(self.ready_now)

    def sample(self, cycle: int, tau: int) -> bool:
        """Record a transfer; return whether the array advances this cycle."""
        valid = bool(int(self.valid.value))
        self.done_pulses += int(self.done.value)
        if valid and self.ready_now:
            word = int(self.payload.value)
            acc, cols = self.p.acc_bits, self.p.cols
            assert acc is not None
            row = unpack(word, acc, cols, self.p.signed)
            self.on_row(row, bool((word >> (acc * cols)) & 1), cycle, tau)
        return not (valid and not self.ready_now)


@dataclass
class TileRecord:
    expected: np.ndarray
    k: int
    start_cycle: int = -1
    start_tau: int = -1
    a_tau: list[int] = field(default_factory=list)
    rows: list[list[int]] = field(default_factory=list)
    row_cycle: list[int] = field(default_factory=list)
    row_tau: list[int] = field(default_factory=list)
    last_flags: list[bool] = field(default_factory=list)


class Scoreboard:
    """Reference model plus checker: expected results from :func:`golden`, timing checks.

    ``inject_fault`` corrupts one expected value (used by the test suite to prove that the
    checker fails when results differ).
    """

    def __init__(self, p: SystolicParams, tiles: list[tuple], inject_fault: bool = False) -> None:
        self.p = p
        self.records = [TileRecord(golden(p, a, b), a.shape[1]) for a, b in tiles]
        if inject_fault:
            self.records[-1].expected[0, 0] += 1
        self.next_row_tile = 0
        self.errors: list[str] = []

    # callbacks -------------------------------------------------------------
    def on_start(self, tile: int, cycle: int, tau: int) -> None:
        self.records[tile].start_cycle = cycle
        self.records[tile].start_tau = tau

    def on_a(self, tile: int, cycle: int, tau: int) -> None:
        self.records[tile].a_tau.append(tau)

    def on_row(self, row: list[int], last: bool, cycle: int, tau: int) -> None:
        if self.next_row_tile >= len(self.records):
            self.errors.append(f"unexpected extra result row {row} at cycle {cycle}")
            return
        rec = self.records[self.next_row_tile]
        rec.rows.append(row)
        rec.row_cycle.append(cycle)
        rec.row_tau.append(tau)
        rec.last_flags.append(last)
        if len(rec.rows) == self.p.rows:
            self.next_row_tile += 1

    # checks ----------------------------------------------------------------
    @property
    def complete(self) -> bool:
        return self.next_row_tile == len(self.records)

    def value_mismatches(self) -> int:
        bad = 0
        for i, rec in enumerate(self.records):
            got = np.array(rec.rows, dtype=object)
            flags_ok = rec.last_flags == [False] * (self.p.rows - 1) + [True]
            if got.shape != rec.expected.shape or not np.array_equal(got, rec.expected):
                bad += 1
                if len(self.errors) < 20:
                    self.errors.append(
                        f"tile {i} (K={rec.k}): got {got.tolist()}, expected "
                        f"{rec.expected.tolist()}"
                    )
            elif not flags_ok:
                bad += 1
                self.errors.append(f"tile {i}: c.last flags {rec.last_flags}")
        return bad


async def _run(
    dut: Any,
    p: SystolicParams,
    cfg: dict,
    tiles: list[tuple],
    *,
    gap: float,
    stall: float,
    seed: int,
    isolated: bool,
) -> Scoreboard:
    """Drive ``tiles`` through the DUT; ``isolated`` waits for each tile to finish first."""
    clk = dut.clk
    cocotb.start_soon(Clock(clk, 10, unit="ns").start())
    await reset(dut, valid=("start", "a", "b"), ready=("c",))
    rng = random.Random(seed)
    ports = cfg["ports"]
    sb = Scoreboard(p, tiles, inject_fault=cfg.get("inject_fault", False))
    start = StreamDriver(dut, ports, "start", rng, gap, sb.on_start)
    a_drv = StreamDriver(dut, ports, "a", rng, gap, sb.on_a)
    b_drv = StreamDriver(dut, ports, "b", rng, gap, lambda *_: None)
    mon = ResultMonitor(dut, ports, p, rng, stall, sb.on_row)
    beats = [tile_beats(p, a, b) for a, b in tiles]

    def enqueue(i: int) -> None:
        start.queue.append((i, beats[i].k_minus_1))
        a_drv.queue.extend((i, pack(v, p.in_bits)) for v in beats[i].a)
        b_drv.queue.extend((i, pack(v, p.in_bits)) for v in beats[i].b)

    if isolated:
        enqueue(0)
    else:
        for i in range(len(tiles)):
            enqueue(i)
    budget = int(sum(tile_cycles(p.rows, p.cols, p.dataflow, rec.k) for rec in sb.records))
    limit = 4 * budget + 2000 if gap or stall else budget + 1000
    tau, cycle, queued = 0, 0, 1
    while not sb.complete and cycle < limit:
        await FallingEdge(clk)
        for drv in (start, a_drv, b_drv, mon):
            drv.drive()
        await ReadOnly()
        for drv in (start, a_drv, b_drv):
            drv.sample(cycle, tau)
        advanced = mon.sample(cycle, tau)
        tau += int(advanced)
        cycle += 1
        if isolated and queued < len(tiles) and sb.next_row_tile == queued:
            enqueue(queued)
            queued += 1
    if not sb.complete:
        sb.errors.append(f"timeout: {sb.next_row_tile} of {len(tiles)} tiles after {cycle} cycles")
    await FallingEdge(clk)
    await ReadOnly()
    if int(dut.busy.value):
        sb.errors.append("busy still high after the last tile")
    if mon.done_pulses != sb.next_row_tile:
        sb.errors.append(f"done pulsed {mon.done_pulses} times for {sb.next_row_tile} tiles")
    return sb


def _write_report(name: str, cfg: dict, sb: Scoreboard, timing: list[dict]) -> None:
    report = timing_report(
        name,
        tiles=len(sb.records),
        mismatches=sb.value_mismatches(),
        errors=sb.errors,
        timing=timing,
        describe=lambda t: f"tile {t['tile']} {t['what']}",
    )
    write_report(cfg, report)


# ----------------------------------------------------------------------------- tests


@cocotb.test()
async def corner_cases(dut: Any) -> None:
    """Isolated full-rate tiles: exact results and exact tile cycle counts."""
    cfg = tb_config()
    p = SystolicParams.from_dict(cfg["params"])
    tiles = corner_tiles(p, np.random.default_rng(cfg["seed"]))
    sb = await _run(dut, p, cfg, tiles, gap=0.0, stall=0.0, seed=cfg["seed"], isolated=True)
    timing = []
    for i, rec in enumerate(sb.records):
        if rec.row_cycle:
            timing.append(
                {
                    "tile": i,
                    "k": rec.k,
                    "what": "tile cycles",
                    "measured": rec.row_cycle[-1] - rec.start_cycle + 1,
                    "predicted": int(tile_cycles(p.rows, p.cols, p.dataflow, rec.k)),
                }
            )
    _write_report("corner_cases", cfg, sb, timing)


@cocotb.test()
async def back_to_back(dut: Any) -> None:
    """Full-rate stream of random tiles: every start and result row on the predicted cycle."""
    cfg = tb_config()
    p = SystolicParams.from_dict(cfg["params"])
    n = max(1, cfg["tiles"] // 2)
    tiles = random_tiles(p, np.random.default_rng(cfg["seed"] + 1), n)
    sb = await _run(dut, p, cfg, tiles, gap=0.0, stall=0.0, seed=cfg["seed"], isolated=False)
    sched = full_rate_schedule(p.rows, p.cols, p.dataflow, [r.k for r in sb.records])
    timing = []
    t0 = sb.records[0].start_cycle  # the schedule counts from the first start transfer
    for i, (rec, s) in enumerate(zip(sb.records, sched, strict=True)):
        if not rec.row_cycle:
            continue
        timing.append(
            {
                "tile": i,
                "k": rec.k,
                "what": "start..done cycles",
                "measured": rec.row_cycle[-1] - rec.start_cycle + 1,
                "predicted": s["done"] - s["start"] + 1,
            }
        )
        if rec.start_cycle - t0 != s["start"]:
            timing.append(
                {
                    "tile": i,
                    "k": rec.k,
                    "what": "start cycle",
                    "measured": rec.start_cycle - t0,
                    "predicted": s["start"],
                }
            )
        for m, (got, want) in enumerate(zip(rec.row_cycle, s["rows_at"], strict=False)):
            got -= t0
            if got != want:
                timing.append(
                    {
                        "tile": i,
                        "k": rec.k,
                        "what": f"row {m} cycle",
                        "measured": got,
                        "predicted": want,
                    }
                )
    _write_report("back_to_back", cfg, sb, timing)


@cocotb.test()
async def random_stalls(dut: Any) -> None:
    """Random input gaps and output back-pressure: rows at the predicted advance-cycles."""
    cfg = tb_config()
    p = SystolicParams.from_dict(cfg["params"])
    n = max(1, cfg["tiles"] - cfg["tiles"] // 2)
    tiles = random_tiles(p, np.random.default_rng(cfg["seed"] + 2), n)
    rng = random.Random(cfg["seed"])
    sb = await _run(
        dut,
        p,
        cfg,
        tiles,
        gap=rng.uniform(0.1, 0.5),
        stall=rng.uniform(0.1, 0.5),
        seed=cfg["seed"] + 2,
        isolated=False,
    )
    done = [r for r in sb.records if len(r.row_tau) == p.rows]
    pred = output_times(p.rows, p.cols, p.dataflow, [r.a_tau for r in done])
    timing = []
    for i, (rec, want) in enumerate(zip(done, pred, strict=True)):
        timing.append(
            {
                "tile": i,
                "k": rec.k,
                "what": "start..done advance-cycles",
                "measured": rec.row_tau[-1] - rec.start_tau + 1,
                "predicted": want[-1] - rec.start_tau + 1,
            }
        )
        for m, (got, exp) in enumerate(zip(rec.row_tau, want, strict=True)):
            if got != exp:
                timing.append(
                    {
                        "tile": i,
                        "k": rec.k,
                        "what": f"row {m} advance-cycle",
                        "measured": got,
                        "predicted": exp,
                    }
                )
    _write_report("random_stalls", cfg, sb, timing)
