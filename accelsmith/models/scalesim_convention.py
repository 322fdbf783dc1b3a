"""SCALE-Sim v3's compute model in closed form: cycles, utilization and SRAM access counts.

SCALE-Sim (Samajdar et al., "A Systematic Methodology for Characterizing Scalability of DNN
Accelerators using SCALE-Sim", ISPASS 2020; PyPI ``scalesim`` 3.0.0) builds a cycle-by-cycle
*demand matrix* per operand (one line per cycle) and replays it through its buffers. With no
memory stalls its compute cycles are fixed by the number of demand lines, and every count
below has a closed form. These were derived from the package's source
(``scalesim/topology_utils.py``, ``compute/systolic_compute_{os,ws,is}.py``,
``memory/double_buffered_scratchpad_mem.py``) and checked against the package itself on every
layer of ``bench/bench_cost.py`` (exact equality, all three dataflows).

Operand view
    A layer is ``ofmap[M x N] = ifmap[M x K] @ filter[K x N]`` (``M`` output pixels, ``N``
    filters, ``K`` the filter window ``R x S x C``), the same as :mod:`.workloads`.
Spatial/temporal mapping (``topology_utils.calc_spatio_temporal_params``)
    ``os``: ``Sr = M``, ``Sc = N``, ``T = K``. ``ws``: ``Sr = K``, ``Sc = N``, ``T = M``.
    ``is``: ``Sr = K``, ``Sc = M``, ``T = N``. ``Sr`` maps onto the ``rows`` of the array,
    ``Sc`` onto its ``cols``, ``T`` is streamed in time.
Folds
    ``folds = ceil(Sr / rows) * ceil(Sc / cols)``, run one after another (no overlap).
Demand lines per fold (fill and drain included)
    ``os``: ``T + rows + cols - 2`` (``T`` operand lines plus ``cols - 1`` drain lines, then
    skewed over ``rows``). ``ws`` and ``is``: ``T + 2 rows + cols - 2`` (``rows`` lines to
    load the stationary operand, ``T`` streamed lines, ``cols - 1`` drain, skewed over
    ``rows``).
Compute cycles
    ``folds * lines_per_fold - 1``: SCALE-Sim reports the cycle index of the last output
    line, counting from 0.
Utilization (SCALE-Sim's "overall utilization")
    ``M N K / (rows cols compute_cycles)``. A 1x1 OS array has ``K`` lines per fold, so the
    ``- 1`` lets it exceed 1, as in SCALE-Sim (0 cycles is taken as 1).
Mapping efficiency
    The mean over folds of the fraction of PEs mapped: ``Sr Sc / (folds rows cols)``.
Compute utilization (SCALE-Sim's per-fold average)
    ``Sr Sc T / (folds rows cols c)`` with ``c = T + rows + cols - 2`` (``os``) or
    ``T + 2 rows + 2 cols - 3`` (``ws``, ``is``: SCALE-Sim measures the fold on the filter
    demand matrix, which has ``cols - 1`` more lines).
SRAM accesses (words; only mapped elements are counted)
    ``os``: ifmap ``M K ceil(N/cols)``, filter ``K N ceil(M/rows)``, ofmap ``M N + folds
    (rows + cols)`` (SCALE-Sim adds the padded fold's height plus width per fold; reproduced
    as is). ``ws``: ifmap ``M K ceil(N/cols)``, filter ``K N``, ofmap ``M N ceil(K/rows)``
    (one partial-sum write per row fold). ``is``: ifmap ``M K``, filter ``N K ceil(M/cols)``,
    ofmap ``M N ceil(K/rows)``.

SCALE-Sim's DRAM model (prefetch traces and request buffers) is not reproduced here; the
cost model keeps its own DRAM traffic and stall rules in both conventions.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..core.errors import ConfigError

__all__ = ["SCALESIM_DATAFLOWS", "scalesim_layer"]

SCALESIM_DATAFLOWS = ("os", "ws", "is")


def scalesim_layer(
    rows: ArrayLike,
    cols: ArrayLike,
    dataflow: ArrayLike,
    M: ArrayLike,
    N: ArrayLike,
    K: ArrayLike,
) -> dict[str, np.ndarray]:
    """SCALE-Sim's compute figures for one instance of each layer, vectorized.

    All arguments broadcast together (e.g. configurations ``(n, 1)`` against layers
    ``(1, L)``).

    Parameters
    ----------
    rows, cols : array_like of int
        Array height and width in PEs.
    dataflow : array_like of str
        ``"os"``, ``"ws"`` or ``"is"``.
    M, N, K : array_like of int
        GEMM dimensions (see the module docstring).

    Returns
    -------
    dict of numpy arrays
        ``compute_cycles``, ``folds``, ``utilization``, ``mapping_efficiency``,
        ``compute_utilization`` (fractions, not percent), ``ifmap_sram_reads``,
        ``filter_sram_reads``, ``ofmap_sram_writes`` (words), all ``float64``.
    """
    ints = [np.asarray(v, dtype=np.int64) for v in (rows, cols, M, N, K)]
    shape = np.broadcast_shapes(*(v.shape for v in ints))
    if (ints[0] < 1).any() or (ints[1] < 1).any():
        raise ConfigError("rows and cols must be >= 1")
    if any((v < 1).any() for v in ints[2:]):
        raise ConfigError("M, N and K must be >= 1")
    df = np.asarray(dataflow)  # checked before broadcasting (configs (n, 1) vs layers (1, L))
    bad = ~np.isin(df, SCALESIM_DATAFLOWS)
    if bad.any():
        raise ConfigError(f"dataflow must be one of 'os', 'ws', 'is', not {str(df[bad].flat[0])!r}")
    # float64 on the unbroadcast arrays (configurations (n, 1), layers (1, L)): every count is
    # an integer far below 2**52, so sums, products and ceil(a / b) are exact, and faster
    # than int64 (no vectorized 64-bit integer multiply or divide on AVX2)
    r, c, m, n, k = (v.astype(np.float64) for v in ints)
    shape = np.broadcast_shapes(shape, df.shape)
    is_os, is_ws, is_is = df == "os", df == "ws", df == "is"
    sr = np.where(is_os, m, k)
    sc = np.where(is_is, m, n)
    t = np.where(is_os, k, np.where(is_ws, m, n))
    folds = np.ceil(sr / r)
    folds *= np.ceil(sc / c)
    rc2 = r + c - 2.0
    lines = t + np.where(is_os, rc2, rc2 + r)
    cycles = folds * lines
    cycles -= 1.0
    fold_cycles = t + np.where(is_os, rc2, rc2 + r + c - 1.0)
    pes = r * c
    mapped = sr * sc
    mnk = m * n * k
    mk, mn, kn = m * k, m * n, k * n
    ifmap = np.where(is_is, mk, mk * np.ceil(n / c))
    filt = kn * np.where(is_os, np.ceil(m / r), np.where(is_ws, 1.0, np.ceil(m / c)))
    ofmap = np.where(is_os, mn + folds * (r + c), mn * np.ceil(k / r))
    out = {
        "compute_cycles": cycles,
        "folds": folds,
        "utilization": mnk / (pes * np.maximum(cycles, 1.0)),  # 0 cycles only for a 1-PE, K=1 op
        "mapping_efficiency": mapped / (folds * pes),
        "compute_utilization": mapped * t / (folds * pes * fold_cycles),
        "ifmap_sram_reads": ifmap,
        "filter_sram_reads": filt,
        "ofmap_sram_writes": ofmap,
    }
    # every figure has the arguments' broadcast shape (a layer-only one included)
    return {
        key: v if v.shape == shape else np.broadcast_to(v, shape).copy() for key, v in out.items()
    }
