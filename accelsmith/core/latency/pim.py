"""DRAM command legality, the command schedule of the PIM GEMV engine and its closed form.

:class:`Timer` is the reference of the RTL's checker: it tracks bank state and the time of
every event and says, for a command at cycle ``t``, which rules it breaks (the RTL refuses it
and reports the lowest-numbered rule). :func:`engine_schedule` replays the GEMV engine, which
issues each of its commands at the earliest legal cycle, and gives the cycle of every command
and of ``done`` exactly.

Rules (cycles; "col" = RD, WR, MAC, RD_MAC, WR_GB):

==========  ============================================================================
``STATE``   ACT to an open bank; RD/WR/MAC to a closed bank (all-bank MAC: any closed);
            REF with a bank open
``BUSY``    a host command while the GEMV engine runs
``ADDR``    unknown opcode; bank/row/column out of range; all-bank ACT, RD or WR
``tRCD``    ACT(b) -> RD/WR/MAC(b)
``tRP``     PRE(b) -> ACT(b); PRE(any) -> REF
``tRAS``    ACT(b) -> PRE(b)
``tCCD``    col -> col (any bank, the global buffer and RD_MAC included)
``tRRD``    ACT -> ACT (any banks)
``tFAW``    at most four ACTs in any ``tFAW`` cycles
``tRTP``    RD/MAC(b) -> PRE(b)
``tWR``     WR(b) -> PRE(b)
``tRFC``    REF -> ACT, REF -> REF
``tREFI``   ACT while a refresh is due (``tREFI`` cycles since the last REF or reset) and
            every bank is precharged: the refresh must come first
==========  ============================================================================

PRE to a precharged bank is a legal no-op (JEDEC); all-bank PRE closes the open banks.

:func:`job_cycles` is the closed form of :func:`engine_schedule` that the cost model
vectorizes (equal without refresh when ``tFAW <= tRAS + tRP + tRRD`` and ``tRCD >= tCCD``,
true of every preset; checked in the tests). Cycles of one GEMV job on one channel (``G``
groups, ``S`` segments, ``n`` bursts in a segment, ``B`` banks), relative to a group's first
ACT ``a0``::

    a_k    = (k // 4) * max(4 tRRD, tFAW) + (k % 4) * tRRD       ACT of bank k
    mac0   = a_{B-1} + tRCD;  macL = mac0 + (n - 1) tCCD          all-bank MACs
    pre    = max(macL + 1, a_{B-1} + tRAS, macL + tRTP)           all-bank PRE
    rdm    = max(pre + 1, macL + tCCD)                            RD_MAC
    D(n)   = max(rdm + 1, pre + tRP, a_{B-1} + tRRD, a_{B-4} + tFAW)   next group's a0

A segment starts with ``n`` WR_GB bursts (``tCCD`` apart, the first ``tCCD`` after the previous
RD_MAC); its first ACT follows the last one. Refresh adds ``tRFC + tRP`` per ``tREFI``
(the engine refreshes at group boundaries; an approximation within a few per cent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..families.pim import PimParams
from ._ops import floor, maximum, select

__all__ = ["OPS", "RULES", "Cmd", "Timer", "engine_commands", "engine_schedule", "job_cycles"]

OPS = {"NOP": 0, "ACT": 1, "PRE": 2, "RD": 3, "WR": 4, "MAC": 5, "RD_MAC": 6, "WR_GB": 7, "REF": 8}
RULES = {
    "STATE": 1,
    "BUSY": 2,
    "ADDR": 3,
    "tRCD": 4,
    "tRP": 5,
    "tRAS": 6,
    "tCCD": 7,
    "tRRD": 8,
    "tFAW": 9,
    "tRTP": 10,
    "tWR": 11,
    "tRFC": 12,
    "tREFI": 13,
}
RULE_NAMES = {v: k for k, v in RULES.items()}
COL_OPS = ("RD", "WR", "MAC", "RD_MAC", "WR_GB")
NEVER = -(10**12)


@dataclass(frozen=True)
class Cmd:
    """One command: ``op`` name, all-bank flag, bank, row, column and WR/WR_GB data."""

    op: str
    ab: bool = False
    bank: int = 0
    row: int = 0
    col: int = 0
    data: int = 0


class Timer:
    """Bank state and event times; the reference of the RTL's command checker."""

    def __init__(self, p: PimParams) -> None:
        self.p = p
        self.t = p.timings()
        n = p.banks
        self.open = [False] * n
        self.open_row = [0] * n
        self.act_t = [NEVER] * n
        self.pre_t = [NEVER] * n
        self.rd_t = [NEVER] * n
        self.wr_t = [NEVER] * n
        self.col_t = NEVER
        self.last_act = NEVER
        self.faw: list[int] = []
        self.ref_t = NEVER
        self.refi_base = 0  # reset counts as a refresh for the tREFI interval

    # -------------------------------------------------------------- legality
    def ref_due(self, t: int) -> bool:
        return t - self.refi_base >= self.t["t_refi"]

    def violations(self, c: Cmd, t: int, busy: bool = False) -> set[str]:
        """Rule names ``c`` at cycle ``t`` breaks (empty: legal)."""
        p, T = self.p, self.t
        v: set[str] = set()
        if busy and c.op != "NOP":
            return {"BUSY"}  # the engine owns the command bus: nothing else is checked
        if c.op not in OPS:
            return v | {"ADDR"}
        if c.op == "NOP":
            return v
        if (
            c.bank >= p.banks
            or c.row >= p.rows
            or c.col >= p.bursts_per_row
            or (c.ab and c.op in ("ACT", "RD", "WR"))
        ):
            return v | {"ADDR"}
        b = c.bank
        if c.op in COL_OPS and t - self.col_t < T["t_ccd"]:
            v.add("tCCD")
        if c.op == "ACT":
            if self.open[b]:
                v.add("STATE")
            if t - self.pre_t[b] < T["t_rp"]:
                v.add("tRP")
            if t - self.last_act < T["t_rrd"]:
                v.add("tRRD")
            if len(self.faw) == 4 and t - self.faw[0] < T["t_faw"]:
                v.add("tFAW")
            if t - self.ref_t < T["t_rfc"]:
                v.add("tRFC")
            if self.ref_due(t) and not any(self.open):
                v.add("tREFI")
        elif c.op == "PRE":
            for k in range(p.banks) if c.ab else (b,):
                if not self.open[k]:
                    continue
                if t - self.act_t[k] < T["t_ras"]:
                    v.add("tRAS")
                if t - self.rd_t[k] < T["t_rtp"]:
                    v.add("tRTP")
                if t - self.wr_t[k] < T["t_wr"]:
                    v.add("tWR")
        elif c.op in ("RD", "WR", "MAC"):
            banks = range(p.banks) if (c.ab and c.op == "MAC") else (b,)
            for k in banks:
                if not self.open[k]:
                    v.add("STATE")
                elif t - self.act_t[k] < T["t_rcd"]:
                    v.add("tRCD")
        elif c.op == "REF":
            if any(self.open):
                v.add("STATE")
            if any(t - pt < T["t_rp"] for pt in self.pre_t):
                v.add("tRP")
            if t - self.ref_t < T["t_rfc"]:
                v.add("tRFC")
        return v

    def code(self, c: Cmd, t: int, busy: bool = False) -> int:
        """The rule code the RTL reports (0: legal; else the lowest-numbered broken rule)."""
        v = self.violations(c, t, busy)
        return min(RULES[r] for r in v) if v else 0

    def issue(self, c: Cmd, t: int) -> None:
        """Apply a legal command issued at cycle ``t``."""
        p = self.p
        if c.op in COL_OPS:
            self.col_t = t
        if c.op == "ACT":
            self.open[c.bank] = True
            self.open_row[c.bank] = c.row
            self.act_t[c.bank] = t
            self.last_act = t
            self.faw = [*self.faw, t][-4:]
        elif c.op == "PRE":
            for k in range(p.banks) if c.ab else (c.bank,):
                if self.open[k]:
                    self.open[k] = False
                    self.pre_t[k] = t
        elif c.op in ("RD", "MAC"):
            for k in range(p.banks) if (c.ab and c.op == "MAC") else (c.bank,):
                self.rd_t[k] = t
        elif c.op == "WR":
            self.wr_t[c.bank] = t
        elif c.op == "REF":
            self.ref_t = t
            self.refi_base = t

    def earliest(self, c: Cmd, t_min: int) -> int:
        """Earliest cycle ``>= t_min`` at which ``c`` breaks no timing rule.

        Only lower bounds are solved here; ``tREFI`` (an upper bound) and ``STATE`` are the
        caller's business (see :func:`engine_schedule`).
        """
        p, T = self.p, self.t
        lo = t_min
        if c.op in COL_OPS:
            lo = max(lo, self.col_t + T["t_ccd"])
        if c.op == "ACT":
            lo = max(
                lo,
                self.pre_t[c.bank] + T["t_rp"],
                self.last_act + T["t_rrd"],
                self.ref_t + T["t_rfc"],
            )
            if len(self.faw) == 4:
                lo = max(lo, self.faw[0] + T["t_faw"])
        elif c.op == "PRE":
            for k in range(p.banks) if c.ab else (c.bank,):
                if self.open[k]:
                    lo = max(
                        lo,
                        self.act_t[k] + T["t_ras"],
                        self.rd_t[k] + T["t_rtp"],
                        self.wr_t[k] + T["t_wr"],
                    )
        elif c.op in ("RD", "WR", "MAC"):
            for k in range(p.banks) if (c.ab and c.op == "MAC") else (c.bank,):
                lo = max(lo, self.act_t[k] + T["t_rcd"])
        elif c.op == "REF":
            lo = max(lo, max(self.pre_t) + T["t_rp"], self.ref_t + T["t_rfc"])
        return lo


