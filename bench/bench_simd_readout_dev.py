"""Development set of SIMD engines with non-binary32 results: the exact slot's readout in context.

An exact slot's readout (the finished quire's negation and the rounder into the result
format) sits beside the lane's multiply-align-accumulate chain; synthesized together it is
slower than alone. The 130 nm model takes it from chain-and-readout blocks of each result
format (``schainr<k>`` with the binary32 rounder, ``schainr<k>_<out>`` with the others'),
:func:`accelsmith.models.simd_asic._readout_in_context_ns`. This bench draws engines that are
NOT rows of ``bench/bench_silicon.py``'s held-out SIMD sets (their ``max_k`` is 3, 9, 40 or
130; the held-out sets use 5/7/16/27/33/48/100/200): exact accumulator, pipeline 1 or 2,
every result format, an integer mode beside FP4 / FP8 modes, 8- and 16-bit words,
1-2 lanes. Each is synthesized on sky130hd (``accelsmith.synth``, cached) at a 10 ns clock
and its Fmax compared with the model under each readout variant:

- ``fp32_extra``: the readout alone plus the binary32 block's period over the slower of its
  parts, whatever the result format (session 6's model);
- ``block_extra``: the same with the slot's own result format's block;
- ``class_lsb``: the own format's block's path into the result registers, the block's quire
  LSB the class lane's (session 7's model, its ``own_readout``);
- ``own_lsb``: the same from the block whose quire LSB is nearest the slot's own
  (``schainr<k>m<-lsb>_<out>``);
- ``posit8_lane``: ``own_lsb``, and a class-5 slot with a posit8 operand takes its
  pipeline-1/-2 path from the posit8 lane in context (``schainl5p8``) instead of the
  FP8 E4M3 lane;
- ``posit4_lane``: ``posit8_lane``, and a posit4 slot from the int4 + posit4 lane
  (``schainl5p4``);
- ``posit4w_lane``: the same from the int8 + posit4 lane (``schainl5p4i8``) when the slot
  has an 8-bit mode (its multiplier's width).

Every other variant takes the stage class's lane.

``--posit`` draws engines with posit modes instead (posit4, posit8, posit8 x FP4 beside
integers and sometimes FP4; posit results twice as often): their slots sit in stage class
5 at the quire LSBs -8 / -12 / -7, not the class lane's -18.

``--small`` draws the two classes of the session-12 change instead and compares
``before`` with ``after`` (the model): exact pipeline-1/-2 engines with the posit8 x FP4
mode beside integers or FP4 (``after``: the posit8 x FP4 lane in context, ``schainl5px`` /
``schainl5pxi8``; ``before``: the posit8 lane, ``schainl5p8``, extrapolated below its
quire widths), and ``fp32``-accumulator engines whose slots multiply posit4 or FP4 alone
(product significands of 2 or 4 bits; ``after``: the fp32 slot components sampled there;
``before``: those samples left out, a power law from 8 and 26 bits).

Usage: ``python bench/bench_simd_readout_dev.py [--n 12] [--seed 7] [--posit | --small]``.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
VARIANTS = (
    "fp32_extra", "block_extra", "class_lsb", "own_lsb", "posit8_lane", "posit4_lane",
    "posit4w_lane",
)  # fmt: skip
MAX_KS = (3, 9, 40, 130)  # disjoint from the held-out sets' max_k (bench_silicon.py)
OUTS = ("fp32", "bf16", "fp16", "posit16_1", "posit8_0")
#: the float modes beside the integers (FP4 twice as often: its slot is readout-limited).
#: No posit modes: a posit slot's decode in the lane (d16 of simd5's diagnostics) is a known
#: gap of the chain's model that would hide the readout's
FLOATS = ("fp4_e2m1", "fp4_e2m1", "fp8_e4m3", "fp8_e5m2")
#: ``--posit``: the posit modes (posit4 twice as often: the class-5 slot at LSB -8), FP4
#: beside them sometimes; posit16 modes are left out (class 7 has one LSB, -56)
POSITS = ("posit4_1", "posit4_1", "posit8_0", "posit8_0xfp4_e2m1")
POSIT_OUTS = (*OUTS, "posit16_1", "posit8_0")


def _draw(rng: random.Random, n: int, posit: bool = False) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        ints = [f for f in ("int4", "int8") if rng.random() < 0.5] or [rng.choice(["int4", "int8"])]
        floats = [rng.choice(FLOATS)]
        if rng.random() < 0.3:
            floats = sorted({*floats, rng.choice(FLOATS)}, key=FLOATS.index)
        if posit:
            ints = [f for f in ints if rng.random() < 0.6]
            floats = [rng.choice(POSITS)] + (["fp4_e2m1"] if rng.random() < 0.3 else [])
        out.append(
            {
                "lane_bits": rng.choice([8, 16]),
                "lanes": rng.randint(1, 2),
                "formats": ints + floats,
                "pipeline": rng.randint(1, 2),
                "max_k": rng.choice(MAX_KS),
                "out_format": rng.choice(POSIT_OUTS if posit else OUTS),
            }
        )
    return out


def _draw_small(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """``--small``: half exact posit8 x FP4 engines at pipeline 1/2, half ``fp32``
    accumulators over posit4 / FP4 modes alone (module docstring)."""
    out = []
    for i in range(n):
        if i % 2 == 0:
            beside = [f for f in ("int4", "int8", "fp4_e2m1") if rng.random() < 0.5]
            fmts, acc, pipe = [*beside, "posit8_0xfp4_e2m1"], "exact", rng.randint(1, 2)
        else:
            fmts = [f for f in ("posit4_1", "fp4_e2m1") if rng.random() < 0.6]
            fmts = fmts or [rng.choice(["posit4_1", "fp4_e2m1"])]
            acc, pipe = "fp32", rng.randint(1, 4)
        out.append(
            {
                "lane_bits": rng.choice([8, 16]),
                "lanes": rng.randint(1, 2),
                "formats": fmts,
                "acc": acc,
                "pipeline": pipe,
                "max_k": rng.choice(MAX_KS),
                "out_format": rng.choice(POSIT_OUTS),
            }
        )
    return out


def _q_net(netlist: str, cell: str | None) -> str | None:
    """The net a flip-flop instance ``cell`` of ``netlist`` drives (its register's name)."""
    m = cell and re.search(rf"\s{re.escape(cell)}\s*\((.*?)\);", netlist, re.S)
    q = m and re.search(r"\.Q\(([^)]*)\)", m.group(1))
    return q.group(1).strip() if q else cell


def main(argv: list[str] | None = None) -> int:
    import bench_silicon as bs

    from accelsmith.core.errors import ConfigError
    from accelsmith.core.families.simd import SimdParams
    from accelsmith.models import simd_asic
    from accelsmith.synth import synthesize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=12, help="engines to draw")
    ap.add_argument("--seed", type=int, default=7, help="the draw's seed")
    kind = ap.add_mutually_exclusive_group()
    kind.add_argument("--posit", action="store_true", help="draw engines with posit modes")
    kind.add_argument("--small", action="store_true", help="posit8 x FP4 lanes, fp32 slots")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error(f"--n must be at least 1, not {args.n}")
    real = simd_asic._readout_in_context_ns

    def s(kind: str, q: int) -> float:
        return float(simd_asic._s(kind, "period_ns", q))

    def extra(stages: int, q: int, own: float, out: str = "fp32") -> float:
        k = simd_asic._chain_class(stages)
        block = s(simd_asic._readout_block(stages, out), q)
        return own + max(block - max(s(f"schain{k}", q), s(f"sslot_{out}", q)), 0.0)

    forms = {
        "fp32_extra": lambda stages, q, own, out="fp32", lsb=None: extra(stages, q, own, "fp32"),
        "block_extra": lambda stages, q, own, out="fp32", lsb=None: extra(stages, q, own, out),
        "class_lsb": lambda stages, q, own, out="fp32", lsb=None: real(stages, q, own, out),
    }

    real_lane = simd_asic._lane_ctx_kind

    def class_lane(sl: dict[str, Any]) -> str:  # the stage class's lane, posit or not
        return f"schainl{simd_asic._chain_class(sl['stages'])}"

    def posit8_lane(sl: dict[str, Any]) -> str:  # the posit8 lane for posit8 slots
        posit8 = class_lane(sl) == "schainl5" and "posit8_0" in sl["formats"]
        return "schainl5p8" if posit8 else class_lane(sl)

    def posit4_lane(sl: dict[str, Any], by_width: bool = False) -> str:
        kind = posit8_lane(sl)  # and a posit4 lane for posit4 slots (by the multiplier)
        if kind == "schainl5" and "posit4_1" in sl["formats"]:
            return "schainl5p4i8" if by_width and max(sl["widths"]) >= 8 else "schainl5p4"
        return kind

    lanes = {
        "posit8_lane": posit8_lane,
        "posit4_lane": posit4_lane,
        "posit4w_lane": lambda sl: posit4_lane(sl, True),
        None: real_lane,
    }

    from accelsmith.models import calib

    real_load = calib.load
    # the session-12 fp32 slot samples: binary32 results at 2 bits (4 was sampled), the
    # other result formats at 2 and 4 (they were sampled at 8 and 26 only)
    new_fp32 = {"sslotf_fp32": (2,), "sslotf3_fp32": (2,), "sslotf6_fp32": (2,)}

    def before_load(path: Any = None) -> dict[str, Any]:  # the fp32 slots without them
        data = real_load(path) if path is not None else real_load()
        drop = {k: (2, 4) for k in data["simd_samples"] if k.startswith("sslotf_")} | new_fp32
        simd = {
            k: [r for r in v if r["width"] not in drop.get(k, ())]
            for k, v in data["simd_samples"].items()
        }
        return {**data, "simd_samples": simd}

    def before_lane(sl: dict[str, Any]) -> str:  # posit8 x FP4 on the posit8 lane
        kind = real_lane(sl)
        return "schainl5p8" if kind in ("schainl5px", "schainl5pxi8") else kind

    def apply(variant: str | None) -> None:
        if args.small:
            calib.load = before_load if variant == "before" else real_load
            simd_asic._lane_ctx_kind = before_lane if variant == "before" else real_lane
        else:
            simd_asic._readout_in_context_ns = forms.get(variant, real)
            simd_asic._lane_ctx_kind = lanes.get(variant, class_lane)
        simd_asic.lane_cost.cache_clear()

    def synth(p: Any) -> tuple[str, float]:
        tags = "".join(bs._MODE_TAGS[f] for f in p.formats)
        top = f"dev_{p.default_name()}_p{p.pipeline}_k{p.max_k}_{tags}"  # fp32 not named
        rep = synthesize(p, clock_ns=10.0, name=top)
        rr = rep.timing.get("reg2reg") or {}
        net = (Path(rep.folder) / "netlist.v").read_text()
        start, end = (_q_net(net, rr.get(k)) for k in ("startpoint", "endpoint"))
        cost = simd_asic.lane_cost(
            ",".join(p.formats), p.lane_bits, p.acc, p.pipeline, p.max_k, p.out_format
        )
        print(
            f"  {top}: {1000 / rep.fmax_mhz:.2f} ns {start} -> {end}; "
            f"model path {cost['t_path']:.2f} readout {cost['t_slot']:.2f}",
            flush=True,
        )
        return top, rep.fmax_mhz

    rng = random.Random(args.seed)
    designs, seen = [], set()
    draw = _draw_small(rng, 4 * args.n) if args.small else _draw(rng, 4 * args.n, args.posit)
    for cfg in draw:
        try:
            p = SimdParams.from_dict(cfg, source="dev")
        except ConfigError:  # a draw the generator refuses
            continue
        key = (p.default_name(), p.out_format, p.pipeline, p.max_k, p.formats)
        if key not in seen:
            seen.add(key)
            designs.append(p)
    variants = ("before", "after") if args.small else VARIANTS
    bs.run_dev_set("simd", designs[: args.n], variants, apply, synth)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
