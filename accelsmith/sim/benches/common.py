"""Pieces shared by the cocotb testbenches: configuration, port handles, a stream driver,
reset, and the per-test report (``<report_dir>/<test>.json``) with its timing check.

The simulator process reads its configuration from the JSON file named by
``ACCELSMITH_TB_CONFIG`` (written by :func:`accelsmith.sim.verify.verify`): parameters, the
manifest's port table, seed, tile count and the report folder.
"""

from __future__ import annotations

import json
import os
import random
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "StreamDriver",
    "port",
    "reset",
    "tb_config",
    "timing_report",
    "write_report",
]


def tb_config() -> dict[str, Any]:
    """The testbench configuration of this simulation."""
    return json.loads(Path(os.environ["ACCELSMITH_TB_CONFIG"]).read_text())


def port(dut: Any, ports: dict[str, dict], name: str) -> Any:
    """Handle of the Verilog port ``name``, refusing names the manifest does not list."""
    if name not in ports:
        raise AssertionError(f"manifest has no port {name!r}")
    return getattr(dut, name)


class StreamDriver:
    """Drives one valid/ready input stream from a queue of beats, with random valid gaps.

    A beat is ``(tile, word, *extra)``: ``word`` goes on the payload; when the beat transfers,
    ``on_transfer(tile, cycle, tau, *extra)`` is called (``tau`` counts advance-cycles).
    Call :meth:`drive` after the falling edge and :meth:`sample` once signals have settled.
    """

    def __init__(
        self,
        dut: Any,
        ports: dict,
        name: str,
        rng: random.Random,
        gap: float,
        on_transfer: Callable[..., None],
    ) -> None:
        self.valid = port(dut, ports, f"{name}__valid")
        self.ready = port(dut, ports, f"{name}__ready")
        self.payload = port(dut, ports, f"{name}__payload")
        self.queue: deque[tuple[Any, ...]] = deque()
        self.rng, self.gap, self.on_transfer = rng, gap, on_transfer
        self.offered = False

    def drive(self) -> None:
        self.offered = bool(self.queue) and self.rng.random() >= self.gap
        self.valid.value = int(self.offered)
        if self.offered:
            self.payload.value = self.queue[0][1]

    def sample(self, cycle: int, tau: int) -> None:
        if self.offered and int(self.ready.value):
            tile, _, *extra = self.queue.popleft()
            self.on_transfer(tile, cycle, tau, *extra)


async def reset(
    dut: Any, *, valid: tuple[str, ...] = (), ready: tuple[str, ...] = (), cycles: int = 3
) -> None:
    """Hold ``rst`` for ``cycles`` falling clock edges with the ``valid`` of every input stream
    and the ``ready`` of every output stream low, then release it (at a falling edge)."""
    from cocotb.triggers import FallingEdge

    dut.rst.value = 1
    for name in valid:
        getattr(dut, f"{name}__valid").value = 0
    for name in ready:
        getattr(dut, f"{name}__ready").value = 0
    for _ in range(cycles):
        await FallingEdge(dut.clk)
    dut.rst.value = 0


def timing_report(
    name: str,
    *,
    tiles: int,
    mismatches: int,
    errors: list[str],
    timing: list[dict[str, Any]],
    describe: Callable[[dict[str, Any]], str],
    counted: Callable[[dict[str, Any]], bool] = lambda t: True,
    shown: int = 20,
) -> dict[str, Any]:
    """A test's report: value mismatches and errors, plus every timing entry whose
    ``measured`` cycle differs from the ``predicted`` one (``describe`` names it); the cycle
    totals add the entries ``counted`` selects."""
    bad = [t for t in timing if t["measured"] != t["predicted"]]
    return {
        "test": name,
        "tiles": tiles,
        "mismatches": mismatches,
        "timing_mismatches": len(bad),
        "measured_cycles": sum(t["measured"] for t in timing if counted(t)),
        "predicted_cycles": sum(t["predicted"] for t in timing if counted(t)),
        "timing": timing,
        "errors": errors
        + [
            f"timing: {describe(t)} measured {t['measured']} predicted {t['predicted']}"
            for t in bad[:shown]
        ],
    }


def write_report(cfg: dict[str, Any], report: dict[str, Any]) -> None:
    """Write ``<report_dir>/<test>.json``; the test fails on any error it lists."""
    (Path(cfg["report_dir"]) / f"{report['test']}.json").write_text(json.dumps(report, indent=1))
    assert not report["errors"], "; ".join(report["errors"][:5])
