"""ws partial sums only as wide as their row needs: widths, and exact results at the extremes."""

import numpy as np
import pytest
from amaranth.hdl import Shape

from accelsmith.core.families.systolic import SystolicParams
from accelsmith.hdl.systolic_pe import ws_psum_shape
from accelsmith.sim.golden.systolic import element_range, golden

from .systolic_harness import run_tiles


def _fits(value: int, width: int, signed: bool) -> bool:
    if signed:
        return -(1 << (width - 1)) <= value <= (1 << (width - 1)) - 1
    return 0 <= value < (1 << width)


@pytest.mark.parametrize("signed", [True, False])
@pytest.mark.parametrize("in_bits", [2, 3, 8])
def test_width_holds_every_sum_of_the_row_and_no_bit_more(in_bits, signed):
    elem = Shape(in_bits, signed)
    lo, hi = (
        (-(1 << (in_bits - 1)), (1 << (in_bits - 1)) - 1) if signed else (0, (1 << in_bits) - 1)
    )
    prods = [x * y for x in (lo, hi) for y in (lo, hi)]
    acc = Shape(64, signed)
    for row in range(20):
        n = row + 1  # products summed by the time the partial sum leaves this row
        width = ws_psum_shape(elem, acc, row).width
        extremes = (n * min(prods), n * max(prods))
        assert all(_fits(v, width, signed) for v in extremes), (row, width)
        assert not all(_fits(v, width - 1, signed) for v in extremes), (row, width)
    # never wider than the accumulator: a narrow one keeps its wrap-around
    assert ws_psum_shape(elem, Shape(5, signed), 19).width == 5


# (rows, cols, in_bits, signed, acc_bits): 6 rows span widths 2w .. 2w + 3
EXTREME = [
    (6, 2, 4, True, None),
    (6, 2, 4, False, None),
    (5, 1, 3, True, 7),  # accumulator narrower than the lower rows' sums: wraps
]


@pytest.mark.parametrize("cfg", EXTREME, ids=lambda c: "-".join(map(str, c)))
def test_ws_results_exact_at_the_operand_extremes(cfg):
    rows, cols, w, s, acc = cfg
    p = SystolicParams(
        rows=rows, cols=cols, dataflow="ws", in_bits=w, signed=s, max_k=3 * rows, acc_bits=acc
    )
    lo, hi = element_range(p)
    rng = np.random.default_rng(3)
    tiles = []
    for k in (rows, 2 * rows + 1):
        # largest products everywhere, smallest everywhere, then random corner picks
        for a_val, b_val in ((lo, lo), (hi, hi), (lo, hi)):
            tiles.append((np.full((rows, k), a_val), np.full((k, cols), b_val)))
        tiles.append((rng.choice([lo, hi], (rows, k)), rng.choice([lo, hi], (k, cols))))
    tr = run_tiles(p, tiles)
    for (a, b), got in zip(tiles, tr.results, strict=True):
        np.testing.assert_array_equal(got, golden(p, a, b))


def test_flop_inventory_uses_the_same_widths_as_the_generator():
    from accelsmith.models.rtl_inventory import ws_psum_bits

    w = np.arange(2, 17)[:, None, None]
    s = np.array([True, False])[None, :, None]
    n = np.arange(1, 65)[None, None, :]
    for acc in (64, 19):
        got = ws_psum_bits(w, s, acc, n)
        want = [
            [[ws_psum_shape(Shape(wi, si), Shape(acc, si), ni - 1).width for ni in range(1, 65)]]
            for wi in range(2, 17)
            for si in (True, False)
        ]
        np.testing.assert_array_equal(got, np.reshape(want, got.shape))
