"""Small campaign specs shared by the DSE tests (a 64-point space on a 3-GEMM workload)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
TINY_WORKLOAD = str(DATA / "tiny.yaml")

#: 4 x 4 x 2 x 2 = 64 points.
TINY_SPACE: dict[str, Any] = {
    "rows": {"low": 4, "high": 16, "step": 4},
    "cols": {"low": 4, "high": 16, "step": 4},
    "dataflow": {"choices": ["os", "ws"]},
    "ifmap_kb": {"choices": [16, 64]},
    "filter_kb": 64,
    "ofmap_kb": 64,
}


def tiny_spec_dict(name: str = "tiny", **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "family": "systolic",
        "space": dict(TINY_SPACE),
        "workload": TINY_WORKLOAD,
        "objectives": {"latency_s": "minimize", "energy_j": "minimize", "area_um2": "minimize"},
        "explorer": {"name": "random"},
        "budget": 20,
        "seed": 0,
    }
    spec.update(changes)
    return spec


def write_spec(path: Path, **changes: Any) -> Path:
    """Write a tiny spec YAML at ``path`` (storage under the same folder) and return it."""
    data = tiny_spec_dict(**changes)
    data.setdefault("storage", f"sqlite:///{path.parent / 'study.db'}")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def kill_9_after(cmd: list[str], cwd: Path, stored: Callable[[], int], n: int) -> int:
    """Start ``cmd`` (a ``dse run``), SIGKILL it once ``stored()`` reaches ``n`` trials, and
    return how many trials were stored at the kill (the run must still be going then)."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while stored() < n and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the campaign ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return stored()
