"""Cost constants at 130 nm calibrated against this project's synthesized components.

The data file ``calib_sky130.json`` (written by ``accelsmith calibrate``; provenance inside:
flow, tool versions, liberty sha256, date, clock, switching activity) holds, for each
datapath component at each sampled width, the synthesized operator area, energy per operation
and register-to-register period on sky130_fd_sc_hd (typical corner, pre-layout). This module
interpolates them:

- ``mul``, ``add``, ``mux``: piecewise-linear in log(width) -> log(value) between samples, a
  power law through the two nearest samples beyond the sampled range;
- ``reg``: mean area and clocked energy per bit;
- ``pipe``: a bare register-to-register hop (clock-to-Q + setup), subtracted when operators
  are chained in one cycle;
- ``fan``: the period of one registered enable gating N flip-flops (its buffer tree);
- ``mac``: a PE's gated accumulate ``acc <= acc + a * b`` (``2 * width + 8``-bit accumulator),
  whose period is well below a multiplier's plus an adder's (ABC merges the additions).

:class:`CalibratedTech` is what :meth:`accelsmith.models.tech.Tech.at_node` returns for 130 nm:
the integer operators, registers and leakage density come from here and SRAM area from an
OpenRAM sky130 macro; floating-point operators and SRAM/DRAM energy stay the scaled
literature tables of :mod:`accelsmith.models.tech`.
Components, never whole designs, are fitted; whole designs are the held-out check
(``bench/bench_silicon.py``).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .tech import Tech, node_factors

__all__ = [
    "DATA_FILE",
    "CalibratedTech",
    "calibrated_tech",
    "fanout_period_ns",
    "load",
    "op_area_um2",
    "op_energy_j",
    "op_period_ns",
    "pipe_period_ns",
]

DATA_FILE = Path(__file__).with_name("calib_sky130.json")
# OpenRAM sky130_sram_2kbyte_1rw_32x512_8 (VLSIDA/sky130_sram_macros, LEF commit 64897068d2ae):
# 483.86 um x 326.1 um for 512 x 32 bits, periphery included; the same figure costs black-box
# memories in `accelsmith synth` (accelsmith/synth/sram.py)
SRAM_UM2_PER_BIT = 483.86 * 326.1 / (512 * 32)
MAC_GUARD_BITS = 8  # the calibration's mac component accumulates into 2 * width + 8 bits


@functools.cache
def load(path: str = str(DATA_FILE)) -> dict[str, Any]:
    """The calibration data (samples and provenance)."""
    return json.loads(Path(path).read_text())


def _loglog(kind: str, key: str, width: ArrayLike) -> np.ndarray:
    rows = load()["samples"][kind]
    x = np.log(np.array([r["width"] for r in rows], dtype=np.float64))
    y = np.log(np.maximum([r[key] for r in rows], 1e-30))
    lw = np.log(np.maximum(np.asarray(width, dtype=np.float64), 1.0))
    out = np.interp(lw, x, y)
    if len(x) > 1:
        lo = y[0] + (y[1] - y[0]) / (x[1] - x[0]) * (lw - x[0])
        hi = y[-1] + (y[-1] - y[-2]) / (x[-1] - x[-2]) * (lw - x[-1])
        out = np.where(lw < x[0], lo, np.where(lw > x[-1], hi, out))
    return np.exp(out)


def op_area_um2(kind: str, width: ArrayLike) -> np.ndarray:
    """Synthesized area of operator ``kind`` (mul: width x width, add: width + width, mux)."""
    return _loglog(kind, "op_area_um2", width)


def op_energy_j(kind: str, width: ArrayLike) -> np.ndarray:
    """Energy of one operation at the calibration's switching activity."""
    return _loglog(kind, "energy_j", width)


def op_period_ns(kind: str, width: ArrayLike) -> np.ndarray:
    """Register-to-register period of the registered operator (clock-to-Q + logic + setup)."""
    return _loglog(kind, "period_ns", width)


def pipe_period_ns() -> float:
    """A bare register-to-register hop: clock-to-Q + setup."""
    return float(load()["samples"]["pipe"][0]["period_ns"])


def fanout_period_ns(fanout: ArrayLike) -> np.ndarray:
    """Period of a registered enable gating ``fanout`` flip-flops (interpolated like the
    operators: Yosys 0.23's ABC buffers fanouts of 64 and more poorly, so it grows faster
    than log2 of the fanout)."""
    return _loglog("fan", "period_ns", fanout)


def leakage_w_per_um2() -> float:
    """Leakage power density of the synthesized components (all samples pooled), W/um^2."""
    rows = [r for kind in load()["samples"].values() for r in kind]
    return float(sum(r["leakage_w"] for r in rows) / sum(r["area_um2"] for r in rows))


def _reg(key: str) -> float:
    rows = load()["samples"]["reg"]
    field = {"area": "seq_area_um2", "energy": "seq_energy_j"}[key]
    return float(np.mean([r[field] / r["width"] for r in rows]))


