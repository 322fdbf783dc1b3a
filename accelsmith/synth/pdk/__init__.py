"""The vendored sky130_fd_sc_hd liberty (see ``README.md`` here), unpacked into the cache.

:func:`liberty` returns the decompressed full library (read by OpenSTA) or the *mapping*
library (read by Yosys' ``dfflibmap`` and ``abc``), which lacks the cells a standard-cell flow
keeps out of logic mapping. :func:`cell_table` gives each cell's area and class.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import re
import tempfile
from functools import cache
from pathlib import Path

__all__ = ["LIB_NAME", "LIB_SHA256", "cell_class", "cell_table", "liberty", "packaged_gz"]

LIB_NAME = "sky130_fd_sc_hd__tt_025C_1v80"
LIB_SHA256 = "210e56be3a3a0907b5241a34d277f664cf4b4d91dcb49a27ff813df4406a5889"
CORNER = "tt_025C_1v80 (typical, 25 C, 1.80 V)"

# Kept out of logic mapping (OpenLane's sky130hd "no synth" list has the same spirit): power
# management (lpflow_*), probes, delay/decap/diode/tap/spare/constant cells, and scan flops
# that dfflibmap cannot parse anyway.
_DONT_USE = re.compile(
    r"__(lpflow_|probe|probec|clkdlybuf|dlygate|dlymetal|decap|diode|tap|fill|macro_sparecell|"
    r"conb|sdf|sedf|edf)"
)
_SEQ = re.compile(r"__(df|dlx|dlr|dlclkp|sdlclkp|edf|sdf|sedf)")
_BUF = re.compile(r"__(buf_|bufbuf|clkbuf|dlygate|dlymetal|clkdlybuf)")


def packaged_gz() -> Path:
    """The ``.lib.gz`` shipped inside the package."""
    return Path(__file__).with_name(f"{LIB_NAME}.lib.gz")


def _cache_dir(root: Path | None) -> Path:
    if root is None:
        from ..cache import cache_root

        root = cache_root()
    folder = root / "pdk"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _cells(text: str) -> list[tuple[str, int, int]]:
    """``(name, start, end)`` of every top-level ``cell (...) { ... }`` group."""
    out = []
    for m in re.finditer(r'^\s*cell\s*\(\s*"?([A-Za-z0-9_]+)"?\s*\)\s*\{', text, re.M):
        depth, i = 1, m.end()
        while depth:
            j = text.find("}", i)
            k = text.find("{", i, j)
            if k != -1:
                depth, i = depth + 1, k + 1
            else:
                depth, i = depth - 1, j + 1
        out.append((m.group(1), m.start(), i))
    return out


def cell_class(name: str) -> str:
    """``sequential``, ``buffer`` or ``combinational`` for a sky130_fd_sc_hd cell name."""
    if _SEQ.search(name) and not _BUF.search(name):
        return "sequential"
    if _BUF.search(name):
        return "buffer"
    return "combinational"


def _unpack(folder: Path) -> None:
    raw = packaged_gz().read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != LIB_SHA256:
        from ...core.errors import ToolNotFoundError

        raise ToolNotFoundError(
            f"the packaged liberty {packaged_gz()} is damaged (sha256 {digest[:12]}..., "
            f"expected {LIB_SHA256[:12]}...): reinstall accelsmith"
        )
    text = gzip.decompress(raw).decode()
    cells = _cells(text)
    table = {}
    for name, start, end in cells:
        m = re.search(r"\barea\s*:\s*([0-9.eE+-]+)", text[start:end])
        table[name] = {"area_um2": float(m.group(1)) if m else 0.0, "class": cell_class(name)}
    # mapping copy: drop the dont-use groups (cut from the end so offsets stay valid)
    mapping = text
    for name, start, end in reversed(cells):
        if _DONT_USE.search(name):
            mapping = mapping[:start] + mapping[end:]
    for fname, body in (
        (f"{LIB_NAME}.lib", text),
        (f"{LIB_NAME}.map.lib", mapping),
        (f"{LIB_NAME}.cells.json", json.dumps(table, indent=0, sort_keys=True)),
    ):
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{fname}.")
        with os.fdopen(fd, "w") as fh:
            fh.write(body)
        os.replace(tmp, folder / fname)
    (folder / f"{LIB_NAME}.sha256").write_text(LIB_SHA256 + "\n")


def liberty(kind: str = "full", root: Path | None = None) -> Path:
    """Path of the unpacked liberty: ``"full"`` (OpenSTA) or ``"map"`` (Yosys mapping)."""
    folder = _cache_dir(root)
    stamp = folder / f"{LIB_NAME}.sha256"
    if not (stamp.is_file() and stamp.read_text().strip() == LIB_SHA256):
        with open(folder / ".unpack.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (stamp.is_file() and stamp.read_text().strip() == LIB_SHA256):
                _unpack(folder)
    suffix = {"full": ".lib", "map": ".map.lib"}[kind]
    return folder / f"{LIB_NAME}{suffix}"


@cache
def _table(path: str) -> dict[str, dict[str, object]]:
    return json.loads(Path(path).read_text())


def cell_table(root: Path | None = None) -> dict[str, dict[str, object]]:
    """Cell name -> ``{"area_um2": float, "class": str}`` for every library cell."""
    liberty("full", root)
    return _table(str(_cache_dir(root) / f"{LIB_NAME}.cells.json"))
