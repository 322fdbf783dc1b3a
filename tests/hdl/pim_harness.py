"""Cycle-level driver/monitor of the PIM channel on Amaranth's simulator (fast tier)."""

from __future__ import annotations

from dataclasses import dataclass, field

from amaranth.sim import Simulator

from accelsmith.core.families.pim import PimParams
from accelsmith.core.latency.pim import OPS, Cmd
from accelsmith.hdl.pim import build
from accelsmith.sim.benches.pim_io import GemvRun, cmd_word

OP_NAMES = {v: k for k, v in OPS.items()}


@dataclass
class Trace:
    refused: dict[int, int] = field(default_factory=dict)  # cycle -> rule code
    issued: list[tuple[int, Cmd]] = field(default_factory=list)
    rdata: list[tuple[int, int, bool, bool]] = field(default_factory=list)  # cycle,data,mac,last
    done: list[int] = field(default_factory=list)
    start_at: int = -1
    started: list[int] = field(default_factory=list)


def run(
    p: PimParams,
    host: dict[int, int],
    *,
    start: tuple[int, dict[str, int]] | list[tuple[int, dict[str, int]]] | None = None,
    xin: list[int] | None = None,
    cycles: int,
) -> Trace:
    """Present ``host[t]`` (cmd payload words) at cycle ``t``; offer ``start`` from its cycle."""
    dut = build(p)
    tr = Trace()
    xq = list(xin or [])
    starts = [] if start is None else ([start] if isinstance(start, tuple) else list(start))
    sim = Simulator(dut)
    sim.add_clock(1e-6)

    async def bench(ctx):
        for t in range(cycles):
            word = host.get(t)
            ctx.set(dut.cmd.valid, word is not None)
            ctx.set(dut.cmd.payload.as_value(), word or 0)
            offer = bool(starts) and t >= starts[0][0]
            ctx.set(dut.start.valid, offer)
            if offer:
                for key in ("groups", "segs", "last_bursts"):
                    ctx.set(getattr(dut.start.payload, key), starts[0][1][key])
            ctx.set(dut.xin.valid, bool(xq))
            ctx.set(dut.xin.payload, xq[0] if xq else 0)
            if ctx.get(dut.refused):
                tr.refused[t] = ctx.get(dut.rule)
            if offer and ctx.get(dut.start.ready):
                starts.pop(0)
                tr.started.append(t)
                tr.start_at = t
            if ctx.get(dut.xin.ready) and xq:
                xq.pop(0)
            if ctx.get(dut.issued.valid):
                i = dut.issued.payload
                tr.issued.append(
                    (
                        t,
                        Cmd(
                            OP_NAMES[ctx.get(i.op)],
                            bool(ctx.get(i.ab)),
                            ctx.get(i.bank),
                            ctx.get(i.row),
                            ctx.get(i.col),
                        ),
                    )
                )
            if ctx.get(dut.rdata.valid):
                r = dut.rdata.payload
                tr.rdata.append((t, ctx.get(r.data), bool(ctx.get(r.mac)), bool(ctx.get(r.last))))
            if ctx.get(dut.done):
                tr.done.append(t)
            await ctx.tick()

    sim.add_testbench(bench)
    sim.run()
    return tr


def run_gemv(p: PimParams, plan: GemvRun) -> Trace:
    host = {t: cmd_word(p, c) for t, c in plan.host}
    return run(
        p,
        host,
        start=(plan.start_cycle, plan.job),
        xin=plan.xin,
        cycles=plan.schedule["done"] + 3,
    )
