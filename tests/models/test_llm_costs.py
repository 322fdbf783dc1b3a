"""Every family's cost model on the LLM workloads: layer kinds, KV-cache reads, fusion."""

import numpy as np
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.core.registry import families
from accelsmith.models import evaluate
from accelsmith.models.llm import llm_workload

CONFIGS = {
    "systolic": {"rows": 32, "cols": 32},
    "lut-core": {},
    "simd": {},
    "pim": {},
}


@pytest.mark.parametrize("family", sorted(families()))
@pytest.mark.parametrize("workload", ["mixtral-8x7b-decode", "qwen2.5-0.5b-prefill"])
def test_every_family_runs_llm_workloads_with_kinds(family, workload):
    # every registered family runs the LLM layer kinds, or refuses in one line naming them
    try:
        per = evaluate(family, [CONFIGS.get(family, {})], workload, per_layer=True)
    except ConfigError as exc:
        assert "\n" not in str(exc) and "layer" in str(exc), str(exc)
        return
    total = evaluate(family, [CONFIGS.get(family, {})], workload)
    kinds = dict(zip(per["layer"], per["layer_kind"], strict=True))
    if workload.startswith("mixtral"):
        assert kinds["attn_qk"] == "kv_read" and kinds["router"] == "router"
        assert kinds["expert_up"] == "expert" and kinds["qkv"] == "dense"
    else:
        assert kinds["attn_av"] == "attention"
    assert np.isfinite(total["latency_s"]).all() and (total["energy_j"] > 0).all()
    assert per["macs"].sum() == pytest.approx(total["macs"].iloc[0], rel=1e-9)


def _dram(family, cfg, wl, layer):
    per = evaluate(family, [cfg], wl, per_layer=True)
    return float(per.loc[per["layer"] == layer, "dram_bytes"].iloc[0])


@pytest.mark.parametrize("family, cfg", [("systolic", {"rows": 32, "cols": 32}), ("lut-core", {})])
def test_fused_attention_keeps_scores_off_dram(family, cfg):
    un = llm_workload("llama3-8b", phase="prefill", seq_len=512)
    fu = llm_workload("llama3-8b", phase="prefill", seq_len=512, attention="fused")
    qk_un, qk_fu = _dram(family, cfg, un, "attn_qk"), _dram(family, cfg, fu, "attn_qk")
    av_un, av_fu = _dram(family, cfg, un, "attn_av"), _dram(family, cfg, fu, "attn_av")
    count = 32 * 8
    scores = 4 * 512 * 512 * count  # score elements over all blocks and KV heads
    assert qk_un > qk_fu and av_un > av_fu
    if family == "systolic":  # scores written at acc_bits, P read back at in_bits
        per = evaluate(family, [cfg], un, per_layer=True)
        acc = int(per["acc_bits"].iloc[0])
        assert qk_un - qk_fu == pytest.approx(scores * acc / 8)
        assert av_un - av_fu == pytest.approx(scores * 1.0)
    same = ("qkv", "ffn_up", "lm_head")
    for layer in same:
        assert _dram(family, cfg, un, layer) == _dram(family, cfg, fu, layer)


def test_kv_cache_reads_grow_with_context():
    cfg = {"rows": 32, "cols": 32}
    short = llm_workload("llama3-8b", phase="decode", kv_len=1024)
    long = llm_workload("llama3-8b", phase="decode", kv_len=4096)
    kv_short = _dram("systolic", cfg, short, "attn_qk") + _dram("systolic", cfg, short, "attn_av")
    kv_long = _dram("systolic", cfg, long, "attn_qk") + _dram("systolic", cfg, long, "attn_av")
    # K and V of 8 KV heads x 32 blocks x 128 dims at 8 bits per token, read once each
    per_token = 2 * 32 * 8 * 128
    assert kv_long - kv_short >= 3072 * per_token
    assert _dram("systolic", cfg, short, "qkv") == _dram("systolic", cfg, long, "qkv")


