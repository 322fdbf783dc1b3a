"""Built-in workloads with the real layer shapes of published networks (batch 1, inference).

=====================  ======================================================================
name                   network and source of the shapes
=====================  ======================================================================
``resnet50``           ResNet-50 v1.5 on 224x224 ImageNet (He et al., CVPR 2016, Table 1;
                       torchvision ``resnet50``: the stride-2 is on the 3x3 conv of each
                       stage's first bottleneck). 53 convolutions + the 2048x1000 classifier.
``mobilenetv2``        MobileNetV2 1.0 on 224x224 (Sandler et al., CVPR 2018, Table 2;
                       torchvision ``mobilenet_v2``): stem, 17 inverted residual blocks
                       (expand 1x1, depthwise 3x3, project 1x1), the 1x1 to 1280 and the
                       classifier.
``bert-base-128/512``  BERT-base encoder (Devlin et al., NAACL 2019: 12 layers, hidden 768,
                       12 heads of 64, FFN 3072) over 128 / 512 tokens. Task heads excluded.
``gpt2-small``         GPT-2 small (Radford et al. 2019; HF ``gpt2`` config: 12 layers, 768,
                       12 heads, FFN 3072, vocabulary 50257) over its full 1024-token context,
                       logits at every position (the scoring / training-forward view).
``llama2-7b-prefill``  Llama-2-7B (Touvron et al. 2023; HF ``Llama-2-7b-hf`` config: 32
                       layers, hidden 4096, 32 heads of 128, SwiGLU FFN 11008, vocabulary
                       32000) on a 2048-token prompt; logits for the last position only.
``llama2-7b-decode``   The same model generating one token with 2048 tokens in the KV cache:
                       every layer is a GEMV; attention is one GEMV per head (``count``).
``<model>-prefill``    The shipped Hugging Face configs of :mod:`accelsmith.models.llm`
``<model>-decode``     (``llama3-8b``, ``mistral-7b``, ``mixtral-8x7b``, ``qwen2.5-0.5b``,
                       ``phi-3-mini``; sources in ``hf_configs/sources.yaml``): prefill of a
                       2048-token prompt, and decode of one token with 2048 tokens in the KV
                       cache, batch 1, unfused attention, uniform MoE routing; GQA, MoE
                       and KV-cache reads as :mod:`accelsmith.models.llm` describes.
=====================  ======================================================================

Transformer conventions: Q, K and V projections are fused into one ``qkv`` GEMM (``N =
3 x hidden``); attention scores ``Q K^T`` (``attn_qk``: ``M = tokens``, ``N = keys``, ``K =
head dim``) and ``softmax(.) V`` (``attn_av``: ``N = head dim``, ``K = keys``) are counted
per head and per layer through ``count``; causal masking is not exploited (the full square is
computed, as on a plain GEMM engine). Softmax, normalisation, activations, pooling and
embeddings are not GEMMs and are not included.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from ..core.errors import ConfigError
from .workloads import GEMM, GEMV, Conv, Layer, Workload

__all__ = ["builtin", "builtin_names"]


def _resnet50() -> list[Layer]:
    layers: list[Layer] = [
        Conv(
            name="conv1",
            in_h=224,
            in_w=224,
            in_ch=3,
            out_ch=64,
            kernel_h=7,
            kernel_w=7,
            stride_h=2,
            stride_w=2,
            pad_h=3,
            pad_w=3,
        )
    ]
    size, cin = 56, 64  # after the 3x3/2 max-pool
    for stage, (width, blocks, stride) in enumerate(
        ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)), start=1
    ):
        for b in range(blocks):
            s = stride if b == 0 else 1
            out = size // s
            p = f"layer{stage}.{b}."
            layers += [
                Conv(
                    name=p + "conv1",
                    in_h=size,
                    in_w=size,
                    in_ch=cin,
                    out_ch=width,
                    kernel_h=1,
                    kernel_w=1,
                ),
                Conv(
                    name=p + "conv2",
                    in_h=size,
                    in_w=size,
                    in_ch=width,
                    out_ch=width,
                    kernel_h=3,
                    kernel_w=3,
                    stride_h=s,
                    stride_w=s,
                    pad_h=1,
                    pad_w=1,
                ),
                Conv(
                    name=p + "conv3",
                    in_h=out,
                    in_w=out,
                    in_ch=width,
                    out_ch=4 * width,
                    kernel_h=1,
                    kernel_w=1,
                ),
            ]
            if b == 0:
                layers.append(
                    Conv(
                        name=p + "downsample",
                        in_h=size,
                        in_w=size,
                        in_ch=cin,
                        out_ch=4 * width,
                        kernel_h=1,
                        kernel_w=1,
                        stride_h=s,
                        stride_w=s,
                    )
                )
            size, cin = out, 4 * width
    layers.append(GEMV(name="fc", N=1000, K=2048))
    return layers


def _mobilenetv2() -> list[Layer]:
    layers: list[Layer] = [
        Conv(
            name="features.0",
            in_h=224,
            in_w=224,
            in_ch=3,
            out_ch=32,
            kernel_h=3,
            kernel_w=3,
            stride_h=2,
            stride_w=2,
            pad_h=1,
            pad_w=1,
        )
    ]
    size, cin, idx = 112, 32, 1
    # (expansion t, output channels c, repeats n, first stride s): Sandler et al., Table 2
    for t, c, n, s in (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    ):
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            out = (size + 2 - 3) // stride + 1
            p = f"features.{idx}."
            if t != 1:
                layers.append(
                    Conv(
                        name=p + "expand",
                        in_h=size,
                        in_w=size,
                        in_ch=cin,
                        out_ch=hidden,
                        kernel_h=1,
                        kernel_w=1,
                    )
                )
            layers += [
                Conv(
                    name=p + "depthwise",
                    in_h=size,
                    in_w=size,
                    in_ch=hidden,
                    out_ch=hidden,
                    kernel_h=3,
                    kernel_w=3,
                    stride_h=stride,
                    stride_w=stride,
                    pad_h=1,
                    pad_w=1,
                    groups=hidden,
                ),
                Conv(
                    name=p + "project",
                    in_h=out,
                    in_w=out,
                    in_ch=hidden,
                    out_ch=c,
                    kernel_h=1,
                    kernel_w=1,
                ),
            ]
            size, cin, idx = out, c, idx + 1
    layers += [
        Conv(
            name=f"features.{idx}",
            in_h=size,
            in_w=size,
            in_ch=cin,
            out_ch=1280,
            kernel_h=1,
            kernel_w=1,
        ),
        GEMV(name="classifier", N=1000, K=1280),
    ]
    return layers


def _encoder(
    tokens: int, hidden: int, heads: int, ffn: int, blocks: int, *, gated: bool = False
) -> list[Layer]:
    """One transformer block's GEMMs repeated ``blocks`` times (prefill / encoder view)."""
    d = hidden // heads
    layers: list[Layer] = [
        GEMM(name="qkv", M=tokens, N=3 * hidden, K=hidden, count=blocks, role="qkv"),
        GEMM(name="attn_qk", M=tokens, N=tokens, K=d, count=blocks * heads, role="attn_qk"),
        GEMM(name="attn_av", M=tokens, N=d, K=tokens, count=blocks * heads, role="attn_av"),
        GEMM(name="out_proj", M=tokens, N=hidden, K=hidden, count=blocks, role="out_proj"),
    ]
    if gated:
        layers.append(
            GEMM(name="ffn_gate", M=tokens, N=ffn, K=hidden, count=blocks, role="ffn_gate")
        )
    layers += [
        GEMM(name="ffn_up", M=tokens, N=ffn, K=hidden, count=blocks, role="ffn_up"),
        GEMM(name="ffn_down", M=tokens, N=hidden, K=ffn, count=blocks, role="ffn_down"),
    ]
    return layers


