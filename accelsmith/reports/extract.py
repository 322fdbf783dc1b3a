"""Campaign storage -> plain data (pandas frames and dicts) for reports and the dashboard.

Reads only the campaign ledger (:mod:`accelsmith.dse.ledger`): one Optuna study per explorer
named ``"<campaign>@<explorer>"``. Nothing here draws; :mod:`.figures` turns the result into
plotly figures.

A *target* names where a campaign lives: a storage URL (``sqlite:///runs/x/study.db``,
``postgresql+psycopg2://...``), a run directory holding ``study.db`` (or ``journal.log``), a
SQLite or journal file, or a campaign spec YAML (its ``storage`` and ``name``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from ..dse import ledger
from ..dse.storage import Target, close_storage
from ..dse.storage import open_storage as _open
from ..dse.storage import resolve_target as _resolve

if TYPE_CHECKING:
    import optuna
    import pandas as pd

__all__ = [
    "STATUS_DOMINATED",
    "STATUS_INFEASIBLE",
    "STATUS_PARETO",
    "Campaign",
    "CampaignSource",
    "Quality",
    "campaign_quality",
    "load_campaign",
    "open_storage",
    "resolve_target",
]

EXHAUSTIVE = "exhaustive"
STATUS_PARETO = "pareto"
STATUS_DOMINATED = "dominated"
STATUS_INFEASIBLE = "infeasible"
#: where campaigns live (a spec's storage, a run folder, a storage file or URL)
CampaignSource = Target


def resolve_target(
    target: str, campaign: str | None = None, *, storage: str | None = None
) -> CampaignSource:
    """Turn a CLI target (spec, run folder, storage file or URL) into a :class:`CampaignSource`
    (:func:`accelsmith.dse.storage.resolve_target`; nothing is created or opened).

    Raises
    ------
    ConfigError
        The target does not name an existing storage.
    """
    return _resolve(target, storage=storage, campaign=campaign)


def open_storage(storage: str) -> optuna.storages.BaseStorage:
    """A read-only Optuna storage for a :class:`CampaignSource` URL
    (:func:`accelsmith.dse.storage.open_storage`)."""
    return _open(storage)


@dataclasses.dataclass(kw_only=True)
class Campaign:
    """Everything a report shows about one campaign, as plain data.

    Attributes
    ----------
    name, family : str
        Campaign and accelerator family.
    objectives : list of (metric, direction)
        ``direction`` is ``"minimize"`` or ``"maximize"``.
    constraints : list of (metric, op, bound)
    params : list of str
        The design parameters the campaign varies.
    info : dict
        The study attributes (spec, seed, versions, created ...) of the first explorer.
    explorer_info : dict
        Explorer -> its study attributes.
    trials : DataFrame
        Every completed trial of every explorer except the exhaustive one, with ``explorer``,
        ``feasible``, ``status`` (pareto | dominated | infeasible) and ``design`` (a unique
        ``<explorer>#<number>`` id).
    exhaustive : DataFrame or None
        The exact Pareto front recorded by the exhaustive explorer, if it ran.
    frames : dict
        Explorer -> its trials frame (the exhaustive one included), as the quality metrics
        of :mod:`accelsmith.dse.pareto` take them.
    """

    name: str
    family: str
    storage: str
    objectives: list[tuple[str, str]]
    constraints: list[tuple[str, str, float]]
    params: list[str]
    info: dict[str, Any]
    explorer_info: dict[str, dict[str, Any]]
    trials: pd.DataFrame
    exhaustive: pd.DataFrame | None
    frames: dict[str, pd.DataFrame]
    config_keys: list[str] = dataclasses.field(default_factory=list)
    #: a stored reference front ``(values, description)`` for the strict measures when there
    #: is no exact front (``report --reference``; :mod:`accelsmith.dse.reference`)
    reference: tuple[Any, str] | None = None

    @property
    def objective_names(self) -> list[str]:
        return [m for m, _ in self.objectives]

    @property
    def explorers(self) -> list[str]:
        return list(self.explorer_info)

    @property
    def signs(self) -> np.ndarray:
        """+1 for minimized objectives, -1 for maximized (multiply to get a minimization)."""
        return np.array([1.0 if d == "minimize" else -1.0 for _, d in self.objectives])

    @property
    def feasible(self) -> pd.DataFrame:
        return self.trials[self.trials["feasible"]] if len(self.trials) else self.trials

    @property
    def pareto(self) -> pd.DataFrame:
        """The Pareto-optimal trials over all explorers, best first
        (:func:`accelsmith.dse.results.pareto_front`, as ``dse pareto``; a design evaluated
        twice is two rows here, which the report's heading counts, and one in ``dse pareto``)."""
        from ..dse.results import pareto_front

        if not len(self.trials):
            return self.trials
        return pareto_front(self.trials, self.objectives)

    @property
    def spec(self) -> dict[str, Any]:
        return dict(self.info.get("spec") or {})


def classify(frame: pd.DataFrame, objectives: list[tuple[str, str]]) -> np.ndarray:
    """Status of every row: pareto (non-dominated among the feasible rows of ``frame``),
    dominated (feasible) or infeasible (a constraint violated or an objective not finite)."""
    from ..dse import pareto

    status = np.full(len(frame), STATUS_INFEASIBLE, dtype=object)
    if not len(frame):
        return status
    vals = pareto.objective_values(frame, objectives)  # infeasible rows -> NaN
    ok = np.isfinite(vals).all(axis=1)
    status[ok] = STATUS_DOMINATED
    status[pareto.nondominated_mask(vals, [d for _, d in objectives])] = STATUS_PARETO
    return status


def campaign_names(source: CampaignSource, storage: Any = None) -> list[str]:
    """Campaigns in ``source`` (only its pinned campaign if it names one that exists).

    ``storage``: an already opened storage of ``source`` (a journal is replayed per opening).
    """
    found = ledger.campaign_studies(storage or open_storage(source.storage))
    if source.campaign is not None:
        if source.campaign not in found:
            have = ", ".join(found) or "none"
            raise ConfigError(
                f"campaign {source.campaign!r} not found in {source.label}; campaigns: {have}"
            )
        return [source.campaign]
    if not found:
        raise ConfigError(f"storage {source.label!r} holds no accelsmith campaign")
    return list(found)


def _with_design_ids(frame: pd.DataFrame, explorer: str) -> pd.DataFrame:
    import pandas as pd

    if not len(frame):
        return pd.DataFrame(columns=["number", "state", "explorer", "feasible", "design"])
    frame = frame.copy()
    frame["explorer"] = explorer
    frame["design"] = [f"{explorer}#{n}" for n in frame["number"]]
    return frame


def varied_params(info: dict[str, Any], frame: pd.DataFrame) -> list[str]:
    """The parameters a campaign varies: the space entries that are not fixed scalars."""
    space = info.get("space") or (info.get("spec") or {}).get("space") or {}
    # a fixed parameter is a scalar in a spec and {"value": x} in the normalized space
    names = [k for k, v in space.items() if isinstance(v, dict) and ("low" in v or "choices" in v)]
    if names:
        return [k for k in names if k in frame.columns] or names
    skip = {"number", "state", "explorer", "feasible", "datetime_complete", "eval_seconds"}
    return [c for c in frame.columns if c not in skip and frame[c].nunique(dropna=True) > 1][:12]


def build_campaign(
    name: str,
    storage_label: str,
    frames: dict[str, pd.DataFrame],
    infos: dict[str, dict[str, Any]],
) -> Campaign:
    """Assemble a :class:`Campaign` from per-explorer trial frames and study attributes."""
    import pandas as pd

    explorers = [e for e in frames if e != EXHAUSTIVE] or list(frames)
    base = infos[explorers[0]] if explorers else {}
    objectives = [(str(m), str(d)) for m, d in base.get("objectives", [])]
    if not objectives:
        raise ConfigError(f"campaign {name!r} records no objectives (study attribute missing)")
    constraints = [(str(m), str(op), float(b)) for m, op, b in base.get("constraints", [])]
    parts = [frames[e] for e in explorers if e != EXHAUSTIVE and len(frames[e])]
    exhaustive = frames.get(EXHAUSTIVE)
    if not parts and exhaustive is not None and len(exhaustive):
        parts = [exhaustive]  # only the exhaustive sweep ran: its exact front is the result
    trials = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    camp = Campaign(
        name=name,
        family=str(base.get("family", "systolic")),
        storage=storage_label,
        objectives=objectives,
        constraints=constraints,
        params=[],
        info=base,
        explorer_info={e: infos[e] for e in frames},
        trials=trials,
        exhaustive=exhaustive if exhaustive is not None and len(exhaustive) else None,
        frames=frames,
        config_keys=next((i["_config_keys"] for i in infos.values() if "_config_keys" in i), []),
    )
    if len(trials):
        missing = [m for m in camp.objective_names if m not in trials.columns]
        if missing:
            raise ConfigError(f"campaign {name!r}: objective {missing[0]!r} missing from trials")
        trials["status"] = classify(trials, objectives)
        camp.params = varied_params(base, trials)
    else:
        camp.params = varied_params(base, pd.DataFrame())
    return camp


def load_campaign(source: CampaignSource, name: str | None = None) -> Campaign:
    """Read one campaign (``name``, or the source's only/pinned campaign) from storage.

    Raises
    ------
    ConfigError
        Storage missing or unreadable, campaign not found, or several campaigns and no name.
    """
    storage = open_storage(source.storage)
    try:
        found = ledger.campaign_studies(storage)
        name = name or source.campaign
        if name is None:
            if not found:
                raise ConfigError(f"storage {source.label!r} holds no accelsmith campaign")
            if len(found) > 1:
                raise ConfigError(
                    f"storage {source.label!r} holds several campaigns ({', '.join(found)}); "
                    "choose one with --campaign"
                )
            name = next(iter(found))
        if name not in found:
            have = ", ".join(found) or "none"
            raise ConfigError(f"campaign {name!r} not found in {source.label}; campaigns: {have}")
        data = ledger.read_campaign(storage, name)
    finally:
        close_storage(storage)
    frames = {e: _with_design_ids(f, e) for e, f in data.frames.items()}
    return build_campaign(name, source.label, frames, data.infos)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Quality:
    """Quality numbers of a campaign (see :mod:`accelsmith.dse.pareto` for the definitions).

    Attributes
    ----------
    summary : DataFrame
        Per explorer: trials, feasible, pareto_points, hypervolume, hv_ratio, igd_plus and
        the strict measures (:data:`accelsmith.dse.pareto.STRICT_COLUMNS`, ``reference``).
    history : DataFrame
        Long format: explorer, trials, hypervolume, hv_ratio.
    normalization : dict
        ideal, nadir, directions, reference_point and source of the bounds.
    """

    summary: pd.DataFrame
    history: pd.DataFrame
    normalization: dict[str, Any]


def campaign_quality(camp: Campaign) -> Quality | None:
    """Hypervolume, HV ratio, IGD+ and HV history of every explorer (None: no feasible trial)."""
    from ..dse import pareto

    frames = {e: f for e, f in camp.frames.items() if len(f)}
    if not len(camp.feasible):
        return None
    exact = EXHAUSTIVE if camp.exhaustive is not None else None
    norm = pareto.campaign_normalization(frames, camp.objectives, exact=exact)
    summary = pareto.quality_summary(frames, camp.objectives, exact=exact, normalization=norm)
    # the strict measures (speed's hook; accelsmith.dse.pareto.strict): recall, IGD+ norm,
    # log HV ratio and trials to 95 %, measured against the exact (else the combined) front
    strict = pareto.strict_summary(frames, camp.objectives, exact=exact, reference=camp.reference)
    summary = summary.join(strict.drop(columns=[c for c in strict if c in summary.columns]))
    return Quality(
        summary=summary,
        history=pareto.history_frame(frames, camp.objectives, exact=exact, normalization=norm),
        normalization=norm.to_dict(),
    )


_COSTING_KEYS = ("name", "family", "workload", "node_nm", "tech", "space")


def layer_breakdown(camp: Campaign, designs: pd.DataFrame) -> pd.DataFrame:
    """Per-layer rows (``design``, ``workload``, ``layer``, ``latency_s``, ``energy_j``,
    ``utilization`` ...) of ``designs`` on the campaign workload(s).

    Recomputed from the stored configurations through the evaluator the campaign used
    (:meth:`accelsmith.dse.evaluator.Evaluator.per_layer`, built from the stored spec: same
    model, workloads, node and technology file). Empty frame when the spec names no workload.
    """
    import pandas as pd

    from ..dse.evaluator import Evaluator
    from ..dse.spec import parse_spec

    if not len(designs) or not camp.spec.get("workload"):
        return pd.DataFrame()
    # the stored spec's costing set-up (family, workloads and weights, node, technology file)
    # validated as a campaign would be; objectives are not used to cost layers, so older
    # specs the current objective rules refuse still report
    stored = camp.spec
    costing = {k: stored[k] for k in _COSTING_KEYS if stored.get(k) is not None}
    metrics = list(dict.fromkeys([*camp.objective_names, "latency_s", "energy_j"]))[:2]
    costing["objectives"] = dict.fromkeys(metrics, "minimize")
    spec = parse_spec(costing, source=f"campaign {camp.name!r} (stored spec)")
    per = Evaluator(spec).per_layer([config_of(camp, row) for _, row in designs.iterrows()])
    per.insert(0, "design", designs["design"].to_numpy()[per["config"].to_numpy()])
    return per


def config_of(camp: Campaign, row: Any) -> dict[str, Any]:
    """The full configuration (generator flags and model-only keys) of a trials-frame row."""
    out = {}
    for k in camp.config_keys:
        if k in row.index:
            v = row[k]
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            out[k] = v.item() if hasattr(v, "item") else v
    return out


def design_row(camp: Campaign, design: str) -> Any:
    """The trials-frame row (a Series) of a design id, exact front included; None if unknown."""
    for frame in (camp.trials, camp.exhaustive):
        if frame is not None and len(frame):
            hit = frame[frame["design"] == design]
            if len(hit):
                return hit.iloc[0]
    return None
