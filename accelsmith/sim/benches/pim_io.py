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
from ..golden.pim import gemv
from ..golden.pim_schedule import OPS, Cmd, Timer, engine_schedule

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
    for (b, r), elems in sorted(lay.rows.items()):
        cmds.append(Cmd("ACT", bank=b, row=r))
        for c in range(p.bursts_per_row):
            burst = elems[c * p.lanes : (c + 1) * p.lanes]
            cmds.append(Cmd("WR", bank=b, row=r, col=c, data=pack(burst, eb)))
        cmds.append(Cmd("PRE", bank=b))
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
