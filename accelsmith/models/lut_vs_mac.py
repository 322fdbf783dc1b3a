"""LUT tensor core vs. MAC tensor core at the dot-product-unit level, per precision pair.

Reproduces, with this project's models, the comparison of Mo et al. (LUT Tensor Core, ISCA
2025; ``shared/reference/accelerators.md`` §1.3, tagged [2nd]): compute density (ops/s/mm^2)
and energy efficiency (ops/J) of a LUT unit and a MAC unit of the same ``M x N x K`` shape
(default the paper's M2N64K4) for weights ``W_INT{1,2,4,8}`` times activations
``A_{FP16,INT8,INT4}``. The paper reports the LUT unit best in 11 of the 12 pairs (all but
``W_INT8 x A_INT4``) and ~18x density for ``W_INT1 x A_FP16`` over an FP16 MAC unit
(3.39 vs 61.55 TFLOPs/mm^2 at 28 nm).

Units (per ``tile_m x tile_n`` lanes; compute only, no buffers)
    LUT: per row the table precompute adders and table registers (one fill per group, i.e.
    every ``B`` cycles); per lane the ``entries``-to-1 mux, the conditional negation (a sign
    flip for FP16, an increment for integers), the ``B``-way shift (an exponent increment
    for FP16), the lookup register, the accumulator adder and registers. ``K / B`` MACs per
    lane-cycle. INT entries and accumulators have the exact widths of the RTL
    (:mod:`accelsmith.hdl.lut_core`, ``max_k`` 4096); FP16 tables and accumulators are FP16,
    as in the authors' RTL (``fp_lut_array_b_cycle_stage1.sv``).
    MAC: per lane ``K`` multipliers, a ``K - 1`` adder tree and the accumulator, ``K`` MACs
    per cycle; an ``A_FP16`` pair uses FP16 x FP16 (the weights dequantized, as the paper's
    FP16 MAC baseline), an INT pair an ``a x w`` integer multiplier.
    W_INT8 goes beyond the RTL's 1..4 weight bits (eight bit-serial passes), as the paper's DSE.

Constants: :class:`accelsmith.models.tech.Tech` and the standard cells of
:mod:`accelsmith.models.lut_core_cost`.

What our models give at 28 nm (pinned in ``tests/models/test_lut_core_golden_numbers.py``)
    Agree: W_INT1 x A_FP16 is the best pair by far; the gain falls with every weight bit; the
    paper's single losing pair, W_INT8 x A_INT4, is our worst. Differ: the magnitude (6.2x
    density for W_INT1 x A_FP16, not ~18x: our FP16 MAC unit is 1.6 TFLOPs/mm^2 instead of
    3.39 and our LUT unit 10.1 instead of 61.55, the per-lane FP16 accumulator dominating it)
    and the count (LUT best in 5 of 12 pairs with native ``a x w`` MAC multipliers, 6 with
    operands widened to the larger width, not 11): in integer lanes the accumulator adder and
    registers, which a bit-serial LUT lane reuses ``B`` times, cost more than the small
    multipliers they replace. The paper's units come from DC synthesis at 28 nm (not public
    as per-component numbers); ours from Horowitz's 45 nm table scaled by Stillmaker-Baas.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import ConfigError
from ..core.families.lut_core import exact_acc_bits
from .lut_core_cost import MUX2_UM2, XOR2_UM2, entry_bits_vec, mac_lane

__all__ = ["ACT_FORMATS", "PAPER", "WEIGHT_BITS", "dp_comparison"]

ACT_FORMATS = ("fp16", "int8", "int4")
WEIGHT_BITS = (1, 2, 4, 8)
#: Published figures ([2nd] in accelerators.md §1.3): DP-unit densities at 28 nm (TFLOPs/mm^2)
#: and the pairs where the LUT unit loses.
PAPER = {
    "mac_fp16_density_tops_mm2": 3.39,
    "lut_w1_fp16_density_tops_mm2": 61.55,
    "density_gain_w1_fp16": 61.55 / 3.39,
    "lut_loses": (("int8", 8, "int4"),),
}


def _lut_unit(
    w: np.ndarray, fp: np.ndarray, a: np.ndarray, k: int, tm: int, tn: int, tech: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Area (um^2) and energy per cycle (J) of a LUT unit."""
    e_per_um2 = tech.int_add_pj_8 / tech.int_add_um2_8 * 1e-12 * tech.energy_scale / tech.area_scale
    mux2, xor2 = MUX2_UM2 * tech.area_scale, XOR2_UM2 * tech.area_scale
    entries = 1 << (k - 1)
    pre = k + entries - 1  # precompute_adders()
    ew = np.where(fp, 16, entry_bits_vec(np.full_like(a, k), a))
    accw = np.where(
        fp,
        16,
        [
            exact_acc_bits(int(b), int(x), 4096, True)
            for b, x in zip(w, np.where(fp, 8, a), strict=True)
        ],
    )
    add_a = np.where(fp, tech.fp_add_area_um2("fp16"), tech.int_add_area_um2(ew))
    add_e = np.where(fp, tech.fp_add_energy_j("fp16"), tech.int_add_energy_j(ew))
    acc_a = np.where(fp, tech.fp_add_area_um2("fp16"), tech.int_add_area_um2(accw))
    acc_e = np.where(fp, tech.fp_add_energy_j("fp16"), tech.int_add_energy_j(accw))
    # conditional negation: FP16 flips the sign bit; INT inverts and increments
    neg_a = np.where(fp, xor2, tech.int_add_area_um2(ew) + ew * xor2)
    neg_e = np.where(fp, xor2 * e_per_um2, tech.int_add_energy_j(ew))
    # x 2**i: FP16 adds i to the 5-bit exponent; INT selects one of B shifted copies
    shift_a = np.where(
        w > 1, np.where(fp, tech.int_add_area_um2(5), (w - 1) * (ew + w - 1) * mux2), 0.0
    )
    shift_e = np.where(
        w > 1,
        np.where(fp, tech.int_add_energy_j(5), (w - 1) * (ew + w - 1) * mux2 * e_per_um2),
        0.0,
    )
    mux_a = (entries - 1) * ew * mux2
    lane_a = mux_a + neg_a + shift_a + acc_a + tech.reg_area_um2(ew + 2 * accw)
    lane_e = mux_a * e_per_um2 + neg_e + shift_e + acc_e + tech.reg_energy_j(ew + accw)
    row_a = pre * add_a + tech.reg_area_um2(entries * ew)
    row_e = pre * add_e + tech.reg_energy_j(entries * ew)
    area = tm * row_a + tm * tn * lane_a
    energy = tm * tn * lane_e + tm * row_e / w  # one table fill per group = per B cycles
    return area, energy


