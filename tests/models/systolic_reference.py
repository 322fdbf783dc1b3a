"""A slow, scalar re-implementation of the systolic cost model from its documented rules.

Used only to check that the vectorized model computes the same numbers row by row.
"""

import math


def reference_layer(cfg: dict, m: int, n: int, k: int, tech) -> dict:
    r, c, w, acc = cfg["rows"], cfg["cols"], cfg["in_bits"], cfg["acc_bits"]
    os_ = cfg["dataflow"] == "os"
    row_folds, col_folds = math.ceil(m / r), math.ceil(n / c)
    tiles = row_folds * col_folds
    kf = math.ceil(k / r)
    if os_:
        first = k + r + c + 2
        interval = max(k, r, 2)
    else:
        first = min(k, r) + kf * r + r + c + 2
        interval = kf * r
    compute = first + (tiles - 1) * interval
    a_beats = (k if os_ else kf * r) * tiles
    b_beats = k * tiles
    c_beats = r * tiles
    byte = w / 8
    fi, ff, fo = m * k * byte, k * n * byte, m * n * acc / 8
    ci, cf = cfg["ifmap_kb"] * 1024, cfg["filter_kb"] * 1024
    cols_outer = (fi if fi <= ci else fi * col_folds) + (
        ff if (ff <= cf or k * c * byte <= cf) else ff * row_folds
    )
    rows_outer = (ff if ff <= cf else ff * row_folds) + (
        fi if (fi <= ci or r * k * byte <= ci) else fi * col_folds
    )
    dram = min(cols_outer, rows_outer) + fo
    per_cycle = cfg["dram_gbps"] * 1e9 / (cfg["freq_mhz"] * 1e6)
    cycles = max(compute, math.ceil(dram / per_cycle))
    macs = m * n * k
    e_mac = macs * (float(tech.int_mul_energy_j(w)) + float(tech.int_add_energy_j(acc)))
    e_dram = dram * 8 * tech.dram_energy_j_per_bit
    return {
        "cycles": cycles,
        "compute_cycles": compute,
        "energy_mac_j": e_mac,
        "energy_dram_j": e_dram,
        "dram_bytes": dram,
        "tiles": tiles,
        "ifmap_sram_reads": a_beats * r,
        "filter_sram_reads": b_beats * c,
        "ofmap_sram_writes": c_beats * c,
    }


def reference_scalesim(r: int, c: int, df: str, m: int, n: int, k: int) -> dict:
    """SCALE-Sim v3's per-fold accounting, fold by fold as its compute modules loop.

    Per fold: the demand lines it adds (operand lines, drain, skew) and the elements of
    each operand it reads or writes (only mapped ones, plus SCALE-Sim's ``rows + cols``
    extra ofmap count per OS fold).
    """
    sr, sc, t = {"os": (m, n, k), "ws": (k, n, m), "is": (k, m, n)}[df]
    lines = ifmap = filt = ofmap = 0
    effs = []
    for fc in range(math.ceil(sc / c)):
        for fr in range(math.ceil(sr / r)):
            ru, cu = min(r, sr - fr * r), min(c, sc - fc * c)
            if df == "os":
                lines += t + (c - 1) + (r - 1)
                ifmap, filt, ofmap = ifmap + t * ru, filt + t * cu, ofmap + ru * cu + r + c
            elif df == "ws":
                lines += r + t + (c - 1) + (r - 1)
                ifmap, filt, ofmap = ifmap + t * ru, filt + ru * cu, ofmap + t * cu
            else:
                lines += r + t + (c - 1) + (r - 1)
                ifmap, filt, ofmap = ifmap + ru * cu, filt + t * ru, ofmap + t * cu
            effs.append(ru * cu / (r * c))
    return {
        "compute_cycles": lines - 1,
        "ifmap_sram_reads": ifmap,
        "filter_sram_reads": filt,
        "ofmap_sram_writes": ofmap,
        "mapping_efficiency": sum(effs) / len(effs),
    }
