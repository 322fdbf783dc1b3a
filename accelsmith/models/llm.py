"""LLM workloads from Hugging Face ``config.json`` files: GQA, MoE, KV cache, fused attention.

A decoder-only transformer is read from the standard Hugging Face keys (:func:`from_hf`) and
lowered to the GEMM/GEMV layers of :mod:`accelsmith.models.workloads` (:func:`llm_workload`),
one entry per distinct shape, repeats in ``count``. Every layer carries a ``layer_kind``:

``dense``      weight GEMMs shared by every token: fused QKV projection (``N = (heads + 2
               kv_heads) head_dim``: the K and V projections are at the KV-head count), output
               projection, the gated (SwiGLU) FFN, the LM head.
``attention``  ``Q K^T`` and ``softmax(.) V`` over keys computed in the same pass (a prefill
               with no earlier context).
``kv_read``    the same two products for one new token per request (decode): GEMV-like
               products (rows: the GQA group) whose ``B`` operand is the request's KV cache,
               so their DRAM reads grow with the context. (A prefill chunk after earlier
               context also reads cached keys but is GEMM-like: ``attention``.)
``router``     the MoE gate ``tokens x hidden -> experts``.
``expert``     the FFN GEMMs of one mixture-of-experts expert, with ``M`` = the tokens that
               expert receives; experts that receive no token are not run (their weights are
               not read).

Grouped-query attention
    The ``G = heads / kv_heads`` query heads sharing one KV head are stacked into the rows of
    one product (``M = G x new tokens``, ``count = blocks x kv_heads x batch``), so each KV head's
    keys and values are read once per request, as GQA kernels do. With ``G = 1`` and one token
    this is the one-GEMV-per-head form of the Llama-2 decode built-in.
Mixture of experts
    ``T`` tokens each pick ``k`` distinct experts (``num_experts_per_tok``). The expected
    tokens per expert are ``T k p_e`` for routing probabilities ``p`` (uniform, Zipf with a
    skew exponent, or given), capped at ``T`` (a token picks an expert at most once, the excess
    goes to the others), then rounded to integers summing to ``T k`` by largest remainder
    (ties to the lower expert index): deterministic, and a single decode token touches exactly
    ``k`` experts.
Fused attention (``attention="fused"``, FlashAttention / FuseMax style)
    The score matrix stays on chip: ``attn_qk`` writes no result to DRAM (``write_c=False``)
    and ``attn_av`` reads no ``A`` operand from DRAM (``read_a=False``). Unfused, the scores
    are written once and read back once. The MACs are the same; only DRAM traffic differs.
Conventions
    Causal masking is not exploited (the whole ``new x keys`` rectangle is computed); softmax,
    norms, rotary embeddings and activations are not GEMMs and are left out; the LM head
    computes logits for the last new token of each request. Bytes are at 16 bits per element.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import ConfigError
from .workloads import GEMM, GEMV, Layer, Workload

__all__ = [
    "ATTENTION_MODES",
    "HF_BUILTINS",
    "PHASES",
    "LLMConfig",
    "builtin_config",
    "expert_tokens",
    "from_hf",
    "llm_workload",
    "param_count",
    "routing_weights",
    "shipped_sources",
]

PHASES = ("prefill", "decode")
ATTENTION_MODES = ("unfused", "fused")
#: bytes per element of weights, activations and the KV cache (FP16 / BF16 serving)
ELEM_BYTES = 2
_DIR = Path(__file__).with_name("hf_configs")
#: names of the shipped configs (``accelsmith/models/hf_configs/<name>/config.json``)
HF_BUILTINS = ("llama3-8b", "mistral-7b", "mixtral-8x7b", "qwen2.5-0.5b", "phi-3-mini")


@dataclasses.dataclass(frozen=True, kw_only=True)
class LLMConfig:
    """Shapes of a decoder-only transformer (the Hugging Face config keys in brackets).

    Parameters
    ----------
    name : str
        Model name (the built-in name or the config file's directory).
    hidden : int
        Model width [``hidden_size``].
    layers : int
        Transformer blocks [``num_hidden_layers``].
    heads, kv_heads : int
        Query heads [``num_attention_heads``] and KV heads [``num_key_value_heads``, default
        ``heads``]; ``kv_heads`` divides ``heads``.
    head_dim : int
        Per-head width [``head_dim``, default ``hidden / heads``].
    intermediate : int
        FFN width of the dense FFN or of each expert [``intermediate_size``, or
        ``moe_intermediate_size`` for experts when present].
    vocab : int
        Vocabulary [``vocab_size``].
    experts, experts_per_tok : int
        Experts per MoE layer and experts each token uses [``num_local_experts`` or
        ``num_experts``; ``num_experts_per_tok``]; 0 for a dense model.
    tied : bool
        LM head shares the embedding matrix [``tie_word_embeddings``, default false].
    qkv_bias : bool
        Q, K, V projections have biases (Qwen2 always; others ``attention_bias``).
    source : str
        Where the config came from.
    """

    name: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    experts: int = 0
    experts_per_tok: int = 0
    tied: bool = False
    qkv_bias: bool = False
    source: str = ""

    @property
    def group(self) -> int:
        """Query heads per KV head (GQA group size; 1 for multi-head attention)."""
        return self.heads // self.kv_heads

    @property
    def kv_bytes_per_token(self) -> int:
        """KV-cache bytes one token adds (K and V of every block and KV head, 16-bit)."""
        return 2 * self.layers * self.kv_heads * self.head_dim * ELEM_BYTES


def _where(path: Any) -> str:
    return f"config {Path(path).name}" if not isinstance(path, Mapping) else "config"


def _pos_int(where: str, data: Mapping[str, Any], key: str, default: Any = None) -> int:
    if key not in data or data[key] is None:
        if default is None:
            raise ConfigError(f"{where}: missing key {key!r} (a positive integer)")
        return int(default)
    v = data[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ConfigError(f"{where}: {key} must be a positive integer, not {v!r}")
    return v


def from_hf(config: str | Path | Mapping[str, Any], *, name: str | None = None) -> LLMConfig:
    """An :class:`LLMConfig` from a Hugging Face ``config.json`` (a path or its mapping).

    Raises
    ------
    ConfigError
        Missing file, invalid JSON, or a missing or malformed key (the message names it).
    """
    where = _where(config)
    if isinstance(config, Mapping):
        data, source = dict(config), "mapping"
    else:
        path = Path(config)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {str(path)!r} does not exist") from None
        except OSError as exc:
            raise ConfigError(f"{where} cannot be read: {exc.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where} is not valid JSON: {exc}") from None
        source = str(path)
        if name is None:
            name = path.parent.name if path.name == "config.json" else path.stem
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must hold a JSON object of config keys")
    hidden = _pos_int(where, data, "hidden_size")
    layers = _pos_int(where, data, "num_hidden_layers")
    heads = _pos_int(where, data, "num_attention_heads")
    kv = _pos_int(where, data, "num_key_value_heads", heads)
    if heads % kv:
        raise ConfigError(
            f"{where}: num_key_value_heads must divide num_attention_heads ({heads}), not {kv}"
        )
    if "head_dim" in data and data["head_dim"] is not None:
        head_dim = _pos_int(where, data, "head_dim")
    elif hidden % heads:
        raise ConfigError(
            f"{where}: hidden_size ({hidden}) must be a multiple of num_attention_heads "
            f"({heads}) when head_dim is absent"
        )
    else:
        head_dim = hidden // heads
    vocab = _pos_int(where, data, "vocab_size")
    ekey = "num_local_experts" if "num_local_experts" in data else "num_experts"
    experts = _pos_int(where, data, ekey, 0) if data.get(ekey) not in (None, 0) else 0
    per_tok = 0
    if experts:
        per_tok = _pos_int(where, data, "num_experts_per_tok")
        if per_tok > experts:
            raise ConfigError(
                f"{where}: num_experts_per_tok must be at most {ekey} ({experts}), not {per_tok}"
            )
    inter_key = "moe_intermediate_size" if experts and "moe_intermediate_size" in data else None
    inter = _pos_int(where, data, inter_key or "intermediate_size")
    tied = data.get("tie_word_embeddings", False)
    if not isinstance(tied, bool):
        raise ConfigError(f"{where}: tie_word_embeddings must be true or false, not {tied!r}")
    bias = data.get("attention_bias", False)
    if not isinstance(bias, bool):
        raise ConfigError(f"{where}: attention_bias must be true or false, not {bias!r}")
    return LLMConfig(
        name=name or "hf-model",
        hidden=hidden,
        layers=layers,
        heads=heads,
        kv_heads=kv,
        head_dim=head_dim,
        intermediate=inter,
        vocab=vocab,
        experts=experts,
        experts_per_tok=per_tok,
        tied=tied,
        qkv_bias=bias or data.get("model_type") == "qwen2",
        source=source,
    )


@cache
def shipped_sources() -> dict[str, dict[str, Any]]:
    """Provenance of the shipped configs (``hf_configs/sources.yaml``)."""
    import yaml

    return yaml.safe_load((_DIR / "sources.yaml").read_text())


@cache
def builtin_config(name: str) -> LLMConfig:
    """The shipped config ``name`` (one of :data:`HF_BUILTINS`)."""
    if name not in HF_BUILTINS:
        raise ConfigError(f"model must be one of {', '.join(HF_BUILTINS)}, not {name!r}")
    cfg = from_hf(_DIR / name / "config.json", name=name)
    src = shipped_sources()[name]
    return dataclasses.replace(cfg, source=f"Hugging Face {src['repository']} config.json")


def param_count(cfg: LLMConfig, *, active: bool = False) -> int:
    """Parameters derived from the shapes (embeddings, projections, FFN/experts, router,
    RMSNorm weights, QKV biases, untied LM head); ``active``: the experts one token uses."""
    h, d = cfg.hidden, cfg.head_dim
    q, kv = cfg.heads * d, cfg.kv_heads * d
    attn = h * (q + 2 * kv) + q * h + (q + 2 * kv if cfg.qkv_bias else 0)
    ffn = 3 * h * cfg.intermediate  # gate, up, down (SwiGLU)
    if cfg.experts:
        n = cfg.experts_per_tok if active else cfg.experts
        ffn = n * ffn + h * cfg.experts
    block = attn + ffn + 2 * h  # two RMSNorm weight vectors
    embed = cfg.vocab * h
    return cfg.layers * block + embed * (1 if cfg.tied else 2) + h


def routing_weights(routing: Any, experts: int) -> np.ndarray:
    """Routing probabilities per expert: ``"uniform"``, ``"zipf:S"`` (``p_e ~ (e + 1)^-S``)
    or a sequence of ``experts`` non-negative weights (normalised)."""
    if isinstance(routing, str):
        text = routing.strip().lower()
        if text == "uniform":
            return np.full(experts, 1.0 / experts)
        if text.startswith("zipf:"):
            try:
                s = float(text[5:])
            except ValueError:
                s = -1.0
            if not np.isfinite(s) or s < 0:
                raise ConfigError(f"routing zipf exponent must be a number >= 0, not {text[5:]!r}")
            w = (np.arange(experts) + 1.0) ** -s
            return w / w.sum()
        parts = text.split(",")
        if len(parts) > 1:
            try:
                routing = [float(p) for p in parts]
            except ValueError:
                routing = None
        else:
            routing = None
        if routing is None:
            raise ConfigError(
                f"routing must be 'uniform', 'zipf:S' or {experts} comma-separated weights, "
                f"not {text!r}"
            )
    try:
        w = np.asarray(routing, dtype=np.float64)
    except (TypeError, ValueError):
        w = None
    if w is None or w.ndim > 1:
        raise ConfigError(
            f"routing must be 'uniform', 'zipf:S' or a list of {experts} non-negative weights, "
            f"not {routing!r}"
        )
    w = w.reshape(-1)
    if len(w) != experts or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(
            f"routing must list {experts} non-negative weights (not all zero), not {w.tolist()}"
        )
    return w / w.sum()


def expert_tokens(tokens: int, experts: int, per_tok: int, routing: Any = "uniform") -> np.ndarray:
    """Tokens each expert receives when ``tokens`` tokens each pick ``per_tok`` experts
    (see the module docstring: capped expectation, largest-remainder rounding)."""
    p = routing_weights(routing, experts)
    total = tokens * per_tok
    x = total * p
    capped = np.zeros(experts, dtype=bool)
    for _ in range(experts):  # water-filling: at most `experts` rounds
        over = (x > tokens) & ~capped
        if not over.any():
            break
        capped |= over
        x[capped] = tokens
        free = ~capped
        rest = total - tokens * capped.sum()
        x[free] = rest * p[free] / p[free].sum() if p[free].sum() > 0 else rest / free.sum()
    base = np.minimum(np.floor(x + 1e-9), tokens).astype(np.int64)
    left = total - int(base.sum())
    frac = np.where(base < tokens, x - base, -1.0)
    order = np.lexsort((np.arange(experts), -frac))  # largest remainder, lower index first
    base[order[:left]] += 1
    return base


def _layer(name: str, m: int, n: int, k: int, count: int, role: str, kind: str, **kw) -> Layer:
    if m == 1:
        return GEMV(name=name, N=n, K=k, count=count, role=role, layer_kind=kind, **kw)
    return GEMM(name=name, M=m, N=n, K=k, count=count, role=role, layer_kind=kind, **kw)


def _check_choice(field: str, value: Any, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ConfigError(f"{field} must be one of {', '.join(allowed)}, not {value!r}")


def llm_layers(
    cfg: LLMConfig,
    *,
    tokens: int,
    kv_len: int,
    batch: int = 1,
    attention: str = "unfused",
    routing: Any = "uniform",
    logits: int | None = None,
) -> list[Layer]:
    """Layers of one forward step: ``batch`` requests with ``tokens`` new tokens each and
    ``kv_len`` keys attended (earlier context + the new tokens); ``logits`` LM-head rows
    (default ``batch``: the last new token of each request)."""
    for field, v in (("tokens", tokens), ("kv_len", kv_len), ("batch", batch)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ConfigError(f"{field} must be an integer >= 1, not {v!r}")
    if kv_len < tokens:
        raise ConfigError(f"kv_len must be at least the new tokens ({tokens}), not {kv_len}")
    _check_choice("attention", attention, ATTENTION_MODES)
    L, h, d, g = cfg.layers, cfg.hidden, cfg.head_dim, cfg.group
    t = tokens * batch
    attn_kind = "kv_read" if tokens == 1 else "attention"
    fused = attention == "fused"
    heads = L * cfg.kv_heads * batch
    layers: list[Layer] = [
        _layer("qkv", t, (cfg.heads + 2 * cfg.kv_heads) * d, h, L, "qkv", "dense"),
        _layer("attn_qk", g * tokens, kv_len, d, heads, "attn_qk", attn_kind, write_c=not fused),
        _layer("attn_av", g * tokens, d, kv_len, heads, "attn_av", attn_kind, read_a=not fused),
        _layer("out_proj", t, h, cfg.heads * d, L, "out_proj", "dense"),
    ]
    f = cfg.intermediate
    if not cfg.experts:
        layers += [
            _layer("ffn_gate", t, f, h, L, "ffn_gate", "dense"),
            _layer("ffn_up", t, f, h, L, "ffn_up", "dense"),
            _layer("ffn_down", t, h, f, L, "ffn_down", "dense"),
        ]
    else:
        layers.append(_layer("router", t, cfg.experts, h, L, "router", "router"))
        per = expert_tokens(t, cfg.experts, cfg.experts_per_tok, routing)
        values, counts = np.unique(per[per > 0], return_counts=True)
        for m, c in zip(values[::-1].tolist(), counts[::-1].tolist(), strict=True):
            tag = f".t{m}" if len(values) > 1 else ""
            layers += [
                _layer(f"expert_gate{tag}", m, f, h, L * c, "ffn_gate", "expert"),
                _layer(f"expert_up{tag}", m, f, h, L * c, "ffn_up", "expert"),
                _layer(f"expert_down{tag}", m, h, f, L * c, "ffn_down", "expert"),
            ]
    layers.append(_layer("lm_head", batch if logits is None else logits, cfg.vocab, h, 1,
                         "lm_head", "dense"))  # fmt: skip
    return layers


def llm_workload(
    cfg: LLMConfig | str | Path,
    *,
    phase: str = "decode",
    seq_len: int = 2048,
    batch: int = 1,
    kv_len: int | None = None,
    attention: str = "unfused",
    routing: Any = "uniform",
    name: str | None = None,
) -> Workload:
    """The workload of one prefill or decode step of ``batch`` requests.

    Parameters
    ----------
    cfg : LLMConfig, built-in model name or path to a ``config.json``
        The model.
    phase : {"prefill", "decode"}
        ``prefill``: ``seq_len`` new tokens per request; ``decode``: one new token per request.
    seq_len : int
        Prompt length (prefill) and default context.
    batch : int
        Requests in the step (each with its own KV cache).
    kv_len : int, optional
        Keys attended per request (default ``seq_len``): the KV-cache length in decode;
        in prefill, more than ``seq_len`` means a chunk after earlier cached context.
    attention : {"unfused", "fused"}
        Whether the attention scores go to DRAM (module docstring).
    routing : str or sequence
        MoE routing: ``"uniform"``, ``"zipf:S"`` or per-expert weights.
    """
    if not isinstance(cfg, LLMConfig):
        cfg = builtin_config(cfg) if str(cfg) in HF_BUILTINS else from_hf(cfg)
    _check_choice("phase", phase, PHASES)
    for field, v in (("seq_len", seq_len), ("batch", batch)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ConfigError(f"{field} must be an integer >= 1, not {v!r}")
    kv = seq_len if kv_len is None else kv_len
    tokens = seq_len if phase == "prefill" else 1
    layers = llm_layers(
        cfg, tokens=tokens, kv_len=kv, batch=batch, attention=attention, routing=routing
    )
    what = f"prefill of {seq_len} tokens" if phase == "prefill" else f"decode, KV cache {kv}"
    extra = f", batch {batch}" if batch > 1 else ""
    extra += ", fused attention" if attention == "fused" else ""
    return Workload(
        name=name or f"{cfg.name}-{phase}",
        layers=tuple(layers),
        description=f"{cfg.name} {what}{extra}",
        source=cfg.source,
        kv_bytes_per_token=cfg.kv_bytes_per_token,
        requests=batch,
    )
