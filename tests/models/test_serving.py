"""Serving scenarios: parsing, determinism, the continuous-batching server, every family."""

import numpy as np
import pytest
import yaml

from accelsmith.core.errors import ConfigError
from accelsmith.models import evaluate
from accelsmith.models.llm import llm_workload
from accelsmith.models.serving import ServingWorkload, load_serving
from accelsmith.models.workloads import load_workload

SA = {"rows": 32, "cols": 32, "dram_gbps": 200.0}


def _scenario(tmp_path, name="s", **serving):
    base = {
        "model": "qwen2.5-0.5b",
        "seed": 3,
        "requests": 6,
        "arrival": {"process": "poisson", "rate_per_s": 50},
        "prompt_len": {"dist": "uniform", "low": 16, "high": 96},
        "output_len": {"dist": "uniform", "low": 2, "high": 12},
        "scheduler": {"max_batch": 4, "token_budget": 64},
    }
    base.update(serving)
    f = tmp_path / f"{name}.yaml"
    f.write_text(yaml.safe_dump({"serving": {k: v for k, v in base.items() if v is not None}}))
    return f


def test_scenario_is_a_workload_and_deterministic(tmp_path):
    a = load_workload(_scenario(tmp_path, "a"))
    b = load_workload(_scenario(tmp_path, "b"))
    c = load_workload(_scenario(tmp_path, "c", seed=4))
    assert isinstance(a, ServingWorkload) and a.scenario.requests == 6
    for k in ("arrival_s", "prompt_len", "output_len"):
        assert np.array_equal(getattr(a.scenario, k), getattr(b.scenario, k))
    assert not np.array_equal(a.scenario.prompt_len, c.scenario.prompt_len)
    assert a.scenario.arrival_s[0] == 0 and (np.diff(a.scenario.arrival_s) >= 0).all()
    ra, rb = evaluate("systolic", [SA], a), evaluate("systolic", [SA], b)
    assert ra["tokens_per_s"].iloc[0] == rb["tokens_per_s"].iloc[0]


def test_one_request_matches_the_single_pass_workloads(tmp_path):
    # prompt 64 (on every table grid), 3 output tokens: one prefill step, then two decode
    # steps whose 65 and 66 keys are read as 5 whole 16-token blocks (80 keys)
    f = _scenario(
        tmp_path,
        requests=1,
        arrival={"process": "burst"},
        prompt_len=64,
        output_len=3,
    )
    res = evaluate("systolic", [SA], f).iloc[0]
    pre = evaluate("systolic", [SA], llm_workload("qwen2.5-0.5b", phase="prefill", seq_len=64))
    dec = evaluate("systolic", [SA], llm_workload("qwen2.5-0.5b", phase="decode", kv_len=80))
    t_pre, t_dec = pre["latency_s"].iloc[0], dec["latency_s"].iloc[0]
    assert res["ttft_s"] == pytest.approx(t_pre, rel=1e-9)
    assert res["tpot_s"] == pytest.approx(t_dec, rel=1e-9)
    assert res["latency_s"] == pytest.approx(t_pre + 2 * t_dec, rel=1e-9)
    e = pre["energy_j"].iloc[0] + 2 * dec["energy_j"].iloc[0]
    assert res["energy_j"] == pytest.approx(e, rel=1e-9)
    assert res["energy_per_token_j"] == pytest.approx(e / 3, rel=1e-9)
    assert res["steps"] == 3 and res["tokens_per_s"] == pytest.approx(3 / res["latency_s"])
    assert res["peak_kv_bytes"] == 80 * 12288


def test_batching_raises_throughput_and_kv_capacity_limits_it(tmp_path):
    kw = {"requests": 12, "arrival": {"process": "burst"}, "prompt_len": 32, "output_len": 16}
    rows = []
    for mb in (1, 4, 12):
        f = _scenario(tmp_path, f"b{mb}", scheduler={"max_batch": mb, "token_budget": 64}, **kw)
        rows.append(evaluate("systolic", [SA], f).iloc[0])
    tput = [r["tokens_per_s"] for r in rows]
    assert tput[0] < tput[1] < tput[2]
    assert rows[0]["mean_batch"] == 1 and rows[2]["mean_batch"] > 4
    # KV cache for only 3 requests (48 tokens each, 12288 B per token)
    cap = 3 * 48 * 12288 / 1e9
    sched = {"max_batch": 12, "token_budget": 64, "kv_capacity_gb": cap}
    limited = evaluate("systolic", [SA], _scenario(tmp_path, "cap", scheduler=sched, **kw))
    assert limited["peak_kv_bytes"].iloc[0] <= cap * 1e9
    assert limited["tokens_per_s"].iloc[0] < tput[2]
    # time to first token grows when requests queue behind a small batch
    assert rows[0]["ttft_s"] > rows[2]["ttft_s"]


