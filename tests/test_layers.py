"""The layers flow one way (DESIGN.md): core <- hdl, models <- sim <- dse <- reports <- cli.

Checked on the source (every ``import``, including those inside functions), so a lazy import
cannot hide a wrong-way dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PKG = Path(__file__).resolve().parents[1] / "accelsmith"


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    package = parts[:-1]  # a module and a package's __init__ resolve against the same package
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return out


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("hdl", ("accelsmith.models", "accelsmith.sim", "accelsmith.dse", "accelsmith.reports")),
        ("models", ("accelsmith.sim", "accelsmith.dse", "accelsmith.reports", "accelsmith.hdl")),
        ("core", ("accelsmith.models", "accelsmith.sim", "accelsmith.hdl", "accelsmith.dse")),
    ],
)
def test_no_upward_imports(layer: str, forbidden: tuple[str, ...]) -> None:
    bad = []
    for path in sorted((PKG / layer).rglob("*.py")):
        for name in _imports(path):
            if name.startswith(forbidden):
                bad.append(f"{path.relative_to(PKG.parent)} imports {name}")
    assert not bad, "\n".join(bad)


def test_import_checker_sees_lazy_relative_imports(tmp_path: Path) -> None:
    """The checker is not vacuous: a function-level relative import is resolved and caught."""
    names = _imports(PKG / "models" / "simd_sqnr.py")
    assert "accelsmith.core.numformats.codec" in names


def test_core_stays_light() -> None:
    """Importing the core (registry, families, latency rules, format specs) loads no numpy."""
    code = (
        "import sys, accelsmith.core.registry, accelsmith.core.latency.systolic, "
        "accelsmith.core.latency.lut_core, accelsmith.core.latency.pim, "
        "accelsmith.core.latency.simd, accelsmith.core.numformats\n"
        "print('numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_latency_rules_same_on_ints_and_arrays() -> None:
    """One formula serves the manifest (ints) and the cost model (arrays) with equal numbers."""
    from accelsmith.core.latency import lut_core, simd, systolic
    from accelsmith.models import lut_core as lut_model
    from accelsmith.models import systolic as sys_model

    ks = np.array([1, 3, 16, 17, 64, 300])
    for df in ("os", "ws"):
        arr = sys_model.tile_cycles(4, 8, df, ks)
        assert [systolic.tile_cycles(4, 8, df, int(k)) for k in ks] == arr.tolist()
        arr = sys_model.steady_interval(4, 8, df, ks)
        assert [systolic.steady_interval(4, 8, df, int(k)) for k in ks] == arr.tolist()
    mixed = sys_model.tile_cycles(np.array([4, 4]), 8, np.array(["os", "ws"]), 17)
    assert mixed.tolist() == [17 + 4 + 8 + 2, 4 + 5 * 4 + 4 + 8 + 2]
    arr = lut_model.steady_interval(4, 2, 8, ks)
    assert [lut_core.steady_interval(4, 2, 8, int(k)) for k in ks] == arr.tolist()
    assert lut_core.tile_cycles(4, 2, 8, 2, 17) == 5 * 2 + 8 + 4
    assert simd.layer_cycles(3, 5, 16, 4, 2) == 4 * 16 + 2 + 2
    assert simd.layer_cycles(3, 5, 16, 4, 2) == 3 * 16 + simd.dot_cycles(16, 2)
