"""Cost model of the ``accel`` family: the whole top (array, scratchpads, accumulator, output
stage, DMA, control) running the schedule of :mod:`accelsmith.runtime` (the same mapper the
compiler uses; cycles from its closed form, :func:`accelsmith.runtime.closed_form.schedule`).

Everything is computed on arrays of (configuration, layer) points at once (no Python loop
over configurations or layers): at least 10^5 points per second per core
(``bench/bench_accel_cost.py``).

Per layer (one configuration, one :class:`~accelsmith.runtime.shapes.ConvShape`):

cycles
    the closed-form command-level cycles of the mapper's choice
    (:func:`~accelsmith.runtime.closed_form.schedule`) with the configuration's
    ``dram_latency`` (DRAM stalls are part of it: loads wait for bursts) and ``dram_stall``
    (random AXI back-pressure: expected extra waits per handshake,
    :func:`accelsmith.runtime.timing.wait`). The reference is the full command-level
    simulation (:func:`accelsmith.runtime.timing.chunk_cycles`), which the RTL matches
    exactly; the accuracy is stated in :mod:`accelsmith.runtime.closed_form`.
energy
    the hardware events of the mapper's command stream (the counts of
    :mod:`accelsmith.runtime.events`, which the RTL's performance counters equal; from
    :func:`~accelsmith.runtime.closed_form.schedule` with ``events=True``) x the per-event
    energies of :func:`event_energy_arrays`, the same sum :mod:`accelsmith.sim.accel_energy`
    makes of measured counters: array MAC slots (``rows x cols x k`` per compute command,
    edge tiles included); scratchpad reads of every compute (``ws``: whole weight blocks),
    accumulator read-modify-writes, accumulator reads of the stores, scratchpad writes per
    target memory (one per beat, one per element for the transposed ``os`` A loads);
    output-stage lanes (every lane of a stored row); DRAM *beats* x bus width x
    :attr:`Tech.dram_energy_j_per_bit` (whole bus words; ``dram_bytes`` stays the useful
    bytes the mapper ranks by); leakage of the whole area over the layer's time. Compute and
    accumulator counts are exact; beat counts are the closed form's mean beats per row
    (bound in ``tests/models/test_accel_energy_events.py``). With ``out_scale`` ``channel``
    the per-channel scale loads are costed too (their beats, scale-memory writes and cycles:
    :func:`accelsmith.runtime.closed_form._scale_loads`); ``tensor`` has none.
area
    PEs (multiplier, adder, operand/partial-sum registers: 2 in_bits + acc_bits bits, plus
    2 in_bits for ``ws``: its second weight register and the current-weight register the
    multiplier reads, :class:`accelsmith.hdl.systolic_pe.WsPE`), SRAMs (:meth:`Tech.sram_area_um2`:
    both banks of A, B and the accumulator, the scale memory, the command queue), the output
    stage (``cols`` multipliers ``acc_bits x 16`` costed as a square multiplier of the
    geometric-mean width, plus adders) and DMA/control registers: 900 bits + 3 bus widths
    (bit count read off :mod:`accelsmith.hdl.accel.dma` and ``top``: walkers, counters,
    command and configuration registers, the read shifter and write alignment of one bus word
    each), all from :class:`~accelsmith.models.tech.Tech`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import ConfigError
from ..core.families.accel import AccelParams
from ..core.spec import column_spec
from .common import assemble, config_arrays

__all__ = [
    "ACCEL_COLUMNS",
    "area_arrays",
    "area_parts",
    "evaluate_accel",
    "event_energies",
    "event_energy_arrays",
    "layer_cost",
    "layer_costs",
]

ACCEL_COLUMNS = column_spec(AccelParams)
CONTROL_BITS = 900  # DMA walkers/counters, command/config registers (see the docstring)


def _shapes(workload: Any) -> list[tuple[str, Any, int]]:
    """``(name, ConvShape, count)`` per workload layer (GEMM lowering when a conv layer has
    features the compiler does not run: dilation, batch > 1, ceil mode, unequal strides)."""
    from ..runtime.shapes import ConvShape, shape_of

    out = []
    gem = workload.to_gemms()
    for i, layer in enumerate(workload.layers):
        try:
            out.append((layer.name, shape_of(layer), int(layer.count)))
        except ConfigError:
            M, N, K, c = (int(gem[k][i]) for k in ("M", "N", "K", "count"))
            out.append((layer.name, ConvShape.gemm(layer.name, M, K, N), c))
    return out


def _entries(kib: np.ndarray, lanes: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Entries per bank (:func:`accelsmith.core.families.accel._entries`, elementwise)."""
    return (kib * 1024 * 8) // (lanes * bits) // 2


