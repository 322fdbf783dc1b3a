"""The accel compiler, mapper, cycle model, ISA tables and cost model (no simulator).

The compiled programs run on the untimed ISA interpreter and must equal the numpy golden
model bit for bit; the RTL is checked against the same golden model in
tests/sim/test_accel_cocotb.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from accelsmith.core import accel_isa as isa
from accelsmith.core.errors import ConfigError
from accelsmith.core.families.accel import AccelParams
from accelsmith.runtime import ConvShape, Quant, choose_mapping, compile_layers
from accelsmith.runtime.isasim import run_isa
from accelsmith.runtime.timing import (
    chunk_cycles,
    command_cycles,
    layer_cycles,
    program_chunks,
    wait,
)
from accelsmith.sim.benches import accel_cases as cases
from accelsmith.sim.golden.accel import golden

CONFIGS = [
    AccelParams(rows=2, cols=3, dataflow="os", a_kib=1, b_kib=1, acc_kib=1),
    AccelParams(rows=3, cols=2, dataflow="ws", in_bits=16, a_kib=1, b_kib=1, acc_kib=1),
    AccelParams(rows=4, cols=4, dataflow="ws", bus_bits=512, burst_len=2, dma_outstanding=1),
    AccelParams(rows=3, cols=5, dataflow="os", in_bits=16, bus_bits=32, max_k=7),
]


def _check(p: AccelParams, case: tuple) -> None:
    layers, x, ws, qs = case
    prog = compile_layers(p, layers, x, ws, qs)
    dram = run_isa(p, prog.words(), prog.image)
    want = golden(p, x, layers, ws, qs)
    for i, w in enumerate(want):
        assert np.array_equal(prog.read_output(dram, i), w), (p, layers[i])


@pytest.mark.parametrize("p", CONFIGS, ids=lambda p: p.default_name())
def test_programs_equal_golden(p: AccelParams) -> None:
    rng = np.random.default_rng(3)
    for i in range(6):
        _check(p, cases.random_gemm(p, rng, i))
        _check(p, cases.random_conv(p, rng, i, depthwise=i % 2 == 1))
    _check(p, cases.chain(p, rng))


def test_k_tiles_accumulate() -> None:
    """max_k 7 forces several K tiles: partial sums add up in the accumulator."""
    p = CONFIGS[3]
    s = ConvShape.gemm("deep", 5, 40, 6)
    mp = choose_mapping(p, s)
    assert mp.k_tiles > 1 and mp.tk <= 7
    x, w = cases.tensors(s, p, np.random.default_rng(0))
    _check(p, ([s], x, [w], [Quant(shift=9, scale=5, relu=True)]))


def test_mapper_fits_and_prefers_less_traffic() -> None:
    p = AccelParams(rows=4, cols=4, a_kib=1, b_kib=1, acc_kib=1)
    s = ConvShape("c", h=9, w=9, c=16, k_out=12, r=3, s=3, pad=1)
    mp = choose_mapping(p, s)
    assert mp.tk <= min(p.a_entries, p.b_entries, p.max_k)
    roomy = AccelParams(rows=4, cols=4, a_kib=64, b_kib=64, acc_kib=16)
    assert choose_mapping(roomy, s).dram_bytes <= mp.dram_bytes


def test_layer_cycles_is_the_program_model() -> None:
    """A small layer's modelled cycles are the chunk model of the emitted commands; a large
    one's are extrapolated from two samples (within a few per cent here)."""
    p = AccelParams(rows=4, cols=4, queue_depth=256)
    for s, tol in (
        (ConvShape("c", h=3, w=4, c=3, k_out=4, r=3, s=3, pad=1), 0.0),
        (ConvShape.gemm("g", 100, 70, 30), 0.03),
    ):
        x, w = cases.tensors(s, p, np.random.default_rng(1))
        prog = compile_layers(p, [s], x, [w], [Quant()], fences=False)
        (chunk,) = [c for _, c in program_chunks(prog, 10**6)]
        exact = chunk_cycles(p, chunk, latency=8)
        assert abs(layer_cycles(p, s, prog.mappings[0], 8) - exact) <= tol * exact
        assert layer_cycles(p, s, prog.mappings[0], 20) > layer_cycles(p, s, prog.mappings[0], 8)


def _monte_carlo(p: AccelParams, P: float, L: int, n_load: int, n_store: int) -> tuple:
    """Mean ``free`` of a one-burst load of ``n_load`` beats and of a store of ``n_store``
    one-beat bursts when every DRAM handshake waits a geometric number of cycles (mean
    P / (1 - P)): the handshake rules of runtime.timing's docstring, sampled."""
    rng = np.random.default_rng(7)
    runs = 4000

    def g() -> np.ndarray:
        return rng.geometric(1 - P, runs) - 1.0

    ar = 2 + g()
    first = ar + L + 1
    t = first + g()
    for j in range(1, n_load):
        t = np.maximum(first + j, t + 1) + g()
    load = t + 2
    aw = 2 + g()
    w = aw + 1 + g()
    b = w + 2 + g()
    for _ in range(1, n_store):  # n_store <= dma_outstanding: no window wait
        aw = aw + 1 + g()
        w = np.maximum(w + 1, aw + 1) + g()
        b = np.maximum(w + 2, b + 1) + g()
    return float(load.mean()), float((b + 2).mean())


