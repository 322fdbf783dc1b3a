"""The 45-nm accel model's weight-stationary PE registers follow the RTL's ws PE."""

from __future__ import annotations

import numpy as np

from accelsmith.core.families.accel import AccelParams
from accelsmith.models.accel_cost import area_parts
from accelsmith.models.rtl_inventory import systolic_inventory
from accelsmith.models.tech import Tech


def test_ws_pe_registers_are_the_rtl_pes() -> None:
    """A ws PE (``hdl.systolic_pe.WsPE``) holds the activation, two weight registers, the
    current-weight register the multiplier reads, the partial sum and a one-bit select flag:
    the model prices every register but the flag (``acc_bits`` for the partial sum, as
    for os)."""
    tech = Tech.at_node(45)
    for rows, cols, ib in ((4, 4, 8), (2, 8, 16)):
        p = AccelParams(rows=rows, cols=cols, dataflow="ws", in_bits=ib)
        inv = systolic_inventory(rows, cols, ib, p.acc_bits, False, p.max_k, True)
        nominal = (inv["pe_flops"] + inv["removed_pe_flops"]) / (rows * cols)
        bits = float(nominal) - 1  # less the select flag
        pe = tech.int_mul_area_um2(ib) + tech.int_add_area_um2(p.acc_bits)
        want = rows * cols * (pe + tech.reg_area_um2(bits))
        got = area_parts(p, tech)["area_array_um2"]
        assert np.isclose(got, want, rtol=1e-12), (rows, cols, ib, got, want)
