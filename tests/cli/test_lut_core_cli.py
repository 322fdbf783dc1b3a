"""``accelsmith generate|cost lut-core`` (verify runs in tests/sim): files, manifest, errors."""

import json
from pathlib import Path

import pytest
import yaml

from accelsmith.cli.main import main
from accelsmith.core.families.lut_core import LutCoreParams

BITNET = str(Path(__file__).parents[2] / "examples/workloads/bitnet-b1.58-3b-decode.yaml")


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_generate_writes_files_and_manifest(tmp_path, capsys):
    code, out, err = run(
        capsys,
        "generate",
        "lut-core",
        "--group-size",
        "3",
        "--weight-bits",
        "3",
        "--act-bits",
        "6",
        "--tile-m",
        "3",
        "--tile-n",
        "5",
        "--no-symmetric",
        "--no-bias-correction",
        "--max-k",
        "100",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    p = LutCoreParams(
        group_size=3,
        weight_bits=3,
        act_bits=6,
        tile_m=3,
        tile_n=5,
        symmetric=False,
        bias_correction=False,
        max_k=100,
    )
    name = p.default_name()
    assert {f.name for f in tmp_path.iterdir()} == {f"{name}.v", f"{name}.json", f"{name}.core"}
    assert "8-entry full tables" in out
    m = json.loads((tmp_path / f"{name}.json").read_text())
    assert m["family"] == "lut-core" and m["parameters"] == p.to_dict()
    ports = {q["name"]: q for q in m["ports"]}
    assert ports["a__payload"]["width"] == 3 * 3 * 6
    assert ports["w__payload"]["width"] == 5 * 3
    assert ports["c__payload"]["width"] == 5 * p.acc_bits + 1
    assert ports["start__payload"]["width"] == 7  # k_minus_1 up to 99
    assert m["latency"]["tile_cycles"]["100"] == -(-100 // 3) * 3 + 3 + 4
    assert m["table"] == {
        "entries_per_row": 8,
        "entry_bits": p.entry_bits,
        "rows": 3,
        "mux_inputs": 8,
    }
    assert "offset-binary" in m["protocol"]["weights"] or "A @ (2Q" in m["protocol"]["weights"]
    text = (tmp_path / f"{name}.v").read_text()
    assert f"module {name}(" in text
    core = yaml.safe_load((tmp_path / f"{name}.core").read_text().replace("CAPI=2:", "", 1))
    assert core["targets"]["default"]["toplevel"] == name


def test_config_file_and_flags(tmp_path, capsys):
    cfg = tmp_path / "lut.yaml"
    cfg.write_text("group_size: 2\ntile_n: 4\nmax_k: 64\n")
    code, _, err = run(
        capsys,
        "generate",
        "lut-core",
        "--config",
        str(cfg),
        "--tile-n",
        "6",
        "--name",
        "mylut",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    m = json.loads((tmp_path / "mylut.json").read_text())
    want = LutCoreParams(group_size=2, tile_n=6, max_k=64)
    assert m["parameters"] == want.to_dict()  # acc_bits re-derived for max_k 64


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group-size", "7"], "group_size must be an integer in 2..6, not 7"),
        (["--weight-bits", "0"], "weight_bits must be an integer in 1..4, not 0"),
        (["--act-bits", "20"], "act_bits must be an integer in 4..16, not 20"),
        (["--tile-m", "17"], "tile_m must be an integer in 1..16, not 17"),
        (["--negation", "xor"], "negation must be one of 'offline', 'hardware', not 'xor'"),
        (["--no-symmetric", "--negation", "hardware"], "negation must be 'offline' when"),
        (["--acc-bits", "2"], "acc_bits must be an integer in 4..64, not 2"),
        (["--tile-n", "x"], "Invalid value for '--tile-n'"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, capsys, args, message):
    for kind in ("generate", "verify", "cost"):
        extra = ["--out", str(tmp_path)] if kind == "generate" else []
        code, _, err = run(capsys, kind, "lut-core", *args, *extra)
        assert code == 2, kind
        assert err.startswith("error: ") and message in err, (kind, err)
        assert err.count("\n") == 1 and "Traceback" not in err


def test_generate_command_round_trips(tmp_path):
    from accelsmith.cli.commands import generate_argv, generate_command

    cfg = {
        "group_size": 5,
        "weight_bits": 1,
        "tile_m": 1,
        "tile_n": 9,
        "symmetric": True,
        "negation": "hardware",
        "bias_correction": False,
        "max_k": 77,
        "arrays": 4,
        "act_kb": 32.0,
    }
    cmd = generate_command("lut-core", cfg)
    assert "--negation hardware" in cmd and "--no-bias-correction" in cmd and "arrays" not in cmd
    assert main(generate_argv("lut-core", cfg, out=str(tmp_path))) == 0
    m = json.loads(next(tmp_path.glob("*.json")).read_text())
    want = LutCoreParams(
        group_size=5,
        weight_bits=1,
        tile_m=1,
        tile_n=9,
        negation="hardware",
        bias_correction=False,
        max_k=77,
    )
    assert m["parameters"] == want.to_dict()


def test_cost_tables_json_and_csv(capsys):
    code, out, err = run(
        capsys,
        "cost",
        "lut-core",
        "--tile-n",
        "32",
        "--arrays",
        "2",
        "--workload",
        "llama2-7b-decode",
    )
    assert code == 0, err
    assert "qkv" in out and "LUT vs MAC" in out and "attn_qk, attn_av multiply" in out
    code, out, err = run(
        capsys,
        "cost",
        "lut-core",
        "--workload",
        BITNET,
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["totals"]["weight_bits"] == 2 and len(data["layers"]) == 8
    assert data["totals"]["energy_j"] == pytest.approx(sum(r["energy_j"] for r in data["layers"]))
    code, out, _ = run(capsys, "cost", "lut-core", "--workload", "llama2-7b-prefill", "--csv")
    assert code == 0 and out.splitlines()[0].startswith("config,")
    code, _, err = run(capsys, "cost", "lut-core", "--json", "--csv")
    assert code == 2 and "cannot be combined" in err


def test_cost_pairs_table(capsys):
    code, out, err = run(capsys, "cost", "lut-core", "--pairs", "--node", "28")
    assert code == 0, err
    assert "M2N64K4, 28 nm" in out and "LUT best in 5 of 12 pairs" in out
    code, out, err = run(
        capsys, "cost", "lut-core", "--pairs", "--json", "--mac-operands", "square"
    )
    rows = json.loads(out)
    assert len(rows) == 12 and sum(r["lut_wins"] for r in rows) == 6
    code, _, err = run(capsys, "cost", "lut-core", "--pairs", "--mac-operands", "x")
    assert code == 2 and "mac_operands must be one of 'native', 'square', not 'x'" in err
