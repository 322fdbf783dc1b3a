"""Parameters of the LUT-tensor-core family (mixed-precision GEMM by table lookup).

After Mo et al., "LUT Tensor Core" (arXiv 2408.06003, ISCA 2025): low-bit weights (1..4 bits,
processed one bit-plane per cycle) multiply integer activations through per-group tables of
activation sums instead of multipliers. Semantics: ``shared/reference/accelerators.md`` §1.2.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ..errors import ConfigError
from ..params import ParamsBase, default_space, model_param, param
from ..registry import Family

NEGATIONS = ("offline", "hardware")
MAX_TILE_M = 16
MAX_TILE_N = 256
MAX_K = 1 << 20
MAX_ACC_BITS = 64


def _signed_width(lo: int, hi: int) -> int:
    """Smallest two's-complement width holding every integer in ``[lo, hi]``."""
    n = 1
    while not (-(1 << (n - 1)) <= lo and hi <= (1 << (n - 1)) - 1):
        n += 1
    return n


def entry_bits(group_size: int, act_bits: int) -> int:
    """Width of one table entry ``sum_k (+-1) * a_k`` over a group of ``group_size``.

    The extreme entry is ``group_size * 2**(act_bits - 1)`` (every activation at the minimum,
    every sign -1), so e.g. K = 4 and INT8 activations need 11 bits, not the 10 of a naive
    ``act_bits + log2(K)``.
    """
    bound = group_size * (1 << (act_bits - 1))
    return _signed_width(-bound, bound)


def exact_acc_bits(weight_bits: int, act_bits: int, max_k: int, bias_correction: bool) -> int:
    """Smallest result width that holds any ``max_k``-deep dot product exactly.

    ``bias_correction``: results are ``A @ W`` with signed ``weight_bits``-bit weights
    (``W in [-2**(B-1), 2**(B-1) - 1]``). Otherwise results are ``A @ Q'`` with the bipolar
    weights ``Q' = 2Q - (2**B - 1)``, odd values in ``[-(2**B - 1), 2**B - 1]``.
    """
    amin, amax = -(1 << (act_bits - 1)), (1 << (act_bits - 1)) - 1
    if bias_correction:
        wmin, wmax = -(1 << (weight_bits - 1)), (1 << (weight_bits - 1)) - 1
    else:
        wmax = (1 << weight_bits) - 1
        wmin = -wmax
    prods = (amin * wmin, amin * wmax, amax * wmin, amax * wmax)
    return _signed_width(max_k * min(prods), max_k * max(prods))


