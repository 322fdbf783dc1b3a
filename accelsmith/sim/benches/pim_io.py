"""Transaction-level helpers for the PIM channel (no cocotb import).

They turn a GEMV into a host program (the ACT / WR / PRE commands that store ``W``, each at its
earliest legal cycle, with refreshes where due), the engine job and its ``xin`` bursts, and
pack/unpack the flat Verilog payload vectors. The cocotb bench and the Amaranth-simulator
tests both use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...core.families.pim import PimParams
from ...core.latency.pim import OPS, Cmd, Timer, engine_schedule
from ..golden.pim import gemv

__all__ = [
    "GemvRun",
    "cmd_word",
    "field_widths",
    "pack",
    "plan_gemv",
    "schedule_host",
    "unpack",
]


def pack(values, bits: int) -> int:
    """Pack element patterns (element 0 in the least significant bits) into one integer."""
    mask = (1 << bits) - 1
    word = 0
    for i, v in enumerate(values):
        word |= (int(v) & mask) << (i * bits)
    return word


def unpack(word: int, bits: int, count: int) -> list[int]:
    """Inverse of :func:`pack` (unsigned patterns)."""
    mask = (1 << bits) - 1
    return [(word >> (i * bits)) & mask for i in range(count)]


def _w(n: int) -> int:
    return max(1, (max(n - 1, 0)).bit_length())


def field_widths(p: PimParams) -> dict[str, int]:
    """Widths of the ``cmd`` payload fields, in packing order (``op`` in the low bits)."""
    return {
        "op": 4,
        "ab": 1,
        "bank": _w(p.banks),
        "row": _w(p.rows),
        "col": _w(p.bursts_per_row),
        "data": int(p.burst_bits),  # type: ignore[arg-type]
    }


def cmd_word(p: PimParams, c: Cmd, op_code: int | None = None) -> int:
    """The ``cmd`` payload integer of ``c`` (``op_code`` overrides the opcode)."""
    values = {
        "op": OPS[c.op] if op_code is None else op_code,
        "ab": int(c.ab),
        "bank": c.bank,
        "row": c.row,
        "col": c.col,
        "data": c.data,
    }
    word, off = 0, 0
    for name, width in field_widths(p).items():
        word |= (values[name] & ((1 << width) - 1)) << off
        off += width
    return word


def schedule_host(tm: Timer, cmds: list[Cmd], t0: int) -> tuple[list[tuple[int, Cmd]], int]:
    """Issue ``cmds`` in order, each at its earliest legal cycle ``>= previous + 1``.

    A REF goes first whenever an ACT would find a refresh due with every bank precharged
    (the ``tREFI`` rule). Returns the ``(cycle, Cmd)`` list and the last cycle used.
    """
    out: list[tuple[int, Cmd]] = []
    t_prev = t0 - 1
    for c in cmds:
        t = tm.earliest(c, t_prev + 1)
        if c.op == "ACT" and not any(tm.open) and tm.ref_due(t):
            ref = Cmd("REF")
            tr = tm.earliest(ref, max(t_prev + 1, tm.refi_base + tm.t["t_refi"]))
            tm.issue(ref, tr)
            out.append((tr, ref))
            t_prev = tr
            t = tm.earliest(c, t_prev + 1)
        assert not tm.violations(c, t), (c, t, tm.violations(c, t))
        tm.issue(c, t)
        out.append((t, c))
        t_prev = t
    return out, t_prev


@dataclass
class GemvRun:
    """Everything one GEMV run needs and predicts.

    Attributes
    ----------
    host : list of (cycle, Cmd)
        Commands storing ``W`` (and refreshes), all legal at their cycles.
    start_cycle : int
        Cycle the ``start`` beat transfers.
    job : dict
        ``groups``, ``segs``, ``last_bursts``.
    xin : list of int
        Packed ``xin`` bursts in engine order.
    schedule : dict
        :func:`engine_schedule` output (every engine command's cycle, ``done``, ``cycles``).
    expected : list of list of list of int
        Per RD_MAC (engine order), per bank, the result patterns.
    y : numpy.ndarray
        Host-reduced result.
    """

    host: list[tuple[int, Cmd]]
    start_cycle: int
    job: dict[str, int]
    xin: list[int]
    schedule: dict
    expected: list
    y: np.ndarray
    end_cycle: int = 0
    notes: dict = field(default_factory=dict)


def plan_gemv(p: PimParams, w: np.ndarray, x: np.ndarray, tm: Timer, t0: int) -> GemvRun:
    """Plan a GEMV whose host program starts at cycle ``t0`` with checker state ``tm``.

    ``tm`` is advanced to the end of the job (so runs can follow one another).
    """
    g = gemv(p, w, x)
    lay = g["layout"]
    eb = p.elem_bits
    cmds: list[Cmd] = []
    # one DRAM row index at a time across every bank: ACTs, then the WRs, then the PREs, so
    # that the banks' tRCD / tWR / tRP windows overlap (and the checker sees interleaved
    # multi-bank traffic)
    for r in sorted({r for _, r in lay.rows}):
        banks = sorted(b for b, rr in lay.rows if rr == r)
        cmds += [Cmd("ACT", bank=b, row=r) for b in banks]
        for b in banks:
            elems = lay.rows[(b, r)]
            for c in range(p.bursts_per_row):
                burst = elems[c * p.lanes : (c + 1) * p.lanes]
                cmds.append(Cmd("WR", bank=b, row=r, col=c, data=pack(burst, eb)))
        cmds += [Cmd("PRE", bank=b) for b in banks]
    host, t_last = schedule_host(tm, cmds, t0)
    start = t_last + 1
    sched = engine_schedule(p, lay.groups, lay.segs, lay.last_bursts, timer=tm, t_start=start)
    xin = [pack(b, eb) for seg in lay.x_bursts for b in seg]
    return GemvRun(
        host=host,
        start_cycle=start,
        job={"groups": lay.groups, "segs": lay.segs, "last_bursts": lay.last_bursts},
        xin=xin,
        schedule=sched,
        expected=g["raw"].tolist(),
        y=g["y"],
        end_cycle=sched["done"],
    )


def result_word(p: PimParams, per_bank: list[list[int]]) -> int:
    """Pack one RD_MAC word (bank 0 in the low bits) from per-bank result patterns."""
    bits = 16 if p.precision != "int8" else 32
    word = 0
    for b, vals in enumerate(per_bank):
        word |= pack(vals, bits) << (b * p.result_bits)
    return word


# ----------------------------------------------------------------------------- rule probes
@dataclass
class Probe:
    """A command sequence from reset: ``steps`` of ``(cycle, Cmd, opcode or -1, code)``.

    ``code`` is the rule the RTL must report (0: the command must execute). ``opcode``
    overrides the command's opcode (to send an unknown one).
    """

    name: str
    steps: list[tuple[int, Cmd, int, int]]


def _at(tm: Timer, c: Cmd, t: int, out: list[tuple[int, Cmd, int, int]]) -> int:
    t = tm.earliest(c, t)
    assert not tm.violations(c, t), (c, t, tm.violations(c, t))
    tm.issue(c, t)
    out.append((t, c, -1, 0))
    return t


def rule_probes(p: PimParams) -> tuple[list[Probe], list[str]]:
    """For every timing rule: a legal set-up, the command one cycle early (refused with the
    rule's code, nothing else broken) and at the earliest legal cycle (executes).

    Returns the probes and the rules that cannot be the only constraint under ``p``'s timing
    (e.g. ``tCCD = 1``: "one cycle early" is the previous command's cycle), with the reason.
    """
    from ...core.latency.pim import RULES

    T = p.timings()
    probes: list[Probe] = []
    skipped: list[str] = []

    def make(rule: str, what: str, steps: list[tuple[Cmd, int]], cmd: Cmd) -> None:
        tm = Timer(p)
        out: list[tuple[int, Cmd, int, int]] = []
        for c, lo in steps:
            _at(tm, c, max(out[-1][0] + 1 if out else 0, lo), out)
        first = out[-1][0] + 1 if out else 0
        legal = tm.earliest(cmd, first)
        if (
            legal - 1 < first
            or set(tm.violations(cmd, legal - 1)) != {rule}
            or tm.violations(cmd, legal)
        ):
            skipped.append(f"{rule} ({what}): another rule binds at the same cycle")
            return
        out += [(legal - 1, cmd, -1, RULES[rule]), (legal, cmd, -1, 0)]
        probes.append(Probe(f"{rule}: {what}", out))

    act0 = Cmd("ACT", bank=0, row=0)
    pre0 = Cmd("PRE", bank=0)
    make("tRCD", "ACT -> RD", [(act0, 0)], Cmd("RD", bank=0))
    make(
        "tRCD",
        "ACT -> all-bank MAC",
        [(act0, 0)] if p.banks == 1 else [(Cmd("ACT", bank=b, row=0), 0) for b in range(p.banks)],
        Cmd("MAC", ab=True),
    )
    make("tRP", "PRE -> ACT", [(act0, 0), (pre0, 0)], Cmd("ACT", bank=0, row=1 % p.rows))
    make("tRP", "PRE -> REF", [(act0, 0), (pre0, 0)], Cmd("REF"))
    make("tRAS", "ACT -> PRE", [(act0, 0)], pre0)
    col1 = 1 % p.bursts_per_row
    if T["t_ccd"] > 1:
        make("tCCD", "RD -> RD", [(act0, 0), (Cmd("RD", bank=0), 0)], Cmd("RD", bank=0, col=col1))
        make("tCCD", "WR_GB -> WR_GB", [(Cmd("WR_GB"), 0)], Cmd("WR_GB", col=col1))
    else:
        skipped.append("tCCD: tCCD = 1 (no cycle between two commands)")
    if p.banks > 1:
        make("tRRD", "ACT -> ACT other bank", [(act0, 0)], Cmd("ACT", bank=1, row=0))
    else:
        skipped.append("tRRD: needs two banks")
    acts = [(Cmd("ACT", bank=b, row=0), 0) for b in range(min(4, p.banks))]
    if p.banks >= 5:
        make("tFAW", "fifth ACT", acts, Cmd("ACT", bank=4, row=0))
    elif p.banks == 4:
        make("tFAW", "fifth ACT (bank 0 again)", [*acts, (pre0, 0)], Cmd("ACT", bank=0, row=0))
    else:
        skipped.append("tFAW: needs four banks")
    lo = T["t_ras"] - T["t_rtp"] + 1
    make("tRTP", "RD -> PRE", [(act0, 0), (Cmd("RD", bank=0), lo)], pre0)
    lo = T["t_ras"] - T["t_wr"] + 1
    make("tWR", "WR -> PRE", [(act0, 0), (Cmd("WR", bank=0, data=5), lo)], pre0)
    make("tRFC", "REF -> ACT", [(Cmd("REF"), 0)], act0)
    make("tRFC", "REF -> REF", [(Cmd("REF"), 0)], Cmd("REF"))
    # tREFI: an ACT one cycle before the refresh falls due executes; at the due cycle it is
    # refused; a REF then clears it
    due = T["t_refi"]
    probes.append(Probe("tREFI: ACT before the refresh is due", [(due - 1, act0, -1, 0)]))
    probes.append(
        Probe(
            "tREFI: ACT when the refresh is due, REF, ACT",
            [
                (due, act0, -1, RULES["tREFI"]),
                (due + 1, Cmd("REF"), -1, 0),
                (due + 1 + T["t_rfc"], act0, -1, 0),
            ],
        )
    )
    return probes, skipped


def state_probes(p: PimParams) -> list[Probe]:
    """Commands illegal in any cycle: wrong bank state and bad addresses."""
    from ...core.latency.pim import RULES

    st, ad = RULES["STATE"], RULES["ADDR"]
    act0 = (0, Cmd("ACT", bank=0, row=0), -1, 0)
    late = 1 + p.t_rcd + p.t_ccd  # type: ignore[operator]
    out = [
        Probe("RD to a closed bank", [(0, Cmd("RD", bank=0), -1, st)]),
        Probe("ACT to an open bank", [act0, (late, Cmd("ACT", bank=0, row=0), -1, st)]),
        Probe("REF with a bank open", [act0, (late + p.t_rfc, Cmd("REF"), -1, st)]),  # type: ignore[operator]
        Probe("unknown opcode", [(0, Cmd("NOP"), 9, ad)]),
        Probe("all-bank ACT", [(0, Cmd("ACT", ab=True), -1, ad)]),
    ]
    if p.banks > 1:
        out.append(
            Probe("all-bank MAC with a bank closed", [act0, (late, Cmd("MAC", ab=True), -1, st)])
        )
    if p.rows & (p.rows - 1):
        out.append(Probe("row out of range", [(0, Cmd("ACT", row=p.rows), -1, ad)]))
    if p.bursts_per_row & (p.bursts_per_row - 1):
        out.append(
            Probe("column out of range", [act0, (late, Cmd("RD", col=p.bursts_per_row), -1, ad)])
        )
    if p.banks & (p.banks - 1):
        out.append(Probe("bank out of range", [(0, Cmd("ACT", bank=p.banks), -1, ad)]))
    return out


# ----------------------------------------------------------------------------- random traffic
@dataclass
class RandomProgram:
    """Random host commands with the checker's verdicts and the data they must return.

    ``steps``: ``(cycle, Cmd, opcode or -1, code)``; ``rdata``: ``(cycle, word, mac)`` of
    every RD / RD_MAC response.
    """

    steps: list[tuple[int, Cmd, int, int]]
    rdata: list[tuple[int, int, bool]]


def random_program(p: PimParams, rng: np.random.Generator, n: int) -> RandomProgram:
    """``n`` random commands, each near its earliest legal cycle (early, on time or late),
    after a legal prologue that writes zeros to every cell.

    A functional model (cells, row buffers, global buffer, per-bank accumulators with the
    golden MAC) predicts every RD and RD_MAC word; :class:`Timer` predicts every refusal.
    """
    from ..golden.pim import mac_burst, read_mac, zero_acc

    tm = Timer(p)
    bpr, eb, lanes = p.bursts_per_row, p.elem_bits, p.lanes
    cells: dict[tuple[int, int], list[int]] = {}
    rowbuf = [[0] * bpr for _ in range(p.banks)]
    gb = [0] * bpr
    acc = [zero_acc(p) for _ in range(p.banks)]
    steps: list[tuple[int, Cmd, int, int]] = []
    rdata: list[tuple[int, int, bool]] = []
    ops = ["ACT", "PRE", "RD", "WR", "MAC", "RD_MAC", "WR_GB", "REF", "BAD"]
    weights = np.array([5, 3, 3, 3, 4, 2, 2, 1, 0.3])
    # DRAM powers up with undefined cells: write zeros everywhere first (legal traffic too)
    init: list[Cmd] = []
    for r in range(p.rows):
        init += [Cmd("ACT", bank=b, row=r) for b in range(p.banks)]
        init += [Cmd("WR", bank=b, row=r, col=c) for b in range(p.banks) for c in range(bpr)]
        init += [Cmd("PRE", bank=b) for b in range(p.banks)]
    done, t_last = schedule_host(tm, init, 0)
    steps += [(tt, c, -1, 0) for tt, c in done]
    t = t_last + 1
    for _ in range(n):
        op = str(rng.choice(ops, p=weights / weights.sum()))
        closed = [b for b in range(p.banks) if not tm.open[b]]
        opened = [b for b in range(p.banks) if tm.open[b]]
        pool = (closed if op == "ACT" else opened) or list(range(p.banks))
        # out-of-range addresses only where the field can encode them
        wid = field_widths(p)
        bank = int(rng.choice(pool))
        if rng.random() < 0.05 and p.banks < 1 << wid["bank"]:
            bank = int(rng.integers(p.banks, 1 << wid["bank"]))
        row = int(rng.integers(0, p.rows))
        if rng.random() < 0.05 and p.rows < 1 << wid["row"]:
            row = p.rows
        col = int(rng.integers(0, bpr))
        if rng.random() < 0.05 and bpr < 1 << wid["col"]:
            col = bpr
        ab = op in ("PRE", "MAC") and rng.random() < 0.4
        bits = int(p.burst_bits)  # type: ignore[arg-type]
        data = int.from_bytes(rng.bytes(bits // 8 + 1), "little") & ((1 << bits) - 1)
        c = Cmd("NOP" if op == "BAD" else op, ab, bank, row, col, data)
        opcode = int(rng.integers(9, 16)) if op == "BAD" else -1
        model = Cmd("BAD", ab, bank, row, col) if op == "BAD" else c
        in_range = bank < p.banks and row < p.rows and col < bpr
        base = tm.earliest(c, t) if in_range and op != "BAD" else t
        when = max(t, base + int(rng.choice([-2, -1, 0, 0, 0, 1, 4])))
        code = tm.code(model, when)
        steps.append((when, c, opcode, code))
        if code == 0:
            was_open = list(tm.open)
            tm.issue(c, when)
            if c.op == "ACT":
                rowbuf[bank] = list(cells.get((bank, row), [0] * bpr))
            elif c.op == "PRE":
                for b in range(p.banks) if ab else (bank,):
                    if was_open[b]:  # write-back of the row buffer
                        cells[(b, tm.open_row[b])] = list(rowbuf[b])
            elif c.op == "WR":
                rowbuf[bank][col] = data
            elif c.op == "WR_GB":
                gb[col] = data
            elif c.op == "RD":
                rdata.append((when + p.t_cl, rowbuf[bank][col], False))  # type: ignore[operator]
            elif c.op == "MAC":
                x = unpack(gb[col], eb, lanes)
                for b in range(p.banks) if ab else (bank,):
                    acc[b] = mac_burst(p, acc[b], unpack(rowbuf[b][col], eb, lanes), x)
            elif c.op == "RD_MAC":
                word = result_word(p, [list(read_mac(p, a)) for a in acc])
                rdata.append((when + p.t_cl, word, True))  # type: ignore[operator]
                acc = [zero_acc(p) for _ in range(p.banks)]
        t = when + 1
    return RandomProgram(steps, rdata)
