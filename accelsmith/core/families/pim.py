"""Parameters of the processing-in-memory (DRAM bank + MAC lanes) family.

Timing presets come from the simulators' configuration files listed in
``shared/reference/accelerators.md`` §3.3 (values in DRAM clock cycles):

``hbm2``
    NeuPIMs ``configs/HBM2_8Gb_x128_dualpim.ini`` (casys-kaist/NeuPIMs @f299af3), tCK 1 ns.
``gddr6``
    NewtonSim ``GDDR6_8Gb_x16.ini`` (in NeuPIMs ``extern/NewtonSim``), tCK 0.66 ns.
``gddr6-aim``
    ``GDDR6_AiM_timing`` of arkhadem/aim_simulator @0f28a07 (Ramulator 2 ``GDDR6.cpp``),
    tCK 0.5 ns.

The model has one value per rule where the files distinguish short/long (bank-group) variants:
the all-bank MAC stream stays in one bank group, so ``tCCD`` and ``tRTP`` take the ``_L``
values; the sequencer activates banks round-robin over bank groups, so ``tRRD`` takes ``_S``.
For GDDR6-AiM ``tRCD`` is the MAC variant ``tRCDRDMAC = 56`` (the PIM path), not the 36-cycle
plain read. ``tWR`` counts from the WR command to PRE. ``tCL`` is the read latency (RD and
RD_MAC data appear ``tCL`` cycles after the command).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ConfigError
from ..files import safe_load_file
from ..params import ParamsBase, check_int, default_space, model_param, param
from ..registry import Family

PRECISIONS = ("int8", "fp16", "bf16")
#: element width (bits) of each precision
ELEM_BITS = {"int8": 8, "fp16": 16, "bf16": 16}
#: the timing rules, in cycles (fields of PimParams)
TIMING_FIELDS = (
    "t_rcd",
    "t_rp",
    "t_ras",
    "t_ccd",
    "t_rrd",
    "t_faw",
    "t_rtp",
    "t_wr",
    "t_rfc",
    "t_refi",
    "t_cl",
)
#: YAML / display names of the timing fields (``tRCD`` ...); both spellings are accepted
TIMING_NAMES = {
    "t_rcd": "tRCD",
    "t_rp": "tRP",
    "t_ras": "tRAS",
    "t_ccd": "tCCD",
    "t_rrd": "tRRD",
    "t_faw": "tFAW",
    "t_rtp": "tRTP",
    "t_wr": "tWR",
    "t_rfc": "tRFC",
    "t_refi": "tREFI",
    "t_cl": "tCL",
}
MAX_T = 65535

#: timing presets (cycles) and the clock (MHz = 1000 / tCK ns); see the module docstring
PRESETS: dict[str, dict[str, Any]] = {
    # NeuPIMs configs/HBM2_8Gb_x128_dualpim.ini: tCK 1, CL 14, tRCD 14, tRP 14, tRAS 34,
    # tCCD_S/L 1/2, tRRD_S/L 4/6, tFAW 30, tWR 16, tRTP_S/L 4/6, tRFC 260, tREFI 3900
    "hbm2": {
        "freq_mhz": 1000.0,
        "source": "casys-kaist/NeuPIMs@f299af3 configs/HBM2_8Gb_x128_dualpim.ini",
        "t_rcd": 14,
        "t_rp": 14,
        "t_ras": 34,
        "t_ccd": 2,
        "t_rrd": 4,
        "t_faw": 30,
        "t_rtp": 6,
        "t_wr": 16,
        "t_rfc": 260,
        "t_refi": 3900,
        "t_cl": 14,
    },
    # NewtonSim GDDR6_8Gb_x16.ini: tCK 0.66, CL 24, tRCD 24/20, tRP 24, tRAS 54, tCCD_S/L 3/4,
    # tRRD 9, tFAW 32, tWR 16, tRTP 3, tRFC 126, tREFI 11862
    "gddr6": {
        "freq_mhz": 1000.0 / 0.66,
        "source": "casys-kaist/NeuPIMs@f299af3 extern/NewtonSim GDDR6_8Gb_x16.ini",
        "t_rcd": 24,
        "t_rp": 24,
        "t_ras": 54,
        "t_ccd": 4,
        "t_rrd": 9,
        "t_faw": 32,
        "t_rtp": 3,
        "t_wr": 16,
        "t_rfc": 126,
        "t_refi": 11862,
        "t_cl": 24,
    },
    # aim_simulator GDDR6_AiM_timing (rate 2000): CL 50, tRCDRD/WR 36/28, tRCDRDMAC 56,
    # tRP 32, tRAS 54, tCCD 2, tRRD 11, tFAW 42, tWR 33, tRTP 12, tRFC 210, tREFI 3333
    "gddr6-aim": {
        "freq_mhz": 2000.0,
        "source": "arkhadem/aim_simulator@0f28a07 GDDR6.cpp GDDR6_AiM_timing",
        "t_rcd": 56,
        "t_rp": 32,
        "t_ras": 54,
        "t_ccd": 2,
        "t_rrd": 11,
        "t_faw": 42,
        "t_rtp": 12,
        "t_wr": 33,
        "t_rfc": 210,
        "t_refi": 3333,
        "t_cl": 50,
    },
}
TIMINGS = (*PRESETS, "custom")


def load_timing(path: str | Path) -> dict[str, int]:
    """Timing values from a YAML mapping (``tRCD: 14`` or ``t_rcd: 14`` ...), validated.

    Every one of the eleven rules must be given (``tRCD, tRP, tRAS, tCCD, tRRD, tFAW, tRTP,
    tWR, tRFC, tREFI, tCL``). Returns the ``t_*`` fields of :class:`PimParams`.
    """
    import yaml

    p = Path(path)
    try:
        data = safe_load_file(p)  # duplicate keys and binary files refused (core/files)
    except OSError as exc:
        raise ConfigError(f"--timing {p} cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"--timing {p} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--timing {p} must be a mapping of timing names to cycles")
    by_name = {v: k for k, v in TIMING_NAMES.items()} | {k: k for k in TIMING_FIELDS}
    out: dict[str, int] = {}
    for key, value in data.items():
        if key not in by_name:
            allowed = ", ".join(TIMING_NAMES.values())
            raise ConfigError(f"--timing {p}: unknown key {key!r}; allowed keys are {allowed}")
        field = by_name[key]
        check_int(TIMING_NAMES[field], value, 1, MAX_T)
        out[field] = value
    missing = [TIMING_NAMES[f] for f in TIMING_FIELDS if f not in out]
    if missing:
        raise ConfigError(f"--timing {p}: missing {', '.join(missing)}")
    return out


def _timing_param(what: str) -> Any:
    """A timing rule: cycles, from the preset unless given (cost model: 0 = the preset's)."""
    return param(
        None,
        kind=int,
        lo=1,
        hi=MAX_T,
        derived=True,
        unit="cycles",
        help=f"{what} (cycles; overrides the preset).",
        column={"default": 0, "lo": 0},
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class PimParams(ParamsBase):
    """DRAM banks with MAC lanes beside each bank, run in all-bank lock step (one channel).

    Parameters
    ----------
    rows : int
        DRAM rows per bank (1..65536); the generator holds them in an Amaranth memory, so
        keep ``rows * row_bytes * banks`` small (at most 1 MiB) for simulation.
    row_bytes : int
        Row buffer (page) size in bytes; a multiple of the burst size (at most 16384). The
        global input buffer holds one page of the input vector.
    lanes : int
        MAC lanes per bank (1..64); one column burst feeds all lanes (one element each).
    precision : {"int8", "fp16", "bf16"}
        ``int8``: signed 8-bit operands, 32-bit wrapping lane accumulators. ``fp16``: per lane
        ``acc = fp16(fp16(w * x) + acc)`` (unfused, HBM-PIM). ``bf16``: products exact in
        FP32, a fixed-order pairwise FP32 tree over the lanes, an FP32 accumulator per bank,
        RNE to BF16 on RD_MAC (AiM-style).
    burst_bits : int or None
        Column access width in bits; ``None`` derives ``lanes * element bits`` (the only
        allowed value: one burst is one element per lane).
    banks : int
        Banks per channel (1..64), each with its MAC lanes, run in lock step.
    timing : {"hbm2", "gddr6", "gddr6-aim", "custom"}
        Timing preset; ``custom`` needs every ``t_*`` field. Fields given explicitly override
        the preset.
    t_rcd, t_rp, t_ras, t_ccd, t_rrd, t_faw, t_rtp, t_wr, t_rfc, t_refi, t_cl : int or None
        Timing rules in clock cycles (1..65535): ACT->column, PRE->ACT, ACT->PRE, column->
        column, ACT->ACT (any banks), four-activation window, RD/MAC->PRE, WR->PRE,
        REF->ACT/REF, refresh interval, read latency.
    """

    family: ClassVar[str] = "pim"

    rows: int = param(
        16,
        lo=1,
        hi=65536,
        help="DRAM rows per bank.",
        # the cost model's default is a real device's bank (32768 rows)
        column={"default": 32768, "hi": 1 << 20},
        space=32768,
    )
    row_bytes: int = param(
        64,
        lo=1,
        hi=16384,
        unit="bytes",
        help="Row buffer (page) bytes.",
        column={"default": 1024},
        space={"choices": [1024, 2048]},
    )
    lanes: int = param(
        16, lo=1, hi=64, help="MAC lanes per bank (1..64).", space={"choices": [4, 8, 16, 32]}
    )
    precision: str = param(
        "fp16",
        choices=PRECISIONS,
        help="int8, fp16 or bf16.",
        space={"choices": ["fp16", "bf16", "int8"]},
    )
    # derived: must equal lanes * element bits (checked in check()); 0 in the cost model
    burst_bits: int | None = param(
        None,
        kind=int,
        derived=True,
        custom_check=True,
        unit="bits",
        help="Column burst bits (lanes x w).",
        commands=("generate", "verify"),
        column={"default": 0, "lo": 0, "hi": 4096},
    )
    banks: int = param(
        4,
        lo=1,
        hi=64,
        help="Banks per channel (1..64).",
        column={"default": 16},
        space={"choices": [4, 8, 16]},
    )
    # the CLI also takes a YAML file of custom timings (cli/families/pim.py)
    timing: str = param(
        "hbm2",
        choices=TIMINGS,
        help="hbm2, gddr6, gddr6-aim, or a YAML file (tRCD: 14 ...).",
        column={"choices": tuple(PRESETS)},
        space={"choices": ["hbm2", "gddr6-aim"]},
    )
    t_rcd: int | None = _timing_param("ACT to column command")
    t_rp: int | None = _timing_param("PRE to ACT")
    t_ras: int | None = _timing_param("ACT to PRE")
    t_ccd: int | None = _timing_param("column to column")
    t_rrd: int | None = _timing_param("ACT to ACT")
    t_faw: int | None = _timing_param("four-activation window")
    t_rtp: int | None = _timing_param("RD/MAC to PRE")
    t_wr: int | None = _timing_param("WR to PRE")
    t_rfc: int | None = _timing_param("REF to ACT/REF")
    t_refi: int | None = _timing_param("refresh interval")
    t_cl: int | None = _timing_param("read latency")

    model_params = (
        model_param(
            "channels",
            16,
            lo=1,
            hi=4096,
            help="PIM channels.",
            cli_default=16,
            space={"choices": [8, 16, 32]},
        ),
        model_param(
            "freq_mhz",
            0.0,
            lo=0.0,
            hi=100_000.0,
            unit="MHz",
            cli_default=0.0,
            help="DRAM clock (MHz); 0: the preset's.",
        ),
        model_param(
            "batch",
            1,
            lo=1,
            hi=4096,
            help="Requests decoded together.",
            cli_default=1,
            space={"choices": [1, 8, 32, 64, 128, 256]},
        ),
        model_param(
            "interleave",
            False,
            help="NeuPIMs sub-batches.",
            cli_default=False,
            space={"choices": [True, False]},
        ),
        model_param(
            "npu_rows",
            0,
            lo=0,
            hi=256,
            help="Systolic NPU rows (0: PIM only).",
            cli_default=0,
            space={"low": 16, "high": 256, "step": 16},
        ),
        model_param(
            "npu_cols",
            0,
            lo=0,
            hi=256,
            help="Systolic NPU columns.",
            cli_default=0,
            space={"low": 16, "high": 256, "step": 16},
        ),
        model_param("npu_dataflow", "ws", choices=("os", "ws"), help="os or ws.", cli_default="ws"),
        model_param(
            "pim_offload",
            "attention",
            choices=("attention", "kv_read", "kv_read+experts", "auto"),
            help="With an NPU, layers on PIM: attention, kv_read (decode attention, "
            "NeuPIMs), kv_read+experts (Duplex) or auto (the faster engine per layer).",
            cli_default="attention",
        ),
        model_param(
            "npu_freq_mhz",
            1000.0,
            lo=1.0,
            hi=10_000.0,
            unit="MHz",
            help="NPU MHz.",
            cli_default=1000.0,
        ),
        model_param(
            "npu_dram_gbps",
            0.0,
            lo=0.0,
            hi=100_000.0,
            unit="GB/s",
            help="NPU bandwidth; 0: the channels'.",
            cli_default=0.0,
        ),
    )

    def check(self) -> None:
        derived = self.lanes * ELEM_BITS[self.precision]
        if self.burst_bits is None:
            self._set("burst_bits", derived)
        elif self.burst_bits != derived:
            raise ConfigError(
                f"burst_bits must be lanes * element bits (= {derived} for {self.lanes} "
                f"{self.precision} lanes), not {self.burst_bits!r}"
            )
        if (self.row_bytes * 8) % derived:
            raise ConfigError(
                f"row_bytes must be a multiple of the burst ({derived // 8} bytes), "
                f"not {self.row_bytes!r}"
            )
        preset = PRESETS.get(self.timing, {})
        for f in TIMING_FIELDS:
            if getattr(self, f) is None:
                if self.timing == "custom":
                    raise ConfigError(f"{f} must be given with timing 'custom', not None")
                self._set(f, preset[f])
        if self.t_refi <= self.t_rfc:  # type: ignore[operator]
            raise ConfigError(
                f"t_refi must be greater than t_rfc ({self.t_rfc}), not {self.t_refi!r}"
            )

    # ------------------------------------------------------------------ derived
    @property
    def elem_bits(self) -> int:
        return ELEM_BITS[self.precision]

    @property
    def bursts_per_row(self) -> int:
        """Column bursts in one row (page); also the global buffer's size in bursts."""
        assert self.burst_bits is not None
        return self.row_bytes * 8 // self.burst_bits

    @property
    def row_elems(self) -> int:
        """Elements of a weight row (or the input vector) held by one DRAM row."""
        return self.bursts_per_row * self.lanes

    @property
    def lane_acc_bits(self) -> int:
        """Accumulator width per lane (int8, fp16) or per bank (bf16, FP32)."""
        return {"int8": 32, "fp16": 16, "bf16": 32}[self.precision]

    @property
    def result_bits(self) -> int:
        """RD_MAC bits per bank: all lane accumulators (int8, fp16) or one BF16 value."""
        return 16 if self.precision == "bf16" else self.lanes * self.lane_acc_bits

    def timings(self) -> dict[str, int]:
        """Resolved timing rules by field name."""
        return {f: int(getattr(self, f)) for f in TIMING_FIELDS}

    def default_name(self) -> str:
        """A readable module name, e.g. ``pim_fp16_b4_l16``."""
        return f"pim_{self.precision}_b{self.banks}_l{self.lanes}"


#: Default DSE space of the heterogeneous NPU + PIM model (``accelsmith.models.pim``), from
#: the declarations: systolic NPU array size, PIM lanes/banks/precision, and the decode batch.
DEFAULT_SPACE = default_space(
    PimParams,
    order=(
        "precision",
        "lanes",
        "banks",
        "row_bytes",
        "rows",
        "channels",
        "timing",
        "npu_rows",
        "npu_cols",
    ),
)

FAMILY = Family(
    name="pim",
    params="accelsmith.core.families.pim:PimParams",
    generator="accelsmith.hdl.pim:build",
    golden="accelsmith.sim.golden.pim:gemv",
    bench="accelsmith.sim.benches.pim_tb",
    cost="accelsmith.models.pim:evaluate_pim",
    manifest="accelsmith.hdl.pim:manifest_extras",
    space=DEFAULT_SPACE,
    agent_groups={
        "pim_compute": ("precision", "lanes", "banks"),
        "pim_memory": ("row_bytes", "rows", "channels", "timing"),
        "npu": ("npu_rows", "npu_cols"),
        "serving": ("batch", "interleave"),
    },
    test_order=(
        "timing_rules",
        "gemv_results",
        "partial_tiles",
        "refresh_stalls",
        "fp_specials",
        "random_commands",
    ),
)