def _check(cfg: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The checks of :class:`AccelParams` the column bounds do not make (choices of integer
    fields, the accumulator width, memory geometry), on whole columns; the first failing
    row is refused with :class:`AccelParams`' own message. Returns the derived arrays."""
    from ..core.families import accel as fam

    R, C, ib = cfg["rows"], cfg["cols"], cfg["in_bits"]
    acc = np.where(cfg["acc_bits"] == 0, np.where(ib == 8, 32, 48), cfg["acc_bits"])
    a_e = _entries(cfg["a_kib"], R, ib)
    b_e = _entries(cfg["b_kib"], C, ib)
    acc_e = _entries(cfg["acc_kib"], C, acc)
    bad = ~np.isin(ib, fam.IN_BITS) | ~np.isin(cfg["bus_bits"], fam.BUS_BITS)
    bad |= (cfg["acc_bits"] != 0) & (cfg["acc_bits"] < 16)
    for e in (a_e, b_e, acc_e):
        bad |= (e < R) | (e > fam.MAX_ENTRIES)
    if bad.any():
        i = int(np.argmax(bad))
        values = {f: cfg[f][i].item() if hasattr(cfg[f][i], "item") else cfg[f][i] for f in cfg}
        if not values.get("acc_bits"):
            values.pop("acc_bits", None)  # 0: the default width
        fields = set(AccelParams.field_names())
        try:
            AccelParams.from_dict({k: v for k, v in values.items() if k in fields})
        except ConfigError as exc:
            raise ConfigError(f"configs row {i}: {exc}") from None
    return {"acc_bits": acc, "a_entries": a_e, "b_entries": b_e, "acc_entries": acc_e}


def area_arrays(cfg: dict[str, np.ndarray], tech: Any) -> dict[str, np.ndarray]:
    """Area (um^2) of the parts of every configuration (columns with the derived arrays of
    :func:`_check`)."""
    R, C, ib, acc = cfg["rows"], cfg["cols"], cfg["in_bits"], cfg["acc_bits"]
    ws = cfg["dataflow"] == "ws"
    pe_regs = 2 * ib + acc + np.where(ws, 2 * ib, 0)  # ws: w1 and wcur (WsPE)
    pe = tech.int_mul_area_um2(ib) + tech.int_add_area_um2(acc) + tech.reg_area_um2(pe_regs)
    eb = ib // 8
    sram_bytes = (
        2 * cfg["a_entries"] * R * eb,
        2 * cfg["b_entries"] * C * eb,
        2 * cfg["acc_entries"] * C * acc / 8,
        cfg["scale_entries"] * C * 2 + cfg["queue_depth"] * 16,
    )
    out_w = np.sqrt(acc * 16.0)
    return {
        "area_array_um2": R * C * pe,
        "area_sram_um2": sum(tech.sram_area_um2(b) for b in sram_bytes),
        "area_output_stage_um2": C
        * (tech.int_mul_area_um2(out_w) + 2 * tech.int_add_area_um2(acc)),
        "area_dma_control_um2": tech.reg_area_um2(CONTROL_BITS + 3 * cfg["bus_bits"]),
    }


def _params_arrays(p: AccelParams) -> dict[str, np.ndarray]:
    """One configuration as the one-element columns the array functions take."""
    assert p.acc_bits is not None
    out = {f: np.array([getattr(p, f)]) for f in AccelParams.field_names()}
    for f in ("a_entries", "b_entries", "acc_entries"):
        out[f] = np.array([getattr(p, f)])
    return out


def area_parts(p: AccelParams, tech: Any) -> dict[str, float]:
    """Area (um^2) of the parts of one configuration (:func:`area_arrays`)."""
    return {
        k: float(np.asarray(v).reshape(-1)[0])
        for k, v in area_arrays(_params_arrays(p), tech).items()
    }


def event_energy_arrays(cfg: dict[str, np.ndarray], tech: Any) -> dict[str, Any]:
    """Energy (J) of one event of each kind, as :func:`layer_costs` charges it, for every
    configuration (columns as in :func:`area_arrays`; also used to turn the RTL's
    performance-counter events into event-count energy, see :mod:`accelsmith.sim.accel_energy`).

    ``mac_slot``: one PE-cycle of a multiply-add (``in_bits`` multiply, ``acc_bits`` add,
    operand/partial-sum registers); ``a_read``/``b_read``: one scratchpad entry read;
    ``acc_rmw``: one accumulator row read and written (two accesses); ``acc_read``: one
    accumulator row read; ``a_write``/``b_write``/``s_write``: one scratchpad/scale-memory
    entry written; ``output``: one output-stage lane (``acc_bits x 16`` multiply, add);
    ``dram_bit``: one DRAM bit moved. All from :class:`~accelsmith.models.tech.Tech`.
    """
    R, C, ib, acc = cfg["rows"], cfg["cols"], cfg["in_bits"], cfg["acc_bits"]
    eb = ib // 8
    a_bytes, b_bytes = 2 * cfg["a_entries"] * R * eb, 2 * cfg["b_entries"] * C * eb
    acc_bytes = 2 * cfg["acc_entries"] * C * acc // 8
    s_bytes = cfg["scale_entries"] * C * 2
    acc_read = tech.sram_read_energy_j(acc_bytes, C * acc)
    return {
        "mac_slot": tech.int_mul_energy_j(ib)
        + tech.int_add_energy_j(acc)
        + tech.reg_energy_j(2 * ib + acc),
        "a_read": tech.sram_read_energy_j(a_bytes, R * ib),
        "b_read": tech.sram_read_energy_j(b_bytes, C * ib),
        "acc_rmw": 2 * acc_read,
        "acc_read": acc_read,
        "a_write": tech.sram_write_energy_j(a_bytes, R * ib),
        "b_write": tech.sram_write_energy_j(b_bytes, C * ib),
        "s_write": tech.sram_write_energy_j(s_bytes, C * 16),
        "output": tech.int_mul_energy_j(np.sqrt(acc * 16.0)) + tech.int_add_energy_j(acc),
        "dram_bit": tech.dram_energy_j_per_bit,
    }


def event_energy_parts(
    ev: dict[str, Any], e: dict[str, Any], rows: Any, cols: Any, bus_bits: Any
) -> dict[str, Any]:
    """Energy parts (J) of event counts ``ev`` (the names of :data:`runtime.events.EVENTS`)
    at per-event energies ``e`` (:func:`event_energy_arrays`) on an array of ``rows x cols``
    PEs behind a ``bus_bits`` AXI bus (numbers or arrays): the one sum that both the cost
    model and the RTL counters' measured energy (:mod:`accelsmith.sim.accel_energy`) use.
    Every compute step reads one B entry per array column, so ``b_reads x rows x cols`` are
    the PE multiply-add slots; the output stage computes every lane of a stored row; whole
    bus words move on DRAM, partial beats included.
    """
    sram = (
        ev["a_reads"] * e["a_read"]
        + ev["b_reads"] * e["b_read"]
        + ev["acc_rmw"] * e["acc_rmw"]
        + ev["acc_reads"] * e["acc_read"]
        + ev["a_writes"] * e["a_write"]
        + ev["b_writes"] * e["b_write"]
        + ev["s_writes"] * e["s_write"]
    )
    return {
        "array": ev["b_reads"] * rows * cols * e["mac_slot"],
        "sram": sram,
        "output_stage": ev["acc_reads"] * cols * e["output"],
        "dram": (ev["rd_beats"] + ev["wr_beats"]) * bus_bits * e["dram_bit"],
    }


def event_energies(p: AccelParams, tech: Any) -> dict[str, float]:
    """:func:`event_energy_arrays` of one configuration."""
    e = event_energy_arrays(_params_arrays(p), tech)
    return {k: float(np.asarray(v).reshape(-1)[0]) for k, v in e.items()}


def layer_costs(
    cfg: dict[str, np.ndarray], lay: dict[str, np.ndarray], tech: Any
) -> dict[str, np.ndarray]:
    """Cycles, DRAM bytes and energy parts (J) of one instance of each layer on each
    configuration: ``cfg`` arrays of shape ``(n, 1)``, ``lay`` of shape ``(1, L)``; results
    ``(n, L)``."""
    from ..runtime.closed_form import schedule

    n, L = cfg["rows"].shape[0], lay["h"].shape[1]
    per_channel = np.asarray(cfg.get("out_scale", "tensor")) == "channel"
    out = schedule(
        cfg,
        lay,
        np.round(cfg["dram_latency"].astype(np.float64)),
        cfg["dram_stall"],
        events=True,
        per_channel=per_channel,
    )
    out = {k: v.reshape(n, L) for k, v in out.items()}
    e = event_energy_arrays(cfg, tech)
    parts = event_energy_parts(out, e, cfg["rows"], cfg["cols"], cfg["bus_bits"])
    return {
        "cycles": out["cycles"],
        "dram_bytes": out["dram_bytes"].astype(np.float64),
        "dram_beats": out["rd_beats"] + out["wr_beats"],
        "mac_slots": (out["b_reads"] * cfg["rows"] * cfg["cols"]).astype(np.float64),
        "energy_array_j": parts["array"],
        "energy_sram_j": parts["sram"],
        "energy_output_stage_j": parts["output_stage"],
        "energy_dram_j": parts["dram"],
        # the mapper's choice, for the scalar wrapper
        "tk": out["tk"].astype(np.float64),
    }


def layer_cost(
    p: AccelParams,
    s: Any,
    latency: int,
    tech: Any,
    stall: float = 0.0,
    per_channel: bool = False,
) -> dict[str, float]:
    """:func:`layer_costs` of one instance of layer ``s`` on ``p`` (DRAM ``latency``,
    back-pressure ``stall``, per-tensor or ``per_channel`` output scales)."""
    from ..runtime.closed_form import LAYER_FIELDS

    cfg = {k: np.asarray(v)[:, None] for k, v in _params_arrays(p).items()}
    cfg["dram_latency"] = np.array([[latency]])
    cfg["dram_stall"] = np.array([[stall]])
    cfg["out_scale"] = np.array([["channel" if per_channel else "tensor"]])
    lay = {k: np.array([[getattr(s, k)]]) for k in LAYER_FIELDS}
    return {k: float(v[0, 0]) for k, v in layer_costs(cfg, lay, tech).items()}


def evaluate_accel(configs: Any, workload: Any, *, tech: Any, per_layer: bool, convention: str):
    """The ``accel`` family's cost function (see the module docstring)."""
    if convention != "rtl":
        raise ConfigError(f"convention must be 'rtl' for the accel family, not {convention!r}")
    df, cfg = config_arrays(configs, ACCEL_COLUMNS)
    n = len(df)
    derived = _check(cfg)
    c = {**cfg, **derived}
    shapes = _shapes(workload)
    lay = {
        k: np.array([[getattr(s, k) for _, s, _ in shapes]], dtype=np.int64)
        for k in ("h", "w", "c", "k_out", "r", "s", "stride", "pad", "groups")
    }
    counts = np.array([cnt for _, _, cnt in shapes], dtype=np.float64)
    col = {k: np.asarray(v)[:, None] for k, v in c.items()}
    costs = layer_costs(col, lay, tech)
    costs.pop("tk")
    per: dict[str, np.ndarray] = {k: v * counts for k, v in costs.items()}
    areas = area_arrays(c, tech)
    area = sum(areas.values())
    for k, v in areas.items():
        per[k] = np.asarray(v, dtype=np.float64)[:, None]
    per["area_um2"] = np.asarray(area, dtype=np.float64)[:, None]
    seconds = per["cycles"] / (cfg["freq_mhz"][:, None] * 1e6)
    per["energy_leak_j"] = tech.leakage_w(area)[:, None] * seconds
    parts = [k for k in per if k.startswith("energy_")]
    per["energy_j"] = sum(per[k] for k in parts)
    layers = workload.to_gemms()
    per["macs"] = np.broadcast_to(
        np.asarray(layers["M"], float) * layers["N"] * layers["K"] * layers["count"],
        (n, len(shapes)),
    ).copy()
    per["pes"] = (cfg["rows"] * cfg["cols"]).astype(float)[:, None]
    import pandas as pd

    # the accumulator width the model costed (0 in a configuration: the default, 32 or 48),
    # so a recorded design's `accelsmith generate` command builds that width
    base = pd.DataFrame({k: derived[k] if k == "acc_bits" else cfg[k] for k in ACCEL_COLUMNS})
    config_level = [k for k in per if k.startswith("area_")] + ["pes"]
    return assemble(base, per, layers, per_layer=per_layer, config_level=config_level)