def _mac_unit(
    w: np.ndarray,
    fp: np.ndarray,
    a: np.ndarray,
    k: int,
    tm: int,
    tn: int,
    tech: Any,
    square: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Area (um^2) and energy per cycle (J) of a MAC unit of the same shape."""
    if square:  # both operands at the wider width, like a GPU integer tensor core
        a = w = np.maximum(a, w)
    accw = np.array(
        [
            exact_acc_bits(int(b), int(x), 4096, True)
            for b, x in zip(w, np.where(fp, 8, a), strict=True)
        ]
    )
    kk = np.full_like(a, k)
    int_a, int_e = mac_lane(kk, a, w, accw, tech)
    fp_a = (
        k * tech.fp_mul_area_um2("fp16")
        + k * tech.fp_add_area_um2("fp16")
        + tech.reg_area_um2(2 * 16 + k * 32)
    )
    fp_e = (
        k * tech.fp_mul_energy_j("fp16")
        + k * tech.fp_add_energy_j("fp16")
        + tech.reg_energy_j(16 + k * 32)
    )
    lanes = tm * tn
    return lanes * np.where(fp, fp_a, int_a), lanes * np.where(fp, fp_e, int_e)


def dp_comparison(
    tech: Any,
    *,
    group_size: int = 4,
    tile_m: int = 2,
    tile_n: int = 64,
    freq_mhz: float = 1000.0,
    mac_operands: str = "native",
) -> Any:
    """The 12 precision pairs: densities (TOPS/mm^2), efficiencies (TOPS/W) and the gains.

    ``mac_operands``: ``native`` gives the INT MAC an ``a x w`` multiplier; ``square``
    widens both operands to ``max(a, w)`` bits (a GPU INT tensor core runs W2A8 on INT8 x
    INT8, as the paper's A100 INT8 baseline for BitNet).

    Returns a DataFrame with one row per (``weight_bits``, ``act``) and the columns
    ``lut_tops_mm2``, ``mac_tops_mm2``, ``density_gain``, ``lut_tops_w``, ``mac_tops_w``,
    ``efficiency_gain`` and ``lut_wins`` (both gains above 1).
    """
    import pandas as pd

    if mac_operands not in ("native", "square"):
        raise ConfigError(f"mac_operands must be one of 'native', 'square', not {mac_operands!r}")
    if not 2 <= group_size <= 6 or tile_m < 1 or tile_n < 1:
        raise ConfigError("group_size must be in 2..6 and tile_m, tile_n >= 1")
    pairs = [(w, f) for f in ACT_FORMATS for w in WEIGHT_BITS]
    w = np.array([p[0] for p in pairs], dtype=np.int64)
    fmt = np.array([p[1] for p in pairs], dtype=object)
    fp = fmt == "fp16"
    a = np.where(fp, 16, np.where(fmt == "int8", 8, 4)).astype(np.int64)
    lut_area, lut_energy = _lut_unit(w, fp, a, group_size, tile_m, tile_n, tech)
    mac_area, mac_energy = _mac_unit(
        w, fp, a, group_size, tile_m, tile_n, tech, mac_operands == "square"
    )
    f = freq_mhz * 1e6
    lut_macs = tile_m * tile_n * group_size / w  # per cycle
    mac_macs = np.full(len(w), tile_m * tile_n * group_size, dtype=np.float64)
    out = pd.DataFrame({"weight_bits": w, "act": fmt})
    out["lut_tops_mm2"] = 2 * lut_macs * f / 1e12 / (lut_area / 1e6)
    out["mac_tops_mm2"] = 2 * mac_macs * f / 1e12 / (mac_area / 1e6)
    out["density_gain"] = out["lut_tops_mm2"] / out["mac_tops_mm2"]
    out["lut_tops_w"] = 2 * lut_macs / lut_energy / 1e12
    out["mac_tops_w"] = 2 * mac_macs / mac_energy / 1e12
    out["efficiency_gain"] = out["lut_tops_w"] / out["mac_tops_w"]
    out["lut_wins"] = (out["density_gain"] > 1) & (out["efficiency_gain"] > 1)
    return out
