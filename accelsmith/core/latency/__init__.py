"""Latency rules of every family, in one place (pure Python; no numpy, no Amaranth).

Each family module holds the cycle formulas and cycle-exact schedules of its RTL, derived from
the port protocol and timing rules documented in the generator (not from simulation):

* :mod:`.systolic` -- tile cycles, back-to-back interval, full-rate schedule, output times;
* :mod:`.lut_core` -- the same for the LUT tensor core;
* :mod:`.simd` -- dot-product cycles of the SIMD engine;
* :mod:`.pim` -- DRAM command legality, the GEMV engine's command schedule and its closed form.

Readers: the generator manifests (``generate``, :mod:`accelsmith.hdl`), the cost models
(:mod:`accelsmith.models`, which add vectorization and input checks) and the cocotb benches
(:mod:`accelsmith.sim.benches`, which check measured cycles against these). The formulas take
Python integers or numpy integer arrays alike (:mod:`._ops`); numpy is imported only when an
array is passed, so ``accelsmith.core`` stays light.
"""
