"""Serving scenarios: a continuous-batching LLM server, costed with any family's model.

A scenario (YAML, top-level key ``serving``) names a model, a request stream (arrival
process, prompt-length and output-length distributions, or a trace file) and the scheduler
limits. :func:`load_serving` turns it into a :class:`ServingWorkload`; ``evaluate(family,
configs, workload)`` on it runs the server for every configuration and reports tokens/s, time
to first token (TTFT), time per output token (TPOT) and energy per output token.

Scenario file::

    serving:
      model: llama3-8b            # a shipped config or a path to a config.json
      seed: 1
      requests: 64
      arrival: {process: poisson, rate_per_s: 4}     # poisson | constant | burst (all at 0)
      prompt_len: {dist: uniform, low: 128, high: 512}
      output_len: {dist: constant, value: 128}       # constant | uniform | lognormal | choice
      # trace: trace.csv          # instead: columns arrival_s, prompt_len, output_len
      scheduler: {max_batch: 32, token_budget: 512, kv_block: 16, kv_capacity_gb: 16}
      attention: unfused          # or fused
      routing: uniform            # MoE routing (uniform, zipf:S, weights)

The server (what vLLM / Sarathi-style schedulers do, simplified)
    Requests are served first come, first served. A request is admitted when it has arrived,
    fewer than ``max_batch`` requests are running, and the KV cache can hold its whole prompt
    and output (``ceil((prompt + output) / kv_block) x kv_block`` tokens, reserved at
    admission, freed when it finishes; no preemption). Every step runs one forward pass over
    one new token of each running request that has finished its prefill (decode) and, within
    the remaining ``token_budget``, prompt chunks of the admitted requests still in prefill,
    in arrival order (chunked prefill). A request's first output token comes with the step
    that completes its prompt; each later step adds one token. When nothing can run, the
    server idles until the next arrival (idle time costs no energy: leakage while idle is
    not counted).
Step cost
    The dense layers (QKV, output projection, FFN or router + experts with the step's token
    count routed as :func:`accelsmith.models.llm.expert_tokens`) run once over all the step's
    tokens; the LM head over one row per request that emits a token; attention per request
    (its new tokens against its context: :func:`accelsmith.models.llm.llm_layers`). Layers
    run one after another, so a step's time and energy are the sums of the family model's
    per-layer figures. The model is evaluated once per configuration on tables of these
    layers: dense layers at every token count ``1..token_budget`` (exact; above 1024 tokens,
    a grid of 1024 counts with linear interpolation), the LM head at ``1..max_batch`` rows,
    decode attention at every KV length in multiples of ``kv_block`` (the context rounded up
    to whole blocks, as a paged KV cache reads them), prefill-chunk attention on a grid of
    chunk lengths (powers of two) x KV lengths (64 points), bilinearly interpolated.
Families
    Any family whose model reports per-layer ``latency_s`` and ``energy_j`` (all of them).
    For ``pim``, ``batch`` must be 1 (the server forms the batches). NPU + PIM runs a step's
    layers one after another, or, with ``interleave`` (and ``pim_offload`` ``attention`` or
    ``kv_read``), as NeuPIMs' two sub-batches whose NPU and PIM work overlap
    (:func:`simulate`).
Results (one row per configuration)
    Every additive column of the family's model summed over the run (energy breakdowns, DRAM
    bytes, MACs ...), the configuration-level ones (areas) unchanged, ``latency_s`` = the
    makespan (first arrival to last token, idle included), and ``tokens_per_s`` (output
    tokens / makespan), ``ttft_s`` / ``ttft_p99_s`` (mean and 99th percentile), ``tpot_s``
    / ``tpot_p99_s`` (per request ``(finish - first token) / (output - 1)``),
    ``energy_per_token_j`` (energy / output tokens), ``steps``, ``mean_batch`` (requests per
    step), ``peak_kv_bytes``, ``busy_s``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError
from .llm import ATTENTION_MODES, HF_BUILTINS, LLMConfig, builtin_config, from_hf, llm_layers
from .pim import interleaved_latency
from .workloads import Layer, Workload

__all__ = [
    "Scenario",
    "ServingWorkload",
    "load_serving",
    "requests_of",
    "serving_steps",
    "simulate",
    "usage_total",
]

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
        from .llm import routing_weights

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


# ------------------------------------------------------------------------------ server


def _step_tables(wl: ServingWorkload, x: np.ndarray) -> dict[str, np.ndarray]:
    """One per-layer array ``x`` ``(n, L)`` as the server's tables, per configuration: dense
    by token count, LM head by rows, decode attention by KV block, prefill attention by
    (chunk, KV) flattened."""
    tab = wl.tables
    _, offs, _ = tab["dense"]
    cs = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)], axis=1)
    out = {"dense": cs[:, offs[1:]] - cs[:, offs[:-1]]}
    for name in ("lm", "dec", "pf"):
        s0, rows, w = tab[name]
        out[name] = x[:, s0 : s0 + rows * w].reshape(len(x), rows, w).sum(axis=2)
    return out


def usage_total(wl: ServingWorkload, usage: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Total over a run of the per-layer figure ``x`` ``(n, L)``, from the run's ``usage`` of
    every table row (as :func:`simulate` returns it)."""
    t = _step_tables(wl, x)
    return sum((usage[k] * t[k]).sum(axis=1) for k in t)


