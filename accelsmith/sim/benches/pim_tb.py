"""cocotb testbench of the PIM channel: host programs, engine jobs, checker probes.

The simulator reads its configuration from the JSON file named by ``ACCELSMITH_TB_CONFIG``
(parameters, port table, seed, job count, report folder). Every test drives a precomputed
cycle program (host commands at exact cycles, ``start`` beats, ``xin`` bursts) and records
every refusal, every executed command (``issued``), every ``rdata`` word and ``done``. Expected
values come from :mod:`accelsmith.sim.golden.pim` and every expected cycle from
:mod:`accelsmith.core.latency.pim`. Tests, each from reset:

``timing_rules``
    Every rule one cycle early (refused with its code, no effect) then on time (executes);
    tREFI one cycle late; illegal bank states and addresses.
``gemv_results``
    Random GEMVs back to back: RD_MAC words bit-exact, every engine command and RD_MAC word
    on its predicted cycle, ``start``-to-``done`` cycles equal to the schedule.
``partial_tiles``
    Input lengths that are not a multiple of the burst or the page, output rows that are not
    a multiple of the banks, single rows and columns.
``refresh_stalls``
    Jobs back to back across several tREFI intervals: REFs inside jobs land on the predicted
    cycles.
``fp_specials``
    Overflow to infinity then Inf - Inf = NaN, 0 x Inf, subnormal products, cancellation and
    order sensitivity (FP16); RNE ties at RD_MAC (BF16); extreme products (INT8).
``random_commands``
    Random host traffic (every opcode, per-bank and all-bank, in and out of range) near each
    command's earliest legal cycle: every verdict and rule code, every RD and RD_MAC word on
    its cycle, against the checker reference and a functional memory model.

Each test writes ``<report_dir>/<test>.json`` (tiles = jobs or probes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

from accelsmith.core.families.pim import PimParams
from accelsmith.core.latency.pim import OPS, Cmd, Timer
from accelsmith.sim.benches.common import reset, write_report
from accelsmith.sim.benches.pim_io import (
    GemvRun,
    Probe,
    cmd_word,
    plan_gemv,
    random_program,
    result_word,
    rule_probes,
    state_probes,
)

OP_NAMES = {v: k for k, v in OPS.items()}


def _config() -> dict[str, Any]:
    return json.loads(Path(os.environ["ACCELSMITH_TB_CONFIG"]).read_text())


def _fields(cfg: dict, port: str) -> dict[str, tuple[int, int]]:
    return {f["name"]: (f["offset"], f["width"]) for f in cfg["ports"][port]["fields"]}


def _get(word: int, f: tuple[int, int]) -> int:
    return (word >> f[0]) & ((1 << f[1]) - 1)


# ----------------------------------------------------------------------------- driver
async def _reset(dut: Any) -> None:
    await FallingEdge(dut.clk)  # leave a previous run's read-only phase
    await reset(dut, valid=("cmd", "start", "xin"))


async def _drive(dut: Any, cfg: dict, host: dict[int, int], starts: dict, xin: list, n: int):
    """Run ``n`` cycles from reset; return the trace (refusals, issued, rdata, done, starts)."""
    await _reset(dut)
    issued_f = _fields(cfg, "issued__payload")
    rdata_f = _fields(cfg, "rdata__payload")
    start_f = _fields(cfg, "start__payload")
    trace: dict[str, Any] = {"refused": {}, "issued": [], "rdata": [], "done": [], "started": []}
    xq = list(xin)
    pending = sorted(starts.items())
    for t in range(n):
        if t > 0:
            await FallingEdge(dut.clk)
        word = host.get(t)
        dut.cmd__valid.value = int(word is not None)
        dut.cmd__payload.value = word or 0
        offer = bool(pending) and t >= pending[0][0]
        dut.start__valid.value = int(offer)
        if offer:
            job = pending[0][1]
            dut.start__payload.value = sum(
                job[k] << start_f[k][0] for k in ("groups", "segs", "last_bursts")
            )
        dut.xin__valid.value = int(bool(xq))
        dut.xin__payload.value = xq[0] if xq else 0
        await ReadOnly()
        if int(dut.refused.value):
            trace["refused"][t] = int(dut.rule.value)
        if offer and int(dut.start__ready.value):
            trace["started"].append(t)
            pending.pop(0)
        if xq and int(dut.xin__ready.value):
            xq.pop(0)
        if int(dut.issued__valid.value):
            w = int(dut.issued__payload.value)
            trace["issued"].append(
                (
                    t,
                    Cmd(
                        OP_NAMES.get(_get(w, issued_f["op"]), "BAD"),
                        bool(_get(w, issued_f["ab"])),
                        _get(w, issued_f["bank"]),
                        _get(w, issued_f["row"]),
                        _get(w, issued_f["col"]),
                    ),
                )
            )
        if int(dut.rdata__valid.value):
            w = int(dut.rdata__payload.value)
            trace["rdata"].append(
                (
                    t,
                    _get(w, rdata_f["data"]),
                    bool(_get(w, rdata_f["mac"])),
                    _get(w, rdata_f["last"]),
                )
            )
        if int(dut.done.value):
            trace["done"].append(t)
    return trace


# ----------------------------------------------------------------------------- checks
class Report:
    def __init__(self, name: str) -> None:
        self.name = name
        self.tiles = 0
        self.mismatches = 0
        self.timing = 0
        self.measured = 0
        self.predicted = 0
        self.errors: list[str] = []

    def err(self, msg: str, timing: bool = False) -> None:
        if timing:
            self.timing += 1
        else:
            self.mismatches += 1
        if len(self.errors) < 20:
            self.errors.append(msg)

    def write(self, cfg: dict) -> None:
        d = {
            "test": self.name,
            "tiles": self.tiles,
            "mismatches": self.mismatches,
            "timing_mismatches": self.timing,
            "measured_cycles": self.measured,
            "predicted_cycles": self.predicted,
            "errors": self.errors,
        }
        write_report(cfg, d)
        assert self.mismatches == 0 and self.timing == 0, self.errors[:5]


def _plan_chain(p: PimParams, problems: list[tuple[np.ndarray, np.ndarray]]) -> list[GemvRun]:
    tm = Timer(p)
    runs, t0 = [], 0
    for w, x in problems:
        run = plan_gemv(p, w, x, tm, t0)
        runs.append(run)
        t0 = run.end_cycle + 1
    return runs


async def _check_gemvs(dut, cfg, p: PimParams, rep: Report, problems, fault: bool) -> None:
    runs = _plan_chain(p, problems)
    host: dict[int, int] = {}
    starts: dict[int, dict] = {}
    xin: list[int] = []
    for r in runs:
        host.update({t: cmd_word(p, c) for t, c in r.host})
        starts[r.start_cycle] = r.job
        xin += r.xin
    tr = await _drive(dut, cfg, host, starts, xin, runs[-1].end_cycle + 3)
    if tr["refused"]:
        rep.err(f"host commands refused: {dict(list(tr['refused'].items())[:5])}", timing=True)
    if tr["started"] != [r.start_cycle for r in runs]:
        rep.err(f"start at {tr['started']}, expected {[r.start_cycle for r in runs]}", True)
    want_cmds = [
        (t, Cmd(c.op, c.ab, c.bank, c.row, c.col))
        for r in runs
        for t, c in r.host + r.schedule["commands"]
    ]
    if tr["issued"] != want_cmds:
        bad = next(
            (i for i, (a, b) in enumerate(zip(tr["issued"], want_cmds, strict=False)) if a != b),
            min(len(tr["issued"]), len(want_cmds)),
        )
        got = tr["issued"][bad] if bad < len(tr["issued"]) else None
        want = want_cmds[bad] if bad < len(want_cmds) else None
        rep.err(f"command {bad}: issued {got}, expected {want}", timing=True)
    macs = [(t, d) for t, d, mac, _ in tr["rdata"] if mac]
    want_words = [result_word(p, w) for r in runs for w in r.expected]
    if fault and want_words:
        want_words[-1] ^= 1
    want_t = [t + p.t_cl for r in runs for t, c in r.schedule["commands"] if c.op == "RD_MAC"]
    for i, r in enumerate(runs):
        rep.tiles += 1
        rep.predicted += r.schedule["cycles"]
        done = tr["done"][i] if i < len(tr["done"]) else None
        if done is None:
            rep.err(f"job {i}: no done", timing=True)
            continue
        rep.measured += done - r.start_cycle + 1
        if done != r.schedule["done"]:
            rep.err(f"job {i}: done at {done}, predicted {r.schedule['done']}", timing=True)
    if [t for t, _ in macs] != want_t:
        rep.err(f"RD_MAC data cycles {[t for t, _ in macs][:8]} expected {want_t[:8]}", True)
    got_words = [d for _, d in macs]
    for i, (g, w) in enumerate(zip(got_words, want_words, strict=False)):
        if g != w:
            rep.err(f"RD_MAC word {i}: got {g:#x}, expected {w:#x}")
    if len(got_words) != len(want_words):
        rep.err(f"{len(got_words)} RD_MAC words, expected {len(want_words)}")


# ----------------------------------------------------------------------------- stimulus
def _operands(p: PimParams, rng, out_dim: int, in_dim: int, scale: float = 1.0):
    if p.precision == "int8":
        return rng.integers(-128, 128, (out_dim, in_dim)), rng.integers(-128, 128, in_dim)
    w = (rng.standard_normal((out_dim, in_dim)) * scale).astype(np.float32)
    x = (rng.standard_normal(in_dim) * scale).astype(np.float32)
    if p.precision == "fp16":
        return w.astype(np.float16).view(np.uint16), x.astype(np.float16).view(np.uint16)
    return (w.view(np.uint32) >> 16).astype(np.uint16), (x.view(np.uint32) >> 16).astype(np.uint16)


def _fits(p: PimParams, out_dim: int, in_dim: int) -> bool:
    return -(-out_dim // p.banks) * -(-in_dim // p.row_elems) <= p.rows


def _random_dims(p: PimParams, rng) -> tuple[int, int]:
    while True:
        o = int(rng.integers(1, 3 * p.banks + 1))
        i = int(rng.integers(1, 3 * p.row_elems + 1))
        if _fits(p, o, i):
            return o, i


# ----------------------------------------------------------------------------- tests
@cocotb.test()
async def timing_rules(dut: Any) -> None:
    """Each rule one cycle early is refused with its code; on time it executes."""
    cfg = _config()
    p = PimParams.from_dict(cfg["params"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    rep = Report("timing_rules")
    probes, skipped = rule_probes(p)
    probes = probes + state_probes(p)
    for probe in probes:
        await _run_probe(dut, cfg, p, probe, rep)
    for s in skipped:
        dut._log.info("skipped rule probe: %s", s)
    rep.write(cfg)


async def _run_probe(dut, cfg, p: PimParams, probe: Probe, rep: Report) -> None:
    host = {t: cmd_word(p, c, None if op < 0 else op) for t, c, op, _ in probe.steps}
    tr = await _drive(dut, cfg, host, {}, [], max(host) + 2)
    rep.tiles += 1
    for t, c, _, code in probe.steps:
        got = tr["refused"].get(t, 0)
        if got != code:
            rep.err(f"{probe.name}: {c.op} at cycle {t}: rule {got}, expected {code}", True)
    executed = [t for t, _ in tr["issued"]]
    want = [t for t, _, _, code in probe.steps if code == 0]
    if executed != want:
        rep.err(f"{probe.name}: executed at {executed}, expected {want}", True)


@cocotb.test()
async def gemv_results(dut: Any) -> None:
    """Random GEMVs back to back: bit-exact RD_MAC words on the predicted cycles."""
    cfg = _config()
    p = PimParams.from_dict(cfg["params"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    rng = np.random.default_rng(cfg["seed"])
    problems = [_operands(p, rng, *_random_dims(p, rng)) for _ in range(max(1, cfg["tiles"]))]
    rep = Report("gemv_results")
    await _check_gemvs(dut, cfg, p, rep, problems, cfg.get("inject_fault", False))
    rep.write(cfg)


@cocotb.test()
async def partial_tiles(dut: Any) -> None:
    """Partial bursts, partial pages, rows not a multiple of the banks, 1 x 1."""
    cfg = _config()
    p = PimParams.from_dict(cfg["params"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    rng = np.random.default_rng(cfg["seed"] + 1)
    re, lanes, nb = p.row_elems, p.lanes, p.banks
    dims = [(1, 1), (nb + 1, lanes + 1), (max(1, nb - 1), re + 1), (2 * nb + 1, max(1, lanes - 1))]
    dims += [(1, re), (nb, 2 * re - 1), (3, 2 * lanes + 3)]
    problems = [_operands(p, rng, o, i) for o, i in dims if _fits(p, o, i)]
    rep = Report("partial_tiles")
    await _check_gemvs(dut, cfg, p, rep, problems, cfg.get("inject_fault", False))
    rep.write(cfg)


@cocotb.test()
async def refresh_stalls(dut: Any) -> None:
    """Jobs back to back across several refresh intervals; REFs on the predicted cycles."""
    cfg = _config()
    p = PimParams.from_dict(cfg["params"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    rng = np.random.default_rng(cfg["seed"] + 2)
    o = p.banks * max(1, p.rows // 2)
    i = p.row_elems * max(1, min(2, p.rows // max(1, -(-o // p.banks))))
    while not _fits(p, o, i):
        o = max(1, o - p.banks)
    problems, budget = [], 0
    while budget < 2.5 * p.t_refi and len(problems) < 200:  # type: ignore[operator]
        problems.append(_operands(p, rng, o, i))
        budget = _plan_chain(p, problems)[-1].end_cycle
    rep = Report("refresh_stalls")
    runs = _plan_chain(p, problems)
    refs = sum(r.schedule["refreshes"] for r in runs) + sum(
        1 for r in runs for _, c in r.host if c.op == "REF"
    )
    if refs < 2:
        rep.err(f"the stimulus crossed only {refs} refreshes")
    await _check_gemvs(dut, cfg, p, rep, problems, cfg.get("inject_fault", False))
    rep.write(cfg)


def _special_problems(p: PimParams) -> list[tuple[np.ndarray, np.ndarray]]:
    n = p.row_elems
    if p.precision == "int8":
        w = np.full((p.banks, n), -128)
        x = np.full(n, -128)
        w2 = np.full((p.banks, n), 127)
        return [(w, x), (w2, x), (np.zeros((1, n), dtype=int), x)]
    if p.precision == "fp16":
        f = np.float16
        probs = []
        # overflow mid-accumulation, then Inf - Inf = NaN on the next burst of the same lane
        w = np.zeros((p.banks, n), dtype=f)
        x = np.ones(n, dtype=f)
        w[0, :] = 60000.0
        if n > p.lanes:
            w[0, p.lanes :] = -60000.0
        w[-1, 0] = np.inf
        x2 = x.copy()
        x2[0] = 0.0  # 0 x Inf = NaN in lane 0 of the last bank
        probs.append((w.view(np.uint16), x2.view(np.uint16)))
        # subnormal products: 2^-14 * 2^-10 = 2^-24 (smallest subnormal), 2^-14 * 2^-11 -> tie
        w = np.full((p.banks, n), 2.0**-14, dtype=f)
        x = np.array([2.0**-10, 2.0**-11, 3 * 2.0**-11, -(2.0**-10)] * n, dtype=f)[:n]
        probs.append((w.view(np.uint16), x.view(np.uint16)))
        # cancellation: unfused rounding (reference §3.2 example), and -0 products
        w = np.full((p.banks, n), 1.0009765625, dtype=f)
        x = np.full(n, 1.0009765625, dtype=f)
        w[:, ::2] = -1.001953125
        x[::2] = 1.0
        w[-1, :] = -0.0
        probs.append((w.view(np.uint16), x.view(np.uint16)))
        return probs
    # bf16: RNE ties at RD_MAC, FP32 overflow of products, NaN
    one, eps, big = 0x3F80, 0x3B80, 0x7F7F
    w = np.full((p.banks, n), 0, dtype=np.uint16)
    x = np.full(n, one, dtype=np.uint16)
    w[0, 0], w[0, min(1, n - 1)] = one, eps  # 1 + 2^-8: a tie
    w[-1, :] = big
    x2 = x.copy()
    x2[-1] = big  # big * big overflows FP32 to +Inf
    w3 = w.copy()
    w3[0, :] = 0x7FC0
    return [(w, x), (w, x2), (w3, x)]


@cocotb.test()
async def fp_specials(dut: Any) -> None:
    """Overflow, NaN, subnormals, cancellation and ties (reference §3.5)."""
    cfg = _config()
    p = PimParams.from_dict(cfg["params"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    problems = [pr for pr in _special_problems(p) if _fits(p, *pr[0].shape)]
    rep = Report("fp_specials")
    await _check_gemvs(dut, cfg, p, rep, problems, cfg.get("inject_fault", False))
    rep.write(cfg)


@cocotb.test()
async def random_commands(dut: Any) -> None:
    """Random host traffic: verdicts, rule codes and read data against the models."""
    cfg = _config()
    p = PimParams.from_dict(cfg["params"])
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    prog = random_program(p, np.random.default_rng(cfg["seed"] + 3), 150 * max(1, cfg["tiles"]))
    host = {t: cmd_word(p, c, None if op < 0 else op) for t, c, op, _ in prog.steps}
    tr = await _drive(dut, cfg, host, {}, [], max(host) + p.t_cl + 2)  # type: ignore[operator]
    rep = Report("random_commands")
    rep.tiles = len(prog.steps)
    for t, c, _, code in prog.steps:
        got = tr["refused"].get(t, 0)
        if got != code:
            rep.err(f"{c.op} at cycle {t}: rule {got}, expected {code}", timing=True)
    executed = [t for t, _ in tr["issued"]]
    if executed != [t for t, *_, code in prog.steps if code == 0]:
        rep.err("the executed commands differ from the legal ones", timing=True)
    got = [(t, d, mac) for t, d, mac, _ in tr["rdata"]]
    want = list(prog.rdata)
    if cfg.get("inject_fault") and want:
        want[-1] = (want[-1][0], want[-1][1] ^ 1, want[-1][2])
    for i, (g, w) in enumerate(zip(got, want, strict=False)):
        if g != w:
            rep.err(f"read {i}: got {g[1]:#x} at {g[0]}, expected {w[1]:#x} at {w[0]}")
    if len(got) != len(want):
        rep.err(f"{len(got)} reads returned, expected {len(want)}")
    rep.write(cfg)
