"""The generated Verilog passes ``verilator --lint-only`` with only Amaranth's width warnings."""

import os
import re
import subprocess

import pytest

from accelsmith.core.families.pim import PimParams
from accelsmith.core.families.simd import SimdParams
from accelsmith.core.families.systolic import SystolicParams
from accelsmith.generate import generate
from accelsmith.sim.runner import find_verilator

pytestmark = pytest.mark.sim

ALLOWED = {"WIDTHEXPAND", "WIDTHTRUNC"}


@pytest.mark.parametrize(
    "p",
    [
        SystolicParams(rows=1, cols=1, dataflow="os", in_bits=2, signed=False, max_k=1),
        SystolicParams(rows=3, cols=5, dataflow="ws", in_bits=16, signed=True, max_k=300),
        SystolicParams(rows=6, cols=2, dataflow="os", in_bits=7, signed=True, acc_bits=9),
        SystolicParams(rows=16, cols=16, dataflow="ws", in_bits=8, signed=False),
        # one-row PIM bank: a depth-1 memory / range(1) register used to emit wire [-1:0]
        PimParams(rows=1, banks=1, lanes=1, precision="int8", row_bytes=4, burst_bits=8),
        # integer-only SIMD slot: the quire alignment shift used to be 0 bits wide
        SimdParams(lanes=1, lane_bits=4, formats=("int4",)),
    ],
    ids=lambda p: p.default_name(),
)
def test_lint_only(p, tmp_path):
    e = generate(p, tmp_path)
    env = dict(os.environ, PATH=f"{find_verilator()}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        ["verilator", "--lint-only", "-Wno-fatal", str(e.verilog)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    kinds = set(re.findall(r"%Warning-([A-Z0-9_]+)", proc.stderr))
    assert kinds <= ALLOWED, proc.stderr[-2000:]
    assert "%Error" not in proc.stderr
