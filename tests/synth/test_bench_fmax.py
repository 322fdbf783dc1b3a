"""bench/bench_fmax.py: systolic Fmax across sizes (issue 15 item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import assert_one_line_exit_2, load_bench, require


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["--sizes", "4,x"], "--sizes must be a comma-separated list of integers 1..64"),
        (["--sizes", "0"], "--sizes must be"),
        (["--dataflows", "rs"], "--dataflows must be a comma-separated list of ws, os"),
        (["--in-bits", "1"], "--in-bits must be 2..16"),
        (["--max-k", "0"], "--max-k must be"),
        (["--timeout", "0"], "--timeout must be a number of seconds > 0 and <= 86400, not '0'"),
        (["--timeout", "-5"], "--timeout must be a number of seconds > 0 and <= 86400"),
        (["--timeout", "soon"], "--timeout must be a number of seconds > 0 and <= 86400"),
        (["--timeout", "nan"], "--timeout must be a number of seconds > 0 and <= 86400"),
        (["--timeout", "86401"], "--timeout must be a number of seconds > 0 and <= 86400"),
    ],
)
def test_bad_input_one_line_exit_2(
    args: list[str], msg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = load_bench("bench_fmax").main(args)
    assert_one_line_exit_2(code, capsys.readouterr().err, msg)


@pytest.mark.slow
def test_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two sizes, hierarchical and flat: one row each, Fmax from the synthesis reports, the
    goal line computed from them, the table saved."""
    require("yosys", "sta")
    b = load_bench("bench_fmax")
    out = tmp_path / "fmax.txt"
    args = ["--sizes", "1,2", "--dataflows", "os", "--in-bits", "4", "--max-k", "16"]
    assert b.main([*args, "--flat-max", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert out.read_text().strip() == text.strip()
    rows = [ln.split() for ln in text.splitlines() if ln.startswith(("1x1", "2x2"))]
    assert [(r[0], r[2]) for r in rows] == [
        ("1x1", "hier"),
        ("1x1", "flat"),
        ("2x2", "hier"),
        ("2x2", "flat"),
    ]
    r1 = b.measure(1, "os", 4, 16, True)  # cached now
    r2 = b.measure(2, "os", 4, 16, True)
    assert float(rows[0][3]) == pytest.approx(r1["fmax_mhz"], abs=0.06)
    drop = 100 * (1 - r2["fmax_mhz"] / r1["fmax_mhz"])
    assert f"({drop:+.1f} % drop)" in text


@pytest.mark.slow
def test_flat_only(capsys: pytest.CaptureFixture[str]) -> None:
    """``--flat-only``: the flat flow alone at every size, with its own goal line."""
    require("yosys", "sta")
    b = load_bench("bench_fmax")
    args = ["--sizes", "1,2", "--dataflows", "os", "--in-bits", "4", "--max-k", "16"]
    assert b.main([*args, "--flat-only"]) == 0
    text = capsys.readouterr().out
    rows = [ln.split() for ln in text.splitlines() if ln.startswith(("1x1", "2x2"))]
    assert [(r[0], r[2]) for r in rows] == [("1x1", "flat"), ("2x2", "flat")]
    r1 = b.measure(1, "os", 4, 16, False)  # cached now
    r2 = b.measure(2, "os", 4, 16, False)
    drop = 100 * (1 - r2["fmax_mhz"] / r1["fmax_mhz"])
    assert f"# os flat: Fmax 1x1 {r1['fmax_mhz']:.1f} MHz" in text
    assert f"({drop:+.1f} % drop)" in text


def test_flop_signals_name_the_q_net(tmp_path: Path) -> None:
    """A path end is shown with the RTL signal its flip-flop drives; ports, unknown names and
    a missing netlist give nothing."""
    nl = tmp_path / "netlist.v"
    nl.write_text(
        "  sky130_fd_sc_hd__dfxtp_1 _102566_ (\n    .CLK(clk),\n    .D(_003057_),\n"
        "    .Q(\\col6.pe7.sel )\n  );\n"
        "  sky130_fd_sc_hd__dfxtp_1 _101571_ (\n    .CLK(clk),\n    .D(_1_),\n"
        "    .Q(\\col7.pe6.ps_out [17])\n  );\n"
        "  sky130_fd_sc_hd__nand2_1 _5_ (\n    .A(a),\n    .B(b),\n    .Y(_6_)\n  );\n"
    )
    b = load_bench("bench_fmax")
    got = b.flop_signals(nl, ["_102566_", "_101571_", "_5_", "c__ready", "_1_"])
    assert got == {"_102566_": "col6.pe7.sel", "_101571_": "col7.pe6.ps_out [17]"}
    assert b.flop_signals(tmp_path / "none.v", ["_102566_"]) == {}
    path = {"startpoint": "_102566_", "endpoint": "c__ready", "min_period_ns": 5.86}
    assert b._path(path, got) == "_102566_ (col6.pe7.sel) -> c__ready 5.86 ns"


def test_timeout_reaches_the_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--timeout`` is each tool run's limit: a limit far shorter than Yosys needs stops the
    run with one error line (exit 1) naming the limit, and no result is cached."""
    require("yosys", "sta")
    monkeypatch.setenv("ACCELSMITH_SYNTH_CACHE", str(tmp_path))  # nothing cached: Yosys runs
    b = load_bench("bench_fmax")
    args = ["--sizes", "1", "--dataflows", "os", "--in-bits", "4", "--max-k", "16"]
    assert b.main([*args, "--flat-only", "--timeout", "0.2"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "timed out after 0.2 s" in err[0], err
    assert not list(tmp_path.glob("*/raw.json")) and list(tmp_path.glob("*.failed"))