def test_stall_term_matches_the_handshake_process() -> None:
    """Without stalls the hand-derived durations; with a pause probability P the model's
    expectation is within 2 % of a Monte Carlo of the same handshakes (a one-burst load, a
    store of one-beat bursts: the case where the max of the means alone is low)."""
    p = AccelParams(rows=4, cols=4, bus_bits=64, burst_len=16)
    n, L = 4, 6  # one row of 32 int8 on a 64-bit bus: one burst of 4 beats; latency 6
    load = {"target": 1, "dram_addr": 0, "n_rows": 1, "row_elems": 32, "stride": 0}
    store = {"dram_addr": 0, "n_rows": 4, "row_elems": 4, "stride": 64}  # 4 one-beat bursts
    assert wait(0) == 0 and isinstance(wait(0), int) and wait(0.5) == 1.0
    assert command_cycles(p, "load", load, 0, L) == L + n + 4
    # AW at 2, W beats 3..6, last B at 6 + 2, free 2 later
    assert command_cycles(p, "store", store, 0, L) == 2 + 1 + (4 - 1) + 2 + 2
    for P in (0.1, 0.3, 0.6):
        q = P / (1 - P)
        got_load = command_cycles(p, "load", load, 0, L, P)
        got_store = command_cycles(p, "store", store, 0, L, P)
        mc_load, mc_store = _monte_carlo(p, P, L, n, 4)
        assert got_load == pytest.approx(mc_load, rel=0.02), (P, got_load, mc_load)
        assert got_store == pytest.approx(mc_store, rel=0.02), (P, got_store, mc_store)
        # at least the max of the means: every handshake + q
        assert got_load >= L + n + 4 + (n + 1) * q - 1e-9


def _full_cycles(p: AccelParams, s: ConvShape, stall: float = 0.0) -> float:
    """The whole command stream of ``s`` under the mapper's choice, simulated command by
    command (what the RTL measures; layer_cycles extrapolates large layers from samples)."""
    from accelsmith.runtime.closed_form import simulated_cycles

    return simulated_cycles(p, s, choose_mapping(p, s), 8, stall)


def test_stall_zero_is_the_exact_model_and_stalls_add_cycles() -> None:
    """P = 0 keeps the integer model; cycles grow with P; the cost model's dram_stall column
    reaches its cycles (the closed form of the simulated command stream, within its stated
    accuracy: tests/models/test_accel_closed_form.py)."""
    from accelsmith.models import evaluate

    p = AccelParams(rows=3, cols=3, in_bits=16, bus_bits=128)
    s = ConvShape("c", h=6, w=6, c=8, k_out=6, r=3, s=3, pad=1)
    x, w = cases.tensors(s, p, np.random.default_rng(2))
    prog = compile_layers(p, [s], x, [w], [Quant()], fences=False)
    (chunk,) = [c for _, c in program_chunks(prog, 10**6)]
    base = chunk_cycles(p, chunk, latency=8)
    assert isinstance(base, int) and chunk_cycles(p, chunk, latency=8, stall=0.0) == base
    got = [chunk_cycles(p, chunk, latency=8, stall=P) for P in (0.1, 0.3, 0.5)]
    assert base < got[0] < got[1] < got[2]
    mp = prog.mappings[0]
    out = evaluate(
        "accel",
        [{"rows": 3, "cols": 3, "in_bits": 16, "bus_bits": 128, "dram_stall": 0.3}],
        [(16, 24, 40)],
        per_layer=True,
    )
    g = ConvShape.gemm("gemm0", 16, 40, 24)
    full = _full_cycles(p, g, 0.3)
    assert full > _full_cycles(p, g)
    assert out["cycles"].iloc[0] == pytest.approx(full, rel=2e-3)
    assert layer_cycles(p, s, mp, 8, 0.3) > layer_cycles(p, s, mp, 8)


