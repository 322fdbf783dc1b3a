"""cocotb testbench of the ``accel`` top: a host driving the AXI4-Lite registers
(cocotbext-axi ``AxiLiteMaster``), a DRAM on the AXI4 master port (cocotbext-axi ``AxiRam``
with a fixed read latency and optional random back-pressure), programs from the compiler
(:mod:`accelsmith.runtime`), outputs checked bit-exactly against :mod:`accelsmith.sim.golden.accel`,
cycles against :mod:`accelsmith.runtime.timing` (exactly with a fixed DRAM latency; within
``STALL_TOLERANCE`` per layer, both ways, of the model's expectation with random
back-pressure: the model gets the same pause probability).

The host fills the command queue with ``CTRL.hold`` set, releases it and waits for ``idle``
(one chunk per queue load, never spanning two layers); the cycles in which the top reports
``active`` are the measured cycles of that chunk. Tests (each from reset):

``gemm``     random GEMMs with edge tiles (shapes not multiples of the array), random output
             stages (shift, ReLU, per-tensor or per-channel scale).
``conv``     small convolutions: stride, padding, groups, depthwise.
``layers``   back-to-back layers (each reads the previous output) with fences, or the
             ``--workload``/``--layer`` layers at reduced channel counts.
``illegal``  bad opcode, out-of-range scratchpad and DRAM addresses, queue overflow: each
             flagged with its code and index, DRAM unchanged, cleared by ``CTRL.clear``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from accelsmith.core import accel_isa as isa
from accelsmith.core.families.accel import AccelParams
from accelsmith.runtime.compiler import Program, compile_layers
from accelsmith.runtime.events import EVENTS, program_events
from accelsmith.runtime.timing import chunk_cycles, program_chunks
from accelsmith.sim.benches import accel_cases as cases
from accelsmith.sim.benches.accel_dram import LatencyAxiRam
from accelsmith.sim.benches.common import tb_config
from accelsmith.sim.golden.accel import golden

BASE = 0x1000  # DRAM_BASE: the program image starts here in the AXI address space
#: |measured - model| / model allowed per layer under random back-pressure (issue 16 item 4)
STALL_TOLERANCE = 0.05
#: events whose count depends on the DRAM's random pauses (the others are exact always)
TIMED_EVENTS = ("active", "dma_busy", "dma_wait")


class Host:
    """The DUT, its DRAM and register master, and an active-cycle counter."""

    def __init__(self, dut: Any, p: AccelParams, cfg: dict, image_bytes: int = 1 << 24) -> None:
        self.dut, self.p, self.cfg = dut, p, cfg
        extra = cfg.get("extra", {})
        self.latency = int(extra.get("latency", 8))
        self.stall = float(extra.get("stall", 0.0))
        self.ram = LatencyAxiRam(
            dut,
            "m_axi_",
            dut.clk,
            dut.rst,
            size=BASE + image_bytes + 4096,
            latency=self.latency,
            stall=self.stall,
            seed=cfg["seed"],
        )
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil_"), dut.clk, dut.rst)
        for log in (
            self.ram.write_if.log,
            self.ram.read_if.log,
            self.axil.write_if.log,
            self.axil.read_if.log,
        ):
            log.setLevel(logging.WARNING)
        self.active = 0

    async def start(self) -> None:
        dut = self.dut
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        dut.rst.value = 1
        for _ in range(4):
            await RisingEdge(dut.clk)
        dut.rst.value = 0
        for _ in range(2):
            await RisingEdge(dut.clk)
        cocotb.start_soon(self._count())

    async def _count(self) -> None:
        while True:
            await RisingEdge(self.dut.clk)
            await ReadOnly()
            self.active += int(self.dut.active.value)

    async def wr(self, name: str, value: int) -> None:
        await self.axil.write_dword(isa.REG[name], value)

    async def rd(self, name: str) -> int:
        return int(await self.axil.read_dword(isa.REG[name]))

    async def counters(self) -> dict[str, int]:
        """The performance counters (event key -> raw 32-bit value)."""
        return {key: await self.rd(name) for name, key, _ in isa.COUNTERS}

    async def push(self, command: int) -> None:
        for i, w in enumerate(isa.words(command)):
            await self.wr(f"CMD{i}", w)

    async def wait_idle(self, limit: int) -> bool:
        for _ in range(limit):
            await RisingEdge(self.dut.clk)
            await ReadOnly()
            if int(self.dut.idle.value) or int(self.dut.error.value):
                await RisingEdge(self.dut.clk)
                return True
        return False

    async def run_chunk(self, commands: list[int], limit: int) -> int:
        """Queue ``commands`` on hold, release, wait for idle; the active cycles."""
        await self.wr("CTRL", 2)
        for c in commands:
            await self.push(c)
        before = self.active
        await self.wr("CTRL", 0)
        if not await self.wait_idle(limit):
            raise AssertionError(f"not idle after {limit} cycles")
        return self.active - before


async def run_program(host: Host, prog: Program) -> tuple[list[np.ndarray], list[dict]]:
    """Load ``prog``, run it chunk by chunk; outputs and per-layer timing entries."""
    p = host.p
    host.ram.write(BASE, prog.image.tobytes())
    retired0 = await host.rd("RETIRED")
    await host.wr("DRAM_BASE", BASE)
    await host.wr("DRAM_SIZE", prog.dram_size)
    n = len(prog.layers)
    measured = [0] * n
    predicted = [0.0] * n
    events = [dict.fromkeys(EVENTS, 0) for _ in range(n)]
    expected = [dict.fromkeys(EVENTS, 0.0) for _ in range(n)]
    for layer, cmds in program_chunks(prog, p.queue_depth):
        model = chunk_cycles(p, cmds, latency=host.latency, stall=host.stall)
        before = await host.counters()
        got = await host.run_chunk([c.encode() for c in cmds], limit=20 * round(model) + 10_000)
        after = await host.counters()
        measured[layer] += got
        predicted[layer] += model
        for k in EVENTS:
            events[layer][k] += (after[k] - before[k]) % (1 << 32)
        for k, v in program_events(p, [cmds], host.latency, host.stall).items():
            expected[layer][k] += v
    status = await host.rd("STATUS")
    if status & 2:
        err = await host.rd("ERROR")
        raise AssertionError(f"error flag set: code {err & 15}, command {err >> 16}")
    retired = await host.rd("RETIRED") - retired0
    if retired != len(prog.commands):
        raise AssertionError(f"RETIRED is {retired}, {len(prog.commands)} commands were sent")
    dram = np.frombuffer(bytes(host.ram.read(BASE, prog.dram_size)), dtype=np.uint8)
    outs = [prog.read_output(dram, i) for i in range(len(prog.layers))]
    timing = [
        {
            "tile": i,
            "what": prog.layers[i].name,
            "k": prog.layers[i].Kg,
            "measured": measured[i],
            "predicted": round(predicted[i]),
            "shape": vars(prog.layers[i]),
            "events": events[i],
            "expected_events": {k: round(v) for k, v in expected[i].items()},
        }
        for i in range(n)
    ]
    return outs, timing


def _report(
    name: str, cfg: dict, checked: int, bad: int, timing: list[dict], errors: list[str], exact: bool
) -> None:
    def off(t: dict) -> bool:
        if exact:
            return t["measured"] != t["predicted"]
        # random back-pressure: the model's expectation, within the tolerance both ways
        return abs(t["measured"] - t["predicted"]) > STALL_TOLERANCE * t["predicted"]

    if cfg.get("inject_fault") and timing:  # the counter check must catch a wrong count too
        timing[0]["expected_events"]["b_reads"] += 1
    timing_bad = [t for t in timing if off(t)]
    counter_errors = [
        f"counter {k}: layer {t['what']} counted {t['events'][k]}, expected "
        f"{t['expected_events'][k]}"
        for t in timing
        for k in EVENTS
        if (exact or k not in TIMED_EVENTS) and t["events"][k] != t["expected_events"][k]
    ] + [
        f"counter active: layer {t['what']} counted {t['events']['active']}, the bench "
        f"measured {t['measured']}"
        for t in timing
        if t["events"]["active"] != t["measured"]
    ]
    report = {
        "test": name,
        "tiles": checked,
        "mismatches": bad,
        "timing_mismatches": len(timing_bad),
        "measured_cycles": sum(t["measured"] for t in timing),
        "predicted_cycles": sum(t["predicted"] for t in timing),
        "timing": timing,
        "errors": errors
        + [
            f"timing: layer {t['what']} measured {t['measured']} predicted {t['predicted']}"
            for t in timing_bad[:20]
        ]
        + counter_errors[:20],
    }
    Path(cfg["report_dir"], f"{name}.json").write_text(json.dumps(report, indent=1))
    assert not report["errors"], "; ".join(report["errors"][:5])


async def _check_programs(name: str, host: Host, programs: list[tuple]) -> None:
    cfg, p = host.cfg, host.p
    checked = bad = 0
    errors: list[str] = []
    timing: list[dict] = []
    for prog, x, ws, qs in programs:
        try:
            outs, t = await run_program(host, prog)
        except AssertionError as exc:
            errors.append(f"{prog.layers[0].name}: {exc}")
            break
        timing += t
        want = golden(p, x, prog.layers, ws, qs)
        for i, (o, w) in enumerate(zip(outs, want, strict=False)):
            if cfg.get("inject_fault") and i == 0:
                w = w.copy()
                w.flat[0] += 1
            checked += 1
            if not np.array_equal(o, w):
                bad += 1
                n = int((o != w).sum())
                errors.append(f"{prog.layers[i].name}: {n} of {w.size} outputs differ")
    _report(name, cfg, checked, bad, timing, errors, exact=host.stall == 0)


def _compile(p: AccelParams, case: tuple) -> tuple:
    layers, x, ws, qs = case
    return compile_layers(p, layers, x, ws, qs), x, ws, qs


async def part_gemm(host: Host) -> None:
    """Random GEMMs with edge tiles and random output stages."""
    cfg, p = host.cfg, host.p
    rng = np.random.default_rng(cfg["seed"])
    n = max(1, min(int(cfg["tiles"]), 12))
    progs = [_compile(p, cases.random_gemm(p, rng, i)) for i in range(n)]
    await _check_programs("gemm", host, progs)


async def part_conv(host: Host) -> None:
    """Small convolutions (stride, padding, groups) and depthwise layers."""
    cfg, p = host.cfg, host.p
    rng = np.random.default_rng(cfg["seed"] + 1)
    n = max(2, min(int(cfg["tiles"]), 8))
    progs = [_compile(p, cases.random_conv(p, rng, i, depthwise=i % 2 == 1)) for i in range(n)]
    await _check_programs("conv", host, progs)


async def part_layers(host: Host) -> None:
    """Back-to-back layers with fences (or the --workload/--layer layers, reduced)."""
    cfg, p = host.cfg, host.p
    rng = np.random.default_rng(cfg["seed"] + 2)
    case = cases.case_from(p, rng, cfg.get("extra", {})) or cases.chain(p, rng)
    await _check_programs("layers", host, [_compile(p, case)])


async def part_illegal(host: Host) -> None:
    """Refused commands: error code and index latched, DRAM unchanged, clear resumes."""
    cfg, p = host.cfg, host.p
    rng = np.random.default_rng(cfg["seed"] + 3)
    layers_, x, ws, qs = cases.random_gemm(p, rng, 0)
    prog = compile_layers(p, layers_, x, ws, qs)
    host.ram.write(BASE, prog.image.tobytes())
    await host.wr("DRAM_BASE", BASE)
    await host.wr("DRAM_SIZE", prog.dram_size)
    errors: list[str] = []
    size = prog.dram_size
    good = isa.encode("store", n_rows=1, row_elems=1, dram_addr=0)
    checked = bad = 0
    for what, code, word in _illegal_cases(p, size):
        problems = await _check_refused(host, code, word, good, size)
        checked += 1
        if problems:
            bad += 1
            errors.append(f"{what}: " + "; ".join(problems))
    problem = await _check_overflow(host)
    checked += 1
    if problem:
        bad += 1
        errors.append(problem)
    # still works after the errors
    ok = await _check_resumes(host, prog, x, ws, qs, errors)
    checked += 1
    if not ok:
        bad += 1
        errors.append("the program after the errors gave wrong outputs")
    _report("illegal", cfg, checked, bad, [], errors, exact=True)


def _illegal_cases(p: AccelParams, size: int) -> list[tuple[str, int, int]]:
    """``(error name, ERROR code, command word)`` of each refused command."""
    eb = p.in_bits // 8
    return [
        ("bad_command", 1, isa.OPCODES["fence"] + 9),  # opcode 14
        ("bad_command", 1, isa.encode("compute", k=0)),
        (
            "spad_range",
            2,
            isa.encode("load", target=0, spad_addr=p.a_entries, n_rows=1, row_elems=1),
        ),
        ("spad_range", 2, isa.encode("compute", k=1, acc_addr=p.acc_entries - p.rows + 1)),
        (
            "dram_range",
            3,
            isa.encode("store", n_rows=2, row_elems=1, dram_addr=size - eb, stride=eb),
        ),
        ("dram_range", 3, isa.encode("load", target=1, n_rows=1, row_elems=2, dram_addr=size - eb)),
        ("bad_command", 1, isa.encode("load", target=3, n_rows=1, row_elems=1)),
    ]


async def _check_refused(host: Host, code: int, word: int, good: int, size: int) -> list[str]:
    """Push a fence, the bad ``word`` and a good command: the problems seen (none: passed)."""
    before = bytes(host.ram.read(BASE, size))
    # a good command, the bad one, another good one: the bad one's index is accepted + 1
    accepted = await host.rd("ACCEPTED")
    await host.wr("CTRL", 2)
    await host.push(isa.encode("fence"))
    await host.push(word)
    await host.push(good)
    await host.wr("CTRL", 0)
    await host.wait_idle(2000)
    err = await host.rd("ERROR")
    status = await host.rd("STATUS")
    after = bytes(host.ram.read(BASE, size))
    problems = []
    if err & 15 != code or err >> 16 != (accepted + 1) & 0xFFFF:
        problems.append(f"ERROR {err:#x}, expected code {code} at {accepted + 1}")
    if not status & 2:
        problems.append("STATUS.error not set")
    if after != before:
        problems.append("DRAM changed")
    await host.wr("CTRL", 1)  # clear: error gone, queue empty
    status = await host.rd("STATUS")
    if status & 2 or not status & 1:
        problems.append(f"STATUS {status:#x} after clear")
    return problems


async def _check_overflow(host: Host) -> str | None:
    """Queue overflow: depth + 2 pushes while held; the problem, if any."""
    p = host.p
    accepted = await host.rd("ACCEPTED")
    await host.wr("CTRL", 2)
    # the queue holds queue_depth commands plus the one waiting for dispatch
    for _ in range(p.queue_depth + 2):
        await host.push(isa.encode("fence"))
    err = await host.rd("ERROR")
    problem = None
    if err & 15 != 4 or err >> 16 != (accepted + p.queue_depth + 1) & 0xFFFF:
        problem = f"queue_overflow: ERROR {err:#x}"
    await host.wr("CTRL", 1)
    return problem


async def _check_resumes(
    host: Host, prog: Program, x: np.ndarray, ws: list, qs: list, errors: list[str]
) -> bool:
    """Run ``prog`` after the errors; whether its output equals the golden model."""
    p, cfg = host.p, host.cfg
    try:
        outs, _ = await run_program(host, prog)
        want = golden(p, x, prog.layers, ws, qs)[0]
        if cfg.get("inject_fault"):
            want = want.copy()
            want.flat[0] += 1
        return np.array_equal(outs[0], want)
    except AssertionError as exc:
        errors.append(f"after the errors: {exc}")
        return False


@cocotb.test()
async def accel(dut: Any) -> None:
    """All parts in one simulation from one reset (one DRAM, one register master)."""
    cfg = tb_config()
    p = AccelParams.from_dict(cfg["params"])
    host = Host(dut, p, cfg)
    await host.start()
    parts = [part_conv, part_layers, part_illegal]
    extra = cfg.get("extra", {})
    if extra.get("workload") or extra.get("gemm"):
        parts = [part_layers]  # `run accel` / `verify accel --workload`: that layer only
    else:
        parts.insert(0, part_gemm)
    failed = []
    for part in parts:
        try:
            await part(host)
        except AssertionError as exc:
            failed.append(f"{part.__name__}: {exc}")
    assert not failed, "; ".join(failed)
