"""PIM cost model: GEMV cycles from the timing rules, DRAM energy from IDD currents, MAC area.

Vectorized over configurations (numpy); the cycle formulas are the closed form of the GEMV
engine of :mod:`accelsmith.hdl.pim`, kept with its timing rules in
:mod:`accelsmith.core.latency.pim` (:func:`job_cycles` applies it to arrays).

Mapping: output row ``i`` -> bank ``i mod B`` of channel ``(i // B) mod C``; a GEMV uses
``min(C, ceil(N / B))`` channels, independent GEMVs (``M x count``) fill the others.

Energy per channel (DRAMsim3's IDD equations, ``configuration.cc``, with the preset's IDD
values): ACT+PRE ``VDD (IDD0 tRC - IDD3N tRAS - IDD2N tRP)``, column read ``VDD (IDD4R -
IDD3N) tBL`` per device burst (scaled per bit to the PIM burst; no I/O: IDD4R is core
current), REF ``VDD (IDD5AB - IDD3N) tRFC``; I/O ``io_pj_per_bit`` for WR_GB and RD_MAC bits;
MAC lanes from :class:`~accelsmith.models.tech.Tech` (Horowitz 45 nm, node-scaled).
Area: the MAC lanes, accumulators, the global buffer and the row-buffer-side registers of
every bank (logic only; the DRAM arrays are not counted).
"""

from __future__ import annotations

import numpy as np

from ..core.families.pim import PRESETS, TIMING_FIELDS
from ..core.latency import pim as pim_latency

__all__ = ["DRAM_POWER", "bank_energy", "job_cycles", "lane_area_um2", "timing_arrays"]

#: IDD currents (mA), supply (V), device burst (bits, cycles) and I/O energy per bit (pJ)
DRAM_POWER = {
    # NeuPIMs HBM2_8Gb_x128_dualpim.ini (reference §3.3): VDD 1.2, IDD0 65, IDD3N 55,
    # IDD4R 390, IDD5AB 250; IDD2N not listed: taken equal to IDD3N (assumption). Device
    # burst: 128-bit bus x BL4 over 2 cycles.
    "hbm2": {
        "vdd": 1.2,
        "idd0": 65.0,
        "idd2n": 55.0,
        "idd3n": 55.0,
        "idd4r": 390.0,
        "idd5ab": 250.0,
        "burst_bits": 512,
        "burst_cycles": 2,
        "bus_bits": 128,
        "pin_gbps": 2.0,
    },
    # DRAMsim3 configs/GDDR6_8Gb_x16.ini (hplp/DRAMsim3@243602b, same timing as NewtonSim's):
    # VDD 1.35, IDD0 71, IDD2N 60, IDD3N 61, IDD4R 248, IDD5AB 286; x16, BL16 (16n prefetch)
    "gddr6": {
        "vdd": 1.35,
        "idd0": 71.0,
        "idd2n": 60.0,
        "idd3n": 61.0,
        "idd4r": 248.0,
        "idd5ab": 286.0,
        "burst_bits": 256,
        "burst_cycles": 2,
        "bus_bits": 16,
        "pin_gbps": 16.0,  # AiM device: 16 Gb/s/pin (reference §3.4)
    },
}
DRAM_POWER["gddr6-aim"] = DRAM_POWER["gddr6"]  # AiM is a GDDR6 device (same currents)
#: DQ energy per bit: CENT cent_power_calculator.py (Morteza1814/CENT@a5d6e53), 5.5 pJ/bit
IO_PJ_PER_BIT = 5.5


def timing_arrays(timing: np.ndarray, overrides: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-configuration timing (cycles) from preset names; non-zero overrides win."""
    out = {}
    for f in TIMING_FIELDS:
        base = np.array([PRESETS[t][f] for t in timing], dtype=np.float64)
        ov = overrides.get(f)
        out[f] = base if ov is None else np.where(ov > 0, ov, base)
    return out


def job_cycles(
    groups: np.ndarray,
    segs: np.ndarray,
    last_bursts: np.ndarray,
    bursts_per_row: np.ndarray,
    banks: np.ndarray,
    T: dict[str, np.ndarray],
    *,
    refresh: bool = True,
) -> np.ndarray:
    """Cycles of one GEMV job from ``start`` to ``done`` (both counted), per configuration
    (:func:`accelsmith.core.latency.pim.job_cycles` on float arrays)."""
    g, s, nl, nf, b = (
        np.asarray(v, dtype=np.float64) for v in (groups, segs, last_bursts, bursts_per_row, banks)
    )
    return np.asarray(pim_latency.job_cycles(g, s, nl, nf, b, T, refresh=refresh))


def bank_energy(preset: np.ndarray, T: dict[str, np.ndarray], freq_mhz: np.ndarray) -> dict:
    """Energies (J) per ACT+PRE, per bit of internal column read and per all-bank REF."""
    tck = 1e-6 / freq_mhz  # seconds per cycle
    pw = {
        k: np.array([DRAM_POWER[p][k] for p in preset], dtype=np.float64)
        for k in DRAM_POWER["hbm2"]
    }
    ma = 1e-3
    t_rc = T["t_ras"] + T["t_rp"]
    act = pw["vdd"] * ma * (pw["idd0"] * t_rc - pw["idd3n"] * T["t_ras"] - pw["idd2n"] * T["t_rp"])
    act = np.maximum(act, 0.0) * tck
    rd_bit = (
        pw["vdd"] * ma * (pw["idd4r"] - pw["idd3n"]) * pw["burst_cycles"] * tck / pw["burst_bits"]
    )
    ref = pw["vdd"] * ma * (pw["idd5ab"] - pw["idd3n"]) * T["t_rfc"] * tck
    io_gbps = pw["bus_bits"] * pw["pin_gbps"] / 8.0  # GB/s per channel
    return {"act_j": act, "col_j_per_bit": rd_bit, "ref_j": ref, "channel_gbps": io_gbps}


def lane_area_um2(precision: np.ndarray, lanes: np.ndarray, tech) -> np.ndarray:
    """MAC lanes of one bank with their accumulators (um^2)."""
    int8 = lanes * (tech.int_mul_area_um2(8) + tech.int_add_area_um2(32) + tech.reg_area_um2(32))
    fp16 = lanes * (tech.fp_mul_area_um2("fp16") + tech.fp_add_area_um2("fp16"))
    fp16 = fp16 + lanes * tech.reg_area_um2(16)
    # bf16: 8x8-bit significand multipliers costed as FP16 multipliers (assumption), an FP32
    # tree of lanes - 1 adders and one FP32 accumulator adder and register
    bf16 = lanes * tech.fp_mul_area_um2("fp16") + lanes * tech.fp_add_area_um2("fp32")
    bf16 = bf16 + tech.reg_area_um2(32)
    return np.select([precision == "int8", precision == "fp16"], [int8, fp16], bf16)


def lane_op_energy_j(precision: np.ndarray, lanes: np.ndarray, tech) -> np.ndarray:
    """Energy of one MAC command on one bank (all lanes), J."""
    int8 = lanes * (tech.int_mul_energy_j(8) + tech.int_add_energy_j(32) + tech.reg_energy_j(32))
    fp16 = lanes * (
        tech.fp_mul_energy_j("fp16") + tech.fp_add_energy_j("fp16") + tech.reg_energy_j(16)
    )
    bf16 = lanes * (tech.fp_mul_energy_j("fp16") + tech.fp_add_energy_j("fp32"))
    bf16 = bf16 + tech.reg_energy_j(32)
    return np.select([precision == "int8", precision == "fp16"], [int8, fp16], bf16)
