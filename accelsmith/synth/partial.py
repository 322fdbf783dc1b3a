"""A partial calibration run (``accelsmith calibrate --kinds``): the existing data file it
updates, the tool-version check and the provenance record, shared by the sky130hd and ECP5
calibrations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["existing_data", "record_partial"]


def existing_data(out: Path) -> dict[str, Any]:
    """The complete data file ``out`` that a partial run updates.

    Raises
    ------
    ConfigError
        ``out`` does not exist.
    """
    from ..core.errors import ConfigError

    if not Path(out).is_file():
        raise ConfigError(f"--kinds updates an existing data file; {out} does not exist")
    data: dict[str, Any] = json.loads(Path(out).read_text())
    return data


def record_partial(
    data: dict[str, Any], new: dict[str, Any], out: Path, kinds: list[str], **extra: Any
) -> None:
    """Check that ``new`` (the partial run's data) used the tools of ``data`` (the file
    ``out``) and record the run (date, kinds, ``extra``) in ``data``'s provenance.

    Raises
    ------
    ConfigError
        The tool versions differ (samples of two tool versions in one file).
    """
    from ..core.errors import ConfigError

    if new["provenance"]["tools"] != data["provenance"]["tools"]:
        raise ConfigError(
            f"--kinds: the tools differ from those of {out} "
            f"({new['provenance']['tools']} vs {data['provenance']['tools']}); "
            "run the whole calibration"
        )
    runs = data["provenance"].setdefault("partial_runs", [])
    runs.append({"date": new["provenance"]["date"], "kinds": kinds, **extra})