def engine_commands(p: PimParams, groups: int, segs: int, last_bursts: int):
    """The engine's command stream in order (REFs excluded: they depend on time)."""
    bpr = p.bursts_per_row
    for s in range(segs):
        nb = last_bursts if s == segs - 1 else bpr
        for c in range(nb):
            yield Cmd("WR_GB", col=c)
        for g in range(groups):
            for b in range(p.banks):
                yield Cmd("ACT", bank=b, row=g * segs + s)
            for c in range(nb):
                yield Cmd("MAC", ab=True, col=c)
            yield Cmd("PRE", ab=True)
            yield Cmd("RD_MAC")


def engine_schedule(
    p: PimParams,
    groups: int,
    segs: int,
    last_bursts: int,
    *,
    timer: Timer | None = None,
    t_start: int = 0,
) -> dict:
    """Replay the GEMV engine from a ``start`` transfer at cycle ``t_start``.

    Parameters
    ----------
    timer : Timer, optional
        The checker state at ``t_start`` (refresh interval, last PRE ...); default: fresh
        from reset at cycle 0. It is advanced in place.

    Returns
    -------
    dict
        ``commands``: list of ``(cycle, Cmd)`` in issue order (REFs included); ``done``: the
        cycle of the last RD_MAC data (``done`` pulse); ``cycles``: ``done - t_start + 1``;
        ``refreshes``: REF count.
    """
    tm = timer if timer is not None else Timer(p)
    t_prev = t_start
    out: list[tuple[int, Cmd]] = []
    last_rdmac = t_start
    for c in engine_commands(p, groups, segs, last_bursts):
        t = tm.earliest(c, t_prev + 1)
        if c.op == "ACT" and c.bank == 0 and tm.ref_due(t):
            due = max(t_prev + 1, tm.refi_base + tm.t["t_refi"])
            ref = Cmd("REF")
            tr = tm.earliest(ref, due)
            tm.issue(ref, tr)
            out.append((tr, ref))
            t_prev = tr
            t = tm.earliest(c, t_prev + 1)
        assert not tm.violations(c, t), (c, t, tm.violations(c, t))
        tm.issue(c, t)
        out.append((t, c))
        t_prev = t
        if c.op == "RD_MAC":
            last_rdmac = t
    done = last_rdmac + p.t_cl  # type: ignore[operator]
    return {
        "commands": out,
        "done": done,
        "cycles": done - t_start + 1,
        "refreshes": sum(1 for _, c in out if c.op == "REF"),
    }


