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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from ..dse import ledger

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
_RUN_FILES = ("study.db", "journal.log")
_JOURNAL_SUFFIXES = (".log", ".jsonl", ".journal")


@dataclasses.dataclass(frozen=True, kw_only=True)
class CampaignSource:
    """Where campaigns live: a storage URL or journal path, and the campaign to pick (or None).

    Parameters
    ----------
    storage : str
        An RDB URL or ``journal:<path>`` for a JournalStorage file.
    campaign : str or None
        The campaign name the target pinned (a spec's ``name``), or None for "any".
    label : str
        The target as the user wrote it (for messages and titles).
    """

    storage: str
    campaign: str | None
    label: str


def _check_storage_exists(url: str, label: str) -> None:
    if url.startswith("journal:"):
        p = Path(url[len("journal:") :])
    elif url.startswith("sqlite:///"):
        p = Path(url[len("sqlite:///") :])
        if str(p) in ("", ":memory:"):
            raise ConfigError(f"storage {label!r} is an in-memory database: nothing to report")
    else:
        return
    if not p.is_file():
        raise ConfigError(
            f"storage {label!r} does not exist ({p} not found); give a campaign spec YAML, "
            "a run directory holding study.db, or a storage URL"
        )


def resolve_target(target: str, campaign: str | None = None) -> CampaignSource:
    """Turn a CLI target (spec, run folder, storage file or URL) into a :class:`CampaignSource`.

    A spec file or a run folder ``runs/<name>/`` (holding ``spec.yaml``) is resolved exactly
    as ``accelsmith dse status`` does (its ``campaign.json`` names the storage); a folder
    without a spec but with ``study.db`` or ``journal.log`` is read directly.

    Raises
    ------
    ConfigError
        The target does not name an existing storage.
    """
    label = str(target)
    if "://" in label:
        storage, pinned = label, None
    else:
        p = Path(label)
        if p.is_dir() and not (p / "spec.yaml").is_file():
            found = [p / f for f in _RUN_FILES if (p / f).is_file()]
            if not found:
                raise ConfigError(
                    f"run folder {label!r} holds no campaign (no spec.yaml, "
                    f"{' or '.join(_RUN_FILES)})"
                )
            p = found[0]
        if not p.exists():
            raise ConfigError(
                f"storage {label!r} does not exist; give a campaign spec YAML, a run folder "
                "(runs/<name>/), a storage file or a storage URL"
            )
        if p.is_dir() or p.suffix in (".yaml", ".yml"):
            from ..dse.campaign import resolve_target as dse_target

            spec, storage = dse_target(p)
            pinned = spec.name
        elif p.suffix in _JOURNAL_SUFFIXES:
            storage, pinned = f"journal:{p}", None
        else:
            storage, pinned = f"sqlite:///{p}", None
    _check_storage_exists(storage, label)
    return CampaignSource(storage=storage, campaign=campaign or pinned, label=label)


def open_storage(storage: str) -> optuna.storages.BaseStorage:
    """An Optuna storage object (cached RDB or journal) for a :class:`CampaignSource` URL."""
    import optuna

    try:
        if storage.startswith("journal:"):
            from optuna.storages.journal import JournalFileBackend, JournalStorage

            return JournalStorage(JournalFileBackend(storage[len("journal:") :]))
        kwargs: dict[str, Any] = {}
        if storage.startswith("sqlite:///"):  # wait for a running campaign's write lock
            kwargs["engine_kwargs"] = {"connect_args": {"timeout": 60}}
        from ..dse.campaign import driver_url

        # Optuna's cached wrapper: later reads fetch only trials not finished before
        url = driver_url(storage)
        return optuna.storages.get_storage(optuna.storages.RDBStorage(url, **kwargs))
    except ConfigError:
        raise
    except Exception as exc:  # sqlalchemy / driver errors: one line naming the storage
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"storage {storage!r} cannot be opened: {msg}") from None


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
        """The non-dominated feasible designs over all explorers, best first objective first."""
        if not len(self.trials):
            return self.trials
        front = self.trials[self.trials["status"] == STATUS_PARETO]
        return front.sort_values(self.objective_names[0], ascending=self.signs[0] > 0)

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


def load_study_frame(
    storage: optuna.storages.BaseStorage, campaign: str, explorer: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Trials frame and study attributes of one explorer's study."""
    import optuna

    study = optuna.load_study(study_name=ledger.study_name(campaign, explorer), storage=storage)
    info = ledger.study_info(study)
    frame = _with_design_ids(ledger.trials_frame(study), explorer)
    first = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))[:1]
    if first:
        info.setdefault("_config_keys", list(first[0].user_attrs.get(ledger.CONFIG_KEY, {})))
    return frame, info


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
    frames: dict[str, pd.DataFrame] = {}
    infos: dict[str, dict[str, Any]] = {}
    for explorer in found[name]:
        frames[explorer], infos[explorer] = load_study_frame(storage, name, explorer)
    return build_campaign(name, source.label, frames, infos)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Quality:
    """Quality numbers of a campaign (see :mod:`accelsmith.dse.pareto` for the definitions).

    Attributes
    ----------
    summary : DataFrame
        Per explorer: trials, feasible, pareto_points, hypervolume, hv_ratio, igd_plus.
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
    return Quality(
        summary=pareto.quality_summary(frames, camp.objectives, exact=exact, normalization=norm),
        history=pareto.history_frame(frames, camp.objectives, exact=exact, normalization=norm),
        normalization=norm.to_dict(),
    )


def _workloads(spec: dict[str, Any]) -> list[tuple[str, Any]]:
    """``(label, workload)`` pairs of a spec's ``workload`` (a name, file, or weighted list)."""
    wl = spec.get("workload")
    if wl is None:
        return []
    if isinstance(wl, (str, Path)):
        return [(str(wl), str(wl))]
    if isinstance(wl, dict):
        wl = [wl] if ("name" in wl or "workload" in wl) else list(wl.keys())
    out = []
    for item in wl:
        if isinstance(item, dict):
            w = item.get("name") or item.get("file") or item.get("workload")
            out.append((str(w), w))
        elif isinstance(item, (str, Path)):
            out.append((str(item), str(item)))
    return out


def layer_breakdown(camp: Campaign, designs: pd.DataFrame) -> pd.DataFrame:
    """Per-layer rows (``design``, ``workload``, ``layer``, ``latency_s``, ``energy_j``,
    ``utilization`` ...) of ``designs`` on the campaign workload(s), recomputed with
    ``accelsmith.models.evaluate(..., per_layer=True)`` from the stored configurations.

    Empty frame when the spec names no workload.
    """
    import pandas as pd

    from ..models import evaluate

    spec = camp.spec
    if not len(designs):
        return pd.DataFrame()
    configs = [config_of(camp, row) for _, row in designs.iterrows()]
    from ..models.tech import Tech

    # the technology exactly as the campaign evaluated it (accelsmith.dse.evaluator)
    tech = Tech.at_node(int(spec.get("node_nm") or 45))
    if spec.get("tech"):
        tech = Tech.from_yaml(spec["tech"], base=tech)
    kwargs: dict[str, Any] = {"tech": tech}
    if spec.get("convention"):
        kwargs["convention"] = str(spec["convention"])
    parts = []
    for label, wl in _workloads(spec):
        per = evaluate(camp.family, configs, wl, per_layer=True, **kwargs)
        per.insert(0, "design", designs["design"].to_numpy()[per["config"].to_numpy()])
        per.insert(1, "workload", label)
        parts.append(per)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


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
