"""cocotb testbench of the SIMD engine: driver, monitor, golden reference, checker.

Reads its configuration (parameters, port table, seed, size, report folder) from the JSON file
named by ``ACCELSMITH_TB_CONFIG`` (written by :func:`accelsmith.sim.verify.verify`) and
writes ``<report_dir>/<test>.json`` per test. Every test drives a beat list from
:mod:`accelsmith.sim.benches.simd_io` through one simulator build, checks every result
vector against :func:`accelsmith.sim.golden.simd.golden` and every result's cycle against
the latency model (:func:`accelsmith.core.latency.simd.dot_cycles`): at full rate each dot
product takes ``K + pipeline + 2`` cycles from its first beat to its result; under stalls the
result transfers exactly ``pipeline + 2`` advancing cycles after its last beat.
"""

from __future__ import annotations

import json
import os
import random
from collections import deque
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from accelsmith.core.families.simd import SimdParams
from accelsmith.core.latency.simd import dot_cycles
from accelsmith.sim.benches import simd_io as io
from accelsmith.sim.benches.common import reset, timing_report, write_report
from accelsmith.sim.golden.simd import Beat, golden


def _config() -> dict:
    return json.loads(Path(os.environ["ACCELSMITH_TB_CONFIG"]).read_text())


def _offset(ports: dict, port: str, field: str) -> int:
    for f in ports[port]["fields"]:
        if f["name"] == field:
            return f["offset"]
    raise KeyError(f"{port} has no field {field}")


class Driver:
    """Drives ``x`` (and ``gate``) from a beat queue with optional random gaps."""

    def __init__(self, dut: Any, p: SimdParams, ports: dict, rng: random.Random, gap: float):
        self.dut, self.p, self.rng, self.gap = dut, p, rng, gap
        self.valid, self.ready = dut.x__valid, dut.x__ready
        self.payload = dut.x__payload
        self.gate = dut.gate if p.power_gating else None
        self.off_a = _offset(ports, "x__payload", "a[0]")
        self.off_b = _offset(ports, "x__payload", "b[0]")
        self.off_mode = _offset(ports, "x__payload", "mode")
        self.off_last = _offset(ports, "x__payload", "last")
        self.queue: deque[tuple[int, int, int]] = deque()  # (index, payload, gate)
        self.offered = False

    def load(self, beats: list[Beat]) -> None:
        W = self.p.lane_bits
        for i, bt in enumerate(beats):
            word = (
                (io.pack_words(bt.a, W) << self.off_a)
                | (io.pack_words(bt.b, W) << self.off_b)
                | (bt.mode << self.off_mode)
                | (int(bt.last) << self.off_last)
            )
            self.queue.append((i, word, bt.gate))

    def drive(self) -> None:
        self.offered = bool(self.queue) and (self.gap == 0 or self.rng.random() >= self.gap)
        self.valid.value = int(self.offered)
        if self.offered:
            _, word, gate = self.queue[0]
            self.payload.value = word
            if self.gate is not None:
                self.gate.value = gate

    def sample(self) -> int | None:
        """Index of the beat transferred in this cycle, if any."""
        if self.offered and int(self.ready.value):
            return self.queue.popleft()[0]
        return None


class Scoreboard:
    """Golden results, observed results and their cycles; the checks."""

    def __init__(self, p: SimdParams, beats: list[Beat], inject_fault: bool) -> None:
        self.p, self.beats = p, beats
        self.expected = golden(p, beats)
        if inject_fault and self.expected:
            self.expected[-1][0] ^= 1
        ends = [i for i, b in enumerate(beats) if b.last]
        starts = [0, *[e + 1 for e in ends[:-1]]]
        self.spans = list(zip(starts, ends, strict=True))
        self.got: list[np.ndarray] = []
        self.got_cycle: list[int] = []
        self.got_tau: list[int] = []
        self.beat_cycle: dict[int, int] = {}
        self.beat_tau: dict[int, int] = {}
        self.errors: list[str] = []

    @property
    def complete(self) -> bool:
        return len(self.got) >= len(self.expected)

    def mismatches(self, label: Any = None) -> int:
        bad = 0
        for i, (got, want) in enumerate(zip(self.got, self.expected, strict=False)):
            if not np.array_equal(got, want):
                bad += 1
                if len(self.errors) < 20:
                    s, e = self.spans[i]
                    diff = np.flatnonzero(got != want)
                    j = int(diff[0])
                    name = self.p.formats[self.beats[e].mode]
                    self.errors.append(
                        f"dot product {i} (beats {s}..{e}, last mode {name}"
                        f"{'' if label is None else ', ' + label(i)}): slot {j} got "
                        f"{int(got[j]):#x}, expected {int(want[j]):#x} "
                        f"({len(diff)} slots differ)"
                    )
        if len(self.got) != len(self.expected):
            bad += abs(len(self.expected) - len(self.got))
            self.errors.append(f"{len(self.got)} results for {len(self.expected)} dot products")
        return bad

    def timing(self, stalls: bool) -> list[dict]:
        """Per dot product: measured vs predicted cycles (or advance-cycles under stalls)."""
        out = []
        for i, (s, e) in enumerate(self.spans[: len(self.got)]):
            k = e - s + 1
            if stalls:
                measured = self.got_tau[i] - self.beat_tau[e]
                predicted = self.p.pipeline + 2
                what = "last beat..result advance-cycles"
            else:
                measured = self.got_cycle[i] - self.beat_cycle[s] + 1
                predicted = int(dot_cycles(k, self.p.pipeline))
                what = "first beat..result cycles"
            out.append({"dot": i, "k": k, "what": what, "measured": measured,
                        "predicted": predicted})  # fmt: skip
        return out


