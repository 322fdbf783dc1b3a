"""``accelsmith generate|cost pim`` from the command line (verify runs in the sim tier)."""

import json

from accelsmith.cli.commands import generate_argv
from accelsmith.cli.main import main
from accelsmith.core.families.pim import PimParams


def test_generate_writes_verilog_and_manifest(tmp_path, capsys):
    code = main(
        [
            "generate",
            "pim",
            "--banks",
            "2",
            "--lanes",
            "4",
            "--precision",
            "int8",
            "--row-bytes",
            "12",
            "--rows",
            "6",
            "--timing",
            "gddr6",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    man = json.loads((tmp_path / "pim_int8_b2_l4.json").read_text())
    assert man["family"] == "pim" and man["timing_cycles"]["tRCD"] == 24
    assert "GDDR6_8Gb_x16.ini" in man["timing_source"]
    ports = {p["name"] for p in man["ports"]}
    assert {"cmd__payload", "refused", "rule", "rdata__payload", "start__payload"} <= ports
    assert "module pim_int8_b2_l4" in (tmp_path / "pim_int8_b2_l4.v").read_text()


def test_custom_timing_from_yaml(tmp_path):
    t = tmp_path / "t.yaml"
    t.write_text(
        "tRCD: 3\ntRP: 4\ntRAS: 8\ntCCD: 2\ntRRD: 2\ntFAW: 12\ntRTP: 3\ntWR: 5\n"
        "tRFC: 9\ntREFI: 200\ntCL: 2\n"
    )
    out = tmp_path / "o"
    assert (
        main(
            [
                "generate",
                "pim",
                "--timing",
                str(t),
                "--t-rcd",
                "5",
                "--lanes",
                "2",
                "--banks",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    man = json.loads((out / "pim_fp16_b1_l2.json").read_text())
    assert man["timing_cycles"]["tRCD"] == 5 and man["timing_cycles"]["tREFI"] == 200


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["generate", "pim", "--precision", "fp8", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: precision must be one of 'int8', 'fp16', 'bf16', not 'fp8'"
    assert main(["cost", "pim", "--timing", str(tmp_path / "none.yaml")]) == 2
    assert "cannot be read" in capsys.readouterr().err
    assert main(["cost", "pim", "--npu-rows", "8"]) == 2
    assert "npu_rows and npu_cols must both be 0" in capsys.readouterr().err


def test_cost_json_totals(capsys):
    code = main(
        [
            "cost",
            "pim",
            "--channels",
            "32",
            "--npu-rows",
            "64",
            "--npu-cols",
            "64",
            "--batch",
            "16",
            "--interleave",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    tot = out["totals"]
    assert tot["batch"] == 16 and tot["interleave"] is True and tot["latency_s"] > 0
    assert {r["engine"] for r in out["layers"]} == {"npu", "pim"}
    assert tot["tokens_per_s"] == 16 / tot["latency_s"]


def test_cost_table_and_csv(capsys):
    assert main(["cost", "pim", "--precision", "int8", "--lanes", "32"]) == 0
    assert "PIM peak" in capsys.readouterr().out
    assert main(["cost", "pim", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("config,")


def test_cost_table_names_the_bank_macros_at_130nm(capsys):
    """At 130 nm the bank arrays are costed as SRAM macros and are part of the area total:
    the table says so and shows them apart (at 45 nm the area is PIM logic + NPU only)."""
    assert main(["cost", "pim", "--node", "130", "--json"]) == 0
    tot = json.loads(capsys.readouterr().out)["totals"]
    assert main(["cost", "pim", "--node", "130"]) == 0
    out = capsys.readouterr().out
    assert "area (PIM logic + bank macros + NPU)" in out
    assert f"{tot['area_memory_um2'] / 1e6:.3f} mm^2" in out
    assert main(["cost", "pim"]) == 0
    out = capsys.readouterr().out
    assert "area (PIM logic + NPU)" in out and "bank macros" not in out


def test_generate_command_round_trips(tmp_path):
    p = PimParams(precision="bf16", lanes=2, banks=3, rows=8, row_bytes=8, timing="gddr6-aim")
    argv = generate_argv("pim", p.to_dict(), out=str(tmp_path))
    assert main(argv) == 0
    man = json.loads((tmp_path / "pim_bf16_b3_l2.json").read_text())
    assert PimParams.from_dict(man["parameters"]) == p