def test_moe_decode_pim_reads_only_active_experts():
    # PIM time of the expert layers scales with the experts touched: 2 of 8 at batch 1,
    # all 8 at batch 4 (uniform routing)
    one = evaluate("pim", [{}], llm_workload("mixtral-8x7b", batch=1), per_layer=True)
    four = evaluate("pim", [{}], llm_workload("mixtral-8x7b", batch=4), per_layer=True)
    t1 = one.loc[one["layer_kind"] == "expert", "pim_seconds"].sum()
    t4 = four.loc[four["layer_kind"] == "expert", "pim_seconds"].sum()
    assert t4 == pytest.approx(4 * t1, rel=1e-9)


def test_pim_offload_experts_duplex_style():
    npu = {"npu_rows": 128, "npu_cols": 128, "channels": 32}
    wl = llm_workload("mixtral-8x7b", phase="decode")
    neu = evaluate("pim", [npu], wl, per_layer=True)
    dup = evaluate("pim", [{**npu, "pim_offload": "kv_read+experts"}], wl, per_layer=True)
    eng_n = dict(zip(neu["layer"], neu["engine"], strict=True))
    eng_d = dict(zip(dup["layer"], dup["engine"], strict=True))
    assert eng_n["expert_up"] == "npu" and eng_d["expert_up"] == "pim"
    assert eng_n["attn_qk"] == eng_d["attn_qk"] == "pim" and eng_d["qkv"] == "npu"
    # a decode GEMV over 2 experts' weights: the PIM banks beat a weight-loading NPU
    t = {
        k: f.loc[f["layer_kind"] == "expert", "latency_s"].sum()
        for k, f in (("n", neu), ("d", dup))
    }
    assert t["d"] < t["n"]
    # dense models are unaffected
    dense = llm_workload("llama3-8b", phase="decode")
    a = evaluate("pim", [npu], dense)["latency_s"].iloc[0]
    b = evaluate("pim", [{**npu, "pim_offload": "kv_read+experts"}], dense)["latency_s"].iloc[0]
    assert a == b


def test_pim_offload_kv_read_and_auto():
    npu = {"npu_rows": 128, "npu_cols": 128, "channels": 32}
    pre = llm_workload("llama3-8b", phase="prefill", seq_len=256)
    dec = llm_workload("llama3-8b", phase="decode", kv_len=256)

    def engines(wl, off):
        f = evaluate("pim", [{**npu, "pim_offload": off}], wl, per_layer=True)
        return dict(zip(f["layer"], f["engine"], strict=True)), f

    # NeuPIMs: prefill attention on the NPU, decode attention (KV-cache reads) on PIM
    assert engines(pre, "kv_read")[0]["attn_qk"] == "npu"
    assert engines(dec, "kv_read")[0]["attn_qk"] == "pim"
    assert engines(pre, "attention")[0]["attn_qk"] == "pim"
    # auto: each layer on the faster engine, so never slower than either fixed placement
    _, auto = engines(pre, "auto")
    for off in ("attention", "kv_read"):
        _, fixed = engines(pre, off)
        assert (auto["latency_s"].to_numpy() <= fixed["latency_s"].to_numpy() * (1 + 1e-12)).all()
    pim_only = evaluate("pim", [{"channels": 32}], pre, per_layer=True)
    assert (auto["latency_s"].to_numpy() <= pim_only["latency_s"].to_numpy() * (1 + 1e-12)).all()


def test_pim_tokens_count_the_workload_batch():
    one = evaluate("pim", [{"batch": 4}], llm_workload("llama3-8b", batch=1))
    four = evaluate("pim", [{}], llm_workload("llama3-8b", batch=4))
    # PIM alone re-reads the weights for every request: the same time for the same tokens
    assert four["tokens_per_s"].iloc[0] == pytest.approx(one["tokens_per_s"].iloc[0], rel=1e-9)
    assert four["energy_per_token_j"].iloc[0] == pytest.approx(
        four["energy_j"].iloc[0] / 4, rel=1e-12
    )