def test_configs_vectorized_and_per_layer_sums(tmp_path):
    f = _scenario(tmp_path)
    cfgs = [SA, {"rows": 64, "cols": 64, "dram_gbps": 800.0}]
    both = evaluate("systolic", cfgs, f)
    one = evaluate("systolic", [cfgs[1]], f)
    assert both["tokens_per_s"].iloc[1] == pytest.approx(one["tokens_per_s"].iloc[0])
    assert both["tokens_per_s"].iloc[1] > both["tokens_per_s"].iloc[0]
    per = evaluate("systolic", cfgs, f, per_layer=True)
    assert {"step.qkv", "decode.attn_qk", "prefill.attn_av", "step.lm_head"} <= set(per["layer"])
    kinds = dict(zip(per["layer"], per["layer_kind"], strict=False))
    assert kinds["decode.attn_qk"] == "kv_read" and kinds["step.qkv"] == "dense"
    for c in ("energy_j", "macs", "dram_bytes"):
        sums = per.groupby("config")[c].sum().to_numpy()
        assert np.allclose(sums, both[c].to_numpy(), rtol=1e-9)
    assert np.allclose(per.groupby("config")["latency_s"].sum(), both["busy_s"], rtol=1e-9)


@pytest.mark.parametrize(
    "family, cfg",
    [
        ("systolic", SA),
        ("lut-core", {}),
        ("simd", {}),
        ("pim", {}),
        ("pim", {"npu_rows": 64, "npu_cols": 64}),
        # its serving tables repeat layer names (was: "Categorical categories must be unique")
        ("coexplore", {}),
    ],
)
def test_every_family_serves(tmp_path, family, cfg):
    f = _scenario(tmp_path, model="mixtral-8x7b", requests=3, output_len=3,
                  prompt_len={"dist": "choice", "values": [16, 40]})  # fmt: skip
    r = evaluate(family, [cfg], f).iloc[0]
    for k in ("tokens_per_s", "ttft_s", "tpot_s", "energy_per_token_j", "latency_s"):
        assert np.isfinite(r[k]) and r[k] > 0, k
    assert r["output_tokens"] == load_serving(f).scenario.output_len.sum()


def test_pim_batch_must_be_one(tmp_path):
    with pytest.raises(ConfigError, match="batch must be 1 with a serving scenario"):
        evaluate("pim", [{"batch": 8}], _scenario(tmp_path))


def test_trace_file(tmp_path):
    (tmp_path / "t.csv").write_text("arrival_s,prompt_len,output_len\n0.5,20,4\n0,30,2\n")
    f = tmp_path / "tr.yaml"
    f.write_text("serving: {model: qwen2.5-0.5b, trace: t.csv, scheduler: {token_budget: 64}}\n")
    s = load_serving(f).scenario
    assert s.arrival_s.tolist() == [0.0, 0.5] and s.prompt_len.tolist() == [30, 20]
    r = evaluate("systolic", [SA], f).iloc[0]
    assert r["output_tokens"] == 6 and r["latency_s"] > 0.5


@pytest.mark.parametrize(
    "change, message",
    [
        ({"arrival": {"process": "storm"}}, "arrival.process must be one of poisson"),
        ({"arrival": {"process": "poisson", "rate_per_s": 0}}, "arrival.rate_per_s must be a"),
        ({"prompt_len": {"dist": "uniform", "low": 10, "high": 2}}, "prompt_len.high must be"),
        ({"output_len": {"dist": "zipf"}}, "output_len.dist must be one of constant"),
        (
            {"output_len": {"dist": "constant", "value": 4, "mean": 2}},
            "output_len.mean is not a key",
        ),
        ({"arrival": None}, "missing key 'arrival'"),
        ({"model": "gpt-5"}, "model must be a shipped model"),
        ({"scheduler": {"max_batch": 128, "token_budget": 64}}, "max_batch must be at most"),
        ({"scheduler": {"kv_capacity_gb": 1e-6}}, "needs"),
        ({"attention": "flash"}, "attention must be one of unfused, fused"),
        ({"requests": 0}, "requests must be an integer >= 1"),
        ({"trace": "t.csv"}, "requests and trace exclude each other"),
        ({"routing": "zipf:x"}, None),
    ],
)
def test_scenario_errors_name_the_field(tmp_path, change, message):
    f = _scenario(tmp_path, **change)
    if message is None:  # dense model: the MoE routing is not used, so not checked
        load_serving(f)
        return
    with pytest.raises(ConfigError, match=message) as e:
        load_workload(f)
    assert "\n" not in str(e.value) and str(e.value).startswith("serving scenario s.yaml")


