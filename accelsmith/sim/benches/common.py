"""Pieces shared by the cocotb testbenches: configuration, port handles, a stream driver.

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

__all__ = ["StreamDriver", "port", "tb_config"]


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
