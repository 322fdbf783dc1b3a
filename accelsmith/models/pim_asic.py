"""The PIM channel at 130 nm: what ``accelsmith synth pim`` builds, costed from components.

What node 130 means for PIM. The sky130 check (``accelsmith synth pim``) synthesizes the
generator's channel (:mod:`accelsmith.hdl.pim`): every bank's cells are an Amaranth memory that
the flow turns into a black-box SRAM macro costed by the OpenRAM sky130 table of
:mod:`accelsmith.synth.sram`; everything else (MAC lanes, row buffers, the banks' timing
counters, the command checker and GEMV engine, the global input buffer and the read
pipeline) is standard-cell logic. The node-130 model costs the same three kinds of thing:

- **synthesized logic** (``area_logic_um2``, with its parts): flip-flops counted from the RTL
  (:func:`pim_inventory`, checked against synthesized netlists) x one sky130 flip-flop, plus
  combinational logic from components synthesized by ``accelsmith calibrate``: the
  generator's MAC lanes per precision (``pimmac_int8/fp16/bf16`` at 1, 2, 4 lanes) and its
  channel control (``pimctl`` at 1, 2, 4 banks), and the generic ``reg``, ``mux``, ``fan``
  and ``add`` components for the row buffers, global buffer, selects, delay lines and the
  banks' counters;
- **macros** (``area_memory_um2``): each bank's cells, ``max(rows, 2) x row_bytes * 8`` bits at
  the OpenRAM sky130 figure (area, leakage, one read + one write access per cycle as the flow
  powers it), i.e. the table the synthesis uses, never a DRAM figure;
- **DRAM figures that remain**: the protocol's timing in cycles (the preset: NeuPIMs /
  NewtonSim / AiM configuration files, :mod:`accelsmith.core.families.pim`) is what the
  generator implements and stays as it is, and the workload energy of row activations, column
  accesses and refresh stays the DRAM IDD model of :mod:`accelsmith.models.pim_cost`
  (DRAMsim3's equations with the preset's currents) -- a sky130 SRAM macro is not a DRAM bank,
  so those energies describe the DRAM device the protocol stands for, and the cost output
  says so (``dram_figures`` column). External I/O stays CENT's 5.5 pJ/bit.

Clock: ``fmax_mhz`` is the slower of the lane path (the ``pimmac`` component's period plus
the column select in front of it and the fan-out of the column address over every bank's
operand selects; int8: the one-bank channel in context, ``pimchan_int8_p<bpr>``, plus the
same select levels and fan-out beyond its own) and the control path (``pimctl``'s period plus
the fan-out of the MAC strobe over the accumulators). Every figure is pre-layout, typical
corner, like the synthesis.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .calib import SRAM_ACCESS_J_PER_BIT, SRAM_LEAK_W_PER_BIT, SRAM_UM2_PER_BIT
from .rtl_inventory import bits_for

__all__ = [
    "ACC_BITS",
    "CHAN_BANKS",
    "CHAN_CONTEXTS",
    "mac_energy_j",
    "macro_power_w",
    "pim_inventory",
    "pim_logic",
    "pim_period_ns",
]

#: accumulator flip-flops per lane (int8, fp16) or per bank (bf16: one FP32 accumulator)
ACC_BITS = {"int8": 32, "fp16": 16, "bf16": 32}
ELEM = {"int8": 8, "fp16": 16, "bf16": 16}
BANK_COUNTERS = ("t_rcd", "t_ras", "t_rp", "t_rtp", "t_wr")


def _cnt(t: ArrayLike) -> np.ndarray:
    """Bits of a ``_down`` counter of ``t`` cycles (``Signal(range(max(t, 2)))``); at
    ``t = 1`` it is loaded with 0 and stays 0, a constant synthesis removes."""
    t = np.asarray(t, dtype=np.int64)
    return np.where(t <= 1, 0, bits_for(np.maximum(t, 2) - 1))


def _w(n: ArrayLike) -> np.ndarray:
    """``hdl.pim_bank._w``: address bits for ``n`` items (at least 1)."""
    return bits_for(np.maximum(np.asarray(n, dtype=np.int64) - 1, 0))


def pim_inventory(
    precision: ArrayLike,
    lanes: ArrayLike,
    banks: ArrayLike,
    rows: ArrayLike,
    row_bytes: ArrayLike,
    T: dict[str, ArrayLike],
) -> dict[str, np.ndarray]:
    """Flip-flops and datapath shapes of :class:`accelsmith.hdl.pim.PimChannel`.

    Counted line by line from ``hdl/pim.py`` and ``hdl/pim_bank.py``; ``T`` holds the timing
    fields (``t_rcd`` ... ``t_cl``, cycles). Returns int arrays: ``flops`` (all),
    ``ctl_flops`` (engine registers, channel timing counters, refusal counter, the read
    pipeline's flag delay lines), ``gb_flops`` (global input buffer), ``rdd_flops`` (the read
    data delay line), ``bank_ctl_flops`` (per bank: its five timing counters, ``is_open``,
    the open row), ``rowbuf_flops`` (per bank), ``acc_flops`` (per bank), and the shapes
    ``burst_bits``, ``bpr`` (bursts per row), ``rd_bits`` (read pipeline width),
    ``mem_depth`` / ``mem_width`` (each bank's macro).
    """
    prec = np.asarray(precision)
    L = np.asarray(lanes, dtype=np.int64)
    nb = np.asarray(banks, dtype=np.int64)
    r = np.asarray(rows, dtype=np.int64)
    row_bits = np.asarray(row_bytes, dtype=np.int64) * 8
    t = {k: np.asarray(v, dtype=np.int64) for k, v in T.items()}
    eb = np.select([prec == "int8"], [8], 16)
    burst = L * eb
    bpr = row_bits // burst
    result = np.where(prec == "bf16", 16, L * np.select([prec == "int8"], [32], 16))
    rd_bits = np.maximum(burst, nb * result)
    # _engine_state: phase, job (groups, segs, last bursts), position (seg, grp, row base, k,
    # bursts of the segment), refresh interval counter
    engine = (
        3
        + 4 * bits_for(r)  # j_groups, j_segs, seg, grp
        + 2 * bits_for(bpr)  # j_last, n_bursts
        # row_base: Signal(bits_for(2 rows)), but only its low _w(rows) bits reach the row
        # address (row = row_base + seg, truncated) and the carries run upwards: synthesis
        # removes the rest
        + _w(r)
        + bits_for(np.maximum(np.maximum(nb, bpr), 2) - 1)  # k
        + bits_for(t["t_refi"])  # refi: range(t_refi + 1)
    )
    # _rules: tCCD, tRRD, tRFC counters, four tFAW counters and their pointer, refusals
    rules = _cnt(t["t_ccd"]) + _cnt(t["t_rrd"]) + _cnt(t["t_rfc"]) + 4 * _cnt(t["t_faw"]) + 2 + 16
    flags = 3 * t["t_cl"]  # rdv, rdm, rdl delay lines
    ctl = engine + rules + flags
    gb = bpr * burst
    rdd = rd_bits * t["t_cl"]
    bank_ctl = sum(_cnt(t[k]) for k in BANK_COUNTERS) + 1 + _w(r)
    rowbuf = row_bits
    acc = np.where(prec == "bf16", 32, L * np.select([prec == "int8"], [32], 16))
    flops = ctl + gb + rdd + nb * (bank_ctl + rowbuf + acc)
    return {
        "flops": flops,
        "ctl_flops": ctl,
        "gb_flops": gb,
        "rdd_flops": rdd,
        "bank_ctl_flops": bank_ctl,
        "rowbuf_flops": rowbuf,
        "acc_flops": acc,
        "burst_bits": burst,
        "bpr": bpr,
        "rd_bits": rd_bits,
        "mem_depth": np.maximum(r, 2),
        "mem_width": row_bits,
    }


# ---------------------------------------------------------------------- macros (SRAM table)
# The OpenRAM sky130 macro figures of models/calib.py (sources there), the same ones that cost
# the black-box macros in `accelsmith synth`; the flow powers every macro port with one access
# per cycle.
MACRO_PORTS = 2  # each bank's memory: one read port (ACT) and one write port (PRE)


def _samples(kind: str) -> list[dict]:
    from ..core.errors import ConfigError
    from .calib import load

    rows = load()["pim_samples"].get(kind)
    if not rows:
        raise ConfigError(
            f"node_nm 130 needs the PIM component {kind!r} in models/calib_sky130.json; "
            "run `accelsmith calibrate`"
        )
    return rows


def _harness_flops(kind: str, row: dict) -> float:
    """Flip-flops of a sample's harness. ``pimctl``: all its flip-flops minus the channel's
    own at the reference shape (:func:`pim_inventory`, exact on synthesized channels), not the
    wrapper's nominal count: the bank stand-ins of several banks see the same strobes and
    synthesis merges their input registers, and constant outputs lose theirs."""
    if kind != "pimctl":
        return float(row.get("wrapper_flops") or 0)
    ref = _reference_inventory(np.asarray(row["width"]))
    return float(row["flops"] - (ref["ctl_flops"] + ref["gb_flops"] + ref["rdd_flops"]))


def _logic_of(kind: str, row: dict) -> float:
    """A component sample's logic: combinational + buffer area minus the reset gates of its
    harness flip-flops (as :func:`accelsmith.models.calib.logic_um2`)."""
    from .calib import reset_gate_um2

    return row["op_area_um2"] - _harness_flops(kind, row) * reset_gate_um2()


def _line(kind: str, key: str, x: ArrayLike) -> np.ndarray:
    """Least-squares line through the samples of ``kind`` (``width`` -> ``key``), at ``x``:
    the lanes' logic grows by one lane's multiplier, adder and accumulator per lane (the bf16
    tree by one FP32 adder), the control's by one bank's decode, busy and read-select bits."""
    rows = _samples(kind)
    w = np.array([r["width"] for r in rows], dtype=np.float64)
    y = np.array([_logic_of(kind, r) if key == "logic_um2" else r[key] for r in rows])
    slope, icpt = np.polyfit(w, y, 1)
    return icpt + slope * np.asarray(x, dtype=np.float64)


def _levels(n: ArrayLike) -> np.ndarray:
    """``ceil(log2 n)``: adder-tree levels over ``n`` lanes (the bf16 datapath) and the depth
    of an ``n``-way select."""
    return np.ceil(np.log2(np.maximum(np.asarray(n, dtype=np.float64), 1.0)))


def _by_levels(kind: str, n: ArrayLike) -> np.ndarray:
    """A component's period at ``n`` (lanes or banks): linear in ``ceil(log2 n)`` between the
    samples, continued with the last two samples' slope beyond them."""
    rows = _samples(kind)
    x = _levels([r["width"] for r in rows])
    y = np.array([r["period_ns"] for r in rows], dtype=np.float64)
    xl = _levels(n)
    out = np.interp(xl, x, y)
    if len(x) > 1:
        hi = y[-1] + (y[-1] - y[-2]) / (x[-1] - x[-2]) * (xl - x[-1])
        out = np.where(xl > x[-1], hi, out)
    return out


def _per_precision(precision: ArrayLike, fn, *args: ArrayLike) -> np.ndarray:
    prec = np.asarray(precision)
    out = np.zeros(np.broadcast(prec, *(np.asarray(a) for a in args)).shape)
    for p in ("int8", "fp16", "bf16"):
        if np.any(prec == p):  # only the precisions asked for (each is its own component)
            out = np.where(prec == p, fn(f"pimmac_{p}", *args), out)
    return out


#: the ``pimctl`` calibration component's shape (accelsmith.synth.components_pim): one int8
#: lane, one burst per row, four rows, hbm2 counters, read latency 2 cycles
CTL_REFERENCE = {
    "precision": "int8",
    "lanes": 1,
    "row_bytes": 1,
    "rows": 4,
    "timing": "hbm2",
    "t_cl": 2,
}


#: further contexts of the int8 channel-context samples (``pimchan_int8_p<bpr>_<context>``: the
#: same one-bank channel, :data:`CTL_REFERENCE` with these rows, timing preset and read
#: latency). ABC maps the same int8 MAC lane 6.1-7.7 ns inside channels that differ only in
#: these fields (2026-12-07, one-bank 3-lane channels: 6.52 ns at the reference, 6.99-7.69 ns at
#: five others), so one context cannot tell how the lane path follows the lanes (at the
#: reference 6.52 / 6.91 / 6.96 ns at 1 / 2 / 4 lanes: "mean" won); the fit pools every
#: context (:func:`chan_path_fit`). Rows 4 and 8 are never drawn by the held-out bench
#: (``bench/bench_silicon.py``: 2, 3, 5, 6, 7), so no context is a held-out channel.
CHAN_CONTEXTS: dict[str, dict[str, object]] = {
    "r8gd4": {"rows": 8, "timing": "gddr6", "t_cl": 4},
    "r8hb4": {"rows": 8, "timing": "hbm2", "t_cl": 4},
    "r4gd6": {"rows": 4, "timing": "gddr6", "t_cl": 6},
}


#: banks of the multi-bank channel-context samples (``pimchan_int8_p<bpr>_b3[_<context>]``, one
#: lane): the lane path's step from one bank to several, in context (:func:`bank_step_ns`)
CHAN_BANKS = 3


def _reference_inventory(banks: np.ndarray) -> dict[str, np.ndarray]:
    from ..core.families.pim import PRESETS, TIMING_FIELDS

    ref = CTL_REFERENCE
    T = {f: PRESETS[ref["timing"]][f] for f in TIMING_FIELDS} | {"t_cl": ref["t_cl"]}
    return pim_inventory(ref["precision"], ref["lanes"], banks, ref["rows"], ref["row_bytes"], T)


def _counter_fit() -> tuple[float, float]:
    """``(intercept, slope)`` of a timing-rule counter's logic (um^2) against its bits, a
    least-squares line through the ``pimcnt`` samples (the generator's ``_down`` counter with
    its busy flag, harness reset gates removed)."""
    rows = _samples("pimcnt")
    bits = np.array([_cnt(r["width"]) for r in rows], dtype=np.float64)
    y = np.array([_logic_of("pimcnt", r) for r in rows])
    slope, icpt = np.polyfit(bits, y, 1)
    return float(icpt), float(slope)


def counter_logic_um2(t: ArrayLike) -> np.ndarray:
    """Logic (um^2) of a ``t``-cycle timing counter and its busy flag (0 at ``t = 1``: a
    constant)."""
    icpt, slope = _counter_fit()
    bits = _cnt(t)
    return np.where(bits > 0, icpt + slope * bits, 0.0)


def _unit_costs() -> dict[str, float]:
    """Per-bit logic (um^2) of the generic components: the reset gate every ``sync``
    flip-flop gets (``reg``), one 2:1 multiplexer bit (``mux``), and one control bit (a
    counter bit: the slope of ``pimcnt``)."""
    from .calib import logic_um2, reset_gate_um2

    gate = reset_gate_um2()
    mux = float(logic_um2("mux", 16)) / 16
    return {"gate": gate, "mux": mux, "counter": _counter_fit()[1]}


def _channel_generic(inv: dict[str, np.ndarray], banks: ArrayLike, u: dict) -> np.ndarray:
    """Channel logic outside the engine and checker, from generic components: the global
    buffer (one enable per flip-flop, ``fan``), its burst select (``bpr - 1`` multiplexer bits
    per burst bit), the read data delay line (a reset gate per flip-flop), the read select
    (RD: bank select of a burst; RD vs RD_MAC: one multiplexer bit per read bit)."""
    from .calib import enable_um2_per_flop

    nb = np.asarray(banks, dtype=np.float64)
    gb = inv["gb_flops"] * enable_um2_per_flop(inv["gb_flops"])
    sel = (inv["bpr"] - 1) * inv["burst_bits"] * u["mux"]
    rd = inv["rdd_flops"] * u["gate"] + (inv["rd_bits"] + (nb - 1) * inv["burst_bits"]) * u["mux"]
    return gb + sel + rd


def pim_logic(
    inv: dict[str, np.ndarray],
    precision: ArrayLike,
    lanes: ArrayLike,
    banks: ArrayLike,
    T: dict[str, ArrayLike],
) -> dict[str, np.ndarray]:
    """Area (um^2) of a PIM channel as ``accelsmith synth`` builds it, by part (``inv``: its
    :func:`pim_inventory`; ``T``: the timing fields).

    ``flops`` from :func:`pim_inventory` at one sky130 flip-flop each (``reg``). Logic:
    ``banks x`` (the ``pimmac_<precision>`` component at ``lanes``; the row buffer: an
    enable and a load multiplexer bit per flip-flop; the burst select ``(bpr - 1) x
    burst`` multiplexer bits; the five timing counters as ``pimcnt`` components,
    ``is_open`` and the open row as enabled flip-flops) + the channel control: the ``pimctl``
    component at ``banks``, moved from its reference shape to this one by the generic parts
    of :func:`_channel_generic` and one ``pimcnt`` counter bit per control flip-flop more or
    less. Macros: ``banks x max(rows, 2) x row_bytes * 8`` bits at the OpenRAM figure.
    """
    from .calib import enable_um2_per_flop, flop_area_um2

    ref = _reference_inventory(np.asarray(banks))
    u = _unit_costs()
    nb = np.asarray(banks, dtype=np.float64)
    ff = flop_area_um2()
    # the component's two operand selects (2 x burst multiplexer bits) are costed apart:
    # the row-buffer select per bank below, the global buffer's once in the channel
    lanes_logic = _per_precision(precision, lambda k, x: _line(k, "logic_um2", x), lanes)
    lanes_logic = lanes_logic - 2 * inv["burst_bits"] * u["mux"]
    rowbuf = inv["rowbuf_flops"] * (enable_um2_per_flop(inv["rowbuf_flops"]) + u["mux"])
    rowbuf = rowbuf + (inv["bpr"] - 1) * inv["burst_bits"] * u["mux"]
    # the bank's five timing counters (pimcnt), is_open and the open row (enabled flops)
    rules = sum(counter_logic_um2(T[k]) for k in BANK_COUNTERS)
    state = inv["bank_ctl_flops"] - sum(_cnt(T[k]) for k in BANK_COUNTERS)
    bank_ctl = rules + state * enable_um2_per_flop(state)
    ctl = (
        _line("pimctl", "logic_um2", nb)
        - _channel_generic(ref, nb, u)
        + _channel_generic(inv, nb, u)
        + (inv["ctl_flops"] - ref["ctl_flops"]) * u["counter"]
    )
    bank_flops = inv["bank_ctl_flops"] + inv["rowbuf_flops"] + inv["acc_flops"]
    chan_flops = inv["ctl_flops"] + inv["gb_flops"] + inv["rdd_flops"]
    parts = {
        "area_lanes_um2": nb * (lanes_logic + inv["acc_flops"] * ff),
        "area_rowbuf_um2": nb * (rowbuf + inv["rowbuf_flops"] * ff),
        "area_bank_ctl_um2": nb * (bank_ctl + inv["bank_ctl_flops"] * ff),
        "area_channel_um2": ctl + chan_flops * ff,
    }
    logic = nb * (lanes_logic + rowbuf + bank_ctl) + ctl
    bits = nb * inv["mem_depth"] * inv["mem_width"]
    return {
        **parts,
        "area_logic_um2": sum(parts.values()),
        "area_memory_um2": bits * SRAM_UM2_PER_BIT,
        "flops": inv["flops"],
        "comb_um2": logic,
        "macro_bits": bits,
        "macro_port_bits": nb * MACRO_PORTS * inv["mem_width"],
        "bank_flops": bank_flops,
        "burst_bits": inv["burst_bits"],
        "bpr": inv["bpr"],
        "acc_flops": inv["acc_flops"],
    }


def pim_period_ns(
    inv: dict[str, np.ndarray], precision: ArrayLike, lanes: ArrayLike, banks: ArrayLike
) -> np.ndarray:
    """Clock period (ns, pre-layout, typical) of a PIM channel (``inv``: its
    :func:`pim_inventory`): the slower of

    - the lane path: column register -> the operand selects -> multiply -> accumulate. The
      ``pimmac_<precision>`` component is that path with two bursts per row and the column
      driving its own two selects (``2 x burst`` select inputs); in the channel the column
      drives the selects of every bank and of the global buffer (``(banks + 1) x burst``:
      the difference costed by the ``fan`` component) through ``ceil(log2 bpr)`` multiplexer
      levels instead of one (``mux``), and it is not a register but the presented column:
      the engine's or the host's, chosen by a decode of the engine's phase (the ``pimcol``
      component, at ``banks``). The int8 / fp16 path against the lanes is the form the
      samples' cross-validation picks (:func:`lane_path_fit`); the bf16 path crosses
      ``ceil(log2 lanes)`` FP32 adder levels (the samples at 1 and 2 lanes, linear in the
      levels). With one burst per row the column selects nothing (no column path);
    - int8, with the channel-context samples (``pimchan_int8_p1`` / ``_p2``: the whole
      channel at one bank, one or two bursts per row, 1-4 lanes, in the reference and the
      :data:`CHAN_CONTEXTS` contexts): the lane path is the
      context's period at ``lanes`` (the form leave-one-out over those samples picks,
      :func:`chan_path_fit`), with more than one burst per row plus the select levels
      beyond its one (``mux``) and the column's fan-out over ``banks + 1`` operand selects
      against its two (``fan``), and the global buffer's fan-out over the banks' MACs at
      its size in context (:func:`bank_step_ns`). ABC maps the int8 MAC slower in a channel
      than alone
      (module :mod:`accelsmith.synth.components_pim`), as it does a systolic PE;
    - the control path: ``pimctl``'s period at ``banks`` (command -> rule check -> strobe)
      plus the strobe's fan-out (``fan`` minus a bare register hop) over one bank's
      accumulator and row-buffer enables, or the RD_MAC clear over every bank's accumulators.
    """
    from .calib import fanout_period_ns, op_period_ns, pipe_period_ns

    prec = np.asarray(precision)
    nb = np.asarray(banks, dtype=np.float64)
    burst = inv["burst_bits"].astype(np.float64)
    pipe = pipe_period_ns()
    mux_level = float(op_period_ns("mux", 4)) - pipe
    # bf16: the sample at these adder levels (2^levels lanes) without its own column fan-out
    # (2 x its burst); int8, fp16: the mean over the samples of the same, fan-out-free path
    n_bf = 2 ** _levels(lanes)
    mac = _per_precision(precision, _lane_path, np.where(prec == "bf16", n_bf, lanes))
    # the presented column (engine counter or host command, hdl/pim.py _present) as the
    # ``pimcol`` component measures it, where the lane component has a register
    present = _by_levels("pimcol", nb) - pipe
    lane = (
        mac
        + fanout_period_ns((nb + 1) * burst)
        # select levels beyond the component's one, and the presented column in front
        + np.where(inv["bpr"] > 1, (_levels(inv["bpr"]) - 1) * mux_level + present, 0.0)
    )
    if _has_chan_context():  # int8: the lane path in the one-bank channel (chan_path_fit)
        bpr = inv["bpr"]
        in_chan = np.where(
            bpr > 1,
            _chan_path("pimchan_int8_p2", lanes)
            + (_levels(bpr) - 1) * mux_level
            + fanout_period_ns((nb + 1) * burst)
            - fanout_period_ns(2 * burst),
            _chan_path("pimchan_int8_p1", lanes),
        )
        lane = np.where(prec == "int8", in_chan + bank_step_ns(nb, bpr), lane)
    strobe = np.maximum(inv["acc_flops"] + inv["rowbuf_flops"], nb * inv["acc_flops"])
    ctl = _by_levels("pimctl", nb) + np.maximum(fanout_period_ns(strobe) - pipe, 0.0)
    return np.maximum(lane, ctl)


#: loads of one global-buffer bit on a bank's int8 MAC: one partial-product gate per bit of
#: the other operand (8)
GB_LOADS_PER_BANK = 8


def gb_fanout_ns(banks: ArrayLike) -> np.ndarray:
    """The global buffer's burst fans out to every bank's MAC lanes (one operand of each
    multiplier), the context channel's to one bank's: ``fan`` at ``banks x``
    :data:`GB_LOADS_PER_BANK` loads against :data:`GB_LOADS_PER_BANK`. Applied to the int8
    channel-context lane path; the choice of this term over none was made on a development
    set of int8 channels, never the held-out rows (``bench/bench_pim_dev.py``)."""
    from .calib import fanout_period_ns

    nb = np.asarray(banks, dtype=np.float64)
    return fanout_period_ns(nb * GB_LOADS_PER_BANK) - fanout_period_ns(GB_LOADS_PER_BANK)


def _bank_step(kind: str) -> float | None:
    """The lane path's step (ns) from the one-bank channel in context ``kind``
    (``pimchan_int8_p<bpr>``) to :data:`CHAN_BANKS` banks at one lane: each context's
    ``_b3`` sample minus its one-bank one-lane sample, the mean over the contexts that have
    both (at least 0: more banks never speed a lane); ``None`` without such samples."""
    from .calib import load

    table = load()["pim_samples"]
    steps = []
    for c in ("", *CHAN_CONTEXTS):
        sfx = f"_{c}" if c else ""
        many = table.get(f"{kind}_b{CHAN_BANKS}{sfx}", [])
        one = [r for r in table.get(f"{kind}{sfx}", []) if r["width"] == 1]
        if many and one:
            steps.append(many[0]["period_ns"] - one[0]["period_ns"])
    return max(float(np.mean(steps)), 0.0) if steps else None


def bank_step_ns(banks: ArrayLike, bpr: ArrayLike) -> np.ndarray:
    """The int8 lane path's step from the one-bank channel in context to ``banks`` banks:
    the global buffer's fan-out over the banks' MACs (:func:`gb_fanout_ns`: its growth with
    the banks), at the size the channel in context shows at :data:`CHAN_BANKS` banks
    (:func:`_bank_step`, one burst per row from ``pimchan_int8_p1``, more from ``_p2``).
    Measured 2026-12-07: one burst per row +0.58 / +1.05 ns at 3 banks (reference, r8gd4)
    where the bare fan-out gives +0.24 (held-out 3-bank 1-burst channels ran 7.6 ns against
    6.6 modelled), two bursts +0.0 / +0.58. Without the samples: :func:`gb_fanout_ns`."""
    gb = gb_fanout_ns(banks)
    ref = float(gb_fanout_ns(CHAN_BANKS))
    bpr = np.asarray(bpr)
    out = gb
    for kind, sel in (("pimchan_int8_p1", bpr <= 1), ("pimchan_int8_p2", bpr > 1)):
        step = _bank_step(kind)
        if step is not None:
            out = np.where(sel, gb * (step / ref), out)
    return out


def _has_chan_context() -> bool:
    from .calib import load

    return all(k in load()["pim_samples"] for k in ("pimchan_int8_p1", "pimchan_int8_p2"))


def _chan_samples(kind: str) -> list[dict]:
    """The samples of ``kind`` (``pimchan_int8_p<bpr>``, the reference context) and of the
    same channel in every :data:`CHAN_CONTEXTS` context the data file holds."""
    from .calib import load

    table = load()["pim_samples"]
    return _samples(kind) + [r for c in CHAN_CONTEXTS for r in table.get(f"{kind}_{c}", [])]


def chan_path_fit(kind: str) -> tuple[str, dict[str, float], np.ndarray]:
    """How the one-bank int8 channel's period (``pimchan_int8_p<bpr>`` samples at 1-4 lanes,
    pooled over the reference and the :data:`CHAN_CONTEXTS` contexts) follows the lanes,
    chosen among :data:`LANE_FORMS` by leave-one-out over those samples as
    :func:`lane_path_fit` (the mean on a tie). Returns the form, every form's leave-one-out
    error (ns) and the chosen form's coefficients over all samples."""
    rows = _chan_samples(kind)
    w = np.array([r["width"] for r in rows], dtype=np.float64)
    y = np.array([r["period_ns"] for r in rows], dtype=np.float64)
    return _loo_lane_form(w, y)


def _chan_path(kind: str, lanes: ArrayLike) -> np.ndarray:
    """The context's lane path at ``lanes``: :func:`chan_path_fit` within the sampled lanes;
    beyond the widest sample it is not extrapolated (a line in the lanes, chosen over 1-4
    lanes, would reach 25 ns at 64) but continued by the ``pimmac_int8`` lanes' own growth
    (:func:`_lane_path`, a line in log2(lanes) with the 2026-12-07 samples)."""
    form, _, coef = chan_path_fit(kind)
    top = float(max(r["width"] for r in _chan_samples(kind)))
    n = np.asarray(lanes, dtype=np.float64)
    inside = _lane_x(form, np.minimum(n, top)) @ coef
    beyond = _lane_path("pimmac_int8", np.maximum(n, top)) - _lane_path("pimmac_int8", top)
    return inside + beyond


#: forms of an int8 / fp16 lane path against the lane count, in order of simplicity: the
#: samples' mean (lanes independent), a line in the lanes, a line in log2(lanes)
LANE_FORMS = ("mean", "lanes", "log2_lanes")


def _lane_x(form: str, lanes: ArrayLike) -> np.ndarray:
    n = np.maximum(np.asarray(lanes, dtype=np.float64), 1.0)
    one = np.ones_like(n)
    cols = {"mean": [one], "lanes": [one, n], "log2_lanes": [one, np.log2(n)]}[form]
    return np.stack(cols, axis=-1)


def lane_path_fit(kind: str) -> tuple[str, dict[str, float], np.ndarray]:
    """How a ``pimmac_int8`` / ``pimmac_fp16`` lane path (the sample's period minus its own
    column fan-out) follows the lane count, chosen among :data:`LANE_FORMS` by leave-one-out
    cross-validation over the calibration samples alone (each sample predicted by the form
    fitted to the others; the lowest mean absolute error wins, the simpler form on a tie).
    Returns the form, every form's leave-one-out error (ns) and the chosen form's
    coefficients fitted to all samples."""
    from .calib import fanout_period_ns

    elem = ELEM[kind.removeprefix("pimmac_")]
    rows = _samples(kind)
    w = np.array([r["width"] for r in rows], dtype=np.float64)
    y = np.array([r["period_ns"] for r in rows]) - fanout_period_ns(2 * elem * w)
    return _loo_lane_form(w, y)


def _loo_lane_form(w: np.ndarray, y: np.ndarray) -> tuple[str, dict[str, float], np.ndarray]:
    """The :data:`LANE_FORMS` form with the lowest leave-one-out mean absolute error (ns)
    over the samples ``y`` at lanes ``w`` (the simpler form on a tie), every form's error and
    the chosen form's coefficients over all samples."""
    loo: dict[str, float] = {}
    for form in LANE_FORMS:
        errs = []
        for i in range(len(w)):
            keep = np.arange(len(w)) != i
            coef = np.linalg.lstsq(_lane_x(form, w[keep]), y[keep], rcond=None)[0]
            errs.append(abs(float(_lane_x(form, w[i]) @ coef) - y[i]))
        loo[form] = float(np.mean(errs))
    best = min(LANE_FORMS, key=lambda f: (round(loo[f], 9), LANE_FORMS.index(f)))
    return best, loo, np.linalg.lstsq(_lane_x(best, w), y, rcond=None)[0]


def _lane_path(kind: str, lanes: ArrayLike) -> np.ndarray:
    """A ``pimmac`` component's register-to-register period minus its own column fan-out
    (``fan`` at ``2 x burst`` loads): the select -> multiply -> accumulate path alone. bf16
    at ``lanes`` adder-tree lanes (interpolated in adder levels, :func:`_by_levels`); int8,
    fp16 at ``lanes`` lanes by the form the samples' cross-validation chooses
    (:func:`lane_path_fit`: with the 2026-12-07 samples, int8 a line in log2(lanes), 5.60 /
    5.82 / 6.04 ns at 1 / 2 / 4 lanes, where more lanes are more parallel paths for ABC's
    area recovery to slow; fp16 the mean)."""
    from .calib import fanout_period_ns

    if kind != "pimmac_bf16":
        form, _, coef = lane_path_fit(kind)
        return _lane_x(form, lanes) @ coef
    elem = ELEM["bf16"]
    return _by_levels(kind, lanes) - fanout_period_ns(2 * elem * np.asarray(lanes))


def macro_power_w(port_bits: ArrayLike, bits: ArrayLike, freq_mhz: ArrayLike) -> np.ndarray:
    """The macros' power as the flow adds it: one access per port per cycle + leakage."""
    f_hz = np.asarray(freq_mhz, dtype=np.float64) * 1e6
    return np.asarray(port_bits) * SRAM_ACCESS_J_PER_BIT * f_hz + np.asarray(bits) * (
        SRAM_LEAK_W_PER_BIT
    )


def mac_energy_j(precision: ArrayLike, lanes: ArrayLike) -> np.ndarray:
    """Energy (J) of one MAC command on one bank: the ``pimmac`` component's combinational
    energy per cycle at the calibration's activity, without its harness's share."""
    return _per_precision(precision, _mac_energy, lanes)


def _mac_energy(kind: str, lanes: ArrayLike) -> np.ndarray:
    rows = _samples(kind)
    share = np.mean([_logic_of(kind, r) / r["op_area_um2"] for r in rows])
    return _line(kind, "energy_j", lanes) * share
