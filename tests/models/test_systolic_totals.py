"""Totals of the systolic model (summed over the layers inside the model, issue 17) equal the
per-layer rows summed, for every summed column, on ResNet-50 and an LLM workload."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accelsmith.models.evaluate import evaluate
from accelsmith.models.workloads import load_workload

#: columns that are count-weighted sums of the per-layer rows
SUMMED = (
    "cycles",
    "compute_cycles",
    "stall_cycles",
    "dram_cycles",
    "latency_s",
    "macs",
    "energy_j",
    "energy_mac_j",
    "energy_reg_j",
    "energy_sram_j",
    "energy_sram_ifmap_j",
    "energy_sram_filter_j",
    "energy_sram_ofmap_j",
    "energy_dram_j",
    "energy_leak_j",
    "ifmap_sram_reads",
    "filter_sram_reads",
    "ofmap_sram_writes",
    "dram_bytes",
    "slots",
    "tiles",
    "pe_cycles",
)


def _configs(n: int, dataflows: tuple[str, ...], seed: int) -> pd.DataFrame:
    """``n`` sampled configurations: small and large arrays, buffers that do and do not hold
    the operands, compute- and memory-bound clocks and DRAM bandwidths."""
    rng = np.random.default_rng(seed)
    pick = rng.choice
    return pd.DataFrame(
        {
            "rows": pick([1, 2, 3, 8, 17, 32, 100, 128, 256], n),
            "cols": pick([1, 4, 7, 16, 33, 64, 200, 256], n),
            "dataflow": pick(dataflows, n),
            "in_bits": pick([2, 4, 8, 11, 16], n),
            "ifmap_kb": pick([1.0, 16.0, 256.0, 1024.0], n),
            "filter_kb": pick([1.0, 64.0, 1024.0], n),
            "ofmap_kb": pick([16.0, 256.0], n),
            "freq_mhz": 200.0 + 1800.0 * rng.random(n),
            "dram_gbps": pick([1.0, 25.6, 400.0], n),
        }
    )


@pytest.mark.parametrize("workload", ["resnet50", "llama2-7b-decode"])
@pytest.mark.parametrize(
    "convention,dataflows", [("rtl", ("os", "ws")), ("scalesim", ("os", "ws", "is"))]
)
@pytest.mark.parametrize("node_nm", [45, 130])
def test_totals_equal_the_per_layer_rows_summed(workload, convention, dataflows, node_nm):
    wl = load_workload(workload)
    cfgs = _configs(300, dataflows, seed=len(workload) + node_nm)
    kw = {"convention": convention, "node_nm": node_nm}
    tot = evaluate("systolic", cfgs, wl, **kw)
    per = evaluate("systolic", cfgs, wl, per_layer=True, **kw)
    # and any other energy part (energy_clock_j at a calibrated node), not the per-MAC ratio
    extra = [c for c in tot.columns if c.startswith("energy_") and c.endswith("_j")]
    cols = [*SUMMED, *(c for c in extra if c not in SUMMED and c != "energy_per_mac_j")]
    summed = per.groupby("config", sort=True)[cols].sum()
    assert len(summed) == len(tot) == len(cfgs)
    for col in cols:
        np.testing.assert_allclose(tot[col].to_numpy(), summed[col].to_numpy(), rtol=1e-12)
    # the ratios of sums and the derived columns follow from the sums
    np.testing.assert_allclose(
        tot["mapping_efficiency"], summed["macs"] / summed["slots"], rtol=1e-12
    )
    np.testing.assert_allclose(
        tot["compute_utilization"], summed["macs"] / summed["pe_cycles"], rtol=1e-12
    )
    np.testing.assert_allclose(
        tot["power_w"],
        summed["energy_j"] / (summed["cycles"] / (tot["freq_mhz"] * 1e6)),
        rtol=1e-12,
    )
    # configuration-level figures are the per-layer rows' (identical on every layer)
    first = per.groupby("config", sort=True).first()
    for col in ("area_um2", "pes", "freq_mhz"):
        np.testing.assert_array_equal(tot[col].to_numpy(), first[col].to_numpy())
