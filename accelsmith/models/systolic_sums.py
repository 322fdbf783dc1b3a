"""Count-weighted sums over a workload's layers of the systolic model's per-layer figures.

:func:`accelsmith.models.systolic_cost.systolic_cost` with ``weights`` (the totals path of
``evaluate("systolic", ...)``) needs, per configuration, the sums over the layers of the few
per-(configuration, layer) figures that are not linear in a per-configuration factor: tiles,
compute cycles, DRAM bytes, DRAM cycles and memory-bound cycles, and the fold counts the SRAM
words, beats and PE slots are linear in. :func:`layer_sums` computes them without building an
``(n, L)`` array of any of them:

- configurations are grouped by dataflow, and each group evaluates only its own dataflow's
  closed forms (not every dataflow's, selected afterwards);
- each step holds :data:`BLOCK_POINTS` (configuration, layer) points, so its float64
  temporaries (256 KiB) stay in the core's L2 cache and are not page-faulted in afresh;
- what depends only on a layer (its weighted dimensions) or only on a configuration (the
  largest operands its buffers hold, :func:`fit_limits`) is computed once per call; fold counts
  (``ceil(M / rows)`` ...) come from a table per (dimension, array size) instead of a division
  per point (rows and cols are at most 256);
- a figure linear in a fold count is summed as one matrix-vector product of the fold count
  with a per-layer vector (e.g. SCALE-Sim's ifmap words ``M K ceil(N/cols)``: ``col_folds @
  (count M K)``).

The closed forms are those of :mod:`accelsmith.core.latency.systolic` (RTL) and
:mod:`.scalesim_convention` (SCALE-Sim), restated for one dataflow at a time; the per-layer
path (``weights=None``) evaluates those modules themselves. All figures are integers (DRAM
bytes: multiples of 1/8) held exactly in float64 (faster here than int64, which has no
vectorized multiply or divide on this machine's AVX2), so every sum is exact and equals the
per-layer figures summed, bit for bit, while each term stays below 2**53
(``tests/models/test_systolic_totals.py`` checks both conventions against the per-layer path
and against the model before this module).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK_POINTS", "dram_bytes", "fit_limits", "layer_sums"]

#: (configuration, layer) points per step of :func:`layer_sums` (float64 temporaries of
#: 256 KiB: a dozen of them live at once, within a 2 MiB L2 cache)
BLOCK_POINTS = 1 << 15


def _most(cap: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Largest integer ``x`` with ``x * unit <= cap`` (``x * unit`` exact below 2**53)."""
    x = np.floor(cap / unit)
    # a quotient just below an integer may round up to it (never down past one: the integer
    # is a float and rounding is monotone); a guard, as no case was found with these sizes
    x -= x * unit > cap
    return x


