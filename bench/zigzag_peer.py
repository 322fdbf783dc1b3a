"""Run the PyPI ``zigzag-dse`` (ZigZag 3.x) on GEMM layers (bench only).

ZigZag is given its own TPU-like weight-stationary accelerator description
(``zigzag/inputs/hardware/tpu_like.yaml``) with the operational array resized to the array
under test, a spatial mapping that unrolls output channels (our ``N``) over the array's
columns and the reduction (our ``K``) over its rows, and each layer as a ZigZag ``Gemm``
(``O[d][k] += I[d][c] * W[c][k]`` with ``D = M``, ``K = N``, ``C = K``). LOMA searches the
temporal mapping for minimal latency.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

MAPPING = """- name: default
  spatial_mapping:
    D1:
      - K, {cols}
    D2:
      - C, {rows}
  memory_operand_links:
    O: O
    W: I2
    I: I1
"""


def run_zigzag(rows: int, cols: int, gemms: list[tuple[str, int, int, int]]) -> list[dict]:
    """ZigZag's per-layer latency (cycles) and energy (pJ) for each ``(name, M, N, K)``."""
    import zigzag
    from zigzag.api import get_hardware_performance_zigzag

    hw = (Path(zigzag.__file__).parent / "inputs/hardware/tpu_like.yaml").read_text()
    if "sizes: [32, 32]" not in hw:
        raise RuntimeError("unexpected tpu_like.yaml: cannot resize its operational array")
    hw = hw.replace("sizes: [32, 32]", f"sizes: [{cols}, {rows}]")
    workload = [
        {
            "id": i,
            "name": name,
            "operator_type": "Gemm",
            "equation": "O[d][k]+=I[d][c]*W[c][k]",
            "loop_dims": ["C", "D", "K"],
            "loop_sizes": [k, m, n],
            "operand_precision": {"I": 8, "W": 8, "O": 16, "O_final": 8},
        }
        for i, (name, m, n, k) in enumerate(gemms)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "hw.yaml").write_text(hw)
        (d / "map.yaml").write_text(MAPPING.format(rows=rows, cols=cols))
        logging.disable(logging.CRITICAL)
        try:
            _, _, cmes = get_hardware_performance_zigzag(
                workload,
                str(d / "hw.yaml"),
                str(d / "map.yaml"),
                opt="latency",
                dump_folder=str(d / "out"),
                loma_show_progress_bar=False,
            )
        finally:
            logging.disable(logging.NOTSET)
    per_layer = [c for c in cmes[0][1]]
    per_layer = [c[0] if isinstance(c, tuple) else c for c in per_layer]
    return [
        {
            "ideal_cycles": float(c.ideal_cycle),
            "compute_cycles": float(c.latency_total0),
            "total_cycles": float(c.latency_total2),
            "energy_pj": float(c.energy_total),
        }
        for c in per_layer
    ]
