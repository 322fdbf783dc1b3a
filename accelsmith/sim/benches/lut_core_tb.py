"""cocotb testbench of the LUT tensor core: drivers, monitor, reference model and scoreboard.

The simulator reads its configuration from the JSON file named by ``ACCELSMITH_TB_CONFIG``
(parameters, the manifest's port table, seed, tile count, report folder). One loop drives every
stream at the falling edge and samples the settled handshakes; the scoreboard is called on
every transfer. Three tests, each from reset:

``corner_cases``
    Isolated full-rate tiles from ``accelerators.md`` §1.4: every activation at the minimum
    (the widest table entries), all-ones and all-zero weight codes (the negation path and
    ``c = 0``), the most positive and most negative sums at ``Kd = max_k`` (accumulator
    width), reduction lengths that ``K`` does not divide with junk in the padding, ``Kd = 1``,
    random. Each tile's cycle count must equal :func:`tile_cycles` exactly.
``back_to_back``
    Random tiles streamed with no gaps: every ``start``, ``a`` beat, last ``w`` beat and
    result row on the cycle :func:`full_rate_schedule` predicts.
``random_stalls``
    Random valid gaps on every input and random ``ready`` back-pressure on ``c``: each result
    row at the advance-cycle :func:`output_times` predicts, and no tile's last ``w`` beat
    earlier than ``tile_m`` advance-cycles after the previous one.

Each test writes ``<report_dir>/<test>.json`` (tiles, mismatches, cycles, errors).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from accelsmith.core.families.lut_core import LutCoreParams
from accelsmith.core.latency.lut_core import full_rate_schedule, output_times, tile_cycles
from accelsmith.sim.benches.common import (
    StreamDriver,
    port,
    reset,
    tb_config,
    timing_report,
    write_report,
)
from accelsmith.sim.benches.lut_core_io import pack, pack_a, tile_beats, unpack
from accelsmith.sim.golden.lut_core import act_range, golden

# ----------------------------------------------------------------------------- stimulus


def corner_tiles(p: LutCoreParams, rng: np.random.Generator) -> list[tuple[np.ndarray, ...]]:
    """Corner-case tiles (activations ``tile_m x Kd``, codes ``Kd x tile_n``)."""
    lo, hi = act_range(p)
    k, qmax, kmax = p.group_size, (1 << p.weight_bits) - 1, p.max_k
    m, n = p.tile_m, p.tile_n

    def tile(av: Any, qv: Any, kd: int) -> tuple[np.ndarray, np.ndarray]:
        a = np.full((m, kd), av, dtype=np.int64) if np.isscalar(av) else av
        q = np.full((kd, n), qv, dtype=np.int64) if np.isscalar(qv) else qv
        return a, q

    def rand_a(kd: int) -> np.ndarray:
        return rng.integers(lo, hi + 1, (m, kd))

    def rand_q(kd: int) -> np.ndarray:
        return rng.integers(0, qmax + 1, (kd, n))

    deep = min(kmax, 4096)  # Kd = max_k exercises the accumulator width (capped for sim time)
    short = min(kmax, 3 * k)
    tiles = [
        tile(lo, rand_q(short), short),  # widest table entries (+-K * 2**(a-1))
        tile(rand_a(short), qmax, short),  # all-ones codes: c = 2**K - 1, negation path
        tile(rand_a(short), 0, short),  # c = 0: every sign -1
        tile(lo, 0, deep),  # the most positive sums
        tile(lo, qmax, deep),  # the most negative (or, bipolar, most positive) sums
        tile(hi, 0, deep),
        tile(rand_a(1), rand_q(1), 1),  # Kd = 1: one group, K - 1 padded elements
        tile(0, rand_q(min(kmax, 2)), min(kmax, 2)),
    ]
    for kd in (k + 1, 2 * k - 1, 2 * k + 1):  # K does not divide Kd (junk in the padding)
        if kd <= kmax:
            tiles.append(tile(rand_a(kd), rand_q(kd), kd))
    tiles.append(tile(rand_a(short), rand_q(short), short))
    return tiles


def random_tiles(p: LutCoreParams, rng: np.random.Generator, count: int) -> list[tuple]:
    """Random tiles, ``Kd`` mostly short (drain-bound and compute-bound tiles mixed)."""
    lo, hi = act_range(p)
    kcap = min(p.max_k, max(4 * p.group_size, 2 * p.tile_m * p.group_size))
    tiles = []
    for _ in range(count):
        kd = (
            int(rng.integers(1, kcap + 1))
            if rng.random() < 0.9
            else int(rng.integers(1, min(p.max_k, 512) + 1))
        )
        tiles.append(
            (
                rng.integers(lo, hi + 1, (p.tile_m, kd)),
                rng.integers(0, 1 << p.weight_bits, (kd, p.tile_n)),
            )
        )
    return tiles


# ----------------------------------------------------------------------------- components


@dataclass
class TileRecord:
    expected: np.ndarray
    kd: int
    start_cycle: int = -1
    start_tau: int = -1
    a_cycle: list[int] = field(default_factory=list)
    w_last_cycle: int = -1
    w_last_tau: int = -1
    rows: list[list[int]] = field(default_factory=list)
    row_cycle: list[int] = field(default_factory=list)
    row_tau: list[int] = field(default_factory=list)
    last_flags: list[bool] = field(default_factory=list)


class Scoreboard:
    """Expected results from :func:`golden`; records every transfer for the timing checks."""

    def __init__(self, p: LutCoreParams, tiles: list[tuple], inject_fault: bool = False) -> None:
        self.p = p
        self.records = [TileRecord(golden(p, a, q), a.shape[1]) for a, q in tiles]
        if inject_fault:
            self.records[-1].expected[0, 0] += 1
        self.next_row_tile = 0
        self.errors: list[str] = []

    def on_start(self, tile: int, cycle: int, tau: int, _last: bool) -> None:
        self.records[tile].start_cycle, self.records[tile].start_tau = cycle, tau

    def on_a(self, tile: int, cycle: int, tau: int, _last: bool) -> None:
        self.records[tile].a_cycle.append(cycle)

    def on_w(self, tile: int, cycle: int, tau: int, last: bool) -> None:
        if last:
            self.records[tile].w_last_cycle, self.records[tile].w_last_tau = cycle, tau

    def on_row(self, row: list[int], last: bool, cycle: int, tau: int) -> None:
        if self.next_row_tile >= len(self.records):
            self.errors.append(f"unexpected extra result row {row} at cycle {cycle}")
            return
        rec = self.records[self.next_row_tile]
        rec.rows.append(row)
        rec.row_cycle.append(cycle)
        rec.row_tau.append(tau)
        rec.last_flags.append(last)
        if len(rec.rows) == self.p.tile_m:
            self.next_row_tile += 1

    @property
    def complete(self) -> bool:
        return self.next_row_tile == len(self.records)

    def value_mismatches(self) -> int:
        bad = 0
        for i, rec in enumerate(self.records):
            got = np.array(rec.rows, dtype=np.int64)
            if got.shape != rec.expected.shape or not np.array_equal(got, rec.expected):
                bad += 1
                if len(self.errors) < 20:
                    self.errors.append(
                        f"tile {i} (Kd={rec.kd}): got {got.tolist()}, expected "
                        f"{rec.expected.tolist()}"
                    )
            elif rec.last_flags != [False] * (self.p.tile_m - 1) + [True]:
                bad += 1
                self.errors.append(f"tile {i}: c.last flags {rec.last_flags}")
        return bad


async def _run(
    dut: Any,
    p: LutCoreParams,
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
    await reset(dut, valid=("start", "a", "w"), ready=("c",))

    rng = random.Random(seed)
    ports = cfg["ports"]
    sb = Scoreboard(p, tiles, inject_fault=cfg.get("inject_fault", False))
    start = StreamDriver(dut, ports, "start", rng, gap, sb.on_start)
    a_drv = StreamDriver(dut, ports, "a", rng, gap, sb.on_a)
    w_drv = StreamDriver(dut, ports, "w", rng, gap, sb.on_w)
    c_valid, c_ready = port(dut, ports, "c__valid"), port(dut, ports, "c__ready")
    c_payload, done = port(dut, ports, "c__payload"), port(dut, ports, "done")
    junk = np.random.default_rng(seed + 99)
    beats = [tile_beats(p, a, q, junk=junk) for a, q in tiles]
    assert p.acc_bits is not None
    acc, cols = p.acc_bits, p.tile_n

    def enqueue(i: int) -> None:
        b = beats[i]
        start.queue.append((i, b.k_minus_1, True))
        a_drv.queue.extend((i, pack_a(v, p.act_bits), False) for v in b.a)
        last = len(b.w) - 1
        w_drv.queue.extend((i, pack(v, p.group_size), j == last) for j, v in enumerate(b.w))

    for i in range(1 if isolated else len(tiles)):
        enqueue(i)
    budget = sum(
        int(tile_cycles(p.group_size, p.weight_bits, p.tile_m, p.tile_n, r.kd)) for r in sb.records
    )
    limit = 4 * budget + 2000 if gap or stall else budget + 1000
    tau = cycle = 0
    queued, pulses = 1, 0
    while not sb.complete and cycle < limit:
        await FallingEdge(clk)
        for drv in (start, a_drv, w_drv):
            drv.drive()
        ready_now = rng.random() >= stall
        c_ready.value = int(ready_now)
        await ReadOnly()
        for drv in (start, a_drv, w_drv):
            drv.sample(cycle, tau)
        valid = bool(int(c_valid.value))
        pulses += int(done.value)
        if valid and ready_now:
            word = int(c_payload.value)
            sb.on_row(unpack(word, acc, cols, True), bool((word >> (acc * cols)) & 1), cycle, tau)
        tau += int(not (valid and not ready_now))
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
    if pulses != sb.next_row_tile:
        sb.errors.append(f"done pulsed {pulses} times for {sb.next_row_tile} tiles")
    return sb


def _timing(tile: int, kd: int, what: str, measured: int, predicted: int) -> dict[str, Any]:
    return {"tile": tile, "k": kd, "what": what, "measured": measured, "predicted": predicted}


def _write_report(name: str, cfg: dict, sb: Scoreboard, timing: list[dict]) -> None:
    report = timing_report(
        name,
        tiles=len(sb.records),
        mismatches=sb.value_mismatches(),
        errors=sb.errors,
        timing=timing,
        describe=lambda t: f"tile {t['tile']} {t['what']}",
        counted=lambda t: t["what"].endswith("cycles"),
    )
    write_report(cfg, report)


# ----------------------------------------------------------------------------- tests


@cocotb.test()
async def corner_cases(dut: Any) -> None:
    """Isolated full-rate corner tiles: exact results and exact tile cycle counts."""
    cfg = tb_config()
    p = LutCoreParams.from_dict(cfg["params"])
    tiles = corner_tiles(p, np.random.default_rng(cfg["seed"]))
    sb = await _run(dut, p, cfg, tiles, gap=0.0, stall=0.0, seed=cfg["seed"], isolated=True)
    timing = [
        _timing(
            i,
            rec.kd,
            "tile cycles",
            rec.row_cycle[-1] - rec.start_cycle + 1,
            int(tile_cycles(p.group_size, p.weight_bits, p.tile_m, p.tile_n, rec.kd)),
        )
        for i, rec in enumerate(sb.records)
        if rec.row_cycle
    ]
    _write_report("corner_cases", cfg, sb, timing)


@cocotb.test()
async def back_to_back(dut: Any) -> None:
    """Full-rate stream of random tiles: every transfer on the predicted cycle."""
    cfg = tb_config()
    p = LutCoreParams.from_dict(cfg["params"])
    tiles = random_tiles(p, np.random.default_rng(cfg["seed"] + 1), max(1, cfg["tiles"] // 2))
    sb = await _run(dut, p, cfg, tiles, gap=0.0, stall=0.0, seed=cfg["seed"], isolated=False)
    sched = full_rate_schedule(
        p.group_size, p.weight_bits, p.tile_m, p.tile_n, [r.kd for r in sb.records]
    )
    t0 = sb.records[0].start_cycle
    timing = []
    for i, (rec, s) in enumerate(zip(sb.records, sched, strict=True)):
        if len(rec.row_cycle) != p.tile_m:
            continue
        timing.append(
            _timing(
                i,
                rec.kd,
                "start..done cycles",
                rec.row_cycle[-1] - rec.start_cycle + 1,
                s["done"] - s["start"] + 1,
            )
        )
        checks = [
            ("start cycle", rec.start_cycle, s["start"]),
            ("last w beat cycle", rec.w_last_cycle, s["w_last"]),
        ]
        checks += [
            (f"a beat {g} cycle", got, want)
            for g, (got, want) in enumerate(zip(rec.a_cycle, s["a_at"], strict=True))
        ]
        checks += [
            (f"row {r} cycle", got, want)
            for r, (got, want) in enumerate(zip(rec.row_cycle, s["rows_at"], strict=True))
        ]
        for what, got, want in checks:
            if got - t0 != want:
                timing.append(_timing(i, rec.kd, what, got - t0, want))
    _write_report("back_to_back", cfg, sb, timing)


@cocotb.test()
async def random_stalls(dut: Any) -> None:
    """Random input gaps and output back-pressure: rows at the predicted advance-cycles."""
    cfg = tb_config()
    p = LutCoreParams.from_dict(cfg["params"])
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
    done = [r for r in sb.records if len(r.row_tau) == p.tile_m]
    pred = output_times(p.tile_m, p.tile_n, [r.w_last_tau for r in done])
    timing = []
    for i, (rec, want) in enumerate(zip(done, pred, strict=True)):
        timing.append(
            _timing(
                i,
                rec.kd,
                "start..done advance-cycles",
                rec.row_tau[-1] - rec.start_tau + 1,
                want[-1] - rec.start_tau + 1,
            )
        )
        for r, (got, exp) in enumerate(zip(rec.row_tau, want, strict=True)):
            if got != exp:
                timing.append(_timing(i, rec.kd, f"row {r} advance-cycle", got, exp))
        if i and rec.w_last_tau < done[i - 1].w_last_tau + p.tile_m:
            timing.append(
                _timing(
                    i,
                    rec.kd,
                    "last w beat advance-cycle (earliest)",
                    rec.w_last_tau,
                    done[i - 1].w_last_tau + p.tile_m,
                )
            )
    _write_report("random_stalls", cfg, sb, timing)
