"""Register helpers used inside generators: delay lines for skew and de-skew.

These build registers in the caller's module (they are not components): every register sits in
the ``sync`` domain, so a generator that wraps its module in an ``EnableInserter`` stalls all of
them at once. An ``n``-stage line is one packed ``n * width``-bit shift register, so its Verilog
stays a few lines long whatever ``n`` is (the skew triangles of a 128x128 array are 8,128 stages
each).
"""

from __future__ import annotations

from amaranth.hdl import Cat, Module, Signal, Value


def delay(m: Module, value: Value, n: int, name: str) -> Value:
    """Return ``value`` delayed by ``n`` clock cycles (``n == 0`` returns ``value`` itself).

    Parameters
    ----------
    m : Module
        Module receiving the ``n`` registers.
    value : Value
        Signal or expression to delay; the registers take its shape.
    n : int
        Number of register stages (cycles), ``n >= 0``.
    name : str
        Prefix of the register names (``<name>_d1`` ... ``<name>_d<n>``).
    """
    if n < 0:
        raise ValueError(f"n must be a non-negative integer, not {n!r}")
    taps = delay_chain(m, value, n, name)
    return taps[-1]


def delay_chain(m: Module, value: Value, n: int, name: str) -> list[Value]:
    """Return ``[value, value delayed 1, ..., value delayed n]`` sharing one register chain.

    The chain is one register ``<name>_sr`` of ``n * width`` bits; tap ``s`` is its slice
    ``[(s-1)*width, s*width)`` with the shape of ``value``.
    """
    value = Value.cast(value)
    shape = value.shape()
    taps = [value]
    if n == 0:
        return taps
    w = shape.width
    sr = Signal(n * w, name=f"{name}_sr")
    m.d.sync += sr.eq(Cat(value, sr[: (n - 1) * w]) if n > 1 else value)
    for stage in range(1, n + 1):
        tap = sr[(stage - 1) * w : stage * w]
        taps.append(tap.as_signed() if shape.signed else tap)
    return taps
