"""Parameter flags shared by ``generate``, ``verify`` and later ``cost`` for each family."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.core.families.systolic import SystolicParams

Rows = Annotated[int | None, typer.Option("--rows", help="PE rows (1..256).", show_default=False)]
Cols = Annotated[int | None, typer.Option("--cols", help="PE columns (1..256).")]
Dataflow = Annotated[str | None, typer.Option("--dataflow", help="os or ws.")]
InBits = Annotated[int | None, typer.Option("--in-bits", help="Input element width (2..16).")]
Signed = Annotated[
    bool | None, typer.Option("--signed/--unsigned", help="Two's complement or unsigned inputs.")
]
AccBits = Annotated[
    int | None,
    typer.Option("--acc-bits", help="Accumulator width (2..128); default exact for --max-k."),
]
MaxK = Annotated[int | None, typer.Option("--max-k", help="Deepest exact reduction (1..2^20).")]
Config = Annotated[
    Path | None,
    typer.Option("--config", help="YAML file of these parameters (keys with _, e.g. in_bits: 8)."),
]


def config_keys(config: Path | None) -> set[str]:
    """Keys a ``--config`` YAML file sets (empty without one); the file is validated first."""
    if config is None:
        return set()
    import yaml

    SystolicParams.from_yaml(config)  # one-line errors for unreadable or invalid files
    return set(yaml.safe_load(config.read_text()) or {})


def systolic_params(
    config: Path | None,
    *,
    rows: int | None,
    cols: int | None,
    dataflow: str | None,
    in_bits: int | None,
    signed: bool | None,
    acc_bits: int | None,
    max_k: int | None,
) -> SystolicParams:
    """Merge ``--config`` (if any) with the flags given; flags win."""
    values: dict[str, Any] = {}
    if config is not None:
        values = SystolicParams.from_yaml(config).to_dict()
        # a derived default in the file is re-derived unless the file set it explicitly
        import yaml

        raw = yaml.safe_load(config.read_text()) or {}
        if "acc_bits" not in raw:
            values.pop("acc_bits")
    flags = {
        "rows": rows,
        "cols": cols,
        "dataflow": dataflow,
        "in_bits": in_bits,
        "signed": signed,
        "acc_bits": acc_bits,
        "max_k": max_k,
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    return SystolicParams.from_dict(values, source="parameters")