@dataclasses.dataclass(frozen=True, kw_only=True)
class CalibratedTech(Tech):
    """:class:`Tech` at 130 nm whose integer operators and registers are calibrated.

    Integer multiply/add and register area and energy, leakage density and SRAM area come
    from :mod:`accelsmith.models.calib` (sky130_fd_sc_hd synthesis of this project's
    components); everything else is the scaled 45 nm table of :class:`Tech`. Values given in
    a ``--tech`` file still win for the fields they name (the calibrated methods are used only
    while the field keeps its default).
    """

    def _cal(self, name: str) -> bool:
        return getattr(self, name) == getattr(Tech, name)

    def int_add_energy_j(self, bits: ArrayLike) -> np.ndarray:
        if not (self._cal("int_add_pj_8") and self._cal("int_add_pj_32")):
            return super().int_add_energy_j(bits)
        return op_energy_j("add", bits)

    def int_mul_energy_j(self, bits: ArrayLike) -> np.ndarray:
        if not (self._cal("int_mul_pj_8") and self._cal("int_mul_pj_32")):
            return super().int_mul_energy_j(bits)
        return op_energy_j("mul", bits)

    def reg_energy_j(self, bits: ArrayLike) -> np.ndarray:
        if not self._cal("reg_pj_per_bit"):
            return super().reg_energy_j(bits)
        return np.asarray(bits, dtype=np.float64) * _reg("energy")

    def int_add_area_um2(self, bits: ArrayLike) -> np.ndarray:
        if not (self._cal("int_add_um2_8") and self._cal("int_add_um2_32")):
            return super().int_add_area_um2(bits)
        return op_area_um2("add", bits)

    def int_mul_area_um2(self, bits: ArrayLike) -> np.ndarray:
        if not (self._cal("int_mul_um2_8") and self._cal("int_mul_um2_32")):
            return super().int_mul_area_um2(bits)
        return op_area_um2("mul", bits)

    def reg_area_um2(self, bits: ArrayLike) -> np.ndarray:
        if not self._cal("reg_um2_per_bit"):
            return super().reg_area_um2(bits)
        return np.asarray(bits, dtype=np.float64) * _reg("area")

    def leakage_w(self, area_um2: ArrayLike) -> np.ndarray:
        if not self._cal("leakage_w_per_um2"):
            return super().leakage_w(area_um2)
        return np.asarray(area_um2, dtype=np.float64) * leakage_w_per_um2()

    def sram_area_um2(self, capacity_bytes: ArrayLike) -> np.ndarray:
        if not (self._cal("sram_bitcell_um2") and self._cal("sram_array_efficiency")):
            return super().sram_area_um2(capacity_bytes)
        bits = np.asarray(capacity_bytes, dtype=np.float64) * 8.0
        return bits * SRAM_UM2_PER_BIT

    def systolic_period_ns(
        self,
        rows: ArrayLike,
        cols: ArrayLike,
        in_bits: ArrayLike,
        acc_bits: ArrayLike,
        is_os: ArrayLike,
    ) -> np.ndarray:
        """Clock period a systolic array needs, ns (pre-layout, typical corner).

        From the generator's PE (``hdl/systolic.py``): output-stationary
        ``acc <= acc + a * b`` under a valid/last enable, which is exactly the calibration's
        ``mac`` component (its accumulator is ``2 * in_bits + 8`` bits: the adder's period
        difference corrects for the PE's own accumulator width); weight-stationary
        ``out <= psum + a * Mux(sel, w1, w0)`` adds the weight mux (one register hop paid
        once). The per-diagonal valid flag gates the accumulator and shadow (OS) of up to
        ``min(rows, cols)`` PEs: a fan-out path that limits the clock when it is slower than
        the PE.
        """
        w = np.asarray(in_bits, dtype=np.float64)
        acc = np.asarray(acc_bits, dtype=np.float64)
        hop = pipe_period_ns()
        mac = (
            op_period_ns("mac", w)
            + op_period_ns("add", acc)
            - op_period_ns("add", 2 * w + MAC_GUARD_BITS)
        )
        pe = np.where(is_os, mac, mac + op_period_ns("mux", w) - hop)
        diag = np.minimum(np.asarray(rows), np.asarray(cols))
        fan = fanout_period_ns(diag * np.where(is_os, 2 * acc, acc))
        return np.maximum(pe, fan)

    def systolic_ecp5_mult18(
        self, rows: ArrayLike, cols: ArrayLike, in_bits: ArrayLike
    ) -> np.ndarray:
        """MULT18X18D blocks of a systolic array on ECP5: one ``in_bits`` multiplier per PE,
        ``ceil(in_bits / 18)^2`` blocks each (the calibration's synth_ecp5 runs map every
        sampled multiplier of 2..16 bits to exactly one block)."""
        per = np.ceil(np.asarray(in_bits, dtype=np.float64) / 18.0) ** 2
        return np.asarray(rows, dtype=np.float64) * np.asarray(cols, dtype=np.float64) * per

    def systolic_fmax_mhz(self, *args: ArrayLike) -> np.ndarray:
        """1000 / :meth:`systolic_period_ns` (same arguments)."""
        return 1000.0 / self.systolic_period_ns(*args)


#: MULT18X18D blocks of the LFE5U-85F (Lattice FPGA-DS-02012, Table 1.1)
ECP5_85K_MULT18 = 156


def calibrated_tech() -> CalibratedTech:
    """130 nm tables with the calibrated integer operators and registers."""
    e, a = node_factors(130)
    return CalibratedTech(node_nm=130, energy_scale=e, area_scale=a)
