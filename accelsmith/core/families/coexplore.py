"""Parameters of ``coexplore``: one chip with a systolic array, a LUT tensor core and a PIM stack.

A co-exploration space in the spirit of NASAIC (Yang et al., "Co-Exploration of Neural
Architectures and Heterogeneous ASIC Accelerator Designs Targeting Multiple Tasks", DAC 2020):
the three sub-systems share the chip (area and power budgets are ordinary campaign
constraints on ``area_mm2`` / ``power_w``), and each kind of layer of the workload
(``dense``, ``attention``, ``kv_read``, ``expert``, ``router``; ``conv`` follows ``dense``)
runs on the engine its ``map_*`` parameter names. The cost model
(:mod:`accelsmith.models.coexplore`) calls the three existing family cost models per layer and
combines them; there is no generator: ``coexplore`` is a model-only family (the registry's
``generator=None``), so ``accelsmith generate coexplore`` refuses in one line.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from ..params import ParamsBase, default_space, param
from ..registry import Family

#: engines a layer kind can be mapped to (the family names of their cost models)
ENGINES = ("systolic", "lut-core", "pim")
#: layer kinds with their own mapping parameter (``conv`` layers follow ``map_dense``)
MAPPED_KINDS = ("dense", "attention", "kv_read", "expert", "router")


def _map(default: str, what: str, space: object) -> object:
    return param(
        default,
        choices=ENGINES,
        help=f"Engine running {what} layers: systolic, lut-core or pim.",
        space=space,
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class CoexploreParams(ParamsBase):
    """A chip with a systolic array, a LUT tensor core and a PIM stack; each layer kind mapped
    to one of them (model-only: no RTL).

    Parameters
    ----------
    sa_rows, sa_cols : int
        Systolic array PEs (1..256 each); ``sa_dataflow`` os or ws; ``sa_buf_kb`` each of the
        three SRAM buffers (KiB).
    lut_group_size, lut_tile_m, lut_tile_n, lut_weight_bits : int
        LUT tensor core: activations per table (2..6), tables per tile, weight columns sharing
        a table, weight bits (1..4).
    pim_lanes, pim_banks, pim_channels : int; pim_precision : str
        PIM stack: MAC lanes per bank, banks per channel, channels, int8/fp16/bf16.
    map_dense, map_attention, map_kv_read, map_expert, map_router : str
        Engine (systolic, lut-core, pim) running each kind of layer.
    """

    family: ClassVar[str] = "coexplore"

    # systolic array (accelsmith.core.families.systolic)
    sa_rows: int = param(
        32, lo=1, hi=256, unit="PEs", help="Systolic PE rows (1..256).",
        space={"low": 8, "high": 128, "step": 8},
    )  # fmt: skip
    sa_cols: int = param(
        32, lo=1, hi=256, unit="PEs", help="Systolic PE columns (1..256).",
        space={"low": 8, "high": 128, "step": 8},
    )  # fmt: skip
    sa_dataflow: str = param(
        "os", choices=("os", "ws"), help="Systolic dataflow: os or ws.",
        space={"choices": ["os", "ws"]},
    )  # fmt: skip
    sa_buf_kb: int = param(
        64, lo=1, hi=1 << 16, unit="KiB", help="Systolic ifmap/filter/ofmap SRAM each (KiB).",
        space={"choices": [16, 32, 64, 128, 256]},
    )  # fmt: skip
    # LUT tensor core (accelsmith.core.families.lut_core)
    lut_group_size: int = param(
        4, lo=2, hi=6, help="LUT activations per table (2..6).", space={"low": 2, "high": 6}
    )
    lut_tile_m: int = param(
        2, lo=1, hi=64, help="LUT activation rows (tables) per tile.",
        space={"choices": [1, 2, 4, 8]},
    )  # fmt: skip
    lut_tile_n: int = param(
        16, lo=1, hi=1024, help="LUT weight columns sharing each table.",
        space={"low": 8, "high": 128, "step": 8},
    )  # fmt: skip
    lut_weight_bits: int = param(
        2, lo=1, hi=4, unit="bits", help="LUT weight bits (1..4).", space={"choices": [2, 4]}
    )
    # PIM stack (accelsmith.core.families.pim), PIM only (no NPU of its own)
    pim_lanes: int = param(
        16, lo=1, hi=64, help="PIM MAC lanes per bank (1..64).",
        space={"choices": [4, 8, 16, 32]},
    )  # fmt: skip
    pim_banks: int = param(
        16, lo=1, hi=64, help="PIM banks per channel (1..64).", space={"choices": [4, 8, 16]}
    )
    pim_channels: int = param(
        16, lo=1, hi=4096, help="PIM channels.", space={"choices": [8, 16, 32]}
    )
    pim_precision: str = param(
        "fp16", choices=("int8", "fp16", "bf16"), help="PIM precision: int8, fp16 or bf16.",
        space={"choices": ["int8", "fp16", "bf16"]},
    )  # fmt: skip
    # mapping of layer kinds to engines
    map_dense: str = _map("systolic", "dense (and conv)", {"choices": list(ENGINES)})
    map_attention: str = _map("systolic", "attention", {"choices": list(ENGINES)})
    map_kv_read: str = _map("pim", "kv_read (decode attention)", {"choices": list(ENGINES)})
    map_expert: str = _map("systolic", "MoE expert", {"choices": list(ENGINES)})
    map_router: str = _map("systolic", "MoE router", "systolic")

    def describe(self) -> str:
        return (
            f"systolic {self.sa_rows}x{self.sa_cols} {self.sa_dataflow}, "
            f"LUT K={self.lut_group_size}"
            f" {self.lut_tile_m}x{self.lut_tile_n} w{self.lut_weight_bits}, PIM "
            f"{self.pim_channels}ch x {self.pim_banks} banks x {self.pim_lanes} lanes "
            f"{self.pim_precision}; " + ", ".join(f"{k}->{getattr(self, 'map_' + k)}"
                                                  for k in MAPPED_KINDS)
        )  # fmt: skip

    def default_name(self) -> str:
        return f"coexplore_sa{self.sa_rows}x{self.sa_cols}"


DEFAULT_SPACE = default_space(CoexploreParams)

FAMILY = Family(
    name="coexplore",
    params="accelsmith.core.families.coexplore:CoexploreParams",
    generator=None,
    golden=None,
    bench=None,
    cost="accelsmith.models.coexplore:evaluate_coexplore",
    space=DEFAULT_SPACE,
    agent_groups={
        "systolic": ("sa_rows", "sa_cols", "sa_dataflow", "sa_buf_kb"),
        "lut": ("lut_group_size", "lut_tile_m", "lut_tile_n", "lut_weight_bits"),
        "pim": ("pim_lanes", "pim_banks", "pim_channels", "pim_precision"),
        "mapping": ("map_dense", "map_attention", "map_kv_read", "map_expert", "map_router"),
    },
)
