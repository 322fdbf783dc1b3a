"""The systolic totals path (:mod:`accelsmith.models.systolic_sums`: blocks, one dataflow per
group, fold tables, buffer limits) against the per-layer path, which evaluates
``core.latency.systolic`` and ``scalesim_convention`` themselves: every integer figure equal
bit for bit, on random configurations and workloads, both conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accelsmith.models import systolic_sums
from accelsmith.models.evaluate import evaluate
from accelsmith.models.scalesim_convention import scalesim_layer
from accelsmith.models.systolic_sums import dram_bytes, fit_limits
from accelsmith.models.workloads import GEMM, Workload, load_workload

#: summed columns whose per-layer values are integers (DRAM bytes: multiples of 1/8), so the
#: totals must equal the per-layer rows summed exactly, whatever the order of the sum
EXACT = (
    "cycles",
    "compute_cycles",
    "stall_cycles",
    "dram_cycles",
    "macs",
    "ifmap_sram_reads",
    "filter_sram_reads",
    "ofmap_sram_writes",
    "dram_bytes",
    "tiles",
    "pe_cycles",
)


def _configs(n: int, dataflows: tuple[str, ...], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pick = rng.choice
    edge = [1, 1, 256, 2, 256]  # 1-PE rows/cols (SCALE-Sim's 0-cycle case), the largest array
    return pd.DataFrame(
        {
            "rows": np.concatenate([edge, rng.integers(1, 257, n - len(edge))]),
            "cols": np.concatenate([[1, 256, 1, 3, 256], rng.integers(1, 257, n - len(edge))]),
            "dataflow": [dataflows[0], *pick(dataflows, n - 1)],  # 1 PE, os: 0 cycles
            "in_bits": rng.integers(2, 17, n),
            "signed": pick([True, False], n),
            "ifmap_kb": pick([1.0, 3.3, 16.0, 1024.0], n),
            "filter_kb": pick([1.0, 7.7, 64.0, 1024.0], n),
            "ofmap_kb": pick([16.0, 256.0], n),
            "freq_mhz": rng.uniform(200.0, 2000.0, n),
            "dram_gbps": pick([1.0, 25.6, 400.0], n),
        }
    )


def _random_gemms(seed: int) -> Workload:
    """GEMMs of random sizes and counts, a 1x1x1 one (SCALE-Sim's 0-cycle case on one PE),
    and some whose operand or result stays on chip (fused attention)."""
    rng = np.random.default_rng(seed)
    dims = [(1, 1, 1), (1, 7, 1), *rng.integers(1, 5000, (25, 3))]
    layers = [
        GEMM(
            name=f"g{i}",
            M=int(m),
            N=int(n),
            K=int(k),
            count=int(rng.integers(1, 40)),
            read_a=bool(rng.random() < 0.8),
            write_c=bool(rng.random() < 0.8),
        )
        for i, (m, n, k) in enumerate(dims)
    ]
    return Workload(name="random", layers=tuple(layers))


WORKLOADS = {
    "resnet50": lambda: load_workload("resnet50"),  # im2col inputs, repeated layers
    "llama2-7b-prefill": lambda: load_workload("llama2-7b-prefill"),  # fused attention
    "random": lambda: _random_gemms(3),
}


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
@pytest.mark.parametrize(
    "convention,dataflows",
    [
        ("rtl", ("os", "ws")),
        ("rtl", ("ws",)),
        ("scalesim", ("os", "ws", "is")),
        ("scalesim", ("is",)),
    ],
)
def test_totals_equal_the_per_layer_path_exactly(workload, convention, dataflows, monkeypatch):
    wl = WORKLOADS[workload]()
    cfgs = _configs(120, dataflows, seed=len(workload) + len(dataflows))
    tot = evaluate("systolic", cfgs, wl, convention=convention)
    per = evaluate("systolic", cfgs, wl, convention=convention, per_layer=True)
    summed = per.groupby("config", sort=True)[list(EXACT)].sum()
    for col in EXACT:
        np.testing.assert_array_equal(tot[col].to_numpy(), summed[col].to_numpy(), err_msg=col)
    # PE slots: folds x PEs x the streamed dimension, exact (the per-layer rows divide MACs by
    # the mapping efficiency, which rounds: equal to 1e-15)
    g = load_workload(wl).to_gemms()
    r, c = cfgs["rows"].to_numpy()[:, None], cfgs["cols"].to_numpy()[:, None]
    m, n, k = (np.asarray(g[key])[None, :] for key in ("M", "N", "K"))
    if convention == "rtl":
        slots = (per["slots"] * 1.0).groupby(per["config"]).sum().to_numpy()
    else:
        df = cfgs["dataflow"].to_numpy()[:, None]
        folds = scalesim_layer(r, c, df, m, n, k)["folds"]
        t = np.where(df == "os", k, np.where(df == "ws", m, n))
        slots = (folds * (r * c) * t) @ np.asarray(g["count"], dtype=np.float64)
        np.testing.assert_allclose(
            tot["slots"], per.groupby("config")["slots"].sum(), rtol=1e-14, atol=0
        )
    np.testing.assert_array_equal(tot["slots"].to_numpy(), slots)
    # blocks of a few configurations (many boundaries, uneven last blocks): the same bits
    monkeypatch.setattr(systolic_sums, "BLOCK_POINTS", 7 * len(g["M"]) + 3)
    small = evaluate("systolic", cfgs, wl, convention=convention)
    pd.testing.assert_frame_equal(small, tot, check_exact=True)


def test_buffer_fit_limits_are_exact_at_the_boundary():
    """An operand that exactly fills its buffer fits; one element more does not (the limits
    replace a bytes-vs-capacity comparison per point, so an off-by-one would change traffic)."""
    rng = np.random.default_rng(0)
    n = 2000
    w = rng.integers(2, 17, n).astype(np.int64)
    r, c = rng.integers(1, 257, n), rng.integers(1, 257, n)
    elems = rng.integers(1, 10**6, n)
    # capacities of exactly `elems` operands (kB need not be whole), one byte less, or the
    # largest float below the exact size (its quotient may round up to `elems`)
    size = elems * w / 8.0
    case = np.arange(n) % 3
    cap = np.where(case == 0, size, np.where(case == 1, size - 0.125, np.nextafter(size, 0)))
    cfg = {"in_bits": w, "rows": r, "cols": c, "ifmap_kb": cap / 1024.0, "filter_kb": cap / 1024}
    lim = fit_limits(cfg)
    cap_b = cfg["ifmap_kb"] * 1024.0
    byte = w / 8.0
    for key, unit in (
        ("ifmap", byte),
        ("filter", byte),
        ("k_cols", c * byte),
        ("rows_k", r * byte),
    ):
        x = lim[key]
        assert ((x * unit <= cap_b) & ((x + 1) * unit > cap_b)).all(), key
    exact = case == 0
    assert (lim["ifmap"][exact] == elems[exact]).all()
    assert (lim["ifmap"][~exact] == elems[~exact] - 1).all()


def test_dram_bytes_match_the_byte_rules():
    """:func:`dram_bytes` (element counts against the limits) equals the documented rule in
    bytes, written out per point, on configurations around every fit boundary."""
    rng = np.random.default_rng(1)
    n, L = 400, 30
    m, nn, k = (rng.integers(1, 3000, L).astype(np.float64) for _ in range(3))
    ie = np.where(rng.random(L) < 0.5, m * k, np.ceil(m * k / 9))
    w = rng.integers(2, 17, (n, 1))
    r, c = rng.integers(1, 257, (n, 1)), rng.integers(1, 257, (n, 1))
    byte = w / 8.0
    cap_i = np.quantile(ie, rng.random((n, 1))) * byte  # some exactly one layer's size
    cap_f = np.quantile(k * nn, rng.random((n, 1))) * byte
    cfg = {"in_bits": w, "rows": r, "cols": c, "ifmap_kb": cap_i / 1024, "filter_kb": cap_f / 1024}
    rf, cf = np.ceil(m / r), np.ceil(nn / c)
    lay = {"ifmap_elems": ie, "filter_elems": k * nn, "K": k}
    got = dram_bytes(fit_limits(cfg), lay, rf, cf, byte, 0.0)
    fi, ff = ie * byte, k * nn * byte
    i_fits, f_fits = fi <= cap_i, ff <= cap_f
    cols_outer = np.where(i_fits, fi, fi * cf) + np.where(
        f_fits | (k * c * byte <= cap_f), ff, ff * rf
    )
    rows_outer = np.where(f_fits, ff, ff * rf) + np.where(
        i_fits | (r * k * byte <= cap_i), fi, fi * cf
    )
    np.testing.assert_array_equal(got, np.minimum(cols_outer, rows_outer))
    assert i_fits.any() and (~i_fits).any() and f_fits.any() and (~f_fits).any()
