"""Technology tables: energy and area per operation, with sources, scaled across nodes.

Base node 45 nm. Every constant carries its source beside it. Provenance tags follow
``shared/reference/accelerators.md`` §5: values from Horowitz's ISSCC 2014 energy table are
the widely reproduced ones; his *area* figures are tagged there as reproduced from the slide
and not re-verified, so they are the first candidates for calibration against this project's
own synthesis results (a YAML override takes any subset of fields, see :meth:`Tech.from_yaml`).

Width scaling
    Adders: linear in width (Accelergy's rule, ``reference §5.3``), anchored at 8 and 32 bits.
    Multipliers: a power law through Horowitz's 8- and 32-bit points (exponent ~1.98 for
    energy, ~1.82 for area; an array multiplier grows with the number of partial-product
    bits, ``n^2``). Registers: linear in bits.
SRAM
    Read energy per 64-bit access interpolated log-log through Horowitz's 8 KB, 32 KB and
    1 MB points (extrapolated with the end slopes), linear in word width; writes are costed
    like reads (no separate cited figure). Area: 45 nm 6T bit cell 0.346 um^2 (Intel 45 nm,
    Mistry et al., IEDM 2007) over an array efficiency of 0.5 (assumption: periphery, sense
    amplifiers and decoders take about half of a small macro; calibrate with a memory
    compiler's numbers when you have them).
Node scaling
    Stillmaker & Baas, "Scaling equations for the accurate prediction of CMOS device
    performance from 180 nm to 7 nm", Integration 58 (2017), as tabulated by Accelergy
    (``reference §5.3``): area factors from the 45 nm row; energy from the ratio of the
    fitted power polynomials ``P(V) = aV^2 + bV + c`` at Vdd = 0.8 V. Nodes between table
    entries (28, 22 nm) interpolate linearly between neighbours (the corrected direction;
    Accelergy's code interpolates the wrong way). DRAM energy is off-chip and not scaled.
    Leakage per um^2 scales with energy / area.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike

from ..core.errors import ConfigError
from ..core.files import safe_load_file
from ..core.params import yaml_problem

__all__ = ["NODES", "Tech", "node_factors"]

PJ = 1e-12

# Stillmaker & Baas 2017 via Accelergy scaling.py (reference §5.3): node -> area factor vs 45 nm
_AREA_45 = {
    130: 6.4,
    90: 2.8,
    65: 1.5,
    45: 1.0,
    32: 0.46,
    20: 0.21,
    16: 0.19,
    14: 0.17,
    10: 0.1,
    7: 0.059,
}
# ... and the power polynomial coefficients (a, b, c) for P(V) = aV^2 + bV + c
_POLY = {
    45: (1.103, -0.362, 0.2767),
    32: (0.9559, -0.7823, 0.471),
    20: (0.373, -0.1582, 0.04104),
    16: (0.2958, -0.1241, 0.03024),
    14: (0.2363, -0.09675, 0.02239),
    10: (0.2068, -0.09311, 0.02375),
    7: (0.1776, -0.09097, 0.02447),
}
VDD = 0.8  # Accelergy's default supply for the energy ratios
# 130 nm: sky130, calibrated against this project's synthesis (accelsmith.models.calib)
NODES = (45, 32, 28, 22, 20, 16, 14, 10, 7, 130)


def _power(node: int) -> float:
    a, b, c = _POLY[node]
    return a * VDD * VDD + b * VDD + c


def node_factors(node_nm: int) -> tuple[float, float]:
    """(energy, area) scaling factors from 45 nm to ``node_nm``."""
    if isinstance(node_nm, bool) or node_nm not in NODES:
        allowed = ", ".join(str(n) for n in NODES)
        raise ConfigError(f"node_nm must be one of {allowed}, not {node_nm!r}")
    if node_nm == 130:
        # Stillmaker-Baas area factor; the energy factor is calibrated: the synthesized
        # sky130 8-bit multiplier (accelsmith.models.calib) over Horowitz's 45 nm 0.2 pJ
        from .calib import op_energy_j

        return float(op_energy_j("mul", 8)) / (Tech.int_mul_pj_8 * PJ), _AREA_45[130]
    if node_nm in _POLY:
        return _power(node_nm) / _power(45), _AREA_45[node_nm]
    hi, lo = 32, 20  # 28 and 22 lie between the 32 and 20 nm table entries
    t = (hi - node_nm) / (hi - lo)
    e = _power(hi) + t * (_power(lo) - _power(hi))
    area = _AREA_45[hi] + t * (_AREA_45[lo] - _AREA_45[hi])
    return e / _power(45), area


def _pow_law(bits: np.ndarray, v8: float, v32: float) -> np.ndarray:
    """Power law through (8, v8) and (32, v32)."""
    exponent = np.log(v32 / v8) / np.log(4.0)
    return v8 * (bits / 8.0) ** exponent


def _linear(bits: np.ndarray, v8: float, v32: float) -> np.ndarray:
    """Linear through (8, v8) and (32, v32), never below proportional-to-width at 8 bits."""
    slope = (v32 - v8) / 24.0
    return np.where(bits >= 8, v8 + slope * (bits - 8.0), v8 * bits / 8.0)


_ENERGY_FIELDS = {
    "int_add_pj_8",
    "int_add_pj_32",
    "int_mul_pj_8",
    "int_mul_pj_32",
    "fp16_add_pj",
    "fp16_mul_pj",
    "fp32_add_pj",
    "fp32_mul_pj",
    "reg_pj_per_bit",
    "sram_pj_64b_8kb",
    "sram_pj_64b_32kb",
    "sram_pj_64b_1mb",
}
# anchors of the power-law and log-log interpolations: zero has no logarithm
_LOG_ANCHORS = {
    "int_mul_pj_8",
    "int_mul_pj_32",
    "int_mul_um2_8",
    "int_mul_um2_32",
    "sram_pj_64b_8kb",
    "sram_pj_64b_32kb",
    "sram_pj_64b_1mb",
}
_AREA_FIELDS = {
    "int_add_um2_8",
    "int_add_um2_32",
    "int_mul_um2_8",
    "int_mul_um2_32",
    "fp16_add_um2",
    "fp16_mul_um2",
    "fp32_add_um2",
    "fp32_mul_um2",
    "reg_um2_per_bit",
    "sram_bitcell_um2",
    "nand2_um2",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Tech:
    """Per-operation energy (J) and area (um^2) at one technology node.

    Fields hold 45 nm anchor values; methods apply the node's factors. Build with
    :meth:`at_node` or :meth:`from_yaml`.
    """

    node_nm: int = 45
    energy_scale: float = 1.0
    area_scale: float = 1.0
    # Horowitz, "Computing's Energy Problem", ISSCC 2014, 45 nm, 0.9 V (energy per op, pJ)
    int_add_pj_8: float = 0.03
    int_add_pj_32: float = 0.1
    int_mul_pj_8: float = 0.2
    int_mul_pj_32: float = 3.1
    fp16_add_pj: float = 0.4
    fp16_mul_pj: float = 1.1
    fp32_add_pj: float = 0.9
    fp32_mul_pj: float = 3.7
    # Horowitz ISSCC 2014 area slide (um^2), as reproduced in reference §5.1 (not re-verified)
    int_add_um2_8: float = 36.0
    int_add_um2_32: float = 137.0
    int_mul_um2_8: float = 282.0
    int_mul_um2_32: float = 3495.0
    fp16_add_um2: float = 1360.0
    fp16_mul_um2: float = 1640.0
    fp32_add_um2: float = 4184.0
    fp32_mul_um2: float = 7700.0
    # Aladdin (Shao et al., ISCA 2014) 40 nm library, 1-bit register at 1 GHz: 9.0e-3 pJ per
    # write, 5.98 um^2, 7.4e-5 mW leakage; used at 45 nm unscaled (Aladdin's stated accuracy
    # is ~70%, larger than the 40 -> 45 nm difference)
    reg_pj_per_bit: float = 0.009
    reg_um2_per_bit: float = 5.98
    # Horowitz ISSCC 2014: 64-bit cache read, 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ
    sram_pj_64b_8kb: float = 10.0
    sram_pj_64b_32kb: float = 20.0
    sram_pj_64b_1mb: float = 100.0
    # Intel 45 nm 6T SRAM cell (Mistry et al., IEDM 2007); efficiency is an assumption
    sram_bitcell_um2: float = 0.346
    sram_array_efficiency: float = 0.5
    # Horowitz ISSCC 2014: DRAM 1.3-2.6 nJ per 64-bit access; midpoint 1.95 nJ / 64 bit
    dram_pj_per_bit: float = 1950.0 / 64
    # Aladdin 40 nm: leakage / area of its register, adder and multiplier all ~1.2e-8 W/um^2
    # (7.4e-5 mW / 5.98 um^2, 2.25e-3 mW / 278 um^2, 7.79e-2 mW / 6350 um^2)
    leakage_w_per_um2: float = 1.2e-8
    # NanGate FreePDK45 open cell library, NAND2_X1 = 0.798 um^2 (one gate equivalent)
    nand2_um2: float = 0.798

    # ------------------------------------------------------------------ construction
    @classmethod
    def at_node(cls, node_nm: int = 45) -> Self:
        """Tables scaled to ``node_nm`` (one of :data:`NODES`).

        At 130 nm the integer operators and registers are calibrated against this project's
        sky130 synthesis instead (:class:`accelsmith.models.calib.CalibratedTech`).
        """
        if node_nm == 130 and cls is Tech:
            from .calib import calibrated_tech

            return calibrated_tech()  # type: ignore[return-value]
        e, a = node_factors(node_nm)
        return cls(node_nm=node_nm, energy_scale=e, area_scale=a)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(
            f.name for f in dataclasses.fields(cls) if f.name not in ("energy_scale", "area_scale")
        )

    @classmethod
    def from_yaml(cls, path: str | Path, base: Tech | None = None) -> Self:
        """Override any subset of fields from a YAML mapping.

        Values are taken as *at the selected node* (``node_nm`` in the file, else the base's
        node): e.g. ``int_mul_pj_8: 0.1`` at ``node_nm: 28`` makes an 8-bit multiply cost
        exactly 0.1 pJ there.
        """
        import yaml

        p = Path(path)
        try:
            data = safe_load_file(p)  # duplicate keys and binary files refused (core/files)
        except OSError as exc:
            raise ConfigError(f"--tech {p} cannot be read: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"--tech {p} is not valid YAML: {yaml_problem(exc)}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"--tech {p} must be a mapping of field names to numbers")
        names = cls.field_names()
        for key, value in data.items():
            if key not in names:
                raise ConfigError(
                    f"--tech {p}: unknown key {key!r}; allowed keys are {', '.join(names)}"
                )
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigError(f"--tech {p}: {key} must be a non-negative number, not {value!r}")
            if key in _LOG_ANCHORS and value == 0:
                raise ConfigError(
                    f"--tech {p}: {key} must be > 0 (interpolated on a log scale), not {value!r}"
                )
            if key == "sram_array_efficiency" and not 0 < value <= 1:
                raise ConfigError(f"--tech {p}: {key} must be in (0, 1], not {value!r}")
        node = data.get("node_nm", base.node_nm if base is not None else 45)
        tech = cls.at_node(node) if base is None or node != base.node_nm else base
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key == "node_nm":
                continue
            if key in _ENERGY_FIELDS:
                value = value / tech.energy_scale
            elif key in _AREA_FIELDS:
                value = value / tech.area_scale
            elif key == "leakage_w_per_um2":
                value = value * tech.area_scale / tech.energy_scale
            changes[key] = float(value)
        return dataclasses.replace(tech, **changes)

    # ------------------------------------------------------------------ energy (J)
    def int_add_energy_j(self, bits: ArrayLike) -> np.ndarray:
        """Integer adder, per addition."""
        b = np.asarray(bits, dtype=np.float64)
        return _linear(b, self.int_add_pj_8, self.int_add_pj_32) * self.energy_scale * PJ

    def int_mul_energy_j(self, bits: ArrayLike) -> np.ndarray:
        """Integer multiplier with ``bits`` x ``bits`` operands, per multiplication."""
        b = np.asarray(bits, dtype=np.float64)
        return _pow_law(b, self.int_mul_pj_8, self.int_mul_pj_32) * self.energy_scale * PJ

    def fp_add_energy_j(self, fmt: str) -> float:
        """Floating-point add (``fp16`` or ``fp32``)."""
        return self._fp(fmt, self.fp16_add_pj, self.fp32_add_pj) * self.energy_scale * PJ

    def fp_mul_energy_j(self, fmt: str) -> float:
        """Floating-point multiply (``fp16`` or ``fp32``)."""
        return self._fp(fmt, self.fp16_mul_pj, self.fp32_mul_pj) * self.energy_scale * PJ

    def reg_energy_j(self, bits: ArrayLike) -> np.ndarray:
        """Writing a ``bits``-wide register once."""
        return np.asarray(bits, dtype=np.float64) * self.reg_pj_per_bit * self.energy_scale * PJ

    def sram_read_energy_j(self, capacity_bytes: ArrayLike, word_bits: ArrayLike) -> np.ndarray:
        """One read of ``word_bits`` from an SRAM of ``capacity_bytes``."""
        cap = np.maximum(np.asarray(capacity_bytes, dtype=np.float64), 1.0)
        x = np.log([8 * 1024.0, 32 * 1024.0, 1024 * 1024.0])
        y = np.log([self.sram_pj_64b_8kb, self.sram_pj_64b_32kb, self.sram_pj_64b_1mb])
        lc = np.log(cap)
        slope_lo = (y[1] - y[0]) / (x[1] - x[0])
        slope_hi = (y[2] - y[1]) / (x[2] - x[1])
        ly = np.interp(lc, x, y)
        ly = np.where(lc < x[0], y[0] + slope_lo * (lc - x[0]), ly)
        ly = np.where(lc > x[2], y[2] + slope_hi * (lc - x[2]), ly)
        per_64 = np.exp(ly)
        return per_64 * np.asarray(word_bits, dtype=np.float64) / 64.0 * self.energy_scale * PJ

    def sram_write_energy_j(self, capacity_bytes: ArrayLike, word_bits: ArrayLike) -> np.ndarray:
        """One write (costed like a read: no separate cited figure)."""
        return self.sram_read_energy_j(capacity_bytes, word_bits)

    @property
    def dram_energy_j_per_bit(self) -> float:
        """Off-chip DRAM access energy per bit (not node-scaled)."""
        return self.dram_pj_per_bit * PJ

    def leakage_w(self, area_um2: ArrayLike) -> np.ndarray:
        """Static power of ``area_um2`` of logic or SRAM at this node."""
        density = self.leakage_w_per_um2 * self.energy_scale / self.area_scale
        return np.asarray(area_um2, dtype=np.float64) * density

    # ------------------------------------------------------------------ area (um^2)
    def int_add_area_um2(self, bits: ArrayLike) -> np.ndarray:
        b = np.asarray(bits, dtype=np.float64)
        return _linear(b, self.int_add_um2_8, self.int_add_um2_32) * self.area_scale

    def int_mul_area_um2(self, bits: ArrayLike) -> np.ndarray:
        b = np.asarray(bits, dtype=np.float64)
        return _pow_law(b, self.int_mul_um2_8, self.int_mul_um2_32) * self.area_scale

    def fp_add_area_um2(self, fmt: str) -> float:
        return self._fp(fmt, self.fp16_add_um2, self.fp32_add_um2) * self.area_scale

    def fp_mul_area_um2(self, fmt: str) -> float:
        return self._fp(fmt, self.fp16_mul_um2, self.fp32_mul_um2) * self.area_scale

    def reg_area_um2(self, bits: ArrayLike) -> np.ndarray:
        return np.asarray(bits, dtype=np.float64) * self.reg_um2_per_bit * self.area_scale

    def sram_area_um2(self, capacity_bytes: ArrayLike) -> np.ndarray:
        bits = np.asarray(capacity_bytes, dtype=np.float64) * 8.0
        return bits * self.sram_bitcell_um2 / self.sram_array_efficiency * self.area_scale

    def ge_to_um2(self, gate_equivalents: ArrayLike) -> np.ndarray:
        """NAND2 gate equivalents (e.g. from Yosys) to um^2 at this node."""
        return np.asarray(gate_equivalents, dtype=np.float64) * self.nand2_um2 * self.area_scale

    @staticmethod
    def _fp(fmt: str, v16: float, v32: float) -> float:
        if fmt not in ("fp16", "fp32"):
            raise ConfigError(f"fmt must be one of 'fp16', 'fp32', not {fmt!r}")
        return v16 if fmt == "fp16" else v32
