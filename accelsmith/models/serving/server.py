"""The continuous-batching server, run for every configuration at once (lock-step).

Part of :mod:`accelsmith.models.serving` (see its docstring for the scheduler).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from ..pim import interleaved_latency
from .scenario import ServingWorkload, _reserve


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
    T = _step_tables(wl, latency)
    n = len(latency)
    R = len(s.arrival_s)
    st = _start(s, T, n)
    ctx = {
        "s": s,
        "tab": wl.tables,
        "cfg_idx": np.arange(n),
        "rows": np.broadcast_to(np.arange(n)[:, None], (n, R)),
        "reserve": _reserve(s)[None, :],
        "T": T,
        "inter": inter,
        "inter_use": (np.zeros(n, dtype=bool) if inter is None else np.asarray(inter["use"], bool)),
        "inter_tables": (
            {} if inter is None else {k: _step_tables(wl, inter[k]) for k in ("pre", "pim", "post")}
        ),
    }
    for _ in range(int(4 * (s.prompt_len.sum() + s.output_len.sum())) + 10):
        step = _schedule(ctx, st)
        if step is None:
            break
        if not step.run.any():
            continue
        use_step, step_t = _step_cost(ctx, st, step)
        _advance(ctx, st, step, use_step, step_t, trace)
    else:  # pragma: no cover - the bound is never reached: every step makes progress
        raise RuntimeError("serving simulation did not finish")
    return _metrics(s, st, n)


def _start(s: Any, T: dict[str, np.ndarray], n: int) -> SimpleNamespace:
    """The server's state before the first step: per (configuration, request) and per
    configuration."""
    R = len(s.arrival_s)
    return SimpleNamespace(
        done_pf=np.zeros((n, R), dtype=np.int64),
        gen=np.zeros((n, R), dtype=np.int64),
        t_first=np.full((n, R), np.nan),
        t_end=np.full((n, R), np.nan),
        clock=np.full(n, float(s.arrival_s.min())),
        usage={k: np.zeros_like(v) for k, v in T.items()},
        steps=np.zeros(n),
        batch_sum=np.zeros(n),
        peak_kv=np.zeros(n),
        records=[],
        busy=np.zeros(n),
    )


def _schedule(ctx: dict[str, Any], st: SimpleNamespace) -> SimpleNamespace | None:
    """Admission and the step's batch (decode tokens, prefill chunks) for every configuration;
    idle configurations jump to the next arrival. None when every request has finished."""
    s = ctx["s"]
    arrival, prompt, out_len = s.arrival_s, s.prompt_len, s.output_len
    done_pf, clock = st.done_pf, st.clock
    unfinished = st.gen < out_len[None, :]
    live = unfinished.any(axis=1)
    if not live.any():
        return None
    arrived = arrival[None, :] <= clock[:, None] + 1e-15
    cand = arrived & unfinished
    rank = np.cumsum(cand, axis=1)
    held = np.cumsum(cand * ctx["reserve"], axis=1)
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
        st.clock = np.where(idle & np.isfinite(nxt), nxt, clock)
    run = live & (tokens > 0)
    step = SimpleNamespace(run=run, cand=cand, admitted=admitted)
    if not run.any():
        return step
    step.completing = pf & (chunk == rem) & (chunk > 0)
    step.logits = n_dec + step.completing.sum(axis=1)
    step.has_chunk = (chunk > 0) & run[:, None]
    step.dec = dec & run[:, None]
    step.chunk, step.tokens = chunk, tokens
    return step


def _rows_used(ctx, st, where, sel_dec, sel_chunk, toks, logit_rows, on) -> dict[str, np.ndarray]:
    """Table usage of the requests ``sel_*`` (tokens ``toks``) on configs ``on``, at the table
    rows ``where`` (decode KV blocks, prefill interpolation corners)."""
    s, cfg_idx, rows = ctx["s"], ctx["cfg_idx"], ctx["rows"]
    u = {k: np.zeros_like(v) for k, v in st.usage.items()}
    w_on = on.astype(np.float64) * (toks > 0)
    d0, d1, dw = _interp_weights(ctx["tab"]["dense_grid"], np.maximum(toks, 1).astype(np.float64))
    np.add.at(u["dense"], (cfg_idx, d0), (1 - dw) * w_on)
    np.add.at(u["dense"], (cfg_idx, d1), dw * w_on)
    lm_on = on.astype(np.float64) * (logit_rows > 0)
    np.add.at(u["lm"], (cfg_idx, np.clip(logit_rows, 1, s.max_batch) - 1), lm_on)
    np.add.at(u["dec"], (rows, where["kb"]), (sel_dec & on[:, None]).astype(np.float64))
    hc = (sel_chunk & on[:, None]).astype(np.float64)
    for idx, w in where["corners"]:
        np.add.at(u["pf"], (rows, idx), w * hc)
    return u


def _table_rows(ctx: dict[str, Any], st: SimpleNamespace, step: SimpleNamespace) -> dict:
    """Which table rows the step uses: decode KV blocks, and the prefill chunks' bilinear
    interpolation corners with their weights."""
    s, tab = ctx["s"], ctx["tab"]
    Kn = len(tab["pf_kv"])
    keys = s.prompt_len[None, :] + st.gen  # keys a decode token attends (the cache + itself)
    kb = np.clip(-(-keys // s.kv_block) - 1, 0, len(tab["dec_kv"]) - 1)
    q0, q1, qw = _interp_weights(tab["pf_q"], step.chunk.astype(np.float64))
    k0, k1, kw = _interp_weights(tab["pf_kv"], (st.done_pf + step.chunk).astype(np.float64))
    corners = (
        (q0 * Kn + k0, (1 - qw) * (1 - kw)),
        (q0 * Kn + k1, (1 - qw) * kw),
        (q1 * Kn + k0, qw * (1 - kw)),
        (q1 * Kn + k1, qw * kw),
    )
    return {"kb": kb, "corners": corners}


def _step_cost(
    ctx: dict[str, Any], st: SimpleNamespace, step: SimpleNamespace
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The step's table usage and time per configuration (NeuPIMs sub-batches where asked)."""
    T, inter = ctx["T"], ctx["inter"]
    n, R = st.gen.shape
    where = _table_rows(ctx, st, step)
    dec, has_chunk, run = step.dec, step.has_chunk, step.run
    active = dec | has_chunk
    none = np.zeros((n, R), dtype=bool)
    zero = np.zeros(n, dtype=np.int64)
    iv = run & ctx["inter_use"] & (active.sum(axis=1) >= 2)
    use_step = _rows_used(ctx, st, where, dec, has_chunk, step.tokens, step.logits, run & ~iv)
    step_t = sum((use_step[k] * T[k]).sum(axis=1) for k in T)
    if iv.any():  # NeuPIMs sub-batches: alternate requests, NPU and PIM overlap
        half_a = active & (np.cumsum(active, axis=1) % 2 == 1)
        parts = []
        for h in (half_a, active & ~half_a):
            toks = (dec & h).sum(axis=1) + (step.chunk * (has_chunk & h)).sum(axis=1)
            parts.append(_rows_used(ctx, st, where, dec & h, has_chunk & h, toks, zero, iv))
        u_lm = _rows_used(ctx, st, where, none, none, zero, step.logits, iv)
        phase = {
            name: [sum((u[k] * tabs[k]).sum(axis=1) for k in tabs) / inter["blocks"] for u in parts]
            for name, tabs in ctx["inter_tables"].items()
        }
        t_iv = interleaved_latency(phase["pre"], phase["pim"], phase["post"], inter["blocks"])
        t_iv = t_iv + sum((u_lm[k] * T[k]).sum(axis=1) for k in T)
        step_t = np.where(iv, t_iv, step_t)
        for u in (*parts, u_lm):
            for k in use_step:
                use_step[k] += u[k]
    return use_step, step_t


