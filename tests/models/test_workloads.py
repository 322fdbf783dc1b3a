"""Workloads: lowering rules worked by hand, built-in shapes, loaders and their errors."""

import numpy as np
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.models.networks import builtin_names
from accelsmith.models.workloads import GEMM, GEMV, Conv, Workload, load_workload


def test_conv_lowering_by_hand():
    # 56x56x64 -> 128 filters 3x3, stride 2, pad 1: out = (56 + 2 - 3) // 2 + 1 = 28,
    # M = 28*28 = 784, N = 128, K = 64*3*3 = 576
    c = Conv(
        name="c",
        in_h=56,
        in_w=56,
        in_ch=64,
        out_ch=128,
        kernel_h=3,
        kernel_w=3,
        stride_h=2,
        stride_w=2,
        pad_h=1,
        pad_w=1,
    )
    assert (c.out_h, c.out_w) == (28, 28)
    assert c.gemm() == (784, 128, 576, 1)
    # a buffer fetches the 56*56*64 = 200,704 input elements once, not the 784*576 im2col copies
    assert c.ifmap_elems == 200_704


def test_conv_rectangular_dilated_batched():
    # 10x7 input, 3x2 kernel, dilation (2, 1): spans 5 and 2; out_h = (10 - 5)//1 + 1 = 6,
    # out_w = (7 + 2*1 - 2)//2 + 1 = 4; batch 3: M = 3*6*4 = 72; K = 5*3*2 = 30
    c = Conv(
        name="c",
        in_h=10,
        in_w=7,
        in_ch=5,
        out_ch=9,
        kernel_h=3,
        kernel_w=2,
        stride_w=2,
        pad_w=1,
        dil_h=2,
        batch=3,
    )
    assert c.gemm() == (72, 9, 30, 1)


def test_depthwise_and_grouped():
    # depthwise 3x3 on 112x112x32, stride 1, pad 1: 32 GEMMs of M = 12544, N = 1, K = 9
    dw = Conv(
        name="dw",
        in_h=112,
        in_w=112,
        in_ch=32,
        out_ch=32,
        kernel_h=3,
        kernel_w=3,
        pad_h=1,
        pad_w=1,
        groups=32,
    )
    assert dw.gemm() == (12544, 1, 9, 32)
    # grouped: 8 groups of 16 -> 32 channels, 1x1: N = 32/8 = 4, K = 16/8 = 2, count 8 x 2 repeats
    g = Conv(
        name="g", in_h=4, in_w=4, in_ch=16, out_ch=32, kernel_h=1, kernel_w=1, groups=8, count=2
    )
    assert g.gemm() == (16, 4, 2, 16)


def test_ceil_mode_is_scalesims_rule():
    # SCALE-Sim: ceil((224 - 7 + 2) / 2) = 110, the floor rule gives (224 - 7)//2 + 1 = 109
    kw = dict(
        name="c",
        in_h=224,
        in_w=224,
        in_ch=3,
        out_ch=64,
        kernel_h=7,
        kernel_w=7,
        stride_h=2,
        stride_w=2,
    )
    assert Conv(**kw).out_h == 109
    assert Conv(**kw, ceil_mode=True).out_h == 110


