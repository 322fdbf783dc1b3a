"""The PIM channel at 130 nm (accelsmith.models.pim_asic): flip-flop inventory against
synthesized netlists, components, the node-130 cost columns, and a held-out synthesis guard."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from accelsmith.cli.main import main
from accelsmith.core.families.pim import PimParams
from accelsmith.models import calib, evaluate, pim_asic
from accelsmith.models.workloads import GEMM, Workload

from .conftest import load_bench, require

DATA = Path(__file__).parent / "data" / "pim_flops.json"
WL = Workload(name="t", layers=(GEMM(name="g", M=1, N=64, K=64),))


def _model(**cfg) -> pd.Series:
    base = {"channels": 1, "rows": 5, "row_bytes": 4, "banks": 2, "lanes": 2}
    return evaluate("pim", [{**base, **cfg}], WL, node_nm=130).iloc[0]


def test_inventory_counts_the_synthesized_flip_flops() -> None:
    """Every channel recorded from a synthesized netlist (tests/synth/data/pim_flops.json)
    has exactly the flip-flops the inventory counts."""
    rows = json.loads(DATA.read_text())
    assert len(rows) >= 15
    for name, row in rows.items():
        p = PimParams(**row["params"])
        inv = pim_asic.pim_inventory(
            p.precision, p.lanes, p.banks, p.rows, p.row_bytes, p.timings()
        )
        assert int(inv["flops"]) == row["flops"], name


def test_inventory_parts_and_vectorized() -> None:
    T = PimParams(precision="int8", lanes=2, rows=5, row_bytes=6, banks=3).timings()
    inv = pim_asic.pim_inventory(
        np.array(["int8", "fp16", "bf16"]), np.array([3, 1, 2]), 3, 5, 6, T
    )
    parts = inv["ctl_flops"] + inv["gb_flops"] + inv["rdd_flops"]
    parts = parts + 3 * (inv["bank_ctl_flops"] + inv["rowbuf_flops"] + inv["acc_flops"])
    assert np.array_equal(inv["flops"], parts)
    assert list(inv["acc_flops"]) == [96, 16, 32]  # int8/fp16 per lane, bf16 one FP32
    # a 1-cycle timing counter is a constant synthesis removes
    one = pim_asic.pim_inventory("int8", 1, 1, 4, 1, {**T, "t_ccd": 1})
    two = pim_asic.pim_inventory("int8", 1, 1, 4, 1, {**T, "t_ccd": 2})
    assert int(two["flops"] - one["flops"]) == 1


def test_sram_figures_match_the_flow() -> None:
    from accelsmith.synth.sram import SRAM_SKY130

    t = SRAM_SKY130
    pairs = (
        (pim_asic.SRAM_UM2_PER_BIT, t["area_um2_per_bit"]),
        (pim_asic.SRAM_LEAK_W_PER_BIT, t["leakage_nw_per_bit"] * 1e-9),
        (pim_asic.SRAM_ACCESS_J_PER_BIT, t["access_pj_per_bit"] * 1e-12),
    )
    for model, flow in pairs:
        assert model == pytest.approx(flow)


def test_components_hold_the_inventory() -> None:
    """The MAC samples' own flip-flops (all minus the harness) are the inventory's
    accumulators, the counters' their bits; the control's harness (all minus the channel's
    own) is at most the wrapper (synthesis merges the bank stand-ins' shared input
    registers) and its logic positive."""
    samples = calib.load()["pim_samples"]
    for prec in ("int8", "fp16", "bf16"):
        for row in samples[f"pimmac_{prec}"]:
            acc = pim_asic.ACC_BITS[prec] * (1 if prec == "bf16" else row["width"])
            assert row["flops"] - row["wrapper_flops"] == acc, (prec, row["width"])
    for row in samples["pimcnt"]:  # a t-cycle timing counter keeps bits_for(t - 1) flops
        assert row["flops"] - row["wrapper_flops"] == int(pim_asic._cnt(row["width"]))
    for row in samples["pimctl"]:
        harness = pim_asic._harness_flops("pimctl", row)
        assert 0 < harness <= row["wrapper_flops"], row["width"]
        assert pim_asic._logic_of("pimctl", row) > 0


def test_components_elaborate() -> None:
    from accelsmith.hdl.emit import verilog_text
    from accelsmith.synth.components import component

    for kind, width in (("pimmac_bf16", 2), ("pimctl", 2)):
        comp, top = component(kind, width)
        text = verilog_text(comp, top)
        assert f"module {top}" in text and comp.wrapper_flops > 0


def test_node_130_columns() -> None:
    r = _model(precision="int8")
    parts = ("area_lanes_um2", "area_rowbuf_um2", "area_bank_ctl_um2", "area_channel_um2")
    assert sum(r[k] for k in parts) == pytest.approx(r["area_logic_um2"])
    assert r["area_um2"] == pytest.approx(r["area_logic_um2"] + r["area_memory_um2"])
    # two banks of max(rows, 2) x row_bytes * 8 bits at the OpenRAM figure
    assert r["area_memory_um2"] == pytest.approx(2 * 5 * 32 * pim_asic.SRAM_UM2_PER_BIT)
    # clock: the model's Fmax unless pinned
    assert r["freq_mhz"] == pytest.approx(r["fmax_mhz"]) and 20 < r["fmax_mhz"] < 400
    pinned = _model(precision="int8", freq_mhz=50.0)
    assert pinned["freq_mhz"] == 50.0 and pinned["fmax_mhz"] == pytest.approx(r["fmax_mhz"])
    assert pinned["latency_s"] == pytest.approx(r["latency_s"] * r["fmax_mhz"] / 50.0)
    # power as synthesized: flip-flops + logic at the clock, plus the macros
    inv = pim_asic.pim_inventory("int8", 2, 2, 5, 4, PimParams(precision="int8").timings())
    ch = pim_asic.pim_logic(inv, "int8", 2, 2, PimParams(precision="int8").timings())
    flow = calib.flow_power_w(ch["flops"], ch["comb_um2"], 50.0, 0.1)
    macro = pim_asic.macro_power_w(ch["macro_port_bits"], ch["macro_bits"], 50.0)
    assert pinned["power_flow_w"] == pytest.approx(float(flow + macro))
    assert r["energy_clock_j"] > 0 and "OpenRAM" in r["cost_basis"]
    # the 45 nm model is the DRAM-PIM model, unchanged: no Fmax, no clock energy
    r45 = evaluate("pim", [{"channels": 1}], WL, node_nm=45).iloc[0]
    assert "fmax_mhz" not in r45 and "energy_clock_j" not in r45 and "area_gb_um2" in r45


def test_node_130_trends() -> None:
    fp = [_model(precision="fp16", lanes=n, row_bytes=2 * n) for n in (1, 2, 3)]
    assert fp[0]["area_logic_um2"] < fp[1]["area_logic_um2"] < fp[2]["area_logic_um2"]
    bf = [_model(precision="bf16", lanes=n, row_bytes=2 * n)["fmax_mhz"] for n in (1, 2, 4)]
    assert bf[0] > bf[1] > bf[2]  # one more FP32 adder level each
    i8 = _model(precision="int8")["fmax_mhz"]
    assert i8 > 2 * bf[0]  # an integer MAC against an FP32 multiply-add chain


def test_cost_cli_node_130(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["cost", "pim", "--precision", "bf16", "--lanes", "2", "--banks", "2"]
    code = main([*args, "--rows", "4", "--row-bytes", "8", "--node", "130", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    tot = json.loads(out)["totals"]
    assert tot["fmax_mhz"] > 0 and tot["freq_mhz"] == pytest.approx(tot["fmax_mhz"])
    assert tot["power_flow_w"] > 0 and tot["area_memory_um2"] > 0


@pytest.mark.slow
def test_pim_model_tracks_synthesis() -> None:
    """Held-out guard: a small channel (not a calibration component), synthesized (cached:
    the bench synthesizes it too), against the node-130 model: flip-flops exact, logic area
    within 10 %, Fmax within 15 %, power within 15 %."""
    require("yosys", "sta")
    from accelsmith.synth import synthesize

    p = PimParams(precision="int8", lanes=1, banks=1, rows=5, row_bytes=2, t_cl=2)
    rep = synthesize(p, clock_ns=10.0, name="pim_int8_b1_l1_r5_p2_hb_cl2")
    m = evaluate("pim", [{**p.to_dict(), "channels": 1, "freq_mhz": 100.0}], WL, node_nm=130)
    m = m.iloc[0]
    inv = pim_asic.pim_inventory(p.precision, p.lanes, p.banks, p.rows, p.row_bytes, p.timings())
    assert int(inv["flops"]) == rep.cells["sequential"]
    logic = rep.area["total"] - rep.area["memory"]
    assert m["area_logic_um2"] == pytest.approx(logic, rel=0.10)
    assert m["area_memory_um2"] == pytest.approx(rep.area["memory"], rel=1e-6)
    assert m["fmax_mhz"] == pytest.approx(rep.fmax_mhz, rel=0.15)
    assert m["power_flow_w"] == pytest.approx(rep.power["total_w"], rel=0.15)


def test_lane_path_form_chosen_by_cross_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """int8 / fp16 lane paths follow the lane count in the form that predicts each
    calibration sample best from the others (never from held-out designs)."""
    real = pim_asic._samples

    def fake(periods: list[float]):
        own = {1: 16, 2: 32, 4: 64}  # int8: the sample's own column fan-out (2 x burst)
        fan = {w: float(calib.fanout_period_ns(n)) for w, n in own.items()}
        rows = [
            {"width": w, "period_ns": p + fan[w]} for w, p in zip((1, 2, 4), periods, strict=True)
        ]
        return lambda kind: rows if kind == "pimmac_int8" else real(kind)

    for periods, form in (
        ([5.6, 5.8, 6.0], "log2_lanes"),  # one step per doubling
        ([5.6, 5.8, 6.2], "lanes"),  # one step per lane
        ([5.8, 5.8, 5.8], "mean"),  # flat: the simplest form wins the tie
    ):
        monkeypatch.setattr(pim_asic, "_samples", fake(periods))
        chosen, loo, _ = pim_asic.lane_path_fit("pimmac_int8")
        assert chosen == form and loo[form] == pytest.approx(0.0, abs=1e-9), periods
        assert pim_asic._lane_path("pimmac_int8", np.array([1, 4])) == pytest.approx(
            [periods[0], periods[2]]
        )
    monkeypatch.setattr(pim_asic, "_samples", real)
    # the packaged samples: int8 grows with the lanes, fp16 is their mean
    assert pim_asic.lane_path_fit("pimmac_int8")[0] == "log2_lanes"
    assert pim_asic.lane_path_fit("pimmac_fp16")[0] == "mean"


def test_presented_column_component(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``pimcol`` component (phase decode -> presented column) sits in front of the
    lanes' column selects when a row has more than one burst, and only then (fp16, bf16;
    an int8 channel's context already holds the presented column)."""
    rows = calib.load()["pim_samples"]["pimcol"]
    assert [r["width"] for r in rows] == [1, 2, 4]
    assert all(r["period_ns"] > calib.pipe_period_ns() for r in rows)
    cfg = {"precision": "fp16", "lanes": 1, "banks": 2, "rows": 2}
    multi, single = _model(**cfg, row_bytes=4)["fmax_mhz"], _model(**cfg, row_bytes=2)["fmax_mhz"]
    real = pim_asic._samples
    slower = [{**r, "period_ns": r["period_ns"] + 1.0} for r in rows]
    monkeypatch.setattr(pim_asic, "_samples", lambda k: slower if k == "pimcol" else real(k))
    assert 1000 / _model(**cfg, row_bytes=4)["fmax_mhz"] == pytest.approx(1000 / multi + 1.0)
    assert _model(**cfg, row_bytes=2)["fmax_mhz"] == pytest.approx(single)
    int8 = {"precision": "int8", "lanes": 3, "banks": 2, "rows": 2, "row_bytes": 6}
    monkeypatch.setattr(pim_asic, "_samples", real)
    before = _model(**int8)["fmax_mhz"]
    monkeypatch.setattr(pim_asic, "_samples", lambda k: slower if k == "pimcol" else real(k))
    assert _model(**int8)["fmax_mhz"] == pytest.approx(before)