@dataclasses.dataclass(frozen=True, kw_only=True)
class LutCoreParams(ParamsBase):
    """A LUT tensor core computing one ``tile_m x tile_n`` tile of ``C = A @ W`` over any depth.

    Parameters
    ----------
    group_size : int
        ``K``: activations per table (2..6). A table holds ``2**(K-1)`` (symmetric) or ``2**K``
        entries per activation row.
    weight_bits : int
        ``B``: weight bits (1..4), processed bit-serially, one bit-plane per cycle.
    act_bits : int
        Signed integer activation width (4..16 bits).
    tile_m : int
        Activation rows per tile, i.e. tables built per group (1..16).
    tile_n : int
        Weight columns sharing each table (the "elongated" tile, 1..256).
    symmetric : bool
        Store only the ``2**(K-1)`` entries with index bit 0 clear and use odd symmetry
        (``LUT[c] = -LUT[~c]``) with a conditional negation; ``False`` stores all ``2**K``.
    negation : {"offline", "hardware"}
        With ``symmetric``: ``offline`` expects weight indices already transformed
        (``c' = c ^ (2**K - 2)`` when bit 0 is set), so the LUT array needs no index inversion;
        ``hardware`` takes raw indices and inverts them with XOR gates. No effect (and must be
        ``offline``, the default) when ``symmetric`` is false.
    bias_correction : bool
        ``True``: weight codes are offset binary (``Q = W + 2**(B-1)``) and the results are
        ``A @ W`` exactly (the core subtracts ``sum(A)`` and halves). ``False``: results are the
        raw ``A @ Q'`` with ``Q' = 2Q - (2**B - 1)`` (scale and zero point applied outside).
    max_k : int
        The deepest reduction the default result width holds without overflow (1..2**20).
    acc_bits : int or None
        Result width (4..64). ``None`` picks :func:`exact_acc_bits`; a smaller value makes the
        results wrap modulo ``2**acc_bits``.
    """

    family: ClassVar[str] = "lut-core"

    group_size: int = param(
        4, lo=2, hi=6, help="K: activations per table (2..6).", space={"low": 2, "high": 6}
    )
    # weight_bits and act_bits are fixed in the default space: the cost model has no accuracy
    # term that would stop a search from always picking the narrowest operands; set them per
    # workload (e.g. 2 for BitNet-style ternary weights)
    weight_bits: int = param(
        2, lo=1, hi=4, unit="bits", help="B: weight bits, one plane per cycle (1..4).", space=2
    )
    act_bits: int = param(
        8, lo=4, hi=16, unit="bits", help="Signed activation width (4..16).", space=8
    )
    tile_m: int = param(
        2,
        lo=1,
        hi=MAX_TILE_M,
        help="Activation rows (tables) per tile.",
        space={"choices": [1, 2, 4, 8]},
    )
    tile_n: int = param(
        16,
        lo=1,
        hi=MAX_TILE_N,
        help="Weight columns sharing each table.",
        space={"low": 8, "high": 128, "step": 8},
    )
    symmetric: bool = param(
        True, help="Half tables by odd symmetry, or full.", space={"choices": [True, False]}
    )
    negation: str = param(
        "offline",
        choices=NEGATIONS,
        help="offline (pre-transformed indices) or hardware (XOR).",
        space={"choices": ["offline", "hardware"], "when": {"symmetric": True}},
    )
    bias_correction: bool = param(
        True,
        help="Results A @ W for offset-binary weights, or the raw A @ (2Q - (2^B - 1)).",
        space=True,
    )
    max_k: int = param(16384, lo=1, hi=MAX_K, help="Deepest exact reduction (1..2^20).")
    acc_bits: int | None = param(
        None,
        kind=int,
        lo=4,
        hi=MAX_ACC_BITS,
        unit="bits",
        derived=True,
        help="Result width (4..64); default exact for --max-k.",
    )

    model_params = (
        model_param(
            "arrays", 1, lo=1, hi=4096, help="Identical cores working in parallel.", cli_default=1
        ),
        model_param(
            "act_kb",
            64.0,
            lo=0.0,
            hi=1 << 20,
            unit="KiB",
            help="Activation buffer (KiB).",
            space={"choices": [16, 32, 64, 128]},
        ),
        model_param(
            "weight_kb",
            256.0,
            lo=0.0,
            hi=1 << 20,
            unit="KiB",
            help="Weight buffer (KiB).",
            space={"choices": [32, 64, 128, 256]},
        ),
        model_param(
            "freq_mhz",
            1000.0,
            lo=1.0,
            hi=10_000.0,
            unit="MHz",
            help="Clock (MHz).",
            cli_default=1000.0,
        ),
        model_param(
            "dram_gbps",
            25.6,
            lo=0.01,
            hi=100_000.0,
            unit="GB/s",
            help="DRAM bandwidth (GB/s).",
            cli_default=25.6,
        ),
    )

    def check(self) -> None:
        if not self.symmetric and self.negation != "offline":
            raise ConfigError(
                "negation must be 'offline' when symmetric is false (a full table needs no "
                f"negation), not {self.negation!r}"
            )
        if self.acc_bits is None:
            self._set("acc_bits", self.exact_acc_bits)

    @property
    def exact_acc_bits(self) -> int:
        """The result width needed for exact results up to ``max_k``."""
        return exact_acc_bits(self.weight_bits, self.act_bits, self.max_k, self.bias_correction)

    @property
    def wraps(self) -> bool:
        """True when ``acc_bits`` is narrower than exact, so deep sums wrap around."""
        assert self.acc_bits is not None
        return self.acc_bits < self.exact_acc_bits

    @property
    def entry_bits(self) -> int:
        """Width of one table entry."""
        return entry_bits(self.group_size, self.act_bits)

    @property
    def table_entries(self) -> int:
        """Entries stored per activation row: ``2**(K-1)`` symmetric, else ``2**K``."""
        return 1 << (self.group_size - (1 if self.symmetric else 0))

    def default_name(self) -> str:
        """A readable module name, e.g. ``lut_k4_w2a8_2x16_sym``."""
        table = "full" if not self.symmetric else ("sym" if self.negation == "offline" else "symx")
        bias = "" if self.bias_correction else "_bip"
        return (
            f"lut_k{self.group_size}_w{self.weight_bits}a{self.act_bits}_"
            f"{self.tile_m}x{self.tile_n}_{table}{bias}"
        )


#: Default DSE space (campaign-spec syntax), from the declarations: 5 group sizes x 4 x 16
#: tile shapes x 3 table variants (full, symmetric with offline or hardware negation) x 4 x 4
#: buffers = 15,360 points.
DEFAULT_SPACE = default_space(LutCoreParams)

FAMILY = Family(
    name="lut-core",
    params="accelsmith.core.families.lut_core:LutCoreParams",
    generator="accelsmith.hdl.lut_core:build",
    golden="accelsmith.sim.golden.lut_core:golden",
    bench="accelsmith.sim.benches.lut_core_tb",
    cost="accelsmith.models.lut_core:evaluate_lut_core",
    manifest="accelsmith.hdl.lut_core:manifest_extras",
    space=DEFAULT_SPACE,
    agent_groups={
        "table": ("group_size", "symmetric", "negation"),
        "tile": ("tile_m", "tile_n", "arrays"),
        "precision": ("weight_bits", "act_bits", "acc_bits", "max_k", "bias_correction"),
        "memory": ("act_kb", "weight_kb", "dram_gbps", "freq_mhz"),
    },
    test_order=("corner_cases", "back_to_back", "random_stalls"),
)