async def _run(
    dut: Any, p: SimdParams, cfg: dict, beats: list[Beat], *, gap: float = 0.0,
    stall: float = 0.0, seed: int = 0,
) -> Scoreboard:  # fmt: skip
    clk = dut.clk
    cocotb.start_soon(Clock(clk, 10, unit="ns").start())
    rng = random.Random(seed)
    await reset(dut, valid=("x",), ready=("c",))
    ports = cfg["ports"]
    sb = Scoreboard(p, beats, cfg.get("inject_fault", False))
    drv = Driver(dut, p, ports, rng, gap)
    drv.load(beats)
    c_valid, c_ready, c_data = dut.c__valid, dut.c__ready, dut.c__payload
    n_out = p.lanes * p.slots
    ob, om = p.out_bits, (1 << p.out_bits) - 1
    limit = len(beats) * (4 if gap or stall else 1) + 64 * (p.pipeline + 3) + 1000
    if gap or stall:
        limit = int(limit / max(1e-3, (1 - gap) * (1 - stall))) + 1000
    cycle = tau = 0
    if not (gap or stall):
        await _full_rate(dut, p, sb, drv, limit)
        return sb
    while not sb.complete and cycle < limit:
        await FallingEdge(clk)
        drv.drive()
        ready = stall == 0 or rng.random() >= stall
        c_ready.value = int(ready)
        await ReadOnly()
        idx = drv.sample()
        if idx is not None:
            sb.beat_cycle[idx] = cycle
            sb.beat_tau[idx] = tau
        valid = int(c_valid.value)
        if valid and ready:
            word = int(c_data.value)
            sb.got.append(np.array([(word >> (ob * i)) & om for i in range(n_out)], np.uint32))
            sb.got_cycle.append(cycle)
            sb.got_tau.append(tau)
        tau += int(not valid or ready)
        cycle += 1
    if not sb.complete:
        sb.errors.append(f"timeout: {len(sb.got)} of {len(sb.expected)} results in {cycle} cycles")
    return sb


async def _full_rate(dut: Any, p: SimdParams, sb: Scoreboard, drv: Driver, limit: int) -> None:
    """Inputs always valid, ``c.ready`` always high: one trigger per cycle.

    At the falling edge of cycle ``n`` the registered outputs (``c.valid``, ``c.payload``)
    show cycle ``n``'s values, and ``x.ready = ~c.valid | c.ready`` is 1, so a beat driven
    now transfers at the end of cycle ``n``.
    """
    clk = dut.clk
    c_valid, c_data, x_ready = dut.c__valid, dut.c__payload, dut.x__ready
    dut.c__ready.value = 1
    n_out = p.lanes * p.slots
    ob, om = p.out_bits, (1 << p.out_bits) - 1
    queue = drv.queue
    cycle = 0
    while not sb.complete and cycle < limit:
        await FallingEdge(clk)
        if int(c_valid.value):
            word = int(c_data.value)
            sb.got.append(np.array([(word >> (ob * i)) & om for i in range(n_out)], np.uint32))
            sb.got_cycle.append(cycle)
            sb.got_tau.append(cycle)
        if queue:
            if not int(x_ready.value):
                sb.errors.append(f"x.ready low at cycle {cycle} with c.ready high")
                break
            idx, word, gate = queue.popleft()
            drv.payload.value = word
            if drv.gate is not None:
                drv.gate.value = gate
            drv.valid.value = 1
            sb.beat_cycle[idx] = sb.beat_tau[idx] = cycle
        else:
            drv.valid.value = 0
        cycle += 1
    if not sb.complete:
        sb.errors.append(f"timeout: {len(sb.got)} of {len(sb.expected)} results in {cycle} cycles")


