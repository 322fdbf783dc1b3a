"""Cost model of ``coexplore``: a systolic array, a LUT tensor core and a PIM stack on one chip.

Each sub-system is costed by its own family's cost model (:mod:`accelsmith.models.systolic`,
:mod:`accelsmith.models.lut_core`, :mod:`accelsmith.models.pim` with no NPU of its own), all
configurations at once with ``per_layer=True``; then every layer takes the figures of the
engine its kind is mapped to (``map_dense`` ... in
:class:`~accelsmith.core.families.coexplore.CoexploreParams`; ``conv`` layers follow
``map_dense``). No per-configuration Python loop: the combination is ``(n, L)`` array selects.

How the pieces combine (layers run one after another, as in single-request decode):

- latency = sum over layers of the mapped engine's layer latency (no overlap between engines);
- energy = the mapped engines' layer energies (which include their own leakage/refresh during
  the layer) + the static power of the two *idle* engines during the layer; an engine's static
  power is its static energy (``energy_leak_j``; PIM: ``energy_refresh_j``) over its latency
  when it runs the whole workload, from the same model run;
- area = sum of the three sub-systems' areas (the whole chip, used or not);
- cycles = sum over layers of the mapped engine's cycles, each in its own clock (the engines'
  clocks differ; use ``latency_s`` to compare designs).

Not modelled: data movement between engines (activations handed from one engine to the next
pass through DRAM in each model already), and the weight precision of the LUT core (2- or
4-bit weights) against the int8/fp16 engines: accuracy is not an objective here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import ConfigError
from ..core.families.coexplore import ENGINES, CoexploreParams
from ..core.spec import column_spec
from .common import config_arrays

__all__ = ["COEXPLORE_COLUMNS", "evaluate_coexplore"]

COEXPLORE_COLUMNS = column_spec(CoexploreParams)
#: static-energy column of each engine's cost model (leakage; DRAM refresh for PIM)
_STATIC = {"systolic": "energy_leak_j", "lut-core": "energy_leak_j", "pim": "energy_refresh_j"}
#: layer kind -> mapping column (conv follows dense; "" is resolved by the workload)
_KIND_COLUMN = {
    "dense": "map_dense",
    "conv": "map_dense",
    "attention": "map_attention",
    "kv_read": "map_kv_read",
    "expert": "map_expert",
    "router": "map_router",
}


def _sub_configs(cfg: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """The coexplore columns renamed to each sub-family's columns."""
    buf = cfg["sa_buf_kb"]
    return {
        "systolic": {
            "rows": cfg["sa_rows"],
            "cols": cfg["sa_cols"],
            "dataflow": cfg["sa_dataflow"],
            "ifmap_kb": buf,
            "filter_kb": buf,
            "ofmap_kb": buf,
        },
        "lut-core": {
            "group_size": cfg["lut_group_size"],
            "tile_m": cfg["lut_tile_m"],
            "tile_n": cfg["lut_tile_n"],
            "weight_bits": cfg["lut_weight_bits"],
        },
        "pim": {
            "lanes": cfg["pim_lanes"],
            "banks": cfg["pim_banks"],
            "channels": cfg["pim_channels"],
            "precision": cfg["pim_precision"],
        },
    }


def evaluate_coexplore(configs: Any, workload: Any, *, tech, per_layer: bool, convention: str):
    """The coexplore family's cost function (see the module docstring)."""
    import pandas as pd

    if convention != "rtl":
        raise ConfigError(f"convention must be 'rtl' for the coexplore family, not {convention!r}")
    df, cfg = config_arrays(configs, COEXPLORE_COLUMNS)
    n = len(df)
    layers = workload.to_gemms()
    L = len(layers["names"])
    kinds = np.asarray(layers["layer_kind"], dtype=object)
    lat, energy, cycles, area, static_w = _engine_costs(cfg, workload, tech, n, L)
    engine = _engine_map(cfg, kinds, n, L)
    lay = _mapped(engine, lat, energy, cycles, static_w)
    macs = np.asarray(layers["M"], np.float64) * np.asarray(layers["N"], np.float64)
    macs = macs * np.asarray(layers["K"], np.float64) * np.asarray(layers["count"], np.float64)
    area_um2 = area.sum(axis=0)
    cfg_cols = {c: cfg[c] for c in COEXPLORE_COLUMNS}
    if per_layer:
        rep = {c: np.repeat(v, L) for c, v in cfg_cols.items()}
        # layer names repeat in serving tables: categories from the distinct names
        codes, uniques = pd.factorize(np.asarray(layers["names"], dtype=object))
        flat = _figures(lay, lambda a: a.reshape(-1), np.tile(macs, n))
        layer_cols = {
            "config": np.repeat(np.arange(n), L),
            **rep,
            "layer": pd.Categorical.from_codes(np.tile(codes, n), categories=uniques),
            "M": np.tile(layers["M"], n),
            "N": np.tile(layers["N"], n),
            "K": np.tile(layers["K"], n),
            "count": np.tile(layers["count"], n),
            "engine": pd.Categorical.from_codes(engine.reshape(-1), ENGINES),
        }
        out = {**layer_cols, **flat}
        area_rep = {name: np.repeat(area[i], L) for i, name in enumerate(ENGINES)}
        out["area_um2"] = np.repeat(area_um2, L)
    else:
        out = {"config": np.arange(n), **cfg_cols, **_figures(lay, lambda a: a.sum(axis=1), None)}
        out["macs"] = np.full(n, macs.sum())
        area_rep = {name: area[i] for i, name in enumerate(ENGINES)}
        out["area_um2"] = area_um2
    for name, a in area_rep.items():
        out[f"area_{name.replace('-', '_')}_um2"] = a
    out["area_mm2"] = out["area_um2"] / 1e6
    out["power_w"] = out["energy_j"] / out["latency_s"]
    out["tops"] = 2.0 * out["macs"] / out["latency_s"] / 1e12
    out["tops_per_w"] = out["tops"] / out["power_w"]
    out["tops_per_mm2"] = out["tops"] / out["area_mm2"]
    return pd.DataFrame(out)


