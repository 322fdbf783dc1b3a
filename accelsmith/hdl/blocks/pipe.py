"""Register helpers used inside generators: delay lines for skew and de-skew.

These build registers in the caller's module (they are not components): every register sits in
the ``sync`` domain, so a generator that wraps its module in an ``EnableInserter`` stalls all of
them at once.
"""

from __future__ import annotations

from amaranth.hdl import Module, Signal, Value


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
    value = Value.cast(value)
    for stage in range(1, n + 1):
        reg = Signal(value.shape(), name=f"{name}_d{stage}")
        m.d.sync += reg.eq(value)
        value = reg
    return value


def delay_chain(m: Module, value: Value, n: int, name: str) -> list[Value]:
    """Return ``[value, value delayed 1, ..., value delayed n]`` sharing one register chain."""
    taps = [Value.cast(value)]
    for stage in range(1, n + 1):
        reg = Signal(taps[0].shape(), name=f"{name}_d{stage}")
        m.d.sync += reg.eq(taps[-1])
        taps.append(reg)
    return taps
