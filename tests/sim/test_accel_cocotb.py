"""cocotb on Verilator: the ``accel`` top (AXI4-Lite host, cocotbext-axi DRAM) running
compiled GEMMs, convolutions, depthwise layers, layer chains with fences and illegal commands.

Four small configurations cover odd array shapes, 8- and 16-bit inputs, both dataflows and
narrow to wide buses. Outputs must equal the numpy golden model bit for bit; with a fixed
DRAM latency and no back-pressure the cycles of every layer must equal the model exactly;
with random back-pressure (30 % pauses on every AXI channel, seed fixed) they must be within
5 % of the model given the same pause probability, both ways. The top's performance counters
(MAC steps, scratchpad/accumulator accesses, DRAM beats, busy cycles) must equal the event
counts expected from the command stream (the busy/wait/active cycles only without
back-pressure).
"""

import pytest

from accelsmith.core.families.accel import AccelParams
from accelsmith.sim.verify import verify

pytestmark = [pytest.mark.sim, pytest.mark.slow]

SMALL = {"a_kib": 1, "b_kib": 1, "acc_kib": 1}
CONFIGS = {
    "os-2x3-s8-bus64": (AccelParams(rows=2, cols=3, queue_depth=64, **SMALL), 0.0),
    "ws-3x2-s16-bus32": (
        AccelParams(
            rows=3,
            cols=2,
            dataflow="ws",
            in_bits=16,
            bus_bits=32,
            queue_depth=32,
            dma_outstanding=2,
            **SMALL,
        ),
        0.0,
    ),
    "ws-4x4-s8-bus512": (
        AccelParams(
            rows=4, cols=4, dataflow="ws", bus_bits=512, burst_len=4, queue_depth=64, **SMALL
        ),
        0.0,
    ),
    "os-3x3-s16-bus128-stalls": (
        AccelParams(rows=3, cols=3, in_bits=16, bus_bits=128, queue_depth=64, **SMALL),
        0.3,
    ),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_config_passes(name, tmp_path):
    p, stall = CONFIGS[name]
    report = verify(p, tiles=4, seed=5, workdir=tmp_path, extra={"latency": 6, "stall": stall})
    stall_free = _stall_free(p, tiles=4, seed=5, latency=6) if stall else {}
    by_name = {t.name: t for t in report.tests}
    assert set(by_name) == {"gemm", "conv", "layers", "illegal"}, report
    for t in report.tests:
        assert t.errors == [], (t.name, t.errors[:3])
        assert t.mismatches == 0 and t.timing_mismatches == 0 and t.tiles > 0
        for e in t.timing:
            # performance counters: the compiler's event counts; the cycle counts among them
            # (active, busy, wait) exactly only without back-pressure
            timed = ("active", "dma_busy", "dma_wait") if stall else ()
            for k, v in e["expected_events"].items():
                if k not in timed:
                    assert e["events"][k] == v, (e["what"], k, e["events"][k], v)
            assert e["events"]["active"] == e["measured"], e
            if stall == 0:
                assert e["measured"] == e["predicted"], e
            else:  # the model's expectation under the same pause probability
                assert abs(e["measured"] - e["predicted"]) <= 0.05 * e["predicted"], e
                assert e["measured"] > stall_free[e["what"]], e
    assert report.passed


def _stall_free(p: AccelParams, *, tiles: int, seed: int, latency: int) -> dict[str, int]:
    """The stall-free model's cycles of every layer the bench runs (same programs)."""
    import numpy as np

    from accelsmith.runtime.compiler import compile_layers
    from accelsmith.runtime.timing import chunk_cycles, program_chunks
    from accelsmith.sim.benches import accel_cases as cases

    rng = np.random.default_rng(seed)
    all_cases = [cases.random_gemm(p, rng, i) for i in range(tiles)]
    rng = np.random.default_rng(seed + 1)
    all_cases += [cases.random_conv(p, rng, i, depthwise=i % 2 == 1) for i in range(tiles)]
    all_cases.append(cases.chain(p, np.random.default_rng(seed + 2)))
    out: dict[str, int] = {}
    for layers, x, ws, qs in all_cases:
        prog = compile_layers(p, layers, x, ws, qs)
        for layer, cmds in program_chunks(prog, p.queue_depth):
            name = prog.layers[layer].name
            out[name] = out.get(name, 0) + chunk_cycles(p, cmds, latency=latency)
    return out


def test_checker_catches_a_wrong_result(tmp_path):
    """With one expected value (and one expected counter) corrupted, every part must report
    a mismatch and fail."""
    p, _ = CONFIGS["os-2x3-s8-bus64"]
    report = verify(p, tiles=1, seed=1, workdir=tmp_path, inject_fault=True)
    assert not report.passed
    assert all(t.mismatches >= 1 for t in report.tests), report.tests
    # ... and with one expected counter value off by one, the counter check reports it
    for t in report.tests:
        if t.timing:
            assert any(err.startswith("counter b_reads") for err in t.errors), t.errors
