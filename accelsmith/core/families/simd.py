"""Parameters of the mixed-precision SIMD MAC family (after XR-NPE, arXiv 2508.13049)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from ..errors import ConfigError
from ..numformats import MODES, Mode
from ..params import ParamsBase, check_choice, check_int, default_space, model_param, param
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

    lane_bits: int = param(
        16, choices=LANE_BITS, unit="bits", help="Word width W: 4, 8, 16 or 32 bits.", space=16
    )
    lanes: int = param(
        4,
        lo=1,
        hi=MAX_LANES,
        help="Words per beat (1..64).",
        space={"choices": [1, 2, 4, 8, 16, 32, 64]},
    )
    # ``formats`` is the supported set (decoders generated); the per-layer format assignment
    # (``layer_formats``) is a model-only choice
    formats: tuple[str, ...] = param(
        ("posit16_1", "posit8_0", "fp4_e2m1", "posit4_1"),
        custom_check=True,
        help="Comma-separated modes, in mode-code order: int4, int8, fp4_e2m1, fp8_e4m3, "
        "fp8_e5m2, posit4_1, posit8_0, posit16_1, posit8_0xfp4_e2m1.",
        column={"default": "posit16_1,posit8_0,fp4_e2m1,posit4_1"},
        space={
            "choices": [
                "posit16_1,posit8_0,fp4_e2m1,posit4_1",
                "posit16_1,posit8_0",
                "posit8_0,fp4_e2m1,posit8_0xfp4_e2m1",
                "int8,int4",
                "fp8_e4m3,fp8_e5m2,fp4_e2m1",
                "posit16_1,int8,fp8_e4m3,fp4_e2m1",
            ]
        },
    )
    acc: str = param(
        "exact",
        choices=ACC_MODES,
        help="exact (quire, one rounding) or fp32 (RNE per MAC).",
        space={"choices": ["exact", "fp32"]},
    )
    pipeline: int = param(
        2,
        lo=1,
        hi=MAX_PIPELINE,
        help="Stages before the accumulator.",
        space={"low": 1, "high": 4},
    )
    # the upper bound is ``lanes`` (checked in check()); MAX_LANES for the cost model's column
    power_gating: int = param(
        0,
        lo=0,
        hi=MAX_LANES,
        custom_check=True,
        help="Gated lane groups (0: none; divides lanes).",
        space={"choices": [0, 1]},
    )
    max_k: int = param(4096, lo=1, hi=MAX_K, help="Deepest exact dot product of the quire.")
    out_format: str = param(
        "fp32",
        choices=(*OUT_FORMATS, *POSIT_OUTS),
        help="Result format: fp32, bf16, fp16, posit16_1 or posit8_0.",
        space="fp32",
    )

    model_params = (
        model_param(
            "layer_formats",
            "auto",
            kind=str,
            cli_default="auto",
            help="auto (cheapest mode meeting --min-sqnr-db), widest, narrowest, one mode, "
            "or one mode per layer (comma-separated).",
            space={"choices": ["auto", "widest", "narrowest"]},
        ),
        model_param(
            "min_sqnr_db",
            20.0,
            lo=-100.0,
            hi=400.0,
            unit="dB",
            cli_default=20.0,
            help="SQNR a layer needs under auto (dB).",
            space={"choices": [15.0, 20.0, 25.0, 30.0]},
        ),
        # a folder of measured tensors: the cost command writes its --tensors option by hand
        model_param("tensors", "", kind=str, commands=()),
        model_param(
            "buffer_kb",
            16.0,
            lo=0.0,
            hi=1 << 20,
            unit="KiB",
            cli_default=64.0,
            help="Each operand/result buffer (KiB).",
            space={"choices": [4.0, 8.0, 16.0, 32.0, 64.0]},
        ),
        model_param(
            "freq_mhz",
            1000.0,
            lo=1.0,
            hi=10_000.0,
            unit="MHz",
            cli_default=1000.0,
            help="Clock (MHz).",
        ),
    )

    def check(self) -> None:
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
        check_int("power_gating", self.power_gating, 0, self.lanes)
        if self.power_gating and self.lanes % self.power_gating:
            raise ConfigError(
                f"power_gating must be 0 or divide lanes = {self.lanes}, not {self.power_gating!r}"
            )

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


#: Default DSE space, from the declarations. ``formats`` is the supported set (decoders
#: generated); the per-layer format assignment (``layer_formats``) is a model-only choice:
#: ``uniform:<mode>`` runs every layer in one mode, ``auto`` gives each layer the cheapest
#: supported mode that meets the campaign's ``min_sqnr_db`` (see :mod:`accelsmith.models.simd`).
DEFAULT_SPACE = default_space(
    SimdParams, order=("lane_bits", "lanes", "formats", "acc", "out_format")
)

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
