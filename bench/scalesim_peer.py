"""Run the PyPI ``scalesim`` (SCALE-Sim v3) on GEMM layers and read its reports (bench only).

SCALE-Sim is driven through its own top-level API with a generated config, a GEMM-mode
topology CSV (``Layer, M, N, K``) and a header-only layout file (custom layouts off), in
``CALC`` (estimate-bandwidth) mode, so its compute cycles carry no DRAM stalls.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

CONFIG = """[general]
run_name = accelsmith_peer

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: {ifmap_kb}
FilterSramSzkB: {filter_kb}
OfmapSramSzkB: {ofmap_kb}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth : 10
Dataflow : {dataflow}
MemoryBanks: 1
ReadRequestBuffer: 512
WriteRequestBuffer: 512

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def _numpy2_shim() -> None:
    """Let SCALE-Sim 3.0.0 run on numpy >= 2.3 without changing any number it computes.

    Its scratchpad does ``int(max(cycles))`` over per-line ``(1,)``-shaped arrays returned by
    ``write_buffer.service_writes`` (``(lines, 1)``), which numpy 2.3 turned from a deprecation
    warning into a TypeError. Returning the same cycles flattened to ``(lines,)`` makes each
    item a scalar; every later use (stall arithmetic, the trace matrix built with
    ``reshape((n, 1))``) sees the same values.
    """
    from scalesim.memory import write_buffer

    cls = write_buffer.write_buffer
    if getattr(cls, "_accelsmith_shim", False):
        return
    original = cls.service_writes

    def service_writes(self, incoming_requests_arr_np, incoming_cycles_arr_np):
        return original(self, incoming_requests_arr_np, incoming_cycles_arr_np).reshape(-1)

    cls.service_writes = service_writes
    cls._accelsmith_shim = True


def run_scalesim(
    rows: int,
    cols: int,
    dataflow: str,
    gemms: list[tuple[str, int, int, int]],
    *,
    ifmap_kb: int = 64,
    filter_kb: int = 64,
    ofmap_kb: int = 64,
) -> list[dict]:
    """SCALE-Sim's compute and access reports, one dict per layer (``name, M, N, K``)."""
    from scalesim.scale_sim import scalesim

    _numpy2_shim()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "peer.cfg").write_text(
            CONFIG.format(
                rows=rows,
                cols=cols,
                dataflow=dataflow,
                ifmap_kb=ifmap_kb,
                filter_kb=filter_kb,
                ofmap_kb=ofmap_kb,
            )
        )
        (d / "topo.csv").write_text(
            "Layer, M, N, K,\n" + "".join(f"{n}, {m}, {nn}, {k},\n" for n, m, nn, k in gemms)
        )
        (d / "layout.csv").write_text("Layer name,\n")
        with contextlib.redirect_stdout(io.StringIO()):
            sim = scalesim(
                save_disk_space=True,
                verbose=False,
                config=str(d / "peer.cfg"),
                topology=str(d / "topo.csv"),
                layout=str(d / "layout.csv"),
                input_type_gemm=True,
            )
            sim.run_scale(top_path=str(d / "out"))
        out = []
        for layer in sim.runner.single_layer_sim_object_list:
            items = layer.get_compute_report_items()
            out.append(
                {
                    "total_cycles": items[0],
                    "compute_cycles": items[1],
                    "stall_cycles": items[2],
                    "utilization": items[3] / 100.0,
                    "mapping_efficiency": items[4] / 100.0,
                    "compute_util": items[5] / 100.0,
                    "ifmap_sram_reads": layer.ifmap_sram_reads,
                    "filter_sram_reads": layer.filter_sram_reads,
                    "ofmap_sram_writes": layer.ofmap_sram_writes,
                }
            )
        return out


if __name__ == "__main__":
    import sys

    r, c, df = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    m, n, k = (int(x) for x in sys.argv[4:7])
    for row in run_scalesim(r, c, df, [("l0", m, n, k)]):
        print(row)
