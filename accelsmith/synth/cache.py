"""Content-addressed result folders for synthesis runs (same scheme as the simulator cache).

A run's folder is ``<root>/<name>-<key[:16]>`` where the key is the SHA-256 of everything the
result depends on (Verilog text, flow, options, tool versions, liberty hash). The work happens
in a temporary sibling folder that is renamed into place with a ``.complete`` marker once every
report file is written, so a folder with the marker is a finished run and a failed or
interrupted run leaves nothing that could be mistaken for one. Processes running the same key
serialize on an ``fcntl`` lock; the second reuses the first's result.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..core.errors import AccelsmithError

__all__ = ["MARKER", "cache_root", "cached_run", "content_key"]

MARKER = ".complete"


def cache_root() -> Path:
    """``$ACCELSMITH_SYNTH_CACHE`` if set, else ``~/.cache/accelsmith/synth`` (created)."""
    env = os.environ.get("ACCELSMITH_SYNTH_CACHE")
    root = Path(env).expanduser() if env else Path.home() / ".cache" / "accelsmith" / "synth"
    root.mkdir(parents=True, exist_ok=True)
    return root.absolute()


def content_key(identity: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a JSON-serializable identity."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def cached_run(
    name: str,
    identity: Mapping[str, Any],
    work: Callable[[Path], None],
    root: Path | None = None,
) -> tuple[Path, bool]:
    """Folder holding the finished result of ``work`` for ``identity``; ``(folder, cached)``.

    ``work(folder)`` writes its files into a fresh temporary folder and raises on failure;
    a failed run's folder is renamed ``<name>-<key>.failed`` (logs kept, never
    taken for a result).
    """
    root = cache_root() if root is None else Path(root).absolute()
    root.mkdir(parents=True, exist_ok=True)
    key = content_key(identity)
    final = root / f"{name}-{key[:16]}"
    if (final / MARKER).is_file():
        return final, True
    with open(root / f".{final.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / MARKER).is_file():
            return final, True
        for stale in [final, *root.glob(f".{final.name}.tmp-*")]:
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=root))
        try:
            work(tmp)
        except AccelsmithError as exc:  # keep the logs for the user, never as a result
            failed = root / f"{final.name}.failed"
            shutil.rmtree(failed, ignore_errors=True)
            tmp.rename(failed)
            raise type(exc)(str(exc).replace(str(tmp), str(failed))) from exc
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        (tmp / MARKER).write_text(json.dumps({"key": key}) + "\n")
        tmp.rename(final)
    return final, False
