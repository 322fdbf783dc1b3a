"""Semantically null rewrites of a design's Verilog: the synthesis flow's own noise floor.

Yosys and ABC are deterministic, but their result depends on the order in which a netlist
reaches them: ABC's structural choices (which carry chain, which gate for a majority) follow
the AIG's node order, which follows the order of the statements, ports and modules in the
Verilog. Each rewrite below leaves the design's function and every register untouched, so
any change of area or Fmax between them is the flow's noise, a floor under the error of any
model that predicts one number per configuration (``bench/bench_silicon.py --noise``):

- ``assigns``: the continuous assignments of every module in reverse order;
- ``shuffle<N>``: the continuous assignments of every module in a random order (seed ``N``);
- ``ports``: the top module's port list in reverse order;
- ``modules``: the module definitions in reverse order;
- ``unused``: one extra input port of the top module that drives nothing;
- ``renamed``: every module renamed (another top name: prefixes every submodule).
"""

from __future__ import annotations

import random
import re

__all__ = ["PERTURBATIONS", "perturb"]

PERTURBATIONS = (
    "assigns",
    "shuffle1",
    "shuffle2",
    "shuffle3",
    "ports",
    "modules",
    "unused",
    "renamed",
)

_MODULE = re.compile(r"^(?:\(\*[^\n]*\*\)\n)*module .*?^endmodule\n", re.S | re.M)
_HEADER = re.compile(r"^module (\S+)\((.*?)\);", re.M)


def _modules(verilog: str) -> tuple[list[str], list[str]]:
    """The module definitions and the texts around them (``len(mods) + 1`` gaps: before
    the first module, between each two, after the last)."""
    spans = [m.span() for m in _MODULE.finditer(verilog)]
    if not spans:
        raise ValueError("no module definition found in the Verilog text")
    mods = [verilog[a:b] for a, b in spans]
    edges = [0, *(x for span in spans for x in span), len(verilog)]
    gaps = [verilog[edges[2 * i] : edges[2 * i + 1]] for i in range(len(spans) + 1)]
    return mods, gaps


def _top_index(mods: list[str], top: str) -> int:
    for i, mod in enumerate(mods):
        head = _HEADER.search(mod)
        if head and head.group(1) == top:
            return i
    raise ValueError(f"top module {top!r} not found in the Verilog text")


def _reorder_assigns(mod: str, seed: str | None) -> str:
    """The single-line continuous assignments of ``mod`` reversed (``seed`` None) or shuffled
    (a permutation drawn from ``seed``), in the places the assignments held."""
    lines = mod.split("\n")
    idx = [i for i, line in enumerate(lines) if re.fullmatch(r"\s*assign [^;]*;", line)]
    order = idx[::-1]
    if seed is not None:
        order = list(idx)
        random.Random(seed).shuffle(order)
    for i, line in zip(idx, [lines[j] for j in order], strict=True):
        lines[i] = line
    return "\n".join(lines)


def perturb(verilog: str, top: str, kind: str) -> tuple[str, str]:
    """``verilog`` (whose top module is ``top``) rewritten by ``kind`` (one of
    :data:`PERTURBATIONS`); returns the new text and its top module name."""
    shuffle = re.fullmatch(r"shuffle(\d+)", kind)
    if kind not in PERTURBATIONS and not shuffle:
        raise ValueError(f"kind must be one of {', '.join(PERTURBATIONS)}, not {kind!r}")
    mods, gaps = _modules(verilog)
    t = _top_index(mods, top)
    if kind == "assigns":
        mods = [_reorder_assigns(m, None) for m in mods]
    elif shuffle:
        mods = [_reorder_assigns(m, f"{shuffle.group(1)}-{i}") for i, m in enumerate(mods)]
    elif kind == "modules":
        mods = mods[::-1]
    elif kind == "ports":
        head = _HEADER.search(mods[t])
        assert head is not None
        ports = ", ".join(p.strip() for p in reversed(head.group(2).split(",")))
        mods[t] = mods[t][: head.start()] + f"module {top}({ports});" + mods[t][head.end() :]
    elif kind == "unused":
        head = _HEADER.search(mods[t])
        assert head is not None
        pad = "accelsmith_unused_pad"
        text = f"module {top}({head.group(2)}, {pad});\n  input [7:0] {pad};\n  wire [7:0] {pad};"
        mods[t] = mods[t][: head.start()] + text + mods[t][head.end() :]
    else:  # renamed: every module name, and so every reference to it, gets a prefix
        names = [h.group(1) for m in mods if (h := _HEADER.search(m))]
        pattern = re.compile(r"(?<![\w$\\])(" + "|".join(map(re.escape, names)) + r")(?![\w$])")
        mods = [pattern.sub(lambda m: "rn_" + m.group(1), mod) for mod in mods]
        top = "rn_" + top
    # the texts between modules (the generator's comment line per module) are left out
    return gaps[0] + "".join(mods) + gaps[-1], top