def test_pim_samples_in_their_own_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """PIM components do not enter the constants pooled over the core samples, and they are
    part of what node-130 campaign identities hash."""
    data = calib.load()
    pim_kinds = set(data["pim_samples"])
    assert not set(data["samples"]) & pim_kinds
    assert {"pimmac_int8", "pimctl", "pimcnt", "pimcol"} <= pim_kinds
    before = calib.samples_sha256()
    changed = json.loads(json.dumps(data))
    changed["pim_samples"]["pimcol"][0]["period_ns"] += 0.001
    monkeypatch.setattr(calib, "load", lambda: changed)
    assert calib.samples_sha256() != before


def test_channel_context_components() -> None:
    """The int8 channel in context is the generator's whole channel at one bank, one or two
    bursts per row, sampled at 1, 2, 4 lanes in the PIM table."""
    from accelsmith.hdl.pim import PimChannel
    from accelsmith.synth.components import component
    from accelsmith.synth.components_pim import PIM_CHAN_KINDS, chan_params

    assert PIM_CHAN_KINDS == ("pimchan_int8_p1", "pimchan_int8_p2")
    p = chan_params("pimchan_int8_p2", 4)
    assert (p.precision, p.lanes, p.banks, p.row_bytes, p.rows, p.timing) == (
        "int8", 4, 1, 8, 4, "hbm2",
    )  # fmt: skip
    comp, top = component("pimchan_int8_p1", 2)
    assert isinstance(comp, PimChannel) and top == "cal_pimchan_int8_p1_2"
    assert comp.params.row_bytes == 2
    samples = calib.load()["pim_samples"]
    for kind in PIM_CHAN_KINDS:
        assert [r["width"] for r in samples[kind]] == [1, 2, 3, 4]
        assert all(r["period_ns"] > 0 for r in samples[kind])