# Llama-2-7B (HF meta-llama/Llama-2-7b-hf config.json): hidden 4096, 32 heads (no GQA at 7B),
# intermediate 11008, 32 layers, vocabulary 32000.
_LLAMA = {"hidden": 4096, "heads": 32, "ffn": 11008, "blocks": 32}
_LLAMA_VOCAB = 32000


def _llama_decode(kv: int = 2048) -> list[Layer]:
    h, heads, ffn, blocks = (_LLAMA[k] for k in ("hidden", "heads", "ffn", "blocks"))
    d = h // heads
    return [
        GEMV(name="qkv", N=3 * h, K=h, count=blocks, role="qkv"),
        GEMV(name="attn_qk", N=kv, K=d, count=blocks * heads, role="attn_qk", layer_kind="kv_read"),
        GEMV(name="attn_av", N=d, K=kv, count=blocks * heads, role="attn_av", layer_kind="kv_read"),
        GEMV(name="out_proj", N=h, K=h, count=blocks, role="out_proj"),
        GEMV(name="ffn_gate", N=ffn, K=h, count=blocks, role="ffn_gate"),
        GEMV(name="ffn_up", N=ffn, K=h, count=blocks, role="ffn_up"),
        GEMV(name="ffn_down", N=h, K=ffn, count=blocks, role="ffn_down"),
        GEMV(name="lm_head", N=_LLAMA_VOCAB, K=h, role="lm_head"),
    ]


