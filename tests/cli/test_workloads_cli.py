"""``accelsmith workloads``: the listing, one workload's layers, JSON, and errors."""

import json

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