def test_channel_contexts_pooled() -> None:
    """The int8 channel in context is also sampled in the CHAN_CONTEXTS contexts (rows, timing
    preset, read latency), none of them a channel the held-out bench can draw (its rows), and
    the lane-path fit pools them with the reference: pooled, the lane path grows with the
    lanes (ABC maps more lanes of one channel slower, 6.4 ns at one lane to 7.3 at four over
    the contexts), where the reference alone (1, 2, 4 lanes) was flat."""
    from accelsmith.synth.components import component
    from accelsmith.synth.components_pim import PIM_CHAN_CTX_KINDS, PIM_WIDTHS, chan_params

    bench = load_bench("bench_silicon")
    drawn = {c["rows"] for c in bench._pim(random.Random(0), 2000)}
    samples = calib.load()["pim_samples"]
    for ctx, fields in pim_asic.CHAN_CONTEXTS.items():
        assert fields["rows"] not in drawn, ctx
        for bpr in (1, 2):
            kind = f"pimchan_int8_p{bpr}_{ctx}"
            assert kind in PIM_CHAN_CTX_KINDS and PIM_WIDTHS[kind] == (1, 2, 3, 4)
            p = chan_params(kind, 3)
            assert (p.rows, p.timing, p.t_cl, p.lanes, p.banks, p.row_bytes) == (
                fields["rows"], fields["timing"], fields["t_cl"], 3, 1, 3 * bpr,
            )  # fmt: skip
            comp, top = component(kind, 3)
            comp._MustUse__silence = True  # built for its name only
            assert top == f"cal_{kind}_3" and comp.params == p
            assert [r["width"] for r in samples[kind]] == [1, 2, 3, 4]
    for kind in ("pimchan_int8_p1", "pimchan_int8_p2"):
        pooled = pim_asic._chan_samples(kind)
        assert len(pooled) == 4 * (1 + len(pim_asic.CHAN_CONTEXTS))
        form, loo, _ = pim_asic.chan_path_fit(kind)
        assert form != "mean" and loo[form] < loo["mean"], (kind, loo)
        one, three = pim_asic._chan_path(kind, np.array([1, 3]))
        assert three - one > 0.4, kind