def _report(name: str, cfg: dict, sb: Scoreboard, timing: list[dict], label=None) -> None:
    report = timing_report(
        name,
        tiles=len(sb.expected),
        mismatches=sb.mismatches(label),
        errors=sb.errors,
        timing=timing,
        describe=lambda t: f"dot product {t['dot']} (K={t['k']}) {t['what']}",
        shown=10,
    )
    report.pop("timing")  # the dot-product entries are many and say nothing more
    write_report(cfg, report)


def _setup() -> tuple[dict, SimdParams, np.random.Generator]:
    cfg = _config()
    return cfg, SimdParams.from_dict(cfg["params"]), np.random.default_rng(cfg["seed"])


# ----------------------------------------------------------------------------- tests


@cocotb.test()
async def exhaustive_products(dut: Any) -> None:
    """Every code pair of every <= 8-bit mode; every 16-bit code times 1 (full rate)."""
    cfg, p, _ = _setup()
    groups = io.exhaustive_beats(p)
    beats, labels = [], []
    for name, bl in groups.items():
        beats += bl
        labels += [name] * len(bl)
    sb = await _run(dut, p, cfg, beats)
    _report("exhaustive_products", cfg, sb, sb.timing(False), label=lambda i: labels[i])


@cocotb.test()
async def random_products(dut: Any) -> None:
    """Random code pairs of every mode (the 16-bit modes' product coverage)."""
    cfg, p, rng = _setup()
    n = max(64, cfg["tiles"] * 50)
    beats = io.random_product_beats(p, rng, n)
    sb = await _run(dut, p, cfg, beats)
    _report("random_products", cfg, sb, sb.timing(False))


@cocotb.test()
async def special_values(dut: Any) -> None:
    """NaR/NaN/Inf propagation, signed zeros, extremes and cancellations (reference §2.5)."""
    cfg, p, _ = _setup()
    sb = await _run(dut, p, cfg, io.special_beats(p))
    _report("special_values", cfg, sb, sb.timing(False))


@cocotb.test()
async def lane_isolation(dut: Any) -> None:
    """Sub-lanes at extreme codes, neighbours different, long sums: no cross-lane carries."""
    cfg, p, _ = _setup()
    sb = await _run(dut, p, cfg, io.isolation_beats(p))
    _report("lane_isolation", cfg, sb, sb.timing(False))


@cocotb.test()
async def dot_products(dut: Any) -> None:
    """Random-depth dot products in random modes, back to back at full rate."""
    cfg, p, rng = _setup()
    beats = io.dot_product_beats(p, rng, max(4, cfg["tiles"]))
    sb = await _run(dut, p, cfg, beats)
    _report("dot_products", cfg, sb, sb.timing(False))


@cocotb.test()
async def mode_switch(dut: Any) -> None:
    """The mode changes on every beat, inside and between dot products."""
    cfg, p, rng = _setup()
    beats = io.mode_switch_beats(p, rng, max(4, cfg["tiles"]))
    sb = await _run(dut, p, cfg, beats)
    _report("mode_switch", cfg, sb, sb.timing(False))


@cocotb.test()
async def gated_lanes(dut: Any) -> None:
    """Random gate patterns: gated groups take no products and read 0."""
    cfg, p, rng = _setup()
    beats = io.gated_beats(p, rng, max(4, cfg["tiles"]))
    sb = await _run(dut, p, cfg, beats)
    _report("gated_lanes", cfg, sb, sb.timing(False))


@cocotb.test()
async def back_pressure(dut: Any) -> None:
    """Random input gaps and output stalls: values, and results pipeline + 2 advancing
    cycles after their last beat."""
    cfg, p, rng = _setup()
    beats = io.dot_product_beats(p, rng, max(4, cfg["tiles"]), max_k=6)
    if p.power_gating:
        beats = [Beat(b.a, b.b, b.mode, b.last, int(rng.integers(0, 1 << p.power_gating)))
                 for b in beats]  # fmt: skip
    r = random.Random(cfg["seed"])
    sb = await _run(
        dut, p, cfg, beats, gap=r.uniform(0.1, 0.5), stall=r.uniform(0.1, 0.5),
        seed=cfg["seed"] + 7,
    )  # fmt: skip
    _report("back_pressure", cfg, sb, sb.timing(True))
