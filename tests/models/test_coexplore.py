"""coexplore: per-layer costs of the three engines combined by the mapping (hand-checked)."""

import numpy as np
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.core.registry import Family, get_family
from accelsmith.models import evaluate

WL = "llama3-8b-decode"


def test_all_on_systolic_equals_the_systolic_model_plus_idle_leakage():
    cfg = {k: "systolic" for k in ("map_dense", "map_attention", "map_kv_read", "map_expert")}
    cfg |= {"sa_rows": 16, "sa_cols": 48, "sa_dataflow": "ws", "sa_buf_kb": 128}
    co = evaluate("coexplore", [cfg], WL).iloc[0]
    sa = evaluate("systolic", [{"rows": 16, "cols": 48, "dataflow": "ws", "ifmap_kb": 128,
                                "filter_kb": 128, "ofmap_kb": 128}], WL).iloc[0]  # fmt: skip
    lut = evaluate("lut-core", [{}], WL).iloc[0]
    pim = evaluate("pim", [{}], WL).iloc[0]
    assert co.latency_s == pytest.approx(sa.latency_s, rel=1e-12)
    assert co.energy_systolic_j == pytest.approx(sa.energy_j, rel=1e-12)
    idle_w = lut.energy_leak_j / lut.latency_s + pim.energy_refresh_j / pim.latency_s
    assert co.energy_idle_j == pytest.approx(idle_w * sa.latency_s, rel=1e-9)
    assert co.energy_j == pytest.approx(sa.energy_j + idle_w * sa.latency_s, rel=1e-9)
    assert co.area_um2 == pytest.approx(sa.area_um2 + lut.area_um2 + pim.area_um2, rel=1e-12)
    assert co.latency_lut_core_s == 0 and co.energy_pim_j == 0


def test_mapping_picks_each_layers_engine_and_layers_sum_to_totals():
    cfg = {"map_dense": "lut-core", "map_kv_read": "pim"}
    layers = evaluate("coexplore", [cfg], WL, per_layer=True)
    total = evaluate("coexplore", [cfg], WL).iloc[0]
    want = np.where(layers["layer_kind"].astype(str) == "kv_read", "pim", "lut-core")
    assert list(layers["engine"].astype(str)) == list(want)
    lut = evaluate("lut-core", [{}], WL, per_layer=True)
    dense = (layers["layer_kind"] == "dense").to_numpy()
    assert np.allclose(layers["latency_s"][dense], lut["latency_s"][dense], rtol=1e-12)
    for c in ("latency_s", "energy_j", "cycles", "energy_idle_j"):
        assert layers[c].sum() == pytest.approx(total[c], rel=1e-9)


def test_vectorized_over_a_large_sample_of_the_default_space():
    from accelsmith.dse.space import Space

    fam = get_family("coexplore")
    space = Space.from_spec(fam.space)
    assert space.size() >= 10**8
    rng = np.random.default_rng(0)
    configs = [space.sample(rng) for _ in range(300)]
    out = evaluate("coexplore", configs, WL)
    one = evaluate("coexplore", configs[7:8], WL).iloc[0]
    assert out.iloc[7]["energy_j"] == pytest.approx(one.energy_j, rel=1e-12)
    assert np.isfinite(out[["latency_s", "energy_j", "area_mm2"]].to_numpy(float)).all()
    assert set(fam.agent_groups) == {"systolic", "lut", "pim", "mapping"}


def test_model_only_family_refuses_generate_and_half_declarations():
    with pytest.raises(ConfigError, match=r"'coexplore' is model-only"):
        get_family("coexplore").build()
    with pytest.raises(ValueError, match="all None"):
        Family(name="x", params="p", generator=None, golden="g", bench="b", cost="c")
    with pytest.raises(ConfigError, match="convention must be 'rtl'"):
        evaluate("coexplore", [{}], WL, convention="scalesim")