def test_int8_lane_path_in_channel_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """An int8 channel's lane path is the one-bank channel context's at its lanes (the form
    leave-one-out over those samples picks); more bursts per row add the select levels
    beyond the context's one, more banks the column's and the global buffer's fan-out;
    fp16 keeps its components;
    without the context samples the lane components are used as before."""
    from accelsmith.core.families.pim import PimParams

    def period(**kw) -> tuple[float, float]:
        p = PimParams(**{"precision": "int8", "rows": 2, "banks": 1, **kw})
        inv = pim_asic.pim_inventory(
            p.precision, p.lanes, p.banks, p.rows, p.row_bytes, p.timings()
        )
        per = float(pim_asic.pim_period_ns(inv, p.precision, p.lanes, p.banks))
        strobe = max(inv["acc_flops"] + inv["rowbuf_flops"], p.banks * inv["acc_flops"])
        pipe = calib.pipe_period_ns()
        ctl = float(pim_asic._by_levels("pimctl", p.banks))
        ctl += max(float(calib.fanout_period_ns(strobe)) - pipe, 0.0)
        return per, ctl

    for kind, bpr in (("pimchan_int8_p1", 1), ("pimchan_int8_p2", 2)):
        form, loo, coef = pim_asic.chan_path_fit(kind)
        assert form in pim_asic.LANE_FORMS and loo[form] == min(loo.values())
        for lanes in (1, 2, 3, 4):
            fit = float(pim_asic._lane_x(form, lanes) @ coef)
            per, ctl = period(lanes=lanes, row_bytes=bpr * lanes)
            assert per == pytest.approx(max(fit, ctl)), (kind, lanes)
    mux = float(calib.op_period_ns("mux", 4)) - calib.pipe_period_ns()
    two, ctl = period(lanes=1, row_bytes=2)
    three, _ = period(lanes=1, row_bytes=3)  # two select levels
    assert two > ctl and three == pytest.approx(two + mux)
    banks3, ctl3 = period(lanes=1, row_bytes=2, banks=3)
    fan = float(calib.fanout_period_ns(4 * 8) - calib.fanout_period_ns(2 * 8))
    gb = float(pim_asic.gb_fanout_ns(3))  # the global buffer over three banks' MACs
    assert pim_asic.gb_fanout_ns(1) == 0.0 and gb == pytest.approx(
        float(calib.fanout_period_ns(24) - calib.fanout_period_ns(8))
    )
    step = float(pim_asic.bank_step_ns(3, 2))  # that fan-out at its size in context (p2)
    assert gb > 0 and banks3 == pytest.approx(max(two + fan + step, ctl3))
    fp16 = _model(precision="fp16", lanes=1, banks=1, row_bytes=2)["fmax_mhz"]
    real = pim_asic._samples
    no_ctx = lambda k: [] if k.startswith("pimchan") else real(k)  # noqa: E731
    monkeypatch.setattr(pim_asic, "_samples", no_ctx)
    monkeypatch.setattr(pim_asic, "_has_chan_context", lambda: False)
    assert _model(precision="fp16", lanes=1, banks=1, row_bytes=2)["fmax_mhz"] == pytest.approx(
        fp16
    )
    per, ctl = period(lanes=1, row_bytes=1)
    lane = float(pim_asic._lane_path("pimmac_int8", 1)) + float(calib.fanout_period_ns(16))
    assert per == pytest.approx(max(lane, ctl))


