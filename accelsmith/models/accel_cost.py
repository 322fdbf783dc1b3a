"""Cost model of the ``accel`` family: the whole top (array, scratchpads, accumulator, output
stage, DMA, control) running the schedule of :mod:`accelsmith.runtime` (the same mapper and
command stream the compiler emits; cycles from :func:`accelsmith.runtime.timing.layer_cycles`).

Per layer (one configuration, one :class:`~accelsmith.runtime.shapes.ConvShape`):

cycles
    :func:`~accelsmith.runtime.timing.layer_cycles` of the mapper's choice with the
    configuration's ``dram_latency`` (DRAM stalls are part of it: loads wait for bursts) and
    ``dram_stall`` (random AXI back-pressure: expected extra waits per handshake).
energy
    array MAC slots (``rows x cols x k`` per compute command, edge tiles included) x
    (multiply ``in_bits`` + add ``acc_bits`` + pipeline registers); scratchpad reads of every
    compute and writes of every load, accumulator read-modify-writes and store reads
    (:meth:`Tech.sram_read_energy_j` at each memory's size and word width); output-stage
    multiplies; DRAM bytes from the mapper x :attr:`Tech.dram_energy_j_per_bit`; leakage of
    the whole area over the layer's time.
area
    PEs (multiplier, adder, operand/partial-sum registers: 2 in_bits + acc_bits bits, plus
    in_bits for the second weight register of ``ws``), SRAMs (:meth:`Tech.sram_area_um2`:
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

__all__ = ["ACCEL_COLUMNS", "evaluate_accel", "event_energies", "layer_cost"]

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


def area_parts(p: AccelParams, tech: Any) -> dict[str, float]:
    """Area (um^2) of the parts of one configuration."""
    assert p.acc_bits is not None
    pe_regs = 2 * p.in_bits + p.acc_bits + (p.in_bits if p.dataflow == "ws" else 0)
    pe = (
        float(tech.int_mul_area_um2(p.in_bits))
        + float(tech.int_add_area_um2(p.acc_bits))
        + float(tech.reg_area_um2(pe_regs))
    )
    eb = p.in_bits // 8
    sram_bytes = {
        "a": 2 * p.a_entries * p.rows * eb,
        "b": 2 * p.b_entries * p.cols * eb,
        "acc": 2 * p.acc_entries * p.cols * p.acc_bits / 8,
        "misc": p.scale_entries * p.cols * 2 + p.queue_depth * 16,
    }
    out_w = np.sqrt(p.acc_bits * 16.0)
    return {
        "area_array_um2": p.rows * p.cols * pe,
        "area_sram_um2": float(sum(tech.sram_area_um2(b) for b in sram_bytes.values())),
        "area_output_stage_um2": p.cols
        * (float(tech.int_mul_area_um2(out_w)) + 2 * float(tech.int_add_area_um2(p.acc_bits))),
        "area_dma_control_um2": float(tech.reg_area_um2(CONTROL_BITS + 3 * p.bus_bits)),
    }


def event_energies(p: AccelParams, tech: Any) -> dict[str, float]:
    """Energy (J) of one event of each kind, as :func:`layer_cost` charges it (also used to
    turn the RTL's performance-counter events into event-count energy, see
    :mod:`accelsmith.sim.accel_energy`).

    ``mac_slot``: one PE-cycle of a multiply-add (``in_bits`` multiply, ``acc_bits`` add,
    operand/partial-sum registers); ``a_read``/``b_read``: one scratchpad entry read;
    ``acc_rmw``: one accumulator row read and written (two accesses); ``acc_read``: one
    accumulator row read; ``a_write``/``b_write``/``s_write``: one scratchpad/scale-memory
    entry written; ``output``: one output-stage lane (``acc_bits x 16`` multiply, add);
    ``dram_bit``: one DRAM bit moved. All from :class:`~accelsmith.models.tech.Tech`.
    """
    assert p.acc_bits is not None
    eb = p.in_bits // 8
    a_bytes, b_bytes = 2 * p.a_entries * p.rows * eb, 2 * p.b_entries * p.cols * eb
    acc_bytes = 2 * p.acc_entries * p.cols * p.acc_bits // 8
    s_bytes = p.scale_entries * p.cols * 2
    acc_read = float(tech.sram_read_energy_j(acc_bytes, p.cols * p.acc_bits))
    return {
        "mac_slot": float(
            tech.int_mul_energy_j(p.in_bits)
            + tech.int_add_energy_j(p.acc_bits)
            + tech.reg_energy_j(2 * p.in_bits + p.acc_bits)
        ),
        "a_read": float(tech.sram_read_energy_j(a_bytes, p.rows * p.in_bits)),
        "b_read": float(tech.sram_read_energy_j(b_bytes, p.cols * p.in_bits)),
        "acc_rmw": 2 * acc_read,
        "acc_read": acc_read,
        "a_write": float(tech.sram_write_energy_j(a_bytes, p.rows * p.in_bits)),
        "b_write": float(tech.sram_write_energy_j(b_bytes, p.cols * p.in_bits)),
        "s_write": float(tech.sram_write_energy_j(s_bytes, p.cols * 16)),
        "output": float(
            tech.int_mul_energy_j(np.sqrt(p.acc_bits * 16.0)) + tech.int_add_energy_j(p.acc_bits)
        ),
        "dram_bit": tech.dram_energy_j_per_bit,
    }


def layer_cost(
    p: AccelParams, s: Any, latency: int, tech: Any, stall: float = 0.0
) -> dict[str, float]:
    """Cycles, DRAM bytes and energy parts (J) of one instance of layer ``s`` on ``p``
    (``stall``: the DRAM's pause probability, :func:`accelsmith.runtime.timing.wait`)."""
    from ..runtime.mapper import choose_mapping
    from ..runtime.timing import layer_cycles

    assert p.acc_bits is not None
    mp = choose_mapping(p, s)
    cycles = layer_cycles(p, s, mp, latency, stall)
    eb = p.in_bits // 8
    e = event_energies(p, tech)
    tiles = s.groups * mp.m_tiles * mp.n_tiles
    slots = tiles * s.Kg * p.rows * p.cols
    a_reads = tiles * s.Kg  # os: k entries per compute; ws: ceil(k / rows) * rows, about k
    b_reads = tiles * s.Kg
    acc_rmw = tiles * mp.k_tiles * p.rows
    e_sram = (
        a_reads * e["a_read"]
        + b_reads * e["b_read"]
        + 2 * acc_rmw * e["acc_read"]
        # DMA writes into the scratchpads: one entry per loaded row (upper bound per beat)
        + mp.dram_bytes / max(eb, 1) / p.rows * e["a_write"]
    )
    outputs = s.M * s.k_out
    e_out = outputs * e["output"]
    return {
        "cycles": float(cycles),
        "dram_bytes": float(mp.dram_bytes),
        "mac_slots": float(slots),
        "tk": float(mp.tk),
        "energy_array_j": slots * e["mac_slot"],
        "energy_sram_j": e_sram,
        "energy_output_stage_j": e_out,
        "energy_dram_j": mp.dram_bytes * 8 * e["dram_bit"],
    }


def evaluate_accel(configs: Any, workload: Any, *, tech: Any, per_layer: bool, convention: str):
    """The ``accel`` family's cost function (see the module docstring)."""
    if convention != "rtl":
        raise ConfigError(f"convention must be 'rtl' for the accel family, not {convention!r}")
    df, cfg = config_arrays(configs, ACCEL_COLUMNS)
    n = len(df)
    fields = AccelParams.field_names()
    shapes = _shapes(workload)
    L = len(shapes)
    per: dict[str, np.ndarray] = {}
    keys = (
        "cycles",
        "dram_bytes",
        "mac_slots",
        "energy_array_j",
        "energy_sram_j",
        "energy_output_stage_j",
        "energy_dram_j",
    )
    for k in keys:
        per[k] = np.zeros((n, L))
    areas: dict[str, np.ndarray] = {}
    for i in range(n):
        values = {f: cfg[f][i].item() if hasattr(cfg[f][i], "item") else cfg[f][i] for f in fields}
        if not values.get("acc_bits"):
            values["acc_bits"] = None  # 0: the default width
        try:
            p = AccelParams.from_dict({k: v for k, v in values.items() if v is not None})
        except ConfigError as exc:
            raise ConfigError(f"configs row {i}: {exc}") from None
        latency = round(float(cfg["dram_latency"][i]))
        stall = float(cfg["dram_stall"][i])
        for j, (_, s, count) in enumerate(shapes):
            c = layer_cost(p, s, latency, tech, stall)
            for k in keys:
                per[k][i, j] = c[k] * count
        for k, v in area_parts(p, tech).items():
            areas.setdefault(k, np.zeros(n))[i] = v
    area = sum(areas.values())
    for k, v in areas.items():
        per[k] = v[:, None]
    per["area_um2"] = area[:, None]
    freq = cfg["freq_mhz"]
    seconds = per["cycles"] / (freq[:, None] * 1e6)
    per["energy_leak_j"] = tech.leakage_w(area)[:, None] * seconds
    parts = [k for k in per if k.startswith("energy_")]
    per["energy_j"] = sum(per[k] for k in parts)
    layers = workload.to_gemms()
    per["macs"] = np.broadcast_to(
        np.asarray(layers["M"], float) * layers["N"] * layers["K"] * layers["count"], (n, L)
    ).copy()
    per["pes"] = (cfg["rows"] * cfg["cols"]).astype(float)[:, None]
    import pandas as pd

    base = pd.DataFrame({k: cfg[k] for k in ACCEL_COLUMNS})
    config_level = [k for k in per if k.startswith("area_")] + ["pes"]
    return assemble(base, per, layers, per_layer=per_layer, config_level=config_level)
