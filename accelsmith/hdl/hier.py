"""Hierarchical netlists: a repeated block is emitted once as its own Verilog module.

Amaranth 0.5's Verilog back end writes one module per elaboratable *instance* and never merges
identical ones, so a 128x128 array written flat repeats its processing element 16,384 times.
Generators therefore add repeated blocks with :func:`place` instead of ``m.submodules``:

* outside an emission (Amaranth's simulator, :func:`amaranth.back.verilog.convert` called
  directly) :func:`place` adds the component itself: the design is flat and simulatable;
* inside :func:`emit_hierarchical` the first component placed under a ``kind`` is converted
  to Verilog once, as module ``<top>_<kind>``, and every placement becomes an
  :class:`~amaranth.hdl.Instance` of it with ports connected by name. A placed block may place
  blocks itself (a row of processing elements).

A placed component must be self-contained: its ports are its signature (plus ``clk`` and
``rst`` of the ``sync`` domain), and the parent's ``EnableInserter`` does not reach inside an
instance, so a block that must stall takes an explicit enable input. Components placed under
the same ``kind`` must be identical; the caller proves it with a ``key`` (for example the
shapes the block was built from) and :func:`place` refuses a different key.
"""

from __future__ import annotations

import contextvars
from collections.abc import Hashable
from typing import Any

from amaranth.back import verilog
from amaranth.hdl import ClockSignal, Instance, Module, ResetSignal
from amaranth.lib import wiring

__all__ = ["emit_hierarchical", "hierarchical_active", "place"]


class _Library:
    """Leaf modules of one emission, in the order they were first placed."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.kinds: dict[str, tuple[Hashable, wiring.Component]] = {}
        self.order: list[str] = []

    def module_for(self, kind: str, key: Hashable, component: wiring.Component) -> str:
        if kind in self.kinds:
            known = self.kinds[kind][0]
            if known != key:
                raise ValueError(f"block kind {kind!r} placed with key {key!r}, but {known!r}")
            component._MustUse__silence = True  # stands for the module already emitted
        else:
            self.kinds[kind] = (key, component)
            self.order.append(kind)
        return f"{self.prefix}_{kind}"


_ACTIVE: contextvars.ContextVar[_Library | None] = contextvars.ContextVar(
    "accelsmith_hier", default=None
)


def hierarchical_active() -> bool:
    """True while :func:`emit_hierarchical` elaborates a design."""
    return _ACTIVE.get() is not None


def place(m: Module, name: str, component: wiring.Component, kind: str, key: Hashable) -> Any:
    """Add ``component`` to ``m`` as submodule ``name``; return the object to connect to.

    Parameters
    ----------
    m : Module
        Parent module.
    name : str
        Submodule (instance) name, unique in ``m``.
    component : wiring.Component
        The block. Its signature's members are the ports.
    kind : str
        Leaf module suffix: the module is ``<top>_<kind>`` in hierarchical output.
    key : hashable
        Identifies the block's structure; every placement of one ``kind`` in a design must
        carry an equal key.

    Returns
    -------
    object
        ``component`` itself (flat), or an interface with the same members whose signals are
        wired to the instance's ports (hierarchical). Drive its inputs, read its outputs.
    """
    lib = _ACTIVE.get()
    if lib is None:
        m.submodules[name] = component
        return component
    module = lib.module_for(kind, key, component)
    iface = component.signature.create(path=(name,))
    ports: dict[str, Any] = {
        "i_clk": ClockSignal("sync"),
        "i_rst": ResetSignal("sync"),
    }
    for path, member, value in component.signature.flatten(iface):
        prefix = "i_" if member.flow == wiring.In else "o_"
        ports[prefix + "__".join(str(p) for p in path)] = value
    m.submodules[name] = Instance(module, **ports)
    return iface


def emit_hierarchical(component: wiring.Component, name: str) -> str:
    """Verilog text for ``component`` as top module ``name`` plus its placed leaf modules.

    The top module comes first, then each leaf module once, in first-placement order. The
    output is deterministic (no source locations).
    """
    lib = _Library(name)
    token = _ACTIVE.set(lib)
    try:
        texts = [verilog.convert(component, name=name, emit_src=False)]
        done = 0
        while done < len(lib.order):  # a leaf may place leaves of its own
            kind = lib.order[done]
            leaf = lib.kinds[kind][1]
            texts.append(verilog.convert(leaf, name=f"{name}_{kind}", emit_src=False))
            done += 1
    finally:
        _ACTIVE.reset(token)
    return "".join(texts)
