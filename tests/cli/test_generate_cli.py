"""``accelsmith generate systolic``: files, --config merging and one-line errors."""

import json

import pytest

from accelsmith.cli.main import main


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_generate_writes_three_files(tmp_path, capsys):
    code, out, err = run(
        capsys,
        "generate",
        "systolic",
        "--rows",
        "3",
        "--cols",
        "5",
        "--dataflow",
        "ws",
        "--in-bits",
        "4",
        "--unsigned",
        "--acc-bits",
        "12",
        "--max-k",
        "40",
        "--name",
        "tile",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    assert {p.name for p in tmp_path.iterdir()} == {"tile.v", "tile.json", "tile.core"}
    m = json.loads((tmp_path / "tile.json").read_text())
    assert m["parameters"] == {
        "rows": 3,
        "cols": 5,
        "dataflow": "ws",
        "in_bits": 4,
        "signed": False,
        "max_k": 40,
        "acc_bits": 12,
    }
    assert "tile.v" in out


def test_config_file_and_flag_precedence(tmp_path, capsys):
    cfg = tmp_path / "p.yaml"
    cfg.write_text("rows: 2\ncols: 7\ndataflow: ws\nin_bits: 3\nsigned: false\nmax_k: 5\n")
    code, _, err = run(
        capsys,
        "generate",
        "systolic",
        "--config",
        str(cfg),
        "--cols",
        "4",
        "--name",
        "c",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    m = json.loads((tmp_path / "c.json").read_text())["parameters"]
    assert (m["rows"], m["cols"], m["in_bits"], m["signed"], m["max_k"]) == (2, 4, 3, False, 5)
    # acc_bits re-derived from the merged parameters (uint3, 5 terms: 5*49=245 -> 8 bits)
    assert m["acc_bits"] == 8


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rows", "0"], "rows must be an integer in 1..256, not 0"),
        (["--in-bits", "40"], "in_bits must be an integer in 2..16, not 40"),
        (["--dataflow", "xx"], "dataflow must be one of 'os', 'ws', not 'xx'"),
        (["--acc-bits", "1"], "acc_bits must be an integer in 2..128, not 1"),
        (["--cols", "999"], "cols must be an integer in 1..256, not 999"),
        (["--name", "9lives"], "name must be a Verilog identifier"),
        (["--rows", "abc"], "Invalid value for '--rows'"),
        (["--bogus"], "No such option: --bogus"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, capsys, args, message):
    code, _, err = run(capsys, "generate", "systolic", *args, "--out", str(tmp_path))
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_config_key(tmp_path, capsys):
    cfg = tmp_path / "p.yaml"
    cfg.write_text("rows: 4\nfoo: 1\n")
    code, _, err = run(capsys, "generate", "systolic", "--config", str(cfg), "--out", str(tmp_path))
    assert code == 2
    assert "unknown key 'foo'; allowed keys are rows, cols, dataflow" in err
    assert err.count("\n") == 1


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "f"
    blocker.write_text("")
    code, _, err = run(capsys, "generate", "systolic", "--out", str(blocker / "x"))
    assert code == 2
    assert f"--out {blocker / 'x'} cannot be written" in err
    assert err.count("\n") == 1


def test_output_folder_nobody_can_create(capsys):
    # /proc refuses new entries even to root (CI runs as root, so permission bits won't do)
    code, _, err = run(capsys, "generate", "systolic", "--out", "/proc/accelsmith-out")
    assert code == 2
    assert err.startswith("error: --out /proc/accelsmith-out cannot be written: ")
    assert err.count("\n") == 1


def test_no_args_prints_help(capsys):
    code, out, _ = run(capsys, "generate")
    assert code == 0 and "systolic" in out


def test_generate_command_round_trips(tmp_path):
    from accelsmith.cli.commands import generate_argv, generate_command
    from accelsmith.core.families.systolic import SystolicParams

    cfg = {
        "rows": 3,
        "cols": 5,
        "dataflow": "ws",
        "in_bits": 4,
        "signed": False,
        "max_k": 64,
        "acc_bits": 12,
        "ifmap_kb": 32.0,
        "freq_mhz": 800.0,
    }
    cmd = generate_command("systolic", cfg)
    assert cmd.startswith("accelsmith generate systolic ") and "--unsigned" in cmd
    assert "ifmap" not in cmd and "freq" not in cmd  # model-only columns are not flags
    argv = generate_argv("systolic", cfg, out=str(tmp_path))
    assert main(argv) == 0
    manifest = json.loads(next(tmp_path.glob("*.json")).read_text())
    want = SystolicParams(
        rows=3, cols=5, dataflow="ws", in_bits=4, signed=False, max_k=64, acc_bits=12
    ).to_dict()
    assert manifest["parameters"] == want


def test_params_from_config_takes_any_trials_row():
    import numpy as np

    from accelsmith.core.errors import ConfigError
    from accelsmith.generate import params_from_config

    row = {
        "rows": np.int64(4),
        "cols": 8.0,  # tables store integers as floats next to NaN
        "max_k": 256.0,
        "acc_bits": float("nan"),  # missing: derived default
        "signed": np.bool_(False),
        "energy_j": 1e-3,  # metrics and model-only columns are ignored
        "ifmap_kb": 64.0,
    }
    p = params_from_config("systolic", row)
    assert (p.rows, p.cols, p.max_k, p.signed) == (4, 8, 256, False)
    assert p.acc_bits == p.exact_acc_bits
    with pytest.raises(ConfigError, match=r"rows must be an integer in 1\.\.256, not 2\.5"):
        params_from_config("systolic", {"rows": 2.5, "cols": 2})