def _interp_weights(grid: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices ``i0, i1`` into ``grid`` and the weight of ``i1`` for linear interpolation."""
    i1 = np.clip(np.searchsorted(grid, x), 0, len(grid) - 1)
    i0 = np.clip(i1 - 1, 0, len(grid) - 1)
    g0, g1 = grid[i0].astype(np.float64), grid[i1].astype(np.float64)
    exact = g1 == x
    w = np.where(exact | (g1 == g0), 1.0, (x - g0) / np.where(g1 == g0, 1.0, g1 - g0))
    w = np.clip(w, 0.0, 1.0)
    return np.where(exact, i1, i0), i1, w


def simulate(
    wl: ServingWorkload,
    latency: np.ndarray,
    *,
    trace: bool = False,
    inter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the continuous-batching server for every configuration at once (lock-step).

    ``latency``: per-layer seconds ``(n, L)`` of the family's model on ``wl``'s layers.
    Returns per-configuration arrays of the serving metrics (module docstring) and ``usage``:
    how many times the run used every table row (interpolation weights included), from which
    :func:`usage_total` sums any other per-layer figure over the run. With ``trace``, also
    ``trace``: the batched steps, one record per (step, configuration that ran).

    ``inter`` (NPU + PIM with NeuPIMs sub-batch interleaving): ``use`` (which configurations),
    ``blocks`` (transformer blocks) and per-layer seconds ``pre`` (QKV on the NPU), ``pim``
    (layers on PIM) and ``post`` (the other NPU layers, LM head excluded). A step with two or
    more requests is split into two sub-batches (alternate requests); its time is the list
    schedule of :func:`accelsmith.models.pim.interleaved_latency` over the blocks plus the LM
    head, and its table usage is the two halves' (the NPU streams the weights twice).
    """
    s = wl.scenario
    tab = wl.tables
    T = _step_tables(wl, latency)
    n = len(latency)
    arrival, prompt, out_len = s.arrival_s, s.prompt_len, s.output_len
    R = len(arrival)
    cfg_idx = np.arange(n)
    rows = np.broadcast_to(cfg_idx[:, None], (n, R))
    reserve = _reserve(s)[None, :]
    kv_tok_bytes = float(s.model.kv_bytes_per_token)
    done_pf = np.zeros((n, R), dtype=np.int64)
    gen = np.zeros((n, R), dtype=np.int64)
    t_first = np.full((n, R), np.nan)
    t_end = np.full((n, R), np.nan)
    clock = np.full(n, float(arrival.min()))
    usage = {k: np.zeros_like(v) for k, v in T.items()}
    steps = np.zeros(n)
    batch_sum = np.zeros(n)
    peak_kv = np.zeros(n)
    records: list[dict[str, Any]] = []
    busy = np.zeros(n)
    inter_use = np.zeros(n, dtype=bool) if inter is None else np.asarray(inter["use"], bool)
    inter_tables = (
        {} if inter is None else {k: _step_tables(wl, inter[k]) for k in ("pre", "pim", "post")}
    )
    dense_grid, dec_kv = tab["dense_grid"], tab["dec_kv"]
    pf_q, pf_kv = tab["pf_q"], tab["pf_kv"]
    Kn = len(pf_kv)
    for _ in range(int(4 * (prompt.sum() + out_len.sum())) + 10):
        unfinished = gen < out_len[None, :]
        live = unfinished.any(axis=1)
        if not live.any():
            break
        arrived = arrival[None, :] <= clock[:, None] + 1e-15
        cand = arrived & unfinished
        rank = np.cumsum(cand, axis=1)
        held = np.cumsum(cand * reserve, axis=1)
        admitted = cand & (rank <= s.max_batch) & (held <= s.kv_capacity_bytes)
        dec = admitted & (done_pf == prompt[None, :])
        n_dec = dec.sum(axis=1)
        pf = admitted & (done_pf < prompt[None, :])
        rem = np.where(pf, prompt[None, :] - done_pf, 0)
        room = (s.token_budget - n_dec)[:, None]
        before = np.cumsum(rem, axis=1) - rem
        chunk = np.clip(room - before, 0, rem)
        tokens = n_dec + chunk.sum(axis=1)
        idle = live & (tokens == 0)
        if idle.any():  # nothing runnable: wait for the next arrival
            later = np.where(arrival[None, :] > clock[:, None] + 1e-15, arrival[None, :], np.inf)
            nxt = later.min(axis=1)
            clock = np.where(idle & np.isfinite(nxt), nxt, clock)
        run = live & (tokens > 0)
        if not run.any():
            continue
        completing = pf & (chunk == rem) & (chunk > 0)
        logits = n_dec + completing.sum(axis=1)
        has_chunk = (chunk > 0) & run[:, None]
        dec = dec & run[:, None]
        # ---- which table rows this step uses, with interpolation weights
        ctx = prompt[None, :] + gen  # keys a decode token attends (the cache + itself)
        kb = np.clip(-(-ctx // s.kv_block) - 1, 0, len(dec_kv) - 1)
        q0, q1, qw = _interp_weights(pf_q, chunk.astype(np.float64))
        k0, k1, kw = _interp_weights(pf_kv, (done_pf + chunk).astype(np.float64))
        corners = (
            (q0 * Kn + k0, (1 - qw) * (1 - kw)),
            (q0 * Kn + k1, (1 - qw) * kw),
            (q1 * Kn + k0, qw * (1 - kw)),
            (q1 * Kn + k1, qw * kw),
        )

        def rows_used(sel_dec, sel_chunk, toks, logit_rows, on, kb=kb, corners=corners):
            """Table usage of the requests ``sel_*`` (tokens ``toks``) on configs ``on``."""
            u = {k: np.zeros_like(v) for k, v in usage.items()}
            w_on = on.astype(np.float64) * (toks > 0)
            d0, d1, dw = _interp_weights(dense_grid, np.maximum(toks, 1).astype(np.float64))
            np.add.at(u["dense"], (cfg_idx, d0), (1 - dw) * w_on)
            np.add.at(u["dense"], (cfg_idx, d1), dw * w_on)
            lm_on = on.astype(np.float64) * (logit_rows > 0)
            np.add.at(u["lm"], (cfg_idx, np.clip(logit_rows, 1, s.max_batch) - 1), lm_on)
            np.add.at(u["dec"], (rows, kb), (sel_dec & on[:, None]).astype(np.float64))
            hc = (sel_chunk & on[:, None]).astype(np.float64)
            for idx, w in corners:
                np.add.at(u["pf"], (rows, idx), w * hc)
            return u

        active = dec | has_chunk
        none = np.zeros((n, R), dtype=bool)
        zero = np.zeros(n, dtype=np.int64)
        iv = run & inter_use & (active.sum(axis=1) >= 2)
        use_step = rows_used(dec, has_chunk, tokens, logits, run & ~iv)
        step_t = sum((use_step[k] * T[k]).sum(axis=1) for k in T)
        if iv.any():  # NeuPIMs sub-batches: alternate requests, NPU and PIM overlap
            half_a = active & (np.cumsum(active, axis=1) % 2 == 1)
            parts = []
            for h in (half_a, active & ~half_a):
                toks = (dec & h).sum(axis=1) + (chunk * (has_chunk & h)).sum(axis=1)
                parts.append(rows_used(dec & h, has_chunk & h, toks, zero, iv))
            u_lm = rows_used(none, none, zero, logits, iv)
            phase = {
                name: [
                    sum((u[k] * tabs[k]).sum(axis=1) for k in tabs) / inter["blocks"] for u in parts
                ]
                for name, tabs in inter_tables.items()
            }
            t_iv = interleaved_latency(phase["pre"], phase["pim"], phase["post"], inter["blocks"])
            t_iv = t_iv + sum((u_lm[k] * T[k]).sum(axis=1) for k in T)
            step_t = np.where(iv, t_iv, step_t)
            for u in (*parts, u_lm):
                for k in use_step:
                    use_step[k] += u[k]
        busy += step_t
        for k in usage:
            usage[k] += use_step[k]
        if trace:
            for c in np.flatnonzero(run):
                records.append(
                    {
                        "config": int(c),
                        "step": int(steps[c]),
                        "start_s": float(clock[c]),
                        "duration_s": float(step_t[c]),
                        "decode_tokens": int(dec[c].sum()),
                        "prefill_tokens": int(chunk[c].sum()),
                        "prefill_requests": int(has_chunk[c].sum()),
                        "running": int(admitted[c].sum()),
                        "waiting": int((cand[c] & ~admitted[c]).sum()),
                    }
                )
        clock = clock + step_t
        steps += run
        batch_sum += (dec | has_chunk).sum(axis=1)
        # ---- advance the requests of the configurations that ran
        r = run[:, None]
        done_pf = done_pf + np.where(r, chunk, 0)
        first = r & completing
        gen = gen + dec + first
        t_first = np.where(first, clock[:, None], t_first)
        fin = r & (gen >= out_len[None, :]) & np.isnan(t_end)
        t_end = np.where(fin, clock[:, None], t_end)
        in_cache = admitted & r & ~fin
        kv_now = (-(-(done_pf + gen) // s.kv_block) * s.kv_block * in_cache).sum(axis=1)
        peak_kv = np.maximum(peak_kv, kv_now * kv_tok_bytes)
        if trace:
            for rec in records[len(records) - int(run.sum()) :]:
                rec["kv_bytes"] = float(kv_now[rec["config"]] * kv_tok_bytes)
    else:  # pragma: no cover - the bound is never reached: every step makes progress
        raise RuntimeError("serving simulation did not finish")
    tokens_out = float(out_len.sum())
    makespan = np.nanmax(t_end, axis=1) - arrival.min()
    ttft = t_first - arrival[None, :]
    multi = out_len > 1
    tpot = (t_end - t_first)[:, multi] / (out_len[multi] - 1)[None, :]
    return {
        "trace": records,
        "usage": usage,
        "makespan_s": makespan,
        "busy_s": busy,
        "tokens_per_s": tokens_out / makespan,
        "ttft_s": ttft.mean(axis=1),
        "ttft_p99_s": np.percentile(ttft, 99, axis=1),
        "tpot_s": tpot.mean(axis=1) if multi.any() else np.zeros(n),
        "tpot_p99_s": np.percentile(tpot, 99, axis=1) if multi.any() else np.zeros(n),
        "steps": steps,
        "mean_batch": batch_sum / np.maximum(steps, 1),
        "peak_kv_bytes": peak_kv,
        "output_tokens": np.full(n, tokens_out),
        "requests": np.full(n, float(R)),
        "ttft_each_s": ttft,
        "finish_s": t_end,
    }


def evaluate_serving(cost_fn: Any, configs: Any, wl: ServingWorkload, **kw: Any) -> Any:
    """``evaluate`` on a serving workload: the family's per-layer model on the tables, then
    the server (see the module docstring). ``per_layer``: one row per (configuration, layer
    group: ``step.qkv``, ``decode.attn_qk``, ``prefill.attn_av`` ...) summed over the run."""
    import pandas as pd

    from .common import derived_columns

    per_layer = kw.pop("per_layer", False)
    df = configs if isinstance(configs, pd.DataFrame) else pd.DataFrame(configs)
    if "batch" in df.columns:
        b = df["batch"].to_numpy(dtype=object)
        bad = [i for i, v in enumerate(b) if v is not None and v == v and v != 1]
        if bad:
            raise ConfigError(
                f"configs row {bad[0]}: batch must be 1 with a serving scenario (the server "
                f"forms the batches), not {b[bad[0]]!r}"
            )
    plain = Workload(name=wl.name, layers=wl.layers, source=wl.source)
    frame = cost_fn(configs, plain, per_layer=True, **kw)
    L = len(wl.layers)
    n = len(frame) // L
    numeric = [
        c for c in frame.columns if frame[c].dtype.kind in "fiu" and c not in ("config", "layers")
    ]
    arrays = {c: frame[c].to_numpy(dtype=np.float64).reshape(n, L) for c in numeric}
    const = [c for c in numeric if np.all(arrays[c] == arrays[c][:, :1])]
    additive = [c for c in numeric if c not in const and c not in _NOT_ADDITIVE]
    for c in ("latency_s", "energy_j"):
        if c not in arrays:
            raise ConfigError(f"this family's model reports no per-layer {c}")
        if c not in additive:
            additive.append(c)
    first = frame.iloc[::L].reset_index(drop=True)
    res = simulate(wl, arrays["latency_s"], inter=_interleave(first, arrays, wl))
    labels = [c for c in frame.columns if c not in numeric and c not in ("config", "layers")]
    varying = {
        c
        for c in labels
        if (frame[c].to_numpy().reshape(n, L) != frame[c].to_numpy()[::L, None]).any()
    }
    keep = [c for c in frame.columns if c in const or (c in labels and c not in varying)]
    keep = [c for c in keep if c not in _NOT_ADDITIVE | {"layer", "layer_kind"}]
    out = first[keep].copy()
    for c in frame.columns:  # flags: any layer; maxima: the largest layer; labels: joined
        if c in varying and frame[c].dtype.kind == "b":
            out[c] = frame[c].to_numpy().reshape(n, L).any(axis=1)
        elif c.startswith("max_") and c in arrays:
            out[c] = arrays[c].max(axis=1)
        elif c in varying and c not in ("layer", "layer_kind"):
            vals = frame[c].to_numpy().reshape(n, L)
            out[c] = ["+".join(sorted({str(v) for v in row})) for row in vals]
    # per-layer ratios (utilizations ...): weighted by time; SQNR: the worst layer
    ratios = [c for c in numeric if c in _NOT_ADDITIVE and c not in const and c not in _SHAPE]
    if per_layer:
        return _per_group(out, frame, wl, res, arrays, additive, ratios, varying)
    for c in additive:
        out[c] = usage_total(wl, res["usage"], arrays[c])
    _weighted(out, wl, res, arrays, ratios, np.ones(L, dtype=bool))
    if "freq_mhz" in out and "cycles" in out:
        out["busy_cycles"] = out["cycles"]
        out["cycles"] = res["makespan_s"] * out["freq_mhz"].to_numpy() * 1e6
        with contextlib.suppress(KeyError):  # a family without every derived input
            out = derived_columns(out)
    _ratios(out)
    out["latency_s"] = res["makespan_s"]
    out["power_w"] = out["energy_j"] / out["latency_s"]
    # columns only the family's totals have (e.g. simd's mix of formats): those of the
    # tables; found on one layer first, so the full model runs again only when needed
    tiny = Workload(name="probe", layers=wl.layers[:1])
    only = set(cost_fn(df.iloc[:1], tiny, per_layer=False, **kw).columns)
    only -= set(cost_fn(df.iloc[:1], tiny, per_layer=True, **kw).columns) | set(out.columns)
    only -= {"layers", *_SERVING_COLUMNS}
    if only:
        totals = cost_fn(configs, plain, per_layer=False, **kw)
        for c in sorted(only):
            out[c] = totals[c].to_numpy()
    for k in _SERVING_COLUMNS[:-1]:
        out[k] = res[k]
    out["energy_per_token_j"] = out["energy_j"] / res["output_tokens"]
    out["layers"] = L
    return pd.DataFrame(out)


_SERVING_COLUMNS = ("busy_s", "tokens_per_s", "ttft_s", "ttft_p99_s", "tpot_s", "tpot_p99_s",
                    "steps", "mean_batch", "peak_kv_bytes", "output_tokens", "requests",
                    "energy_per_token_j")  # fmt: skip


def serving_steps(family: str, configs: Any, workload: Any, **kw: Any) -> Any:
    """The batched steps the server runs for every configuration: a DataFrame with ``config``,
    ``step``, ``start_s``, ``duration_s``, ``decode_tokens``, ``prefill_tokens``,
    ``prefill_requests``, ``running``, ``waiting`` and ``kv_bytes`` (KV cache in use after
    the step). ``kw``: ``tech``, ``node_nm``, ``convention`` as for ``evaluate``."""
    import pandas as pd

    from ..core.registry import get_family
    from .tech import Tech
    from .workloads import load_workload

    wl = load_workload(workload)
    if not isinstance(wl, ServingWorkload):
        raise ConfigError(f"workload must be a serving scenario, not {wl.name!r}")
    tech = kw.pop("tech", None) or Tech.at_node(kw.pop("node_nm", 45))
    cost_fn = get_family(family).cost_model()
    plain = Workload(name=wl.name, layers=wl.layers, source=wl.source)
    frame = cost_fn(configs, plain, tech=tech, per_layer=True,
                    convention=kw.pop("convention", "rtl"))  # fmt: skip
    L = len(wl.layers)
    lat = frame["latency_s"].to_numpy(dtype=np.float64).reshape(-1, L)
    return pd.DataFrame(simulate(wl, lat, trace=True)["trace"])


#: per-layer ratios and shape descriptors that are not summed over a run
_NOT_ADDITIVE = {
    "utilization", "compute_utilization", "mapping_efficiency", "lane_utilization",
    "sqnr_db", "row_folds", "col_folds", "density_gain", "efficiency_gain", "tops",
    "tops_per_w", "tops_per_mm2", "power_w", "energy_per_mac_j", "max_layer_k", "M", "N",
    "K", "count", "groups", "segs", "weight_passes",
}  # fmt: skip
_SHAPE = {"M", "N", "K", "count", "max_layer_k", "row_folds", "col_folds", "groups", "segs"}


def _interleave(first: Any, arrays: dict[str, np.ndarray], wl: ServingWorkload) -> Any:
    """The ``inter`` argument of :func:`simulate` for NPU + PIM rows asking for NeuPIMs
    sub-batch interleaving (PIM layers between QKV and the rest: offload ``attention`` or
    ``kv_read``); None when no row does."""
    need = ("interleave", "npu_rows", "pim_offload")
    if not all(c in first for c in need) or "pim_seconds" not in arrays:
        return None
    use = (
        first["interleave"].to_numpy(dtype=bool)
        & (first["npu_rows"].to_numpy() > 0)
        & np.isin(first["pim_offload"].to_numpy().astype(str), ("attention", "kv_read"))
    )
    if not use.any():
        return None
    role = Workload(name=wl.name, layers=wl.layers).to_gemms()["role"]
    is_qkv, is_lm = role == "qkv", role == "lm_head"
    npu = arrays["npu_seconds"]
    return {
        "use": use,
        "blocks": wl.scenario.model.layers,
        "pre": npu * is_qkv,
        "pim": arrays["pim_seconds"] * ~is_lm,
        "post": npu * (~is_qkv & ~is_lm),
    }


def _weighted(out, wl, res, arrays, ratios, mask) -> None:
    """Ratio columns over a run: time-weighted means of the used layers (SQNR: the worst)."""
    lat = arrays["latency_s"] * mask
    t = usage_total(wl, res["usage"], lat)
    for c in ratios:
        if c == "sqnr_db":  # the worst layer, and the MAC-weighted mean noise (as simd does)
            out[c] = np.where(mask[None, :], arrays[c], np.inf).min(axis=1)
            lin = np.where(np.isinf(arrays[c]), 0.0, 10.0 ** (-arrays[c] / 10.0))
            macs = arrays["macs"] * mask
            noise = usage_total(wl, res["usage"], lin * macs) / usage_total(wl, res["usage"], macs)
            with np.errstate(divide="ignore"):
                out["sqnr_mean_db"] = -10.0 * np.log10(noise)
        else:
            out[c] = usage_total(wl, res["usage"], np.nan_to_num(arrays[c]) * lat) / t


def _per_group(out, frame, wl, res, arrays, additive, ratios, varying) -> Any:
    """Per (configuration, layer group) totals over the run (``step.qkv``, ``decode.attn_qk``
    ...): each group's figures summed with the run's table usage."""
    import pandas as pd

    names = [x.name for x in wl.layers]
    base = np.array([_base(x) for x in names], dtype=object)
    groups = list(dict.fromkeys(base))
    L = len(names)
    g_all = Workload(name=wl.name, layers=wl.layers).to_gemms()
    kinds = g_all["layer_kind"]
    count = np.broadcast_to(g_all["count"].astype(np.float64), arrays["latency_s"].shape)
    n = len(out)
    parts = []
    for g in groups:
        mask = base == g
        row = out.copy()
        row.insert(0, "config", np.arange(n))
        row["layer"] = g
        row["layer_kind"] = kinds[np.argmax(mask)]
        inst = usage_total(wl, res["usage"], count * mask)
        row["count"] = np.round(inst).astype(np.int64)
        for dim in ("M", "N", "K"):  # mean shape of the instances run
            x = count * g_all[dim][None, :] * mask
            row[dim] = np.round(usage_total(wl, res["usage"], x) / np.maximum(inst, 1e-300))
            row[dim] = row[dim].astype(np.int64)
        for c in additive:
            row[c] = usage_total(wl, res["usage"], arrays[c] * mask)
        for c in varying - {"layer", "layer_kind"}:  # labels of the group (e.g. PIM engine)
            row[c] = frame[c].to_numpy().reshape(n, L)[:, np.argmax(mask)]
        _weighted(row, wl, res, arrays, ratios, mask)
        _ratios(row)
        parts.append(row)
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values("config", kind="stable").reset_index(drop=True)


def _ratios(out: Any) -> None:
    """Recompute the ratio columns of the family models from their summed parts."""
    for col, (num, den) in {
        "mapping_efficiency": ("macs", "slots"),
        "compute_utilization": ("macs", "pe_cycles"),
    }.items():
        if num in out and den in out:
            out[col] = out[num] / out[den]
    if {"mac_area_compute_um2", "mac_compute_cycles", "area_compute_um2"} <= set(out):
        out["density_gain"] = (out["mac_area_compute_um2"] * out["mac_compute_cycles"]) / (
            out["area_compute_um2"] * out["compute_cycles"]
        )
    if "mac_energy_compute_j" in out and "energy_compute_j" in out:
        out["efficiency_gain"] = out["mac_energy_compute_j"] / out["energy_compute_j"]
    if "latency_s" in out and "energy_j" in out:
        out["power_w"] = out["energy_j"] / out["latency_s"]
    if "cycles" in out and "pes" in out and "macs" in out:
        out["utilization"] = out["macs"] / (out["pes"] * out["cycles"])


def _base(name: str) -> str:
    """``step.expert_up.t3`` -> ``step.expert_up``."""
    parts = name.split(".")
    return ".".join(parts[:2])