def test_program_events_agree_with_the_cost_model_counts() -> None:
    """The expected counter values of a compiled layer: MAC slots and accumulator rows equal
    the cost model's counts, bus beats cover the mapper's DRAM bytes, busy cycles the
    durations; the per-counter keys are the register map's."""
    from accelsmith.models.accel_cost import layer_cost
    from accelsmith.models.tech import Tech
    from accelsmith.runtime.events import EVENTS, program_events

    assert tuple(key for _, key, _ in isa.COUNTERS) == EVENTS
    assert [isa.REG[n] for n, _, _ in isa.COUNTERS] == [0x40 + 4 * i for i in range(len(EVENTS))]
    for p in (
        AccelParams(rows=2, cols=3, a_kib=1, b_kib=1, acc_kib=1),
        AccelParams(rows=3, cols=2, dataflow="ws", in_bits=16, bus_bits=32, a_kib=1, b_kib=1),
    ):
        s = ConvShape("c", h=5, w=6, c=7, k_out=5, r=3, s=3, pad=1)
        x, w = cases.tensors(s, p, np.random.default_rng(3))
        prog = compile_layers(p, [s], x, [w], [Quant()], fences=False)
        mp = prog.mappings[0]
        chunks = [c for _, c in program_chunks(prog, p.queue_depth)]
        ev = program_events(p, chunks, latency=8)
        cost = layer_cost(p, s, 8, Tech.at_node(45))
        assert ev["b_reads"] * p.rows * p.cols == cost["mac_slots"]
        assert ev["acc_rmw"] == s.groups * mp.m_tiles * mp.n_tiles * mp.k_tiles * p.rows
        beats = ev["rd_beats"] + ev["wr_beats"]
        assert beats * p.bus_bits // 8 >= mp.dram_bytes
        if p.dataflow == "os":  # k A entries per compute; WS: whole blocks of rows
            assert ev["a_reads"] == ev["b_reads"]
        else:
            computes = sum(c.op == "compute" for c in prog.commands)
            assert ev["b_reads"] <= ev["a_reads"] < ev["b_reads"] + computes * p.rows
        assert 0 < ev["dma_wait"] < ev["dma_busy"] <= ev["active"]
        assert ev["ex_busy"] <= ev["active"]
        assert ev["active"] == sum(chunk_cycles(p, c, latency=8) for c in chunks)


def test_isa_round_trip_and_errors() -> None:
    word = isa.encode(
        "load",
        target=1,
        bank=1,
        lane=3,
        spad_addr=7,
        dram_addr=99,
        n_rows=2,
        row_elems=5,
        stride=12,
    )
    op, fields = isa.decode(word)
    assert op == "load" and fields["lane"] == 3 and fields["stride"] == 12
    assert isa.decode(14)[0] == "invalid"
    with pytest.raises(ValueError, match="shift must fit 6 bits"):
        isa.encode("config", shift=64)
    with pytest.raises(ValueError, match="has no field"):
        isa.encode("fence", k=1)
    names = [r.name for r in isa.REGISTERS]
    assert len(set(names)) == len(names) and len({r.offset for r in isa.REGISTERS}) == len(names)


def test_param_errors() -> None:
    with pytest.raises(ConfigError, match=r"^in_bits must be one of 8, 16, not 12$"):
        AccelParams(in_bits=12)
    with pytest.raises(ConfigError, match=r"^a_kib must be at least 8 for a 64x64 array, not 1$"):
        AccelParams(rows=64, cols=64, a_kib=1)
    with pytest.raises(ConfigError, match=r"^acc_kib must be at most 2048"):
        AccelParams(acc_kib=4096)


def test_cost_uses_the_mapper() -> None:
    from accelsmith.models import evaluate

    out = evaluate("accel", [{"rows": 4, "cols": 4}], [(16, 24, 40)], per_layer=True)
    p = AccelParams(rows=4, cols=4)
    s = ConvShape.gemm("gemm0", 16, 40, 24)
    assert out["cycles"].iloc[0] == _full_cycles(p, s)  # exact on this layer
    assert out["dram_bytes"].iloc[0] == choose_mapping(p, s).dram_bytes
    with pytest.raises(ConfigError, match="configs row 0: a_kib must be at least"):
        evaluate("accel", [{"rows": 64, "cols": 64, "a_kib": 1}], [(16, 24, 40)])


def test_default_space_is_large() -> None:
    from accelsmith.core.registry import get_family

    size = 1
    for dim in get_family("accel").space.values():
        if isinstance(dim, dict) and "choices" in dim:
            size *= len(dim["choices"])
        elif isinstance(dim, dict):
            size *= (dim["high"] - dim["low"]) // dim.get("step", 1) + 1
    assert size >= 10**8


@pytest.mark.parametrize("spec", ["abc", "0x3x4", "4x-1x2", "4x4", "2x3x4x5"])
def test_compile_gemm_spec_errors_name_the_option(spec: str, capsys) -> None:
    """`compile --gemm` refuses a bad shape naming the option (was: "w must be ..." for 0)."""
    from accelsmith.cli.main import main

    assert main(["compile", "--gemm", spec]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: gemm must be MxKxN with positive integers, not {spec!r}"]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["verify", "accel", "--stall", "2"], "stall must be a number in 0..0.9, not 2.0"),
        (["run", "accel", "--latency", "-1"], "latency must be an integer in 0..1000, not -1"),
    ],
)
def test_testbench_dram_options_are_refused_in_one_line(argv, line, capsys) -> None:
    """verify/run accel refuse an impossible testbench DRAM before building anything."""
    from accelsmith.cli.main import main

    assert main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"error: {line}"]