def test_gemv_is_m1():
    assert GEMV(name="v", N=10, K=20, count=3).gemm() == (1, 10, 20, 3)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: GEMM(name="a", M=0, N=1, K=1), "layer 'a': M must be an integer >= 1, not 0"),
        (lambda: GEMM(name="a", M=1, N=1, K=1, role="x"), "role must be one of"),
        (
            lambda: Conv(
                name="c", in_h=4, in_w=4, in_ch=6, out_ch=4, kernel_h=1, kernel_w=1, groups=4
            ),
            "groups must divide in_ch (6), not 4",
        ),
        (
            lambda: Conv(name="c", in_h=2, in_w=2, in_ch=1, out_ch=1, kernel_h=3, kernel_w=3),
            "the filter (3x3, dilation 1x1) must fit the padded input (2x2)",
        ),
    ],
)
def test_layer_errors(make, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_builtin_totals():
    # ResNet-50: 4.09 GMACs (torchvision reports 4.09 GFLOPS counting MACs); 54 layers
    r = load_workload("resnet50")
    assert len(r.layers) == 54 and r.total_macs == pytest.approx(4.089e9, rel=1e-3)
    # MobileNetV2 1.0: 300 M MACs (Sandler et al., Table 4: 300M multiply-adds)
    assert load_workload("mobilenetv2").total_macs == pytest.approx(300e6, rel=0.01)
    # BERT-base, 128 tokens, per block: qkv 128*2304*768 + 2 * 12 heads * 128*128*64
    # + out 128*768*768 + ffn 2 * 128*3072*768 = 931,135,488; x 12 blocks
    assert load_workload("bert-base-128").total_macs == 12 * 931_135_488


def test_llama_decode_is_gemvs_with_roles():
    g = load_workload("llama2-7b-decode").to_gemms()
    assert (g["M"] == 1).all() and set(g["kind"]) == {"gemv"}
    roles = dict(zip(g["role"], zip(g["N"], g["K"], g["count"], strict=True), strict=True))
    assert roles["attn_qk"] == (2048, 128, 32 * 32)  # per head, per layer
    assert roles["attn_av"] == (128, 2048, 32 * 32)
    assert roles["ffn_gate"] == (11008, 4096, 32) and roles["lm_head"] == (32000, 4096, 1)
    p = load_workload("llama2-7b-prefill").to_gemms()
    i = list(p["role"]).index("qkv")
    assert (p["M"][i], p["N"][i], p["K"][i], p["count"][i]) == (2048, 3 * 4096, 4096, 32)


def test_every_builtin_lowers():
    for name in builtin_names():
        g = load_workload(name).to_gemms()
        assert set(g) == {
            "names", "M", "N", "K", "count", "kind", "role", "layer_kind", "ifmap_elems",
            "ofmap_elems",
        }  # fmt: skip
        assert (g["ifmap_elems"] <= g["M"] * g["K"]).all()
        for key in ("M", "N", "K", "count"):
            assert g[key].dtype == np.int64 and (g[key] >= 1).all()


def test_tuples_and_layers():
    w = load_workload([(4, 5, 6), (1, 2, 3, 7), GEMV(name="v", N=3, K=2)])
    g = w.to_gemms()
    assert list(g["names"]) == ["gemm0", "gemm1", "v"]
    assert list(g["count"]) == [1, 7, 1] and list(g["kind"]) == ["gemm", "gemm", "gemv"]
    assert load_workload(w) is w


def test_bad_names_and_items():
    with pytest.raises(ConfigError, match="workload must be a built-in name \\(resnet50, "):
        load_workload("resnet51")
    with pytest.raises(ConfigError, match="gemms, entry 1: layer 'gemm1': K must be"):
        load_workload([(1, 1, 1), (1, 1, 0)])
    with pytest.raises(ConfigError, match="entry 0 must be an \\(M, N, K\\)"):
        load_workload([(1, 2)])
    with pytest.raises(ConfigError, match="does not exist"):
        load_workload("/nonexistent/net.csv")
    with pytest.raises(ConfigError, match="at least one layer"):
        Workload(name="e", layers=())


SCALESIM_CONV = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 230, 230, 7, 7, 3, 64, 2,
CB2a_1, 56, 56, 1, 1, 64, 64, 1,
DP_1, 114, 114, 3, 3, 32, 1, 1,
"""  # noqa: E501


def test_scalesim_conv_csv(tmp_path):
    f = tmp_path / "net.csv"
    f.write_text(SCALESIM_CONV)
    g = load_workload(str(f)).to_gemms()
    # Conv1: ceil((230 - 7 + 2) / 2) = 113 -> M = 113^2 = 12769, K = 7*7*3 = 147
    assert (g["M"][0], g["N"][0], g["K"][0]) == (12769, 64, 147)
    assert (g["M"][1], g["N"][1], g["K"][1]) == (3136, 64, 64)
    # DP (depthwise): 32 one-channel convolutions of 112*112 x 1 x 9
    assert (g["M"][2], g["N"][2], g["K"][2], g["count"][2]) == (12544, 1, 9, 32)


def test_scalesim_gemm_csv(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("Layer, M, N, K,\nfc1, 128, 64, 256,\nfc2, 7, 9, 11, 1:1,\n")
    g = load_workload(f).to_gemms()
    assert list(g["M"]) == [128, 7] and list(g["N"]) == [64, 9] and list(g["K"]) == [256, 11]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n", "header line and at least one layer row"),
        ("Layer, M, N, K,\nx, 1, 2,\n", "line 2: expected 4 columns"),
        ("Layer, M, N, K,\nx, 1, two, 3,\n", "line 2: N must be an integer, not 'two'"),
        ("Layer, M, N, K,\nx, 1, 2, 3, 2:4,\n", "sparsity ratio must be dense"),
        ("Layer name, H, W, R, S, C, F, Strides,\nc, 2, 2, 3, 3, 1, 1, 1,\n", "must fit the IFMAP"),
        ("name, a, b,\nc, 1, 2,\n", "header must name the SCALE-Sim columns"),
    ],
)
def test_scalesim_csv_errors(tmp_path, text, message):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_workload(f)


def test_yaml_layers(tmp_path):
    f = tmp_path / "w.yaml"
    f.write_text(
        "name: mine\nlayers:\n"
        "  - {name: a, M: 64, N: 32, K: 16, count: 2, role: ffn_up}\n"
        "  - {type: gemv, name: v, N: 100, K: 50}\n"
        "  - {type: conv, name: c, in_h: 8, in_w: 8, in_ch: 4, out_ch: 8, kernel: 3,"
        " padding: 1, stride: [2, 1]}\n"
    )
    w = load_workload(f)
    assert w.name == "mine"
    g = w.to_gemms()
    # conv: out_h = (8 + 2 - 3)//2 + 1 = 4, out_w = 8: M = 32, K = 4*9 = 36
    assert list(zip(g["M"], g["N"], g["K"], g["count"], strict=True)) == [
        (64, 32, 16, 2),
        (1, 100, 50, 1),
        (32, 8, 36, 1),
    ]
    assert list(g["role"]) == ["ffn_up", "", ""]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- [1, 2, 3]\n", "entry 0 must be a mapping"),
        ("- {M: 1, N: 2}\n", "entry 0: a gemm needs name, M, N, K; missing K"),
        ("- {M: 1, N: 2, K: 3, colour: red}\n", "unknown key 'colour' for a gemm"),
        ("- {type: fft, N: 2}\n", "type must be one of 'gemm', 'conv', 'gemv', not 'fft'"),
        ("- {M: 1, N: -2, K: 3}\n", "entry 0: layer 'gemm0': N must be an integer >= 1, not -2"),
        ("{a: [\n", "is not valid YAML"),
        ("[]\n", "non-empty list of layers"),
    ],
)
def test_yaml_errors(tmp_path, text, message):
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_workload(f)


@pytest.mark.parametrize(
    "layer",
    [
        GEMM(name="big", M=99_999_999_999, N=99_999_999, K=999_999_999),
        GEMM(name="big", M=2**40, N=1, K=2**40),  # M K alone overflows int64
        GEMV(name="big", N=2**31, K=2**31, count=2**20),
    ],
)
def test_layer_too_large_is_a_config_error(layer):
    # more MACs than float64 counts exactly (and int64 overflow in to_gemms) -> one-line error
    with pytest.raises(ConfigError, match=r"layer 'big': M x N x K x count must be at most 2\^53"):
        Workload(name="w", layers=(layer,))


def test_largest_layer_lowers():
    g = Workload(name="w", layers=(GEMM(name="a", M=2**20, N=2**13, K=2**20),)).to_gemms()
    assert int(g["M"][0] * g["N"][0] * g["K"][0]) == 2**53
