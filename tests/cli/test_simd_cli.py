"""``accelsmith generate|cost|verify simd``: files, manifest, --config, JSON, one-line errors."""

import json

import pytest

from accelsmith.cli.commands import generate_argv
from accelsmith.cli.main import main
from accelsmith.core.families.simd import SimdParams


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_generate_writes_files_and_manifest(tmp_path, capsys):
    code, out, err = run(
        capsys, "generate", "simd", "--lane-bits", "8", "--lanes", "3",
        "--formats", "fp8_e5m2,posit4_1", "--acc", "fp32", "--pipeline", "3",
        "--power-gating", "3", "--name", "eng", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    assert {p.name for p in tmp_path.iterdir()} == {"eng.v", "eng.json", "eng.core"}
    man = json.loads((tmp_path / "eng.json").read_text())
    assert man["family"] == "simd"
    assert man["parameters"]["formats"] == ["fp8_e5m2", "posit4_1"]
    assert man["modes"]["posit4_1"] == {"code": 1, "width_bits": 4, "macs_per_cycle": 6}
    assert man["latency"]["dot_cycles"]["16"] == 16 + 3 + 2
    assert "fp8_e5m2 (3 MAC/cycle)" in out.replace("\n", " ")


def test_config_file_and_flags_merge(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("lanes: 2\nformats: [int8, int4]\nacc: exact\n")
    code, _, err = run(
        capsys, "generate", "simd", "--config", str(cfg), "--lanes", "1", "--out", str(tmp_path)
    )
    assert code == 0, err
    man = json.loads((tmp_path / "simd16x1_exact_2f.json").read_text())
    assert man["parameters"]["lanes"] == 1 and man["parameters"]["formats"] == ["int8", "int4"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lane-bits", "12"], "lane_bits must be one of 4, 8, 16, 32, not 12"),
        (["--formats", "posit8_2"], "formats must be one of"),
        (["--lanes", "3", "--power-gating", "2"], "power_gating must be 0 or divide lanes = 3"),
        (["--lane-bits", "8", "--formats", "posit16_1"], "formats must fit in lane_bits = 8"),
    ],
)
def test_bad_parameters_exit_2_with_one_line(tmp_path, capsys, args, message):
    code, _, err = run(capsys, "generate", "simd", *args, "--out", str(tmp_path))
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) <= 2


def test_cost_json_layers_and_totals(capsys):
    code, out, err = run(
        capsys, "cost", "simd", "--lanes", "2", "--formats", "posit8_0,fp4_e2m1",
        "--workload", "bert-base-128", "--min-sqnr-db", "15", "--node", "28", "--json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert {r["layer_format"] for r in data["layers"]} <= {"posit8_0", "fp4_e2m1"}
    assert all(r["sqnr_db"] >= 15 for r in data["layers"])
    assert data["totals"]["cycles"] == sum(r["cycles"] for r in data["layers"])
    code, out, err = run(capsys, "cost", "simd", "--layer-formats", "int8", "--json")
    assert code == 2 and "layer_formats must be" in err


def test_generate_command_round_trips_a_dse_config():
    cfg = SimdParams(lanes=8, formats="posit16_1,int8", acc="fp32", power_gating=2).to_dict()
    cfg["formats"] = ",".join(cfg["formats"])  # as campaign spaces hold it
    argv = generate_argv("simd", cfg | {"layer_formats": "auto", "buffer_kb": 8.0})
    assert argv[:2] == ["generate", "simd"] and "--formats" in argv
    assert "--layer-formats" not in argv  # model-only columns are not generator flags
