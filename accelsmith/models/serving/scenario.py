"""Serving scenarios: parsing and validation, the request stream, the cost tables.

Part of :mod:`accelsmith.models.serving` (see its docstring for the scenario keys).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ...core.errors import ConfigError
from ..llm import ATTENTION_MODES, HF_BUILTINS, LLMConfig, builtin_config, from_hf, llm_layers
from ..workloads import Layer, Workload

_DISTS = ("constant", "uniform", "lognormal", "choice")
_ARRIVALS = ("poisson", "constant", "burst")
_DENSE_EXACT = 1024  # dense table: every token count up to this, a grid above
_KV_GRID = 64  # prefill-chunk attention: KV-length grid points


@dataclasses.dataclass(frozen=True, kw_only=True)
class Scenario:
    """A validated serving scenario (see the module docstring for the keys)."""

    name: str
    model: LLMConfig
    arrival_s: np.ndarray
    prompt_len: np.ndarray
    output_len: np.ndarray
    max_batch: int = 32
    token_budget: int = 512
    kv_block: int = 16
    kv_capacity_bytes: float = float("inf")
    attention: str = "unfused"
    routing: Any = "uniform"
    source: str = ""

    @property
    def requests(self) -> int:
        return len(self.arrival_s)

    @property
    def max_context(self) -> int:
        """Longest context (prompt + output) rounded up to whole KV blocks."""
        ctx = int((self.prompt_len + self.output_len).max())
        return -(-ctx // self.kv_block) * self.kv_block


# ------------------------------------------------------------------------------ parsing


def _fail(where: str, field: str, what: str, value: Any) -> None:
    raise ConfigError(f"{where}: {field} must be {what}, not {value!r}")


def _int(where: str, field: str, v: Any, low: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        _fail(where, field, f"an integer >= {low}", v)
    return v


def _num(where: str, field: str, v: Any, low: float = 0.0, strict: bool = True) -> float:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)
    if not ok or (v <= low if strict else v < low):
        _fail(where, field, f"a number {'>' if strict else '>='} {low:g}", v)
    return float(v)


def _keys(where: str, field: str, d: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(d, Mapping):
        _fail(where, field, f"a mapping with keys {', '.join(allowed)}", d)
    extra = [k for k in d if k not in allowed]
    if extra:
        raise ConfigError(
            f"{where}: {field}.{extra[0]} is not a key; allowed keys are {', '.join(allowed)}"
        )
    return d


def _lengths(where: str, field: str, spec: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    if isinstance(spec, int) and not isinstance(spec, bool):
        spec = {"dist": "constant", "value": spec}
    d = _keys(where, field, spec, ("dist", "value", "low", "high", "median", "sigma", "max",
                                   "values", "weights"))  # fmt: skip
    dist = d.get("dist")
    if dist not in _DISTS:
        _fail(where, f"{field}.dist", f"one of {', '.join(_DISTS)}", dist)
    if dist == "constant":
        return np.full(n, _int(where, f"{field}.value", d.get("value")), dtype=np.int64)
    if dist == "uniform":
        lo = _int(where, f"{field}.low", d.get("low"))
        hi = _int(where, f"{field}.high", d.get("high"), lo)
        return rng.integers(lo, hi + 1, size=n).astype(np.int64)
    if dist == "lognormal":
        med = _num(where, f"{field}.median", d.get("median"), 1.0, strict=False)
        sigma = _num(where, f"{field}.sigma", d.get("sigma"), 0.0, strict=False)
        top = _int(where, f"{field}.max", d.get("max", 32768))
        x = np.round(med * np.exp(sigma * rng.standard_normal(n)))
        return np.clip(x, 1, top).astype(np.int64)
    values = d.get("values")
    if not isinstance(values, list) or not values:
        _fail(where, f"{field}.values", "a non-empty list of integers >= 1", values)
    vals = [_int(where, f"{field}.values", v) for v in values]
    w = d.get("weights", [1] * len(vals))
    if not isinstance(w, list) or len(w) != len(vals):
        _fail(where, f"{field}.weights", f"a list of {len(vals)} numbers", w)
    p = np.array([_num(where, f"{field}.weights", x, 0.0, strict=False) for x in w])
    if p.sum() <= 0:
        _fail(where, f"{field}.weights", "not all zero", w)
    return np.asarray(vals, dtype=np.int64)[rng.choice(len(vals), size=n, p=p / p.sum())]


def _arrivals(where: str, spec: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    d = _keys(where, "arrival", spec, ("process", "rate_per_s"))
    proc = d.get("process")
    if proc not in _ARRIVALS:
        _fail(where, "arrival.process", f"one of {', '.join(_ARRIVALS)}", proc)
    if proc == "burst":
        return np.zeros(n)
    rate = _num(where, "arrival.rate_per_s", d.get("rate_per_s"))
    if proc == "constant":
        return np.arange(n) / rate
    gaps = rng.exponential(1.0 / rate, size=n)
    return np.cumsum(gaps) - gaps[0]  # the first request at t = 0


def _trace(where: str, path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        lines = [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
    except OSError as exc:
        raise ConfigError(f"{where}: trace {str(path)!r} cannot be read: {exc.strerror}") from None
    head = [h.strip().lower() for h in lines[0].split(",")] if lines else []
    cols = ("arrival_s", "prompt_len", "output_len")
    if head[:3] != list(cols) or len(lines) < 2:
        raise ConfigError(
            f"{where}: trace {path.name} must have the header {','.join(cols)} and rows"
        )
    rows = []
    for i, ln in enumerate(lines[1:], start=2):
        parts = [p.strip() for p in ln.split(",")]
        try:
            a, p, o = float(parts[0]), int(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            raise ConfigError(
                f"{where}: trace {path.name} line {i}: malformed row {ln!r}"
            ) from None
        if not np.isfinite(a) or a < 0 or p < 1 or o < 1:
            raise ConfigError(
                f"{where}: trace {path.name} line {i}: arrival_s must be >= 0 and the lengths "
                f">= 1, not {ln!r}"
            )
        rows.append((a, p, o))
    arr = np.array(rows)
    order = np.argsort(arr[:, 0], kind="stable")
    arr = arr[order]
    return arr[:, 0], arr[:, 1].astype(np.int64), arr[:, 2].astype(np.int64)


def parse_scenario(data: Any, where: str, base_dir: Path, name: str) -> Scenario:
    """A :class:`Scenario` from the mapping under ``serving`` (``where`` prefixes errors)."""
    allowed = ("model", "seed", "requests", "arrival", "prompt_len", "output_len", "trace",
               "scheduler", "attention", "routing", "name")  # fmt: skip
    d = _keys(where, "serving", data, allowed)
    model = d.get("model")
    if not isinstance(model, str):
        _fail(where, "model", f"a shipped model ({', '.join(HF_BUILTINS)}) or a config.json", model)
    if model in HF_BUILTINS:
        cfg = builtin_config(model)
    else:
        path = Path(model) if Path(model).is_absolute() else base_dir / model
        if not path.is_file():
            _fail(where, "model", f"a shipped model ({', '.join(HF_BUILTINS)}) or a config.json "
                  "file", model)  # fmt: skip
        cfg = from_hf(path)
    seed = _int(where, "seed", d.get("seed", 0), 0)
    rng = np.random.default_rng(seed)
    if "trace" in d:
        for k in ("requests", "arrival", "prompt_len", "output_len"):
            if k in d:
                raise ConfigError(f"{where}: {k} and trace exclude each other")
        t = Path(str(d["trace"]))
        arrival, prompt, output = _trace(where, t if t.is_absolute() else base_dir / t)
    else:
        for k in ("arrival", "prompt_len", "output_len"):
            if k not in d:
                raise ConfigError(f"{where}: missing key {k!r} (or give a trace file)")
        n = _int(where, "requests", d.get("requests", 64))
        if n > 100_000:
            _fail(where, "requests", "at most 100000", n)
        arrival = _arrivals(where, d["arrival"], n, rng)
        prompt = _lengths(where, "prompt_len", d["prompt_len"], n, rng)
        output = _lengths(where, "output_len", d["output_len"], n, rng)
    s = _keys(where, "scheduler", d.get("scheduler", {}),
              ("max_batch", "token_budget", "kv_block", "kv_capacity_gb"))  # fmt: skip
    max_batch = _int(where, "scheduler.max_batch", s.get("max_batch", 32))
    budget = _int(where, "scheduler.token_budget", s.get("token_budget", 512))
    if max_batch > budget:
        raise ConfigError(
            f"{where}: scheduler.max_batch must be at most token_budget ({budget}), not {max_batch}"
        )
    if budget > 65536:
        _fail(where, "scheduler.token_budget", "at most 65536", budget)
    block = _int(where, "scheduler.kv_block", s.get("kv_block", 16))
    cap = s.get("kv_capacity_gb")
    cap_b = float("inf") if cap is None else _num(where, "scheduler.kv_capacity_gb", cap) * 1e9
    attention = d.get("attention", "unfused")
    if attention not in ATTENTION_MODES:
        _fail(where, "attention", f"one of {', '.join(ATTENTION_MODES)}", attention)
    scen = Scenario(
        name=str(d.get("name", name)),
        model=cfg,
        arrival_s=np.asarray(arrival, dtype=np.float64),
        prompt_len=prompt,
        output_len=output,
        max_batch=max_batch,
        token_budget=budget,
        kv_block=block,
        kv_capacity_bytes=cap_b,
        attention=attention,
        routing=d.get("routing", "uniform"),
        source=where,
    )
    need = _reserve(scen)
    if (need > cap_b).any():
        i = int(np.argmax(need > cap_b))
        raise ConfigError(
            f"{where}: request {i} needs {need[i] / 1e9:.3g} GB of KV cache, more than "
            f"scheduler.kv_capacity_gb ({cap_b / 1e9:g})"
        )
    if cfg.experts:  # check the routing spec now (one line naming it)
        from ..llm import routing_weights

        routing_weights(scen.routing, cfg.experts)
    return scen


def _reserve(s: Scenario) -> np.ndarray:
    tokens = -(-(s.prompt_len + s.output_len) // s.kv_block) * s.kv_block
    return tokens * float(s.model.kv_bytes_per_token)


# ------------------------------------------------------------------------------ tables


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServingWorkload(Workload):
    """A :class:`Workload` whose layers are the cost tables of a serving scenario.

    ``evaluate(family, configs, this)`` runs the server (:func:`simulate`); the layers alone
    are the distinct shapes the server can run (their sum is not one inference).
    """

    scenario: Scenario | None = None
    tables: dict[str, Any] = dataclasses.field(default_factory=dict)


def _group(layers: list[Layer], prefix: str) -> list[Layer]:
    """The layers renamed ``prefix + name`` (so table rows say which table they belong to)."""
    return [dataclasses.replace(x, name=prefix + x.name) for x in layers]


def _tables(s: Scenario) -> tuple[list[Layer], dict[str, Any]]:
    cfg, kw = s.model, {"attention": s.attention, "routing": s.routing}
    layers: list[Layer] = []
    tab: dict[str, Any] = {}

    def add(key: str, items: list[list[Layer]]) -> None:
        start = len(layers)
        width = len(items[0])
        for group in items:
            layers.extend(group)
        tab[key] = (start, len(items), width)

    # dense: every token count up to 1024, a grid above (linear interpolation)
    budget = s.token_budget
    grid = np.unique(np.linspace(1, budget, min(budget, _DENSE_EXACT)).round().astype(np.int64))
    tab["dense_grid"] = grid

    def dense(t: int) -> list[Layer]:
        full = llm_layers(cfg, tokens=t, kv_len=t, **kw)
        return [x for x in full if x.role not in ("attn_qk", "attn_av", "lm_head")]

    # MoE groups differ in layer count (experts grouped by tokens): offsets delimit them
    groups = [_group(dense(int(t)), "step.") for t in grid]
    width = max(len(g) for g in groups)
    start = len(layers)
    offsets = []
    for g in groups:
        offsets.append(len(layers))
        layers.extend(g)
    tab["dense"] = (start, np.array([*offsets, len(layers)]), width)
    lm = [
        _group(
            [x for x in llm_layers(cfg, tokens=1, kv_len=1, batch=r, **kw) if x.role == "lm_head"],
            "step.",
        )
        for r in range(1, s.max_batch + 1)
    ]
    add("lm", lm)
    # decode attention at every whole-block KV length
    kv = np.arange(s.kv_block, s.max_context + 1, s.kv_block, dtype=np.int64)
    tab["dec_kv"] = kv

    def attn(q: int, k: int, prefix: str) -> list[Layer]:
        full = llm_layers(cfg, tokens=q, kv_len=k, **kw)
        return _group([x for x in full if x.role in ("attn_qk", "attn_av")], prefix)

    add("dec", [attn(1, int(k), "decode.") for k in kv])
    # prefill-chunk attention: chunk lengths (powers of two, and the budget) x KV lengths
    q_grid = np.unique(np.r_[2 ** np.arange(int(np.log2(budget)) + 1), budget]).astype(np.int64)
    kv_grid = np.unique(np.linspace(1, s.max_context, _KV_GRID).round().astype(np.int64))
    tab["pf_q"], tab["pf_kv"] = q_grid, kv_grid
    add("pf", [attn(int(q), max(int(k), int(q)), "prefill.") for q in q_grid for k in kv_grid])
    return layers, tab


def load_serving(path: str | Path, data: Any = None) -> ServingWorkload:
    """A :class:`ServingWorkload` from a scenario YAML file (``data``: its parsed content)."""
    import yaml

    path = Path(path)
    where = f"serving scenario {path.name}"
    if data is None:
        try:
            data = yaml.safe_load(path.read_text())
        except OSError as exc:
            raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{where} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, Mapping) or "serving" not in data:
        raise ConfigError(f"{where} must be a mapping with a 'serving' key")
    extra = [k for k in data if k != "serving"]
    if extra:
        raise ConfigError(f"{where}: unknown key {extra[0]!r}; the file holds 'serving' only")
    scen = parse_scenario(data["serving"], where, path.parent, path.stem)
    return serving_workload(scen)


def serving_workload(scen: Scenario) -> ServingWorkload:
    """The :class:`ServingWorkload` (cost tables) of a scenario."""
    layers, tab = _tables(scen)
    return ServingWorkload(
        name=scen.name,
        layers=tuple(layers),
        description=(
            f"{scen.model.name} serving {scen.requests} requests (continuous batching, "
            f"max batch {scen.max_batch}, {scen.token_budget} tokens per step)"
        ),
        source=scen.source,
        kv_bytes_per_token=scen.model.kv_bytes_per_token,
        scenario=scen,
        tables=tab,
    )


def requests_of(wl: ServingWorkload) -> dict[str, np.ndarray]:
    """The request stream: ``arrival_s``, ``prompt_len``, ``output_len``."""
    s = wl.scenario
    return {"arrival_s": s.arrival_s, "prompt_len": s.prompt_len, "output_len": s.output_len}