def test_bank_step_in_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """A multi-bank int8 channel's lane path steps from the one-bank context by the global
    buffer's fan-out over the banks (its growth with the banks) at the size the channel in
    context shows at CHAN_BANKS banks: the b3 samples minus the one-bank one-lane samples of
    the same context, averaged over the contexts, one burst per row (p1) and more (p2) apart;
    without the b3 samples the bare fan-out as before."""
    from accelsmith.synth.components_pim import chan_params

    samples = calib.load()["pim_samples"]
    nb = pim_asic.CHAN_BANKS
    gb3 = float(pim_asic.gb_fanout_ns(nb))
    for kind, bpr in (("pimchan_int8_p1", 1), ("pimchan_int8_p2", 2)):
        steps = []
        for c in ("", *pim_asic.CHAN_CONTEXTS):
            sfx = f"_{c}" if c else ""
            many = samples[f"{kind}_b{nb}{sfx}"]
            assert [r["width"] for r in many] == [1]
            prm = chan_params(f"{kind}_b{nb}{sfx}", 1)
            assert (prm.banks, prm.lanes, prm.bursts_per_row) == (nb, 1, bpr)
            assert prm.rows == pim_asic.CHAN_CONTEXTS.get(c, {"rows": 4})["rows"]
            one = next(r for r in samples[f"{kind}{sfx}"] if r["width"] == 1)
            steps.append(many[0]["period_ns"] - one["period_ns"])
        want = max(float(np.mean(steps)), 0.0)
        assert float(pim_asic.bank_step_ns(nb, bpr)) == pytest.approx(want)
        assert float(pim_asic.bank_step_ns(1, bpr)) == 0.0
        two = float(pim_asic.bank_step_ns(2, bpr))
        assert two == pytest.approx(float(pim_asic.gb_fanout_ns(2)) * want / gb3)
    # one burst per row: the in-context step is larger than the bare fan-out (the held-out
    # 3-bank 1-burst channels' lanes ran ~1 ns slower than the one-bank context)
    assert float(pim_asic.bank_step_ns(nb, 1)) > 1.5 * gb3
    vec = pim_asic.bank_step_ns(np.array([1, 2, 3]), np.array([1, 2, 3]))
    assert vec.shape == (3,) and vec[0] == 0.0
    real = calib.load()
    no_b3 = {**real, "pim_samples": {k: v for k, v in real["pim_samples"].items() if "_b" not in k}}
    monkeypatch.setattr(calib, "load", lambda: no_b3)
    assert float(pim_asic.bank_step_ns(nb, 1)) == pytest.approx(gb3)