_BUILTINS: dict[str, tuple[Callable[[], list[Layer]], str, str]] = {
    "resnet50": (
        _resnet50,
        "ResNet-50 v1.5, 224x224 ImageNet, batch 1",
        "He et al., CVPR 2016, Table 1; torchvision resnet50 (v1.5 strides)",
    ),
    "mobilenetv2": (
        _mobilenetv2,
        "MobileNetV2 1.0, 224x224 ImageNet, batch 1 (depthwise as per-channel GEMMs)",
        "Sandler et al., CVPR 2018, Table 2; torchvision mobilenet_v2",
    ),
    "bert-base-128": (
        lambda: _encoder(128, 768, 12, 3072, 12),
        "BERT-base encoder, 128 tokens",
        "Devlin et al., NAACL 2019 (L=12, H=768, A=12, FFN 3072)",
    ),
    "bert-base-512": (
        lambda: _encoder(512, 768, 12, 3072, 12),
        "BERT-base encoder, 512 tokens",
        "Devlin et al., NAACL 2019 (L=12, H=768, A=12, FFN 3072)",
    ),
    "gpt2-small": (
        lambda: [
            *_encoder(1024, 768, 12, 3072, 12),
            GEMM(name="lm_head", M=1024, N=50257, K=768, role="lm_head"),
        ],
        "GPT-2 small, 1024-token forward pass, logits at every position",
        "Radford et al. 2019; HF gpt2 config (12 layers, 768, 12 heads, vocab 50257)",
    ),
    "llama2-7b-prefill": (
        lambda: [
            *_encoder(2048, 4096, 32, 11008, 32, gated=True),
            GEMV(name="lm_head", N=_LLAMA_VOCAB, K=4096, role="lm_head"),
        ],
        "Llama-2-7B prefill of a 2048-token prompt (next-token logits)",
        "Touvron et al. 2023; HF Llama-2-7b-hf config (32 layers, 4096, 32 heads, FFN 11008)",
    ),
    "llama2-7b-decode": (
        _llama_decode,
        "Llama-2-7B decode of one token, KV cache of 2048 (GEMVs)",
        "Touvron et al. 2023; HF Llama-2-7b-hf config (32 layers, 4096, 32 heads, FFN 11008)",
    ),
}


#: KV-cache bytes per token (16-bit K and V of every block): GPT-2 small 2 x 12 x 768,
#: Llama-2-7B 2 x 32 x 4096; BERT is an encoder (no cache), CNNs have none
_KV_BYTES = {"gpt2-small": 2 * 12 * 768 * 2, "llama2-7b-prefill": 2 * 32 * 4096 * 2,
             "llama2-7b-decode": 2 * 32 * 4096 * 2}  # fmt: skip


def _llm_names() -> tuple[str, ...]:
    from .llm import HF_BUILTINS, PHASES

    return tuple(f"{m}-{p}" for m in HF_BUILTINS for p in PHASES)


def builtin_names() -> tuple[str, ...]:
    """Names of the built-in workloads."""
    return (*_BUILTINS, *_llm_names())


@cache
def builtin(name: str) -> Workload:
    """The built-in workload ``name`` (see the module docstring)."""
    if name in _llm_names():
        from .llm import llm_workload

        model, phase = name.rsplit("-", 1)
        return llm_workload(model, phase=phase, seq_len=2048, name=name)
    if name not in _BUILTINS:
        raise ConfigError(
            f"workload must be one of {', '.join(map(repr, builtin_names()))}, not {name!r}"
        )
    build, description, source = _BUILTINS[name]
    return Workload(
        name=name,
        layers=tuple(build()),
        description=description,
        source=source,
        kv_bytes_per_token=_KV_BYTES.get(name, 0),
    )