def _engine_costs(cfg: Any, workload: Any, tech: Any, n: int, L: int) -> tuple[np.ndarray, ...]:
    """Each engine on every layer: latency, energy, cycles ``(E, n, L)``, area and static
    power ``(E, n)``."""
    import pandas as pd

    from ..core.registry import get_family

    lat, energy, cycles = (np.empty((len(ENGINES), n, L)) for _ in range(3))
    area = np.empty((len(ENGINES), n))
    static_w = np.empty((len(ENGINES), n))
    for e, (name, sub) in enumerate(_sub_configs(cfg).items()):
        out = get_family(name).cost_model()(
            pd.DataFrame(sub), workload, tech=tech, per_layer=True, convention="rtl"
        )
        lat[e] = out["latency_s"].to_numpy(dtype=np.float64).reshape(n, L)
        energy[e] = out["energy_j"].to_numpy(dtype=np.float64).reshape(n, L)
        cycles[e] = out["cycles"].to_numpy(dtype=np.float64).reshape(n, L)
        area[e] = out["area_um2"].to_numpy(dtype=np.float64).reshape(n, L)[:, 0]
        static = out[_STATIC[name]].to_numpy(dtype=np.float64).reshape(n, L).sum(axis=1)
        static_w[e] = static / lat[e].sum(axis=1)
    return lat, energy, cycles, area, static_w


def _engine_map(cfg: Any, kinds: np.ndarray, n: int, L: int) -> np.ndarray:
    """Engine index of every (config, layer): the mapping column of the layer's kind."""
    engine = np.empty((n, L), dtype=np.int64)
    codes = {name: i for i, name in enumerate(ENGINES)}
    for kind in np.unique(kinds):
        column = cfg[_KIND_COLUMN[kind]]
        idx = np.fromiter((codes[v] for v in column), dtype=np.int64, count=n)
        engine[:, kinds == kind] = idx[:, None]
    return engine


def _mapped(engine, lat, energy, cycles, static_w) -> dict[str, Any]:
    """Per (config, layer) figures of the mapped engine, idle engines' static energy during
    each layer, and each engine's share."""
    pick = engine[None]
    lat_l = np.take_along_axis(lat, pick, 0)[0]
    own_e = np.take_along_axis(energy, pick, 0)[0]
    idle_w = (
        static_w.sum(axis=0)[:, None]
        - np.take_along_axis(np.broadcast_to(static_w[:, :, None], lat.shape), pick, 0)[0]
    )
    idle_e = idle_w * lat_l
    return {
        "cyc": np.take_along_axis(cycles, pick, 0)[0],
        "lat": lat_l,
        "energy": own_e + idle_e,
        "idle": idle_e,
        "per_engine_e": {name: np.where(engine == i, own_e, 0.0) for i, name in enumerate(ENGINES)},
        "per_engine_t": {name: np.where(engine == i, lat_l, 0.0) for i, name in enumerate(ENGINES)},
    }


def _figures(lay: dict[str, Any], reduce: Any, macs_x: np.ndarray) -> dict[str, np.ndarray]:
    """The figure columns, each per-layer array passed through ``reduce``."""
    f: dict[str, np.ndarray] = {
        "cycles": reduce(lay["cyc"]),
        "latency_s": reduce(lay["lat"]),
        "macs": macs_x,
        "energy_j": reduce(lay["energy"]),
    }
    for name in ENGINES:
        key = name.replace("-", "_")
        f[f"energy_{key}_j"] = reduce(lay["per_engine_e"][name])
        f[f"latency_{key}_s"] = reduce(lay["per_engine_t"][name])
    f["energy_idle_j"] = reduce(lay["idle"])
    return f
