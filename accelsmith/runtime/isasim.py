"""A functional (untimed) interpreter of the ``accel`` ISA, written from
:mod:`accelsmith.core.accel_isa`: runs a :class:`~accelsmith.runtime.compiler.Program` on numpy
memories. It checks the compiler without a simulator (the RTL is checked against the numpy
golden model, not against this)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.accel_isa import decode

__all__ = ["run_isa"]


def _elems(dram: np.ndarray, addr: int, n: int, eb: int) -> np.ndarray:
    raw = dram[addr : addr + n * eb]
    dt = np.int8 if eb == 1 else np.dtype("<i2")
    return np.ascontiguousarray(raw).view(dt).astype(np.int64)


def run_isa(p: Any, words: list[int], image: np.ndarray) -> np.ndarray:
    """DRAM after running the 128-bit commands ``words`` (errors raise ``ValueError``)."""
    dram = image.copy()
    eb = p.in_bits // 8
    A = np.zeros((2, p.a_entries, p.rows), dtype=np.int64)
    B = np.zeros((2, p.b_entries, p.cols), dtype=np.int64)
    ACC = np.zeros((2, p.acc_entries, p.cols), dtype=object)
    S = np.zeros((p.scale_entries, p.cols), dtype=np.int64)
    cfg = {"shift": 0, "relu": 0, "per_channel": 0, "scale": 1}
    mod = 1 << p.acc_bits
    for i, w in enumerate(words):
        op, f = decode(w)
        if op == "config":
            cfg = dict(f)
        elif op == "load":
            for r in range(f["n_rows"]):
                addr = f["dram_addr"] + r * f["stride"]
                if f["target"] == 2:
                    raw = dram[addr : addr + 2 * f["row_elems"]]
                    vals = np.ascontiguousarray(raw).view("<u2").astype(np.int64)
                    S[f["spad_addr"] + r, f["lane"] : f["lane"] + f["row_elems"]] = vals
                    continue
                vals = _elems(dram, addr, f["row_elems"], eb)
                mem = A if f["target"] == 0 else B
                if f["transpose"]:
                    lane = f["lane"] + r
                    mem[f["bank"], f["spad_addr"] : f["spad_addr"] + len(vals), lane] = vals
                else:
                    lo = f["lane"]
                    mem[f["bank"], f["spad_addr"] + r, lo : lo + len(vals)] = vals
        elif op == "compute":
            k = f["k"]
            b = B[f["b_bank"], f["b_addr"] : f["b_addr"] + k]
            if p.dataflow == "os":
                a = A[f["a_bank"], f["a_addr"] : f["a_addr"] + k].T  # rows x k
            else:
                folds = math.ceil(k / p.rows)
                ent = A[f["a_bank"], f["a_addr"] : f["a_addr"] + folds * p.rows]
                a = np.concatenate(
                    [ent[fo * p.rows : (fo + 1) * p.rows] for fo in range(folds)], axis=1
                )[:, :k]
            c = a.astype(object) @ b.astype(object)
            rows = ACC[f["acc_bank"], f["acc_addr"] : f["acc_addr"] + p.rows]
            new = c + (rows if f["accumulate"] else 0)
            ACC[f["acc_bank"], f["acc_addr"] : f["acc_addr"] + p.rows] = (
                new + mod // 2
            ) % mod - mod // 2
        elif op == "store":
            n = f["row_elems"]
            sc = S[f["scale_addr"], :n] if cfg["per_channel"] else cfg["scale"]
            for r in range(f["n_rows"]):
                acc = ACC[f["bank"], f["acc_addr"] + r, :n]
                v = acc * (sc.astype(object) if cfg["per_channel"] else sc)
                if cfg["shift"]:
                    v = (v + (1 << (cfg["shift"] - 1))) >> cfg["shift"]
                lo = 0 if cfg["relu"] else -(1 << (p.in_bits - 1))
                v = np.clip(v, lo, (1 << (p.in_bits - 1)) - 1).astype(np.int64)
                dt = np.int8 if eb == 1 else np.dtype("<i2")
                addr = f["dram_addr"] + r * f["stride"]
                dram[addr : addr + n * eb] = v.astype(dt).view(np.uint8)
        elif op == "fence":
            pass
        else:
            raise ValueError(f"command {i}: bad opcode")
    return dram