def fit_limits(cfg: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per configuration, the largest element counts its buffers hold (shapes as ``cfg``'s).

    ``ifmap``, ``filter``: operand elements of ``in_bits`` that fit the ifmap / filter buffer;
    ``k_cols``: the largest ``K`` whose ``K x cols`` weight block fits the filter buffer;
    ``rows_k``: the largest ``K`` whose ``rows x K`` activation block fits the ifmap buffer.
    Comparing a layer's element count with these is the same test as comparing its bytes
    with the capacity (both sides exact), one operation instead of two or three per point.
    """
    byte_in = cfg["in_bits"] / 8.0
    cap_i = cfg["ifmap_kb"] * 1024.0
    cap_f = cfg["filter_kb"] * 1024.0
    return {
        "ifmap": _most(cap_i, byte_in),
        "filter": _most(cap_f, byte_in),
        "k_cols": _most(cap_f, cfg["cols"] * byte_in),
        "rows_k": _most(cap_i, cfg["rows"] * byte_in),
    }


def dram_bytes(
    lim: dict[str, np.ndarray],
    lay: dict[str, np.ndarray],
    row_folds: np.ndarray,
    col_folds: np.ndarray,
    byte_in: np.ndarray,
    ofmap_bytes: np.ndarray,
) -> np.ndarray:
    """DRAM bytes of one layer instance: operand reads (better loop order) + result writes.

    ``lim`` from :func:`fit_limits`; ``lay`` float64 per-layer ``ifmap_elems`` (distinct
    activations), ``filter_elems`` (``K N``) and ``K``; ``row_folds``/``col_folds`` the
    output tiles along M and N; ``byte_in`` = ``in_bits / 8``; ``ofmap_bytes`` the results
    written. The loop orders are those of the module docstring of
    :mod:`accelsmith.models.systolic_cost`.
    """
    ie, fe, k = lay["ifmap_elems"], lay["filter_elems"], lay["K"]
    i_fits = ie <= lim["ifmap"]
    f_fits = fe <= lim["filter"]
    i_again = ie * col_folds  # activations streamed again for every column block
    f_again = fe * row_folds
    # output-column tiles outer: a K x cols weight block stays in the filter buffer if it fits
    # and the activations stream again for every column block; symmetric for rows outer
    cols_outer = np.where(i_fits, ie, i_again)
    cols_outer += np.where(f_fits | (k <= lim["k_cols"]), fe, f_again)
    rows_outer = np.where(f_fits, fe, f_again)
    rows_outer += np.where(i_fits | (k <= lim["rows_k"]), ie, i_again)
    np.minimum(cols_outer, rows_outer, out=cols_outer)
    cols_outer *= byte_in
    cols_outer += ofmap_bytes
    return cols_outer


class _Tables:
    """Per-layer tables indexed by an array size (``rows`` or ``cols``, from 1): folds
    ``ceil(dim / size)`` and the RTL's ``max(K, rows, 2)`` / ``min(K, rows)``, built on
    first use for sizes 1 .. the largest present."""

    def __init__(self, lay: dict[str, np.ndarray], cfg: dict[str, np.ndarray]) -> None:
        self.lay = lay
        self.index = {s: cfg[s].reshape(-1) - 1 for s in ("rows", "cols")}
        self.tables: dict[tuple[str, str], np.ndarray] = {}

    def take(self, kind: str, size: str, rows: np.ndarray | slice) -> np.ndarray:
        table = self.tables.get((kind, size))
        if table is None:
            s = np.arange(1, int(self.index[size].max()) + 2, dtype=np.float64)[:, None]
            if kind == "max_k":
                table = np.maximum(self.lay["K"], np.maximum(s, 2.0))
            elif kind == "min_k":
                table = np.minimum(self.lay["K"], s)
            else:  # folds of a dimension: exact (dimensions and sizes far below 2**52)
                table = np.ceil(self.lay[kind] / s)
            self.tables[kind, size] = table
        return table.take(self.index[size][rows], axis=0)


def layer_sums(
    cfg: dict[str, np.ndarray],
    layers: dict[str, np.ndarray],
    weights: np.ndarray,
    convention: str,
    freq_mhz: np.ndarray,
) -> dict[str, np.ndarray]:
    """Count-weighted sums over the layers of the per-layer bases of the systolic model.

    Parameters
    ----------
    cfg : dict of arrays, shape (n, 1)
        As for :func:`accelsmith.models.systolic_cost.systolic_cost`.
    layers : dict of arrays, shape (1, L)
        ``M, N, K, ifmap_elems`` and optionally ``ofmap_elems``.
    weights : array of shape (L,)
        Layer counts.
    convention : {"rtl", "scalesim"}
    freq_mhz : array, shape (n, 1)
        The clock used (MHz).

    Returns
    -------
    dict of arrays, shape (n, 1)
        ``tiles, a_beats, b_beats, compute, pe_compute, dram_bytes, dram_cycles, cycles``
        and, for ``scalesim``, ``words_a, words_b, words_c, slots``; ``macs`` has shape (1, 1).
    """
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    lay = {k: np.asarray(layers[k], dtype=np.float64).reshape(-1) for k in ("M", "N", "K")}
    lay["ifmap_elems"] = np.asarray(layers["ifmap_elems"], dtype=np.float64).reshape(-1)
    oe = layers.get("ofmap_elems")
    lay["ofmap_elems"] = lay["M"] * lay["N"] if oe is None else np.asarray(oe, np.float64)
    lay["ofmap_elems"] = lay["ofmap_elems"].reshape(-1)
    lay["filter_elems"] = lay["K"] * lay["N"]
    m, n_, k = lay["M"], lay["N"], lay["K"]
    # per-layer vectors the linear figures are summed with (weighted by the counts)
    wv = {"1": w, "K": w * k, "M": w * m, "N": w * n_, "MK": w * (m * k), "KN": w * (k * n_)}
    wv["MN"] = w * (m * n_)
    scalesim = convention == "scalesim"
    n = len(cfg["rows"])
    keys = ["tiles", "a_beats", "b_beats", "compute", "pe_compute"]
    keys += ["dram_bytes", "dram_cycles", "cycles"]
    if scalesim:
        keys += ["words_a", "words_b", "words_c", "slots"]
    out = {key: np.empty(n) for key in keys}
    # per configuration, once: what the per-point formulas add or compare with
    r, c = cfg["rows"].astype(np.float64), cfg["cols"].astype(np.float64)
    per = {"r": r, "pes": r * c, "byte_in": cfg["in_bits"] / 8.0, "acc8": cfg["acc_bits"] / 8.0}
    per["bpc"] = cfg["dram_gbps"] * 1e9 / (freq_mhz * 1e6)  # bytes per cycle, as per layer
    per |= {f"lim_{key}": v for key, v in fit_limits(cfg).items()}
    if scalesim:
        per["rc"] = r + c  # SCALE-Sim's OS ofmap count adds rows + cols per fold
        per["os_lines"] = r + c - 2.0  # demand lines per fold, beyond T
        per["ws_lines"] = 2.0 * r + c - 2.0
    else:
        per["rc2"] = r + c + 2.0  # the RTL's fill and drain
    tab = _Tables(lay, cfg)
    flows = cfg["dataflow"].reshape(-1)
    step = max(1, BLOCK_POINTS // max(len(w), 1))
    for flow in ("os", "ws", "is"):  # validated dataflows (np.unique would sort the strings)
        idx = np.flatnonzero(flows == flow)
        if len(idx) == 0:
            continue
        if len(idx) == n:  # one dataflow: contiguous blocks, no gathers
            parts = [slice(s, min(s + step, n)) for s in range(0, n, step)]
        else:
            parts = [idx[s : s + step] for s in range(0, len(idx), step)]
        for rows in parts:
            blk = {key: v[rows] for key, v in per.items()}
            sums = _block(flow, scalesim, blk, lay, wv, tab, rows)
            for key, v in sums.items():
                out[key][rows] = v
    res = {key: v.reshape(-1, 1) for key, v in out.items()}
    macs = layers["M"] * layers["N"] * layers["K"]  # int64, as the per-layer path
    res["macs"] = np.asarray(macs.reshape(-1).astype(np.float64) @ w).reshape(1, 1)
    return res


def _block(
    flow: str,
    scalesim: bool,
    blk: dict[str, np.ndarray],
    lay: dict[str, np.ndarray],
    wv: dict[str, np.ndarray],
    tab: _Tables,
    rows: np.ndarray | slice,
) -> dict[str, np.ndarray]:
    """Sums of one block of configurations of one dataflow (see :func:`layer_sums`)."""
    r, k = blk["r"], lay["K"]
    row_folds = tab.take("M", "rows", rows)
    col_folds = tab.take("N", "cols", rows)
    tiles = row_folds * col_folds
    s = {"tiles": tiles @ wv["1"], "b_beats": tiles @ wv["K"]}  # b: K weight rows per tile
    if flow == "os":
        s["a_beats"] = s["b_beats"]  # K activation beats per tile
    else:  # ws, is: rows * ceil(K/rows) activation beats per tile
        k_folds = tab.take("K", "rows", rows)
        k_tiles = k_folds * tiles
        s["a_beats"] = (k_tiles @ wv["1"]) * r[:, 0]
    if not scalesim:  # core.latency.systolic.layer_cycles for this dataflow
        if flow == "os":  # K + rows + cols + 2 + (tiles - 1) max(K, rows, 2)
            compute = tiles - 1.0
            compute *= tab.take("max_k", "rows", rows)
            compute += k
        else:  # min(K, rows) + rows + cols + 2 + tiles ceil(K/rows) rows
            compute = k_tiles * r
            compute += tab.take("min_k", "rows", rows)
        compute += blk["rc2"]
    else:  # scalesim_convention.scalesim_layer for this dataflow (its module docstring)
        pes = blk["pes"][:, 0]
        if flow == "os":  # folds = tiles, T = K; ofmap M N + folds (rows + cols)
            folds, lines = tiles, k + blk["os_lines"]
            s["words_a"] = col_folds @ wv["MK"]
            s["words_b"] = row_folds @ wv["KN"]
            s["words_c"] = wv["MN"].sum() + s["tiles"] * blk["rc"][:, 0]
            s["slots"] = s["b_beats"] * pes  # folds x PEs x T
        elif flow == "ws":  # folds ceil(K/rows) ceil(N/cols), T = M
            folds = k_folds * col_folds
            lines = lay["M"] + blk["ws_lines"]
            s["words_a"] = col_folds @ wv["MK"]
            s["words_b"] = np.full(len(pes), wv["KN"].sum())
            s["words_c"] = k_folds @ wv["MN"]
            s["slots"] = (folds @ wv["M"]) * pes
        else:  # is: folds ceil(K/rows) ceil(M/cols), T = N
            m_folds = tab.take("M", "cols", rows)
            folds = k_folds * m_folds
            lines = lay["N"] + blk["ws_lines"]
            s["words_a"] = np.full(len(pes), wv["MK"].sum())
            s["words_b"] = m_folds @ wv["KN"]
            s["words_c"] = k_folds @ wv["MN"]
            s["slots"] = (folds @ wv["N"]) * pes
        compute = folds * lines
        compute -= 1.0  # SCALE-Sim counts the last line's index from 0
    s["compute"] = compute @ wv["1"]
    # PE-cycles / PEs (utilization): at least 1 (SCALE-Sim's 1-PE, K = 1 case has 0 cycles)
    low = compute.min() < 1.0
    s["pe_compute"] = np.maximum(compute, 1.0) @ wv["1"] if low else s["compute"]
    ofmap = lay["ofmap_elems"] * blk["acc8"]
    db = dram_bytes(_limits(blk), lay, row_folds, col_folds, blk["byte_in"], ofmap)
    s["dram_bytes"] = db @ wv["1"]
    db /= blk["bpc"]
    np.ceil(db, out=db)
    s["dram_cycles"] = db @ wv["1"]
    np.maximum(compute, db, out=db)
    s["cycles"] = db @ wv["1"]
    return s


def _limits(blk: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key[4:]: v for key, v in blk.items() if key.startswith("lim_")}
