"""The ``accel`` cost model's energy against the hardware's events: per part, the model's
energy (:func:`accelsmith.models.accel_cost.layer_costs`, one vectorized call over random
configurations x layers) against the expected performance-counter counts of the compiled
command stream (:func:`accelsmith.runtime.events.command_events`, which the RTL counters equal
exactly without back-pressure) x the per-event energies
(:func:`accelsmith.sim.accel_energy.measured_energy`, what ``accelsmith run/verify accel``
report as measured). No Verilator needed.

The array, output-stage and accumulator parts are exact; the DRAM part (beats x bus width)
and the scratchpad writes (one per beat for untransposed loads) use the closed form's mean
beats per row, exact where the rows' alignment phases cover whole periods and within the
bounds below elsewhere."""

from __future__ import annotations

import random

import numpy as np

from accelsmith.core.families.accel import AccelParams
from accelsmith.models.accel_cost import _params_arrays, layer_costs
from accelsmith.models.tech import Tech
from accelsmith.runtime.compiler import Quant, layer_commands
from accelsmith.runtime.events import EVENTS, command_events
from accelsmith.runtime.shapes import ConvShape
from accelsmith.sim.accel_energy import measured_energy

from .accel_points import random_config, random_layer

#: stated accuracy of the beat-based parts (DRAM, scratchpad writes) per point: mean |error|,
#: 95th percentile, worst (seeds 1-4, 120 points each: DRAM mean 0.09-0.56 %, p95 0.5-2.4 %,
#: worst 17 %; SRAM mean 0.02-0.24 %, worst 8 %; the worst on layers of a few short rows)
MEAN_ERR = 0.01
P95_ERR = 0.03
MAX_ERR = 0.25
EXACT = 1e-9
PARTS = ("array", "sram", "output_stage", "dram")
MODEL = {
    "array": "energy_array_j",
    "sram": "energy_sram_j",
    "output_stage": "energy_output_stage_j",
    "dram": "energy_dram_j",
}


def _model(configs: list[AccelParams], layers: list[ConvShape], tech: Tech) -> dict:
    """layer_costs of every configuration x layer, one call: arrays ``(n, L)``."""
    cols = [_params_arrays(p) for p in configs]
    cfg = {k: np.concatenate([c[k] for c in cols])[:, None] for k in cols[0]}
    cfg["dram_latency"] = np.full((len(configs), 1), 8)
    cfg["dram_stall"] = np.zeros((len(configs), 1))
    lay = {
        k: np.array([[getattr(s, k) for s in layers]])
        for k in ("h", "w", "c", "k_out", "r", "s", "stride", "pad", "groups")
    }
    return layer_costs(cfg, lay, tech)


def _events(p: AccelParams, s: ConvShape, tk: int, q: Quant | None = None) -> dict[str, float]:
    """Expected counter values of the compiled layer (mapper's choice, output stage ``q``:
    per-tensor scale by default)."""
    from accelsmith.runtime.mapper import choose_mapping

    mp = choose_mapping(p, s)
    assert mp.tk == tk  # the model costed the mapping the compiler runs
    cmds = layer_commands(
        p, s, mp, q or Quant(), layer=0, in_base=0, w_base=0, sc_base=0, out_base=0, zero_base=0
    )
    total = dict.fromkeys(EVENTS, 0.0)
    for c in cmds:
        for k, v in command_events(p, c.op, c.fields, 8).items():
            total[k] += v
    return total


def _errors(seed: int, n_cfg: int, n_lay: int) -> dict[str, np.ndarray]:
    rng = random.Random(seed)
    configs = [random_config(rng) for _ in range(n_cfg)]
    layers = [random_layer(rng, i) for i in range(n_lay)]
    tech = Tech.at_node(45)
    model = _model(configs, layers, tech)
    err: dict[str, list[float]] = {k: [] for k in PARTS}
    for i, p in enumerate(configs):
        for j, s in enumerate(layers):
            ev = _events(p, s, int(model["tk"][i, j]))
            meas = measured_energy(p, ev, tech, 1000.0)
            for k in PARTS:
                err[k].append(model[MODEL[k]][i, j] / meas[k] - 1)
    return {k: np.array(v) for k, v in err.items()}


def test_model_energy_parts_equal_the_event_counts_times_event_energies():
    err = _errors(1, 10, 12)  # 120 points: both dataflows, 8/16 bits, 32..512-bit buses
    for k in ("array", "output_stage"):
        assert np.abs(err[k]).max() <= EXACT, (k, err[k])
    for k in ("sram", "dram"):
        e = np.abs(err[k])
        assert e.mean() <= MEAN_ERR, (k, e.mean())
        assert np.percentile(e, 95) <= P95_ERR, (k, np.percentile(e, 95))
        assert e.max() <= MAX_ERR, (k, e.max())
        assert (e <= EXACT).mean() >= 0.4, (k, (e <= EXACT).mean())


def test_dram_energy_counts_whole_bus_words():
    """A depthwise layer on a 128-bit bus moves 16-byte beats for 6-byte rows: the model
    charges the beats (exactly the events here), not the useful bytes."""
    p = AccelParams(rows=4, cols=4, dataflow="ws", in_bits=16, bus_bits=128)
    s = ConvShape("d", 8, 8, 3, 3, 3, 3, stride=1, pad=1, groups=3)
    tech = Tech.at_node(45)
    model = _model([p], [s], tech)
    ev = _events(p, s, int(model["tk"][0, 0]))
    beats = ev["rd_beats"] + ev["wr_beats"]
    assert model["dram_beats"][0, 0] == beats
    assert model["energy_dram_j"][0, 0] == beats * 128 * tech.dram_energy_j_per_bit
    useful = model["dram_bytes"][0, 0] * 8 * tech.dram_energy_j_per_bit
    assert model["energy_dram_j"][0, 0] > 1.8 * useful


def test_aligned_gemm_is_exact_in_every_part():
    p = AccelParams(rows=4, cols=8, dataflow="os", in_bits=8, bus_bits=64, max_k=64)
    s = ConvShape.gemm("g", 32, 256, 64)
    tech = Tech.at_node(45)
    model = _model([p], [s], tech)
    meas = measured_energy(p, _events(p, s, int(model["tk"][0, 0])), tech, 1000.0)
    for k in PARTS:
        assert abs(model[MODEL[k]][0, 0] / meas[k] - 1) <= EXACT, k


def test_per_channel_scales_cost_their_loads():
    """``out_scale`` ``channel``: the scale loads' beats and scale-memory writes are in the
    DRAM and SRAM energy, equal to the compiled stream's events on an aligned GEMM."""
    from accelsmith.models.accel_cost import layer_cost

    p = AccelParams(rows=4, cols=8, dataflow="os", in_bits=8, bus_bits=64, max_k=64)
    s = ConvShape.gemm("g", 32, 256, 64)
    tech = Tech.at_node(45)
    c = layer_cost(p, s, 8, tech, per_channel=True)
    t = layer_cost(p, s, 8, tech)
    ev = _events(p, s, int(c["tk"]), Quant(scales=(1,) * s.k_out))
    assert ev["s_writes"] > 0
    meas = measured_energy(p, ev, tech, 1000.0)
    for k in PARTS:
        assert abs(c[MODEL[k]] / meas[k] - 1) <= EXACT, k
    assert c["energy_dram_j"] > t["energy_dram_j"] and c["energy_sram_j"] > t["energy_sram_j"]
