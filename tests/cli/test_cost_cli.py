"""``accelsmith cost systolic``: table, JSON and CSV outputs, and one-line errors."""

import csv
import io
import json

import pytest

from accelsmith.cli.main import main


def run(capsys, *args):
    code = main(["cost", "systolic", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_table_output(capsys):
    code, out, err = run(
        capsys,
        "--rows",
        "16",
        "--cols",
        "16",
        "--dataflow",
        "ws",
        "--workload",
        "resnet50",
        "--node",
        "28",
    )
    assert code == 0, err
    assert "totals" in out and "TOPS/W" in out and "mm^2" in out


def test_json_output_matches_library(capsys):
    from accelsmith.models import evaluate

    code, out, _ = run(
        capsys,
        "--rows",
        "8",
        "--cols",
        "4",
        "--workload",
        "mobilenetv2",
        "--json",
        "--freq-mhz",
        "800",
        "--dram-gbps",
        "12.8",
    )
    assert code == 0
    data = json.loads(out)
    lib = evaluate(
        "systolic", [{"rows": 8, "cols": 4, "freq_mhz": 800.0, "dram_gbps": 12.8}], "mobilenetv2"
    ).iloc[0]
    assert data["totals"]["cycles"] == pytest.approx(lib.cycles)
    assert data["totals"]["energy_j"] == pytest.approx(lib.energy_j)
    assert len(data["layers"]) == int(lib.layers)


def test_csv_output(capsys):
    code, out, _ = run(capsys, "--rows", "4", "--cols", "4", "--workload", "bert-base-128", "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {"layer", "M", "N", "K", "cycles", "energy_j"} <= set(rows[0])


def test_gemm_yaml_workload(tmp_path, capsys):
    f = tmp_path / "g.yaml"
    f.write_text("- {name: a, M: 64, N: 64, K: 64}\n- {name: b, M: 1, N: 256, K: 512, count: 3}\n")
    code, out, err = run(capsys, "--rows", "8", "--cols", "8", "--workload", str(f), "--json")
    assert code == 0, err
    layers = json.loads(out)["layers"]
    assert [x["layer"] for x in layers] == ["a", "b"] and layers[1]["count"] == 3


def test_input_stationary_in_scalesim_convention(capsys):
    from accelsmith.models import evaluate

    args = ["--rows", "8", "--cols", "8", "--dataflow", "is", "--convention", "scalesim"]
    code, out, err = run(capsys, *args, "--workload", "bert-base-128", "--json")
    assert code == 0, err
    data = json.loads(out)
    lib = evaluate(
        "systolic",
        [{"rows": 8, "cols": 8, "dataflow": "is"}],
        "bert-base-128",
        convention="scalesim",
    ).iloc[0]
    assert data["totals"]["compute_cycles"] == lib.compute_cycles
    assert data["totals"]["dataflow"] == "is" and data["totals"]["convention"] == "scalesim"


def test_scalesim_topology_workload(tmp_path, capsys):
    f = tmp_path / "net.csv"
    f.write_text(
        "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
        "Num Filter, Strides,\nConv1, 10, 10, 3, 3, 4, 8, 1,\n"
    )
    code, out, err = run(capsys, "--rows", "4", "--cols", "4", "--workload", str(f), "--csv")
    assert code == 0, err
    (row,) = list(csv.DictReader(io.StringIO(out)))
    # (10 - 3 + 1) / 1 = 8: M = 64, N = 8, K = 3*3*4 = 36
    assert (row["layer"], row["M"], row["N"], row["K"]) == ("Conv1", "64", "8", "36")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rows", "0"], "rows must be an integer in 1..256, not 0"),
        (["--node", "40"], "node_nm must be one of 45, 32, 28"),
        (["--workload", "nope"], "workload must be a built-in name"),
        (["--convention", "x"], "convention must be one of 'rtl', 'scalesim', not 'x'"),
        (["--dataflow", "is"], "dataflow 'is' has no RTL generator"),
        (["--freq-mhz", "0"], "freq_mhz must be a number in 1..10000, not 0"),
        (["--json", "--csv"], "--json and --csv cannot be combined"),
        (["--ifmap-kb", "-3"], "ifmap_kb must be a number in"),
        (["--workload", "missing.csv"], "workload file 'missing.csv' does not exist"),
        (["--dram-gbps", "0"], "dram_gbps must be a number in"),
        (["--tech", "nope.yaml"], "nope.yaml"),
    ],
)
def test_errors_one_line_exit_2(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_accumulator_sized_for_the_workload_unless_max_k_given(capsys, tmp_path):
    # ResNet-50's deepest layer has K = 4608: without --max-k the model sizes for it
    code, out, err = run(capsys, "--rows", "8", "--cols", "8", "--json")
    assert code == 0, err
    totals = json.loads(out)["totals"]
    assert totals["max_k"] == 4608 and not totals["exceeds_max_k"]
    code, out, _ = run(capsys, "--rows", "8", "--cols", "8", "--max-k", "256")
    assert code == 0 and "may wrap" in out
    cfg = tmp_path / "p.yaml"
    cfg.write_text("rows: 8\ncols: 8\nmax_k: 1024\n")
    code, out, _ = run(capsys, "--config", str(cfg), "--json")
    assert code == 0 and json.loads(out)["totals"]["max_k"] == 1024
