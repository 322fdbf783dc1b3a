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

from .costing import evaluate_serving, serving_steps
from .scenario import (
    Scenario,
    ServingWorkload,
    load_serving,
    parse_scenario,
    requests_of,
    serving_workload,
)
from .server import simulate, usage_total

__all__ = [
    "Scenario",
    "ServingWorkload",
    "evaluate_serving",
    "load_serving",
    "parse_scenario",
    "requests_of",
    "serving_steps",
    "serving_workload",
    "simulate",
    "usage_total",
]
