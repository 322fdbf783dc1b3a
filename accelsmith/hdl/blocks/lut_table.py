"""LUT-tensor-core building blocks: the table-precompute adders and one table lookup.

Like :mod:`accelsmith.hdl.blocks.pipe` these add logic to the caller's module (they are not
components). Semantics: ``shared/reference/accelerators.md`` §1.2 and
:mod:`accelsmith.sim.golden.lut_core`.
"""

from __future__ import annotations

from amaranth.hdl import Array, Module, Mux, Signal, Value, signed

__all__ = ["lookup", "precompute", "precompute_adders", "select"]


def precompute_adders(group_size: int, symmetric: bool) -> int:
    """Adders (negation counted as one) :func:`precompute` builds for one activation row.

    ``K - 1`` adders and one negation for the all-minus entry ``LUT[0] = -sum(a)``, plus one
    adder per other stored entry (``2**(K-1) - 1`` symmetric, ``2**K - 1`` full): each entry
    is an earlier one plus ``2 a_k`` (a wired shift).
    """
    entries = 1 << (group_size - (1 if symmetric else 0))
    return group_size + entries - 1


def precompute(
    m: Module, acts: list[Value], symmetric: bool, entry_bits: int, name: str
) -> list[Signal]:
    """Table entries of one activation row (combinational).

    Entry ``c`` is ``LUT[c] = sum_k (2 c_k - 1) a_k``, built incrementally: ``LUT[0] =
    -sum_k a_k`` and ``LUT[c] = LUT[c - 2**h] + 2 a_h`` with ``h`` the highest set bit of ``c``
    (so entries share their adders). ``symmetric`` returns ``T[j] = LUT[j << 1]`` for ``j <
    2**(K-1)`` (the entries with bit 0 clear), else ``LUT[0 .. 2**K - 1]``.
    """
    k = len(acts)
    shape = signed(entry_bits)
    total = acts[0].as_signed()
    for a in acts[1:]:
        total = total + a.as_signed()
    lut: dict[int, Value] = {}
    base = Signal(shape, name=f"{name}_c0")
    m.d.comb += base.eq(-total)
    lut[0] = base
    codes = [c for c in range(1 << k) if not (symmetric and c & 1)]
    for c in codes[1:]:
        h = c.bit_length() - 1
        entry = Signal(shape, name=f"{name}_c{c}")
        m.d.comb += entry.eq(lut[c - (1 << h)] + (acts[h].as_signed() << 1))
        lut[c] = entry
    return [lut[c] for c in codes]


def lookup(
    m: Module,
    table: list[Value],
    index: Value,
    symmetric: bool,
    negation: str,
    entry_bits: int,
    name: str,
) -> Signal:
    """The table value selected by a ``K``-bit weight index (combinational).

    Full table: a ``2**K``-to-1 mux. Symmetric: a ``2**(K-1)``-to-1 mux on ``index[1:]``
    (inverted by XOR gates first when ``negation == "hardware"``) followed by a conditional
    negation controlled by ``index[0]``.
    """
    out = Signal(signed(entry_bits), name=name)
    if not symmetric:
        m.d.comb += out.eq(Array(table)[index])
        return out
    k = len(index)
    neg = index[0]
    idx = index[1:]
    if negation == "hardware":
        idx = idx ^ neg.replicate(k - 1)
    sel = Signal(signed(entry_bits), name=f"{name}_sel")
    m.d.comb += sel.eq(Array(table)[idx])
    m.d.comb += out.eq(Mux(neg, -sel, sel))
    return out


def select(m: Module, values: list[Value], index: Value, shape, name: str) -> Value:
    """``values[index]`` as a complete case statement (combinational).

    Index codes past the end (a length that is not a power of two) read the last value, so
    every code is covered (Verilator's CASEINCOMPLETE stays quiet). One value needs no mux.
    """
    if len(values) == 1:
        return values[0]
    out = Signal(shape, name=name)
    with m.Switch(index):
        for i, v in enumerate(values[:-1]):
            with m.Case(i):
                m.d.comb += out.eq(v)
        with m.Default():
            m.d.comb += out.eq(values[-1])
    return out