# ------------------------------------------------------------------ closed form (cost model)


def _act_offsets(k: Any, T: dict[str, Any]) -> Any:
    period = maximum(4 * T["t_rrd"], T["t_faw"])
    return (k // 4) * period + (k % 4) * T["t_rrd"]


def _faw_bound(b: Any, T: dict[str, Any]) -> Any:
    """``a_{B-4} + tFAW`` (0 with fewer than four banks)."""
    return select(b >= 4, _act_offsets(maximum(b - 4, 0), T) + T["t_faw"], 0)


def _group(n: Any, banks: Any, T: dict[str, Any]) -> dict[str, Any]:
    a_last = _act_offsets(banks - 1, T)
    mac_l = a_last + T["t_rcd"] + (n - 1) * T["t_ccd"]
    pre = maximum(mac_l + 1, a_last + T["t_ras"], mac_l + T["t_rtp"])
    rdm = maximum(pre + 1, mac_l + T["t_ccd"])
    d = maximum(rdm + 1, pre + T["t_rp"], a_last + T["t_rrd"], _faw_bound(banks, T))
    return {"a_last": a_last, "pre": pre, "rdm": rdm, "period": d}


def job_cycles(
    groups: Any,
    segs: Any,
    last_bursts: Any,
    bursts_per_row: Any,
    banks: Any,
    T: dict[str, Any],
    *,
    refresh: bool = True,
) -> Any:
    """Cycles of one GEMV job from ``start`` to ``done`` (both counted): the closed form above.

    Arguments are numbers or broadcastable (float) arrays; ``T`` maps the timing names
    (``t_rcd``, ``t_ccd`` ...) to cycles.
    """
    g, s, nl, nf, b = groups, segs, last_bursts, bursts_per_row, banks
    n0 = select(s == 1, nl, nf)
    full, last = _group(nf, b, T), _group(nl, b, T)
    tccd = T["t_ccd"]

    def seg_gap(prev: dict[str, Any], n: Any) -> Any:
        """Previous group's a0 -> next segment's first a0 (WR_GB bursts in between)."""
        wr_last = prev["rdm"] + tccd + (n - 1) * tccd
        return maximum(
            wr_last + 1, prev["pre"] + T["t_rp"], prev["a_last"] + T["t_rrd"], _faw_bound(b, T)
        )

    first_a0 = 1 + (n0 - 1) * tccd + 1  # WR_GB from the cycle after start, then ACT
    inner = (g - 1) * select(s == 1, last["period"], full["period"])
    # segments 1 .. S-1: (S - 2) full -> full transitions and one full -> last
    mid = select(
        s >= 2,
        (s - 2) * (seg_gap(full, nf) + (g - 1) * full["period"])
        + seg_gap(full, nl)
        + (g - 1) * last["period"],
        0,
    )
    done = first_a0 + inner + mid + last["rdm"] + T["t_cl"]
    cycles = done + 1
    if refresh:
        cycles = cycles + floor(cycles / T["t_refi"]) * (T["t_rfc"] + T["t_rp"])
    return cycles