def test_moe_routing_checked(tmp_path):
    with pytest.raises(ConfigError, match="routing zipf exponent"):
        load_serving(_scenario(tmp_path, model="mixtral-8x7b", routing="zipf:x"))


def test_fused_attention_saves_dram_in_serving(tmp_path):
    un = evaluate("systolic", [SA], _scenario(tmp_path, "u"))
    fu = evaluate("systolic", [SA], _scenario(tmp_path, "f", attention="fused"))
    assert fu["dram_bytes"].iloc[0] < un["dram_bytes"].iloc[0]
    assert fu["macs"].iloc[0] == pytest.approx(un["macs"].iloc[0])


def test_step_sequence(tmp_path):
    from accelsmith.models.serving import serving_steps

    sched = {"max_batch": 3, "token_budget": 48, "kv_capacity_gb": 3 * 112 * 12288 / 1e9}
    f = _scenario(tmp_path, requests=8, scheduler=sched)
    cfgs = [SA, {"rows": 64, "cols": 64, "dram_gbps": 800.0}]
    steps = serving_steps("systolic", cfgs, f)
    total = evaluate("systolic", cfgs, f)
    for c, g in steps.groupby("config"):
        assert g["duration_s"].sum() == pytest.approx(total["busy_s"].iloc[c], rel=1e-9)
        assert len(g) == total["steps"].iloc[c] and g["step"].tolist() == list(range(len(g)))
        assert ((g["start_s"] + g["duration_s"]).iloc[:-1].to_numpy()
                <= g["start_s"].iloc[1:].to_numpy() + 1e-12).all()  # fmt: skip
    assert (steps["decode_tokens"] + steps["prefill_tokens"] <= 48).all()
    assert (steps["running"] <= 3).all() and (
        steps["kv_bytes"] <= sched["kv_capacity_gb"] * 1e9
    ).all()
    # continuous batching: some steps mix prefill chunks with decode tokens
    assert ((steps["decode_tokens"] > 0) & (steps["prefill_tokens"] > 0)).any()
    out_tokens = load_serving(f).scenario.output_len.sum()
    firsts = steps.groupby("config")["decode_tokens"].sum() + 8  # first tokens come with prefill
    assert (firsts == out_tokens).all()


def test_neupims_interleaving_in_serving(tmp_path):
    f = _scenario(tmp_path, requests=8, arrival={"process": "burst"}, prompt_len=32,
                  output_len=8, scheduler={"max_batch": 8, "token_budget": 64})  # fmt: skip
    base = {"npu_rows": 32, "npu_cols": 32, "channels": 8, "pim_offload": "kv_read"}
    cfgs = [base, {**base, "interleave": True}]
    serial, inter = (r for _, r in evaluate("pim", cfgs, f).iterrows())
    assert inter["steps"] == serial["steps"] and inter["output_tokens"] == serial["output_tokens"]
    assert inter["latency_s"] != serial["latency_s"]
    # each interleaved step is at least its NPU work and at least its PIM work, at most all of
    # it serially; the two sub-batches stream the NPU weights twice (more NPU energy)
    assert inter["energy_npu_j"] > serial["energy_npu_j"]
    assert inter["pim_seconds"] == pytest.approx(serial["pim_seconds"], rel=1e-9)
    assert max(inter["npu_seconds"], inter["pim_seconds"]) <= inter["busy_s"] * (1 + 1e-9)
    assert inter["busy_s"] <= (inter["npu_seconds"] + inter["pim_seconds"]) * (1 + 1e-9)
    # a single request cannot be split: interleaving changes nothing
    one = _scenario(tmp_path, "one", requests=1, arrival={"process": "burst"}, prompt_len=32,
                    output_len=4)  # fmt: skip
    a, b = (r for _, r in evaluate("pim", cfgs, one).iterrows())
    assert a["latency_s"] == pytest.approx(b["latency_s"], rel=1e-12)
    # offloads whose PIM layers are not between QKV and the rest stay serial
    dup = [{**base, "pim_offload": "auto"}, {**base, "pim_offload": "auto", "interleave": True}]
    x, y = (r for _, r in evaluate("pim", dup, f).iterrows())
    assert x["latency_s"] == pytest.approx(y["latency_s"], rel=1e-12)
