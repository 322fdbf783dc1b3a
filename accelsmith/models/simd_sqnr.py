"""Accuracy proxy of the SIMD family: quantization signal-to-noise ratio per layer and mode.

For a layer computing ``C = A @ B`` (activations ``A`` in the mode's ``a`` format, weights
``B`` in its ``b`` format), the proxy is the SQNR of the product, to first order (errors of
the two operands uncorrelated, relative noise powers add)::

    sqnr_layer = -10 log10(10**(-sqnr_A / 10) + 10**(-sqnr_B / 10))      [dB]

with ``sqnr_X = 10 log10(sum x^2 / sum (x - Q(x))^2)`` for a tensor ``X`` and its quantized
copy ``Q(X)`` (round to nearest even, saturating; :func:`accelsmith.core.numformats.codec.encode`).

Scaling before quantization (one scale per tensor, as a deployment flow would calibrate):

* integers: symmetric max-abs scaling onto ``[-(2**(n-1) - 1), 2**(n-1) - 1]``;
* FP4/FP8: a power-of-two scale that maps the max-abs value into the format's top binade
  (OCP MX-style shared exponent, ``2**(floor(log2 maxabs) - top_exponent)``);
* posits: a power-of-two scale that brings the RMS to 1 (posits are densest around 1).

Tensors. With ``tensors`` (a folder), ``<layer>_weights.npy`` and ``<layer>_acts.npy`` are used
when present (any shape; flattened). Otherwise a documented synthetic distribution, sampled
with a seed derived from the layer name (so results are reproducible), 4096 values each:

* weights: normal with standard deviation ``sqrt(2 / K)`` (He initialization, fan-in ``K``);
* activations of CNN layers (role ``""``): ``max(0, N(0, 1))`` (post-ReLU, half zeros);
* activations of transformer layers (any role): Student-t with 5 degrees of freedom
  (heavy tails, as LLM activations have outliers), unit variance.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np

from ..core.errors import ConfigError
from ..core.numformats import MODES, Format

__all__ = ["SAMPLES", "layer_sqnr_db", "layer_tensors", "tensor_sqnr_db"]

SAMPLES = 4096


def _scale(fmt: Format, x: np.ndarray) -> float:
    amax = float(np.max(np.abs(x))) if x.size else 0.0
    if amax == 0.0 or not np.isfinite(amax):
        return 1.0
    if fmt.kind == "int":
        return amax / ((1 << (fmt.bits - 1)) - 1)
    if fmt.kind == "fp":
        return float(2.0 ** (np.floor(np.log2(amax)) - fmt.top_max))
    rms = float(np.sqrt(np.mean(np.square(x))))
    return float(2.0 ** np.round(np.log2(rms))) if rms > 0 else 1.0


def tensor_sqnr_db(fmt: Format, x: np.ndarray) -> float:
    """SQNR (dB) of ``x`` quantized to ``fmt`` after per-tensor scaling (see module doc).

    An exactly representable tensor gives +inf; an all-zero tensor gives +inf.
    """
    from ..core.numformats.codec import encode, values

    x = np.asarray(x, dtype=np.float64).reshape(-1)
    x = x[np.isfinite(x)]
    s = _scale(fmt, x)
    q = values(fmt, encode(fmt, x / s, saturate=True)) * s
    signal = float(np.sum(x * x))
    noise = float(np.sum((x - q) ** 2))
    if noise == 0.0:
        return float("inf")
    if signal == 0.0:
        return float("-inf")
    return 10.0 * np.log10(signal / noise)


def _seed(name: str, what: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{name}/{what}".encode()).digest()[:8], "little")


def layer_tensors(
    name: str, k: int, role: str, tensors: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(activations, weights) of a layer: from ``tensors`` if given there, else synthetic."""
    acts = weights = None
    if tensors:
        folder = Path(tensors)
        if not folder.is_dir():
            raise ConfigError(f"tensors must be a folder of .npy files, not {tensors!r}")
        for kind in ("acts", "weights"):
            f = folder / f"{name}_{kind}.npy"
            if f.is_file():
                try:
                    arr = np.load(f, allow_pickle=False).astype(np.float64).reshape(-1)
                except (OSError, ValueError) as exc:
                    raise ConfigError(f"tensors: {f} is not a numeric .npy file ({exc})") from None
                if kind == "acts":
                    acts = arr
                else:
                    weights = arr
    if weights is None:
        rng = np.random.default_rng(_seed(name, "weights"))
        weights = rng.normal(0.0, np.sqrt(2.0 / max(k, 1)), SAMPLES)
    if acts is None:
        rng = np.random.default_rng(_seed(name, "acts"))
        if role:
            acts = rng.standard_t(5, SAMPLES) / np.sqrt(5.0 / 3.0)
        else:
            acts = np.maximum(rng.normal(0.0, 1.0, SAMPLES), 0.0)
    return acts, weights


@functools.lru_cache(maxsize=65536)
def layer_sqnr_db(mode: str, name: str, k: int, role: str, tensors: str | None = None) -> float:
    """The layer's product SQNR (dB) in ``mode`` (see the module docstring)."""
    md = MODES[mode]
    acts, weights = layer_tensors(name, k, role, tensors)
    sa = tensor_sqnr_db(md.a, acts)
    sb = tensor_sqnr_db(md.b, weights)
    noise = 10.0 ** (-sa / 10.0) + 10.0 ** (-sb / 10.0)
    return float("inf") if noise == 0.0 else float(-10.0 * np.log10(noise))
