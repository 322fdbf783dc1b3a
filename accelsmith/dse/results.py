"""Reading a campaign back: trials frames, status, Pareto designs and exports.

Everything here reads only the ledger (:mod:`accelsmith.dse.ledger`) through Optuna storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError, OutputError
from .ledger import read_campaign, study_name

if TYPE_CHECKING:
    import pandas as pd

    from .spec import CampaignSpec

__all__ = [
    "CampaignStatus",
    "campaign_frames",
    "export_trials",
    "pareto_designs",
    "pareto_front",
    "status",
]


def campaign_frames(
    store: Any, campaign: str, *, include_failed: bool = False
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, Any]]]:
    """Explorer -> trials frame, and explorer -> study info, for every study of ``campaign``
    (:func:`accelsmith.dse.ledger.read_campaign`)."""
    data = read_campaign(store, campaign, include_failed=include_failed)
    return data.frames, data.infos


@dataclass
class CampaignStatus:
    """``dse status`` data: one row per explorer plus how the numbers were normalized."""

    table: pd.DataFrame
    normalization: dict[str, Any] | None
    infos: dict[str, dict[str, Any]]


def status(store: Any, spec: CampaignSpec, *, reference: Any = None) -> CampaignStatus:
    """Trials, failed, feasible, front size, HV, HV ratio and IGD+ per explorer.

    ``reference``: a stored :class:`~accelsmith.dse.reference.ReferenceFront` the strict
    measures are taken against when the campaign has no exact front.
    """
    import numpy as np

    from . import pareto

    frames, infos = campaign_frames(store, spec.name, include_failed=True)
    ok_frames = {e: f[f["state"] == "COMPLETE"] if len(f) else f for e, f in frames.items()}
    objectives = list(spec.objectives)
    try:
        norm = pareto.campaign_normalization(ok_frames, objectives)
        table = pareto.quality_summary(ok_frames, objectives, normalization=norm)
        nd = norm.to_dict()
    except ConfigError:  # no feasible trial yet
        import pandas as pd

        table = pd.DataFrame(
            {
                "explorer": list(frames),
                "hypervolume": np.nan,
                "hv_ratio": np.nan,
                "igd_plus": np.nan,
            }
        ).set_index("explorer")
        nd = None
    try:  # strict measures (speed's hook): recall, normalized IGD+, log HV ratio, trials to 95 %
        ref = reference.as_reference() if reference is not None else None
        strict = pareto.strict_summary(ok_frames, objectives, reference=ref)
        for c in strict.columns:
            table[c] = strict[c].reindex(table.index)
    except ConfigError:
        pass
    for e, f in frames.items():
        table.loc[e, "trials"] = int((f["state"] == "COMPLETE").sum()) if len(f) else 0
        table.loc[e, "failed"] = int((f["state"] == "FAIL").sum()) if len(f) else 0
        table.loc[e, "feasible"] = int(f["feasible"].sum()) if len(f) else 0
        if infos[e].get("sampler_ms") is not None:
            table.loc[e, "sampler_ms"] = infos[e]["sampler_ms"]
        if infos[e].get("points_evaluated") is not None:
            table.loc[e, "points_evaluated"] = infos[e]["points_evaluated"]
    return CampaignStatus(table=table, normalization=nd, infos=infos)


def pareto_designs(store: Any, spec: CampaignSpec, explorer: str | None = None) -> pd.DataFrame:
    """Feasible Pareto-optimal trials (of one explorer, or of all together), sorted by the
    first objective, with the ``accelsmith generate`` command of each."""
    import pandas as pd

    from ..core.commands import generate_command
    from ..core.registry import get_family

    frames, _ = campaign_frames(store, spec.name)
    if explorer is not None:
        if explorer not in frames:
            raise ConfigError(
                f"--explorer must be one of {', '.join(frames)} for campaign {spec.name!r}, "
                f"not {explorer!r}"
            )
        frames = {explorer: frames[explorer]}
    frame = (
        pd.concat([f for f in frames.values() if len(f)], ignore_index=True)
        if any(len(f) for f in frames.values())
        else pd.DataFrame()
    )
    front = pareto_front(frame, list(spec.objectives), design_cols=_config_cols(spec))
    if front.empty:
        return front
    front = front.reset_index(drop=True)
    # the space's parameters plus those the model derived and the ledger recorded (max_k ...)
    fields = get_family(spec.family).params_class().field_names()
    config_cols = [c for c in dict.fromkeys([*_config_cols(spec), *fields]) if c in front.columns]
    front["command"] = [
        generate_command(spec.family, {k: _py(r[k]) for k in config_cols if r[k] == r[k]})
        for _, r in front.iterrows()
    ]
    return front


def pareto_front(
    frame: pd.DataFrame,
    objectives: Sequence[tuple[str, str]],
    *,
    design_cols: Sequence[str] = (),
) -> pd.DataFrame:
    """The Pareto-optimal designs of a trials frame: its feasible non-dominated rows, one per
    distinct design (``design_cols``: the configuration columns), best first (sorted by the
    objectives in order, each in its direction). The index of ``frame`` is kept.

    ``dse pareto``, the report and the dashboard all take their Pareto designs from here.
    """
    from . import pareto

    if frame.empty:
        return frame
    front = frame[pareto.front_mask(frame, list(objectives)).to_numpy()]
    subset = [c for c in design_cols if c in front.columns]
    if subset:
        front = front.drop_duplicates(subset=subset)
    names = [m for m, _ in objectives]
    ascending = [d == "minimize" for _, d in objectives]
    return front.sort_values(names, ascending=ascending, kind="stable")


def _config_cols(spec: CampaignSpec) -> list[str]:
    return list(spec.build_space().names)


def _py(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def export_trials(
    store: Any,
    spec: CampaignSpec,
    *,
    csv: Path | None = None,
    parquet: Path | None = None,
    explorer: str | None = None,
) -> int:
    """Write every trial (all explorers, with a ``pareto`` column) to CSV and/or Parquet."""
    import pandas as pd

    from . import pareto

    if csv is None and parquet is None:
        raise ConfigError("export needs --csv PATH and/or --parquet PATH")
    frames, _ = campaign_frames(store, spec.name, include_failed=True)
    if explorer is not None:
        if explorer not in frames:
            raise ConfigError(f"--explorer must be one of {', '.join(frames)}, not {explorer!r}")
        frames = {explorer: frames[explorer]}
    parts = []
    for e, f in frames.items():
        if not len(f):
            continue
        f = f.copy()
        f.insert(0, "study", study_name(spec.name, e))
        ok = f["state"] == "COMPLETE"
        f["pareto"] = False
        if ok.any():
            f.loc[ok, "pareto"] = pareto.front_mask(f[ok], list(spec.objectives)).to_numpy()
        parts.append(f)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    from ..core.files import atomic_write_many

    # every target's folder and payload first, then all files or none: a failing --parquet
    # must not leave a new --csv behind (or the other way round)
    items = []
    for path, writer in ((csv, frame.to_csv), (parquet, frame.to_parquet)):
        if path is None:
            continue
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # mkdir: a parent is a file
            raise OutputError(f"cannot write {path}: {Path(path).parent} is not a folder") from None
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        items.append((path, writer(index=False)))
    try:
        atomic_write_many(items)
    except OSError as exc:  # the reason, not the atomic write's temporary file name
        bad = getattr(exc, "target", items[-1][0])
        raise OutputError(f"cannot write {bad}: {exc.strerror or exc}") from None
    return len(frame)