def _advance(ctx, st, step, use_step, step_t, trace: bool) -> None:
    """Account the step (usage, time, trace records) and advance its requests."""
    s = ctx["s"]
    run, dec, chunk, has_chunk = step.run, step.dec, step.chunk, step.has_chunk
    admitted = step.admitted
    st.busy += step_t
    for k in st.usage:
        st.usage[k] += use_step[k]
    if trace:
        for c in np.flatnonzero(run):
            st.records.append(
                {
                    "config": int(c),
                    "step": int(st.steps[c]),
                    "start_s": float(st.clock[c]),
                    "duration_s": float(step_t[c]),
                    "decode_tokens": int(dec[c].sum()),
                    "prefill_tokens": int(chunk[c].sum()),
                    "prefill_requests": int(has_chunk[c].sum()),
                    "running": int(admitted[c].sum()),
                    "waiting": int((step.cand[c] & ~admitted[c]).sum()),
                }
            )
    st.clock = st.clock + step_t
    st.steps += run
    st.batch_sum += (dec | has_chunk).sum(axis=1)
    r = run[:, None]
    st.done_pf = st.done_pf + np.where(r, chunk, 0)
    first = r & step.completing
    st.gen = st.gen + dec + first
    st.t_first = np.where(first, st.clock[:, None], st.t_first)
    fin = r & (st.gen >= s.output_len[None, :]) & np.isnan(st.t_end)
    st.t_end = np.where(fin, st.clock[:, None], st.t_end)
    in_cache = admitted & r & ~fin
    kv_now = (-(-(st.done_pf + st.gen) // s.kv_block) * s.kv_block * in_cache).sum(axis=1)
    kv_tok_bytes = float(s.model.kv_bytes_per_token)
    st.peak_kv = np.maximum(st.peak_kv, kv_now * kv_tok_bytes)
    if trace:
        for rec in st.records[len(st.records) - int(run.sum()) :]:
            rec["kv_bytes"] = float(kv_now[rec["config"]] * kv_tok_bytes)


def _metrics(s: Any, st: SimpleNamespace, n: int) -> dict[str, Any]:
    """The serving metrics of a finished run (module docstring of the package)."""
    arrival, out_len = s.arrival_s, s.output_len
    t_end, t_first = st.t_end, st.t_first
    tokens_out = float(out_len.sum())
    makespan = np.nanmax(t_end, axis=1) - arrival.min()
    ttft = t_first - arrival[None, :]
    multi = out_len > 1
    tpot = (t_end - t_first)[:, multi] / (out_len[multi] - 1)[None, :]
    return {
        "trace": st.records,
        "usage": st.usage,
        "makespan_s": makespan,
        "busy_s": st.busy,
        "tokens_per_s": tokens_out / makespan,
        "ttft_s": ttft.mean(axis=1),
        "ttft_p99_s": np.percentile(ttft, 99, axis=1),
        "tpot_s": tpot.mean(axis=1) if multi.any() else np.zeros(n),
        "tpot_p99_s": np.percentile(tpot, 99, axis=1) if multi.any() else np.zeros(n),
        "steps": st.steps,
        "mean_batch": st.batch_sum / np.maximum(st.steps, 1),
        "peak_kv_bytes": st.peak_kv,
        "output_tokens": np.full(n, tokens_out),
        "requests": np.full(n, float(len(arrival))),
        "ttft_each_s": ttft,
        "finish_s": t_end,
    }
