"""Static PNGs of a report's figures (``accelsmith report --png``): kaleido driving a local
Chrome/Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import OutputError, ToolNotFoundError

if TYPE_CHECKING:
    from .html import Report


def find_chrome() -> str:
    """Path of the Chrome/Chromium kaleido drives: ``BROWSER_PATH``, else one on PATH."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    raise ToolNotFoundError(
        "--png needs Chrome or Chromium (none on PATH); install one (e.g. `apt-get install "
        "chromium`) or set BROWSER_PATH to its executable"
    )


def prepare_pngs(out_dir: str | Path) -> Path:
    """Create the ``--png`` folder and find Chromium (callers do this before writing anything
    else, so a bad folder or a missing browser leaves no half-done output)."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--png {out_dir} cannot be created: {exc.strerror}") from None
    os.environ["BROWSER_PATH"] = find_chrome()
    return out_dir


def write_pngs(rep: Report, out_dir: str | Path, *, scale: float = 2.0) -> list[Path]:
    """One PNG per figure of ``rep`` in ``out_dir`` (kaleido with a local Chromium)."""
    import kaleido

    out_dir = prepare_pngs(out_dir)
    figs, paths = [], []
    for key, fig in rep.figures.items():
        path = out_dir / f"{key}.png"
        width = 1400 if key in ("parallel", "layers", "hypervolume") else 900
        figs.append(
            {
                "fig": fig,
                "path": path,
                "opts": {"format": "png", "width": width, "height": 650, "scale": scale},
            }
        )
        paths.append(path)
    if figs:
        kaleido.write_fig_from_object_sync(figs)
    return paths
