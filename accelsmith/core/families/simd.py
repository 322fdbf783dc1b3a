"""Parameters of the mixed-precision SIMD MAC family (after XR-NPE, arXiv 2508.13049)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from ..errors import ConfigError
from ..numformats import MODES, Mode
from ..params import ParamsBase, check_choice, check_int
from ..registry import Family

ACC_MODES = ("exact", "fp32")
#: result formats: name -> (exponent bits, mantissa bits) of an IEEE-style float
OUT_FORMATS = {"fp32": (8, 23), "bf16": (8, 7), "fp16": (5, 10)}
#: posit result formats: name -> (n, es)
POSIT_OUTS = {"posit16_1": (16, 1), "posit8_0": (8, 0)}
LANE_BITS = (4, 8, 16, 32)
MAX_LANES = 64
MAX_K = 1 << 20
MAX_PIPELINE = 4


def _as_tuple(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not value:
        raise ConfigError(f"{name} must be a non-empty list of mode names, not {value!r}")
    return tuple(value)


@dataclasses.dataclass(frozen=True, kw_only=True)
class SimdParams(ParamsBase):
    """A SIMD dot-product engine whose words split into 1, 2, 4 ... sub-lanes by format.

    Parameters
    ----------
    lane_bits : int
        Word width W in bits (4, 8, 16 or 32). A format of width w runs ``W / w`` MACs per
        word per cycle (for W = 16: 1 x 16-bit, 2 x 8-bit or 4 x 4-bit).
    lanes : int
        Words per beat (1..64).
    formats : tuple of str
        Run-time modes the engine supports, in mode-code order (the ``mode`` field value ``i``
        selects ``formats[i]``): ``int4``, ``int8``, ``fp4_e2m1``, ``fp8_e4m3``, ``fp8_e5m2``,
        ``posit4_1``, ``posit8_0``, ``posit16_1`` and the mixed ``posit8_0xfp4_e2m1``. Only
        these decoders are generated. A comma-separated string is accepted.
    acc : {"exact", "fp32"}
        ``exact``: a wide fixed-point accumulator (quire) per slot, one RNE rounding to
        binary32 at readout. ``fp32``: IEEE binary32 accumulation, RNE after every MAC (the
        product itself is exact: a fused multiply-add).
    pipeline : int
        Register stages from the input to the accumulator (1..4): input, after decoding,
        after the multiplier, after alignment.
    power_gating : int
        Number of independently gated lane groups (0: none; else it must divide ``lanes``).
    max_k : int
        ``exact`` only: the deepest dot product the quire holds without overflow (1..2**20);
        it sets the quire's carry bits.
    out_format : {"fp32", "bf16", "fp16", "posit16_1", "posit8_0"}
        Format of the results: IEEE binary32, bfloat16 or binary16 (RNE; overflow to Inf,
        gradual underflow), or a posit (RNE on the bit string, saturating, never 0 or NaR;
        NaN and Inf give NaR). ``exact`` rounds the quire once to it (a posit quire
        dot product); ``fp32`` converts the binary32 accumulator at readout (a second
        rounding when not ``fp32``).
    """

    family: ClassVar[str] = "simd"

    lane_bits: int = 16
    lanes: int = 4
    formats: tuple[str, ...] = ("posit16_1", "posit8_0", "fp4_e2m1", "posit4_1")
    acc: str = "exact"
    pipeline: int = 2
    power_gating: int = 0
    max_k: int = 4096
    out_format: str = "fp32"

    def __post_init__(self) -> None:
        if self.lane_bits not in LANE_BITS:
            raise ConfigError(
                f"lane_bits must be one of {', '.join(map(str, LANE_BITS))}, not {self.lane_bits!r}"
            )
        check_int("lanes", self.lanes, 1, MAX_LANES)
        formats = _as_tuple("formats", self.formats)
        seen = set()
        for f in formats:
            check_choice("formats", f, MODES)
            if f in seen:
                raise ConfigError(f"formats must not repeat a mode, not {list(formats)!r}")
            seen.add(f)
            if MODES[f].width > self.lane_bits:
                raise ConfigError(
                    f"formats must fit in lane_bits = {self.lane_bits} bits, not {f!r} "
                    f"({MODES[f].width} bits)"
                )
        self._set("formats", formats)
        check_choice("acc", self.acc, ACC_MODES)
        check_int("pipeline", self.pipeline, 1, MAX_PIPELINE)
        check_int("power_gating", self.power_gating, 0, self.lanes)
        if self.power_gating and self.lanes % self.power_gating:
            raise ConfigError(
                f"power_gating must be 0 or divide lanes = {self.lanes}, not {self.power_gating!r}"
            )
        check_int("max_k", self.max_k, 1, MAX_K)
        check_choice("out_format", self.out_format, (*OUT_FORMATS, *POSIT_OUTS))

    # ---------------------------------------------------------------- derived
    @property
    def modes(self) -> tuple[Mode, ...]:
        return tuple(MODES[f] for f in self.formats)

    @property
    def mode_bits(self) -> int:
        """Width of the ``mode`` field."""
        return max(1, (len(self.formats) - 1).bit_length())

    @property
    def slots(self) -> int:
        """Accumulator slots per word: ``lane_bits`` over the narrowest mode's width."""
        return self.lane_bits // min(m.width for m in self.modes)

    def slot_modes(self, slot: int) -> tuple[int, ...]:
        """Indices of the modes that put a product into ``slot`` of a word."""
        return tuple(i for i, m in enumerate(self.modes) if slot < self.lane_bits // m.width)

    def macs_per_cycle(self, mode: str) -> int:
        """MACs per cycle of the whole engine in ``mode``."""
        return self.lanes * (self.lane_bits // MODES[mode].width)

    @property
    def carry_bits(self) -> int:
        """Quire bits above the largest product for ``max_k`` terms."""
        return max(self.max_k - 1, 1).bit_length()

    def quire_range(self, slot: int) -> tuple[int, int]:
        """(LSB exponent, width incl. sign) of ``slot``'s exact accumulator."""
        ms = [self.modes[i] for i in self.slot_modes(slot)]
        lsb = min(m.prod_lsb_min for m in ms)
        top = max(m.prod_top_max for m in ms)
        return lsb, top - lsb + 1 + self.carry_bits + 1

    @property
    def out_fields(self) -> tuple[int, int]:
        """(exponent bits, mantissa bits) of an IEEE-style result format."""
        return OUT_FORMATS[self.out_format]

    @property
    def out_posit(self) -> tuple[int, int] | None:
        """(n, es) of a posit result format, else None."""
        return POSIT_OUTS.get(self.out_format)

    @property
    def out_bits(self) -> int:
        """Width of one result."""
        if self.out_posit is not None:
            return self.out_posit[0]
        eb, mb = self.out_fields
        return 1 + eb + mb

    def default_name(self) -> str:
        """A readable module name, e.g. ``simd16x4_exact_4f`` (``_bf16`` etc. appended for a
        non-binary32 result format)."""
        out = "" if self.out_format == "fp32" else f"_{self.out_format}"
        return f"simd{self.lane_bits}x{self.lanes}_{self.acc}_{len(self.formats)}f{out}"

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["formats"] = list(self.formats)
        return d


#: Default DSE space. ``formats`` is the supported set (decoders generated); the per-layer
#: format assignment (``layer_formats``) is a model-only choice: ``uniform:<mode>`` runs every
#: layer in one mode, ``auto`` gives each layer the cheapest supported mode that meets the
#: campaign's ``min_sqnr_db`` (see :mod:`accelsmith.models.simd`).
DEFAULT_SPACE = {
    "lane_bits": 16,
    "lanes": {"choices": [1, 2, 4, 8, 16, 32, 64]},
    "formats": {
        "choices": [
            "posit16_1,posit8_0,fp4_e2m1,posit4_1",
            "posit16_1,posit8_0",
            "posit8_0,fp4_e2m1,posit8_0xfp4_e2m1",
            "int8,int4",
            "fp8_e4m3,fp8_e5m2,fp4_e2m1",
            "posit16_1,int8,fp8_e4m3,fp4_e2m1",
        ]
    },
    "acc": {"choices": ["exact", "fp32"]},
    "out_format": "fp32",
    "pipeline": {"low": 1, "high": 4},
    "power_gating": {"choices": [0, 1]},
    "layer_formats": {"choices": ["auto", "widest", "narrowest"]},
    "min_sqnr_db": {"choices": [15.0, 20.0, 25.0, 30.0]},
    "buffer_kb": {"choices": [4.0, 8.0, 16.0, 32.0, 64.0]},
}

FAMILY = Family(
    name="simd",
    params="accelsmith.core.families.simd:SimdParams",
    generator="accelsmith.hdl.simd:build",
    golden="accelsmith.sim.golden.simd:golden",
    bench="accelsmith.sim.benches.simd_tb",
    cost="accelsmith.models.simd:evaluate_simd",
    manifest="accelsmith.hdl.simd:simd_manifest",
    space=DEFAULT_SPACE,
    agent_groups={
        "datapath": ("lane_bits", "lanes", "pipeline", "power_gating", "buffer_kb"),
        "precision": ("formats", "acc", "out_format", "layer_formats", "min_sqnr_db"),
    },
    test_order=(
        "exhaustive_products",
        "random_products",
        "special_values",
        "lane_isolation",
        "dot_products",
        "mode_switch",
        "gated_lanes",
        "back_pressure",
    ),
)
