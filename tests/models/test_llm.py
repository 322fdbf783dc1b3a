"""LLM workloads from Hugging Face configs: parameter counts, GQA, MoE, KV cache, fusion."""

import json

import numpy as np
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.models.llm import (
    HF_BUILTINS,
    builtin_config,
    expert_tokens,
    from_hf,
    llm_workload,
    param_count,
    routing_weights,
    shipped_sources,
)
from accelsmith.models.networks import builtin, builtin_names
from accelsmith.models.workloads import load_workload


@pytest.mark.parametrize("name", HF_BUILTINS)
def test_param_count_matches_published(name):
    src = shipped_sources()[name]
    count = param_count(builtin_config(name))
    assert abs(count / src["published_params"] - 1) < 0.01, (name, count)
    assert src["repository"] and src["params_source"]


def test_param_counts_by_hand():
    # Llama-3-8B: 32 x (4096*(4096 + 2*1024) + 4096*4096 + 3*4096*14336 + 2*4096)
    #   + 2 * 128256*4096 + 4096 = 8,030,261,248 (the count Meta's checkpoint holds)
    assert param_count(builtin_config("llama3-8b")) == 8_030_261_248
    mixtral = builtin_config("mixtral-8x7b")
    assert param_count(mixtral) == 46_702_792_704
    active = param_count(mixtral, active=True)  # published 12.9B used per token
    assert abs(active / shipped_sources()["mixtral-8x7b"]["published_active_params"] - 1) < 0.01
    # Qwen2.5-0.5B: tied embeddings, QKV biases; non-embedding 0.36B (model card)
    qwen = builtin_config("qwen2.5-0.5b")
    assert qwen.tied and qwen.qkv_bias and (qwen.heads, qwen.kv_heads, qwen.head_dim) == (14, 2, 64)
    assert abs((param_count(qwen) - 151936 * 896) / 0.36e9 - 1) < 0.01


def test_shipped_files_are_hf_configs():
    cfg = builtin_config("mixtral-8x7b")
    assert (cfg.experts, cfg.experts_per_tok, cfg.kv_heads, cfg.group) == (8, 2, 8, 4)
    assert builtin_config("phi-3-mini").group == 1
    assert cfg.kv_bytes_per_token == 2 * 32 * 8 * 128 * 2
    assert "mistralai/Mixtral-8x7B-v0.1" in cfg.source


def _write(tmp_path, data):
    f = tmp_path / "config.json"
    f.write_text(data if isinstance(data, str) else json.dumps(data))
    return f


GOOD = {
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 128,
    "vocab_size": 100,
}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"hidden_size": None}, "missing key 'hidden_size'"),
        ({"num_hidden_layers": "2"}, "num_hidden_layers must be a positive integer, not '2'"),
        ({"num_key_value_heads": 3}, "num_key_value_heads must divide num_attention_heads (4)"),
        ({"vocab_size": 0}, "vocab_size must be a positive integer, not 0"),
        ({"hidden_size": 66}, "hidden_size (66) must be a multiple of num_attention_heads"),
        ({"num_local_experts": 4}, "missing key 'num_experts_per_tok'"),
        ({"num_local_experts": 4, "num_experts_per_tok": 5}, "num_experts_per_tok must be at"),
        ({"tie_word_embeddings": "yes"}, "tie_word_embeddings must be true or false"),
        ({"head_dim": -1}, "head_dim must be a positive integer, not -1"),
    ],
)
def test_malformed_config_names_the_key(tmp_path, change, message):
    data = {**GOOD, **change}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_hf(_write(tmp_path, data))


def test_unreadable_configs(tmp_path):
    with pytest.raises(ConfigError, match="is not valid JSON"):
        from_hf(_write(tmp_path, "{nope"))
    with pytest.raises(ConfigError, match="does not exist"):
        from_hf(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="must hold a JSON object"):
        from_hf(_write(tmp_path, "[1, 2]"))


def test_head_dim_key_wins(tmp_path):
    cfg = from_hf(_write(tmp_path, {**GOOD, "head_dim": 32}))
    assert cfg.head_dim == 32 and cfg.name == tmp_path.name
    assert param_count(cfg) == 2 * (64 * 256 + 128 * 64 + 3 * 64 * 128 + 128) + 2 * 6400 + 64


def _by_name(wl):
    g = wl.to_gemms()
    return {str(n): {k: g[k][i] for k in g if k != "names"} for i, n in enumerate(g["names"])}


def test_gqa_shapes_prefill_and_decode():
    pre = _by_name(builtin("llama3-8b-prefill"))
    assert (pre["qkv"]["M"], pre["qkv"]["N"], pre["qkv"]["K"]) == (2048, (32 + 16) * 128, 4096)
    # 4 query heads share a KV head: stacked rows, K/V read once per KV head
    qk = pre["attn_qk"]
    assert (qk["M"], qk["N"], qk["K"], qk["count"]) == (4 * 2048, 2048, 128, 32 * 8)
    assert qk["layer_kind"] == "attention"
    dec = _by_name(builtin("llama3-8b-decode"))
    av = dec["attn_av"]
    assert (av["M"], av["N"], av["K"], av["count"], av["layer_kind"]) == (
        4,
        128,
        2048,
        256,
        "kv_read",
    )
    assert dec["qkv"]["kind"] == "gemv" and dec["lm_head"]["N"] == 128256
    # the KV-cache operand grows with the context; the weights do not
    long = _by_name(llm_workload("llama3-8b", phase="decode", kv_len=8192))
    assert long["attn_qk"]["N"] == 8192 and long["qkv"]["N"] == dec["qkv"]["N"]


