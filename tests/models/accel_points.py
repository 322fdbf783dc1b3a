"""Random accel configurations and layers shared by the accel cost-model tests (odd array
shapes, both dataflows, 8/16-bit, 32..512-bit buses, GEMMs, padded/grouped/strided convs and
depthwise layers)."""

from __future__ import annotations

import random

from accelsmith.core.errors import ConfigError
from accelsmith.core.families.accel import AccelParams
from accelsmith.runtime.shapes import ConvShape


def random_config(rng: random.Random) -> AccelParams:
    while True:
        try:
            return AccelParams(
                rows=rng.choice([1, 2, 3, 4, 5, 8, 16]),
                cols=rng.choice([1, 2, 3, 4, 7, 8, 16]),
                dataflow=rng.choice(["os", "ws"]),
                in_bits=rng.choice([8, 16]),
                a_kib=rng.choice([1, 2, 4, 16]),
                b_kib=rng.choice([1, 2, 4, 16]),
                acc_kib=rng.choice([1, 4, 16]),
                bus_bits=rng.choice([32, 64, 128, 256, 512]),
                burst_len=rng.choice([1, 2, 4, 16, 64]),
                dma_outstanding=rng.choice([1, 2, 4, 8]),
                max_k=rng.choice([16, 64, 1024]),
            )
        except ConfigError:
            continue  # a scratchpad too small for the array: draw again


def random_layer(rng: random.Random, i: int) -> ConvShape:
    kind = ("gemm", "conv", "depthwise", "strided")[i % 4]
    if kind == "gemm":
        return ConvShape.gemm("g", rng.randint(1, 40), rng.randint(1, 300), rng.randint(1, 40))
    h, w = rng.randint(3, 12), rng.randint(3, 12)
    if kind == "depthwise":
        c = rng.randint(1, 24)
        return ConvShape("d", h, w, c, c, 3, 3, stride=rng.choice([1, 2]), pad=1, groups=c)
    r = rng.choice([1, 3, 5])
    pad = rng.choice([0, r // 2])
    if min(h, w) + 2 * pad < r:
        pad = r // 2
    g = rng.choice([1, 1, 2])
    st = rng.choice([1, 2]) if kind == "strided" else 1
    return ConvShape("c", h, w, g * rng.randint(1, 20), g * rng.randint(1, 20), r, r, st, pad, g)
