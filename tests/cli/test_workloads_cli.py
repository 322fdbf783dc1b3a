"""``accelsmith workloads``: the listing, one workload's layers, JSON, and errors."""

import json
from pathlib import Path

import pytest

from accelsmith.cli.main import main
from accelsmith.models.networks import builtin_names


def test_listing_json(capsys):
    assert main(["workloads", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in data] == list(builtin_names())
    resnet = data[0]
    assert resnet["layers"] == 54 and 4.08e9 < resnet["macs"] < 4.10e9


def test_listing_table(capsys):
    assert main(["workloads"]) == 0
    out = capsys.readouterr().out
    assert "llama2-7b-decode" in out and "GMACs" in out


def test_one_workload_layers(capsys):
    assert main(["workloads", "bert-base-128", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [x["role"] for x in data["layers"]][:3] == ["qkv", "attn_qk", "attn_av"]
    assert sum(x["macs"] for x in data["layers"]) == data["macs"]


def test_bad_workload_exits_2(capsys):
    assert main(["workloads", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: workload must be a built-in name") and err.count("\n") == 1


def test_file_workload_layers(tmp_path, capsys):
    f = tmp_path / "mine.yaml"
    f.write_text("- {name: a, M: 4, N: 5, K: 6, count: 2}\n- {type: gemv, name: v, N: 3, K: 7}\n")
    assert main(["workloads", str(f), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["name"] == "mine" and data["macs"] == 4 * 5 * 6 * 2 + 3 * 7
    assert [x["kind"] for x in data["layers"]] == ["gemm", "gemv"]


def test_listing_has_llm_builtins_with_bytes(capsys):
    assert main(["workloads", "--json"]) == 0
    data = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    mix = data["mixtral-8x7b-decode"]
    # decode reads only the 2 active experts' weights; the KV cache grows 128 KiB per token
    assert mix["kv_bytes_per_token"] == 2 * 32 * 8 * 128 * 2
    assert (
        25.0e9 < mix["weight_bytes"] < 25.6e9 < 90e9 < data["mixtral-8x7b-prefill"]["weight_bytes"]
    )
    assert data["llama3-8b-prefill"]["macs"] > 1000 * data["llama3-8b-decode"]["macs"]
    assert data["resnet50"]["kv_bytes_per_token"] == 0


def test_listing_table_shows_new_columns(capsys):
    assert main(["workloads"]) == 0
    out = capsys.readouterr().out
    assert "KV B/token" in out and "mixtral-8x7b-decode" in out and "131,072" in out


def test_from_hf_every_shipped_config(capsys):
    from pathlib import Path

    import accelsmith.models.llm as llm

    for name in llm.HF_BUILTINS:
        path = Path(llm.__file__).with_name("hf_configs") / name / "config.json"
        args = ["workloads", "--from-hf", str(path), "--phase", "prefill", "--seq-len", "128"]
        assert main([*args, "--batch", "2", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["name"] == f"{name}-prefill"
        assert sum(x["macs"] for x in data["layers"]) == data["macs"]
        assert {"dense", "attention"} <= {x["layer_kind"] for x in data["layers"]}


def test_from_hf_decode_kv_len_and_table(capsys):
    args = ["workloads", "--from-hf", "llama3-8b", "--kv-len", "4096", "--json"]
    assert main(args) == 0
    layers = {x["layer"]: x for x in json.loads(capsys.readouterr().out)["layers"]}
    assert layers["attn_qk"]["N"] == 4096 and layers["attn_qk"]["layer_kind"] == "kv_read"
    assert main(["workloads", "--from-hf", "mixtral-8x7b", "--attention", "fused"]) == 0
    assert "expert" in capsys.readouterr().out


def test_from_hf_malformed_exits_2_naming_the_key(tmp_path, capsys):
    f = tmp_path / "config.json"
    f.write_text(json.dumps({"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 10}))
    assert main(["workloads", "--from-hf", str(f)]) == 2
    err = capsys.readouterr().err
    assert (
        err == "error: config config.json: missing key 'num_attention_heads' (a positive integer)\n"
    )
    assert main(["workloads", "--from-hf", "llama3-8b", "--phase", "both"]) == 2
    assert "phase must be one of prefill, decode" in capsys.readouterr().err


EXAMPLE = Path(__file__).parents[2] / "examples" / "serving" / "llama3-chat.yaml"


def test_serving_scenario_listing(capsys):
    assert main(["workloads", "--serving", str(EXAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["model"] == "llama3-8b" and data["requests"] == len(data["requests_list"]) == 24
    assert data["kv_bytes_per_token"] == 131072 and data["max_batch"] == 16
    assert main(["workloads", "--serving", str(EXAMPLE)]) == 0
    assert "token_budget" in capsys.readouterr().out
    assert main(["workloads", str(EXAMPLE), "--json"]) == 0  # the same, as a workload
    assert json.loads(capsys.readouterr().out)["requests"] == 24


def test_cost_on_a_serving_scenario(capsys):
    args = ["cost", "pim", "--npu-rows", "64", "--npu-cols", "64", "--workload", str(EXAMPLE)]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    t = data["totals"]
    assert t["tokens_per_s"] > 0 and 0 < t["ttft_s"] <= t["ttft_p99_s"]
    assert t["energy_per_token_j"] == pytest.approx(t["energy_j"] / t["output_tokens"])
    kinds = {x["layer"]: x["layer_kind"] for x in data["layers"]}
    assert kinds["decode.attn_qk"] == "kv_read" and kinds["step.ffn_up"] == "dense"
    assert (
        main(["cost", "systolic", "--rows", "32", "--cols", "32", "--workload", str(EXAMPLE)]) == 0
    )
    out = capsys.readouterr().out
    assert "time to first token" in out and "tokens/s" in out


def test_bad_serving_scenario_exits_2(tmp_path, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text("serving: {model: llama3-8b, arrival: {process: poisson}, prompt_len: 8, "
                 "output_len: 8}\n")  # fmt: skip
    assert main(["workloads", "--serving", str(f)]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "error: serving scenario bad.yaml: arrival.rate_per_s must be a number > 0, not None\n"
    )
    assert main(["cost", "systolic", "--rows", "8", "--cols", "8", "--workload", str(f)]) == 2
    assert "arrival.rate_per_s" in capsys.readouterr().err


def test_cost_commands_on_llm_builtins(capsys):
    assert main(["cost", "systolic", "--rows", "32", "--cols", "32", "--workload",
                 "llama3-8b-prefill", "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    kinds = {x["layer"]: x["layer_kind"] for x in data["layers"]}
    assert kinds["attn_qk"] == "attention" and kinds["qkv"] == "dense"
    args = ["cost", "pim", "--workload", "mixtral-8x7b-decode", "--npu-rows", "64"]
    assert main([*args, "--npu-cols", "64", "--pim-offload", "kv_read+experts", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    engines = {x["layer"]: x["engine"] for x in data["layers"]}
    assert engines["expert_up"] == "pim" and engines["router"] == "npu"
    assert main([*args, "--npu-cols", "64", "--pim-offload", "everything"]) == 2
    assert "pim_offload" in capsys.readouterr().err.replace("-", "_")


def test_serving_steps_cli(tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text(
        "serving: {model: qwen2.5-0.5b, requests: 4, arrival: {process: burst}, prompt_len: 40,"
        " output_len: 3, scheduler: {max_batch: 2, token_budget: 64}}\n"
    )
    args = ["workloads", "--serving", str(f), "--steps", "systolic"]
    assert main([*args, "--config", "rows=16", "--config", "cols=16", "--json"]) == 0
    steps = json.loads(capsys.readouterr().out)
    assert steps[0]["prefill_tokens"] == 64 and steps[0]["decode_tokens"] == 0
    assert sum(s["decode_tokens"] for s in steps) == 4 * 2  # first tokens come with prefill
    assert max(s["running"] for s in steps) == 2
    assert main([*args, "--config", "rows=16", "--config", "cols=16"]) == 0
    assert "batched steps" in capsys.readouterr().out
    assert main([*args, "--config", "rows"]) == 2
    assert capsys.readouterr().err == "error: --config must be KEY=VALUE, not 'rows'\n"
    assert main([*args, "--config", "rows=0", "--config", "cols=16"]) == 2
    assert "rows must be" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--phase", "prefill"], "--phase applies with --from-hf only"),
        (["resnet50", "--seq-len", "64"], "--seq-len applies with --from-hf only"),
        (["--routing", "zipf:1"], "--routing applies with --from-hf only"),
        (["--steps", "systolic"], "--steps applies with --serving only"),
        (["--config", "rows=4"], "--config applies with --steps only"),
    ],
)
def test_an_option_without_the_one_it_needs_exits_2(capsys, argv, message):
    """Such options used to be ignored silently (the plain listing printed, exit 0)."""
    assert main(["workloads", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == f"error: {message}" and captured.out == ""