def test_mha_decode_matches_the_llama2_form():
    dec = _by_name(builtin("phi-3-mini-decode"))
    assert dec["attn_qk"]["kind"] == "gemv" and dec["attn_qk"]["count"] == 32 * 32


def test_moe_decode_touches_only_active_experts():
    wl = builtin("mixtral-8x7b-decode")
    d = _by_name(wl)
    assert d["router"]["N"] == 8 and d["router"]["layer_kind"] == "router"
    assert d["expert_up"]["count"] == 32 * 2 and d["expert_up"]["layer_kind"] == "expert"
    active = param_count(builtin_config("mixtral-8x7b"), active=True)
    embed = 32000 * 4096  # the input embedding is a lookup, not a GEMM
    norms = 32 * 2 * 4096 + 4096
    assert wl.weight_elems == active - embed - norms
    pre = builtin("mixtral-8x7b-prefill")
    assert _by_name(pre)["expert_up"]["M"] == 2048 * 2 // 8  # uniform: 512 tokens per expert
    assert pre.weight_elems > 3 * wl.weight_elems


def test_expert_tokens_uniform_skew_and_cap():
    assert expert_tokens(1, 8, 2).tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    assert expert_tokens(4, 8, 2).tolist() == [1] * 8
    skew = expert_tokens(100, 8, 2, "zipf:1.5")
    assert skew.sum() == 200 and skew.max() <= 100 and (np.diff(skew) <= 0).all()
    # a token picks an expert at most once: the first expert is capped at the token count
    capped = expert_tokens(10, 4, 2, [100, 1, 1, 1])
    assert capped.tolist()[0] == 10 and capped.sum() == 20
    assert routing_weights("uniform", 4).tolist() == [0.25] * 4
    with pytest.raises(ConfigError, match="routing must"):
        routing_weights("lumpy", 4)
    with pytest.raises(ConfigError, match="routing must list 4"):
        routing_weights([1, 2], 4)


def test_routing_errors_read_plainly():
    """The message lists the numbers as given (no ``np.float64(...)`` reprs); non-numbers and
    nested lists are one ConfigError, not a numpy traceback."""
    with pytest.raises(ConfigError) as e:
        routing_weights("1,2,3,-4", 4)
    assert str(e.value).endswith("not [1.0, 2.0, 3.0, -4.0]") and "np." not in str(e.value)
    for bad in (["a", "b"], [[1, 2], [3, 4]], {"x": 1}, None):
        with pytest.raises(ConfigError, match="routing must"):
            routing_weights(bad, 4)


def test_skewed_routing_layers():
    wl = llm_workload("mixtral-8x7b", phase="prefill", seq_len=64, routing="zipf:1")
    g = wl.to_gemms()
    ex = g["layer_kind"] == "expert"
    tokens = (g["M"][ex] * g["count"][ex])[g["role"][ex] == "ffn_up"].sum() // 32
    assert tokens == 64 * 2 and len(set(g["M"][ex])) > 1
    assert wl.total_macs == llm_workload("mixtral-8x7b", phase="prefill", seq_len=64).total_macs


def test_fused_attention_changes_dram_operands_only():
    un = llm_workload("llama3-8b", phase="prefill", seq_len=512)
    fu = llm_workload("llama3-8b", phase="prefill", seq_len=512, attention="fused")
    a, b = _by_name(un), _by_name(fu)
    assert un.total_macs == fu.total_macs
    assert a["attn_qk"]["ofmap_elems"] == 4 * 512 * 512 and b["attn_qk"]["ofmap_elems"] == 0
    assert a["attn_av"]["ifmap_elems"] == 4 * 512 * 512 and b["attn_av"]["ifmap_elems"] == 0
    assert a["qkv"]["ofmap_elems"] == b["qkv"]["ofmap_elems"] == 512 * 6144


def test_workload_options_are_checked():
    with pytest.raises(ConfigError, match="phase must be one of prefill, decode, not 'x'"):
        llm_workload("llama3-8b", phase="x")
    with pytest.raises(ConfigError, match="attention must be one of unfused, fused"):
        llm_workload("llama3-8b", attention="flash")
    with pytest.raises(ConfigError, match="kv_len must be at least the new tokens"):
        llm_workload("llama3-8b", phase="prefill", seq_len=64, kv_len=32)
    with pytest.raises(ConfigError, match="batch must be an integer >= 1"):
        llm_workload("llama3-8b", batch=0)


def test_builtins_listed_and_loadable():
    names = builtin_names()
    for m in HF_BUILTINS:
        for p in ("prefill", "decode"):
            assert f"{m}-{p}" in names
            assert load_workload(f"{m}-{p}").kv_bytes_per_token > 0


def test_yaml_layers_carry_kind_and_fusion(tmp_path):
    f = tmp_path / "attn.yaml"
    f.write_text(
        "- {type: gemv, name: qk, N: 512, K: 64, count: 8, role: attn_qk, layer_kind: kv_read,"
        " write_c: false}\n- {name: up, M: 4, N: 64, K: 32, layer_kind: expert}\n"
    )
    g = load_workload(f).to_gemms()
    assert g["layer_kind"].tolist() == ["kv_read", "expert"]
    assert g["ofmap_elems"].tolist() == [0, 4 * 64]
    f.write_text("- {name: a, M: 4, N: 5, K: 6, layer_kind: magic}\n")
    with pytest.raises(ConfigError, match="layer_kind must be one of"):
        load_workload(f)
