"""Campaigns read incrementally from storage, for the live dashboard.

A :class:`LiveCampaign` keeps one Optuna storage object open (Optuna's cached RDB storage and
the journal storage both fetch only what changed since the last read) and converts only the
trials it has not seen before into rows, so a poll of a 20,000-trial campaign costs little
more than a set lookup per trial. The assembled :class:`~accelsmith.reports.extract.Campaign`
is rebuilt only when new trials arrived, and cached together with its quality numbers.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError
from ..dse import ledger
from .extract import (
    Campaign,
    CampaignSource,
    Quality,
    build_campaign,
    campaign_names,
    campaign_quality,
    open_storage,
    resolve_target,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Hub", "LiveCampaign"]


class _TrialsView:
    """Duck-typed study exposing only some trials, so :func:`ledger.trials_frame` converts
    exactly the new ones with the ledger's own rules."""

    def __init__(self, trials: list[Any]) -> None:
        self._trials = trials

    def get_trials(self, deepcopy: bool = False, states: Any = None) -> list[Any]:
        return [t for t in self._trials if states is None or t.state in states]


class LiveCampaign:
    """One campaign of one storage, refreshed incrementally.

    Parameters
    ----------
    source : CampaignSource
    name : str
        The campaign name.
    key : str
        Unique label in the dashboard (the name, plus the storage when names clash).
    """

    def __init__(self, source: CampaignSource, name: str, key: str, storage: Any = None) -> None:
        self.source = source
        self.name = name
        self.key = key
        self.storage = storage if storage is not None else open_storage(source.storage)
        self._lock = threading.Lock()
        self._seen: dict[str, set[int]] = {}
        self._parts: dict[str, list[pd.DataFrame]] = {}
        self._infos: dict[str, dict[str, Any]] = {}
        self._study_ids: dict[str, int] = {}
        self._config_keys: list[str] = []
        self.version = 0
        self._campaign: Campaign | None = None
        self._quality: tuple[int, Quality | None] | None = None
        self.last_poll = 0.0
        self.refresh()

    def _explorers(self) -> list[str]:
        return ledger.campaign_studies(self.storage, self.name).get(self.name, [])

    def refresh(self) -> bool:
        """Read trials completed since the last call; True if there were any."""
        import optuna
        import pandas as pd

        from .extract import _with_design_ids

        with self._lock:
            changed = False
            for explorer in self._explorers():
                if explorer not in self._study_ids:
                    sname = ledger.study_name(self.name, explorer)
                    sid = self.storage.get_study_id_from_name(sname)
                    self._study_ids[explorer] = sid
                    self._infos[explorer] = dict(
                        self.storage.get_study_user_attrs(sid).get(ledger.STUDY_KEY, {})
                    )
                    self._seen[explorer] = set()
                    self._parts[explorer] = []
                    changed = True
                seen = self._seen[explorer]
                trials = self.storage.get_all_trials(
                    self._study_ids[explorer],
                    deepcopy=False,
                    states=(optuna.trial.TrialState.COMPLETE,),
                )
                new = [t for t in trials if t.number not in seen]
                if not new:
                    continue
                seen.update(t.number for t in new)
                if not self._config_keys:
                    self._config_keys = list(new[0].user_attrs.get(ledger.CONFIG_KEY, {}))
                frame = ledger.trials_frame(_TrialsView(new))  # type: ignore[arg-type]
                self._parts[explorer].append(_with_design_ids(frame, explorer))
                changed = True
            if changed or self._campaign is None:
                frames = {
                    e: (
                        pd.concat(p, ignore_index=True).sort_values("number", ignore_index=True)
                        if p
                        else pd.DataFrame()
                    )
                    for e, p in self._parts.items()
                }
                for e, p in frames.items():
                    self._parts[e] = [p] if len(p) else []
                frames = {e: f if len(f) else _empty_frame() for e, f in frames.items()}
                if frames:
                    camp = build_campaign(self.name, self.source.label, frames, self._infos)
                    camp.config_keys = self._config_keys
                    self._campaign = camp
                    self.version += 1
            self.last_poll = time.time()
            return changed

    @property
    def campaign(self) -> Campaign:
        if self._campaign is None:
            raise ConfigError(f"campaign {self.name!r} has no explorer study yet")
        return self._campaign

    def quality(self) -> Quality | None:
        """Hypervolume numbers of the current trials (computed once per new data)."""
        with self._lock:
            if self._quality is None or self._quality[0] != self.version:
                try:
                    q = campaign_quality(self.campaign)
                except ConfigError:
                    q = None
                self._quality = (self.version, q)
            return self._quality[1]


def _empty_frame() -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        columns=["number", "state", "explorer", "feasible", "design", "datetime_complete"]
    )


class Hub:
    """Every campaign of every target the dashboard was started on."""

    def __init__(self, targets: list[str], campaign: str | None = None) -> None:
        sources = [resolve_target(t, campaign) for t in targets]
        pairs: list[tuple[CampaignSource, Any, str]] = []
        for s in sources:
            storage = open_storage(s.storage)  # one per target, shared by its campaigns
            pairs += [(s, storage, n) for n in campaign_names(s, storage)]
        names = [n for _, _, n in pairs]
        self.campaigns: dict[str, LiveCampaign] = {}
        for s, storage, n in pairs:
            key = n if names.count(n) == 1 else f"{n} ({s.label})"
            self.campaigns[key] = LiveCampaign(s, n, key, storage)

    def refresh(self) -> bool:
        """Poll every campaign; True if any changed."""
        changed = False
        for c in self.campaigns.values():
            changed |= c.refresh()
        return changed

    def versions(self) -> dict[str, int]:
        return {k: c.version for k, c in self.campaigns.items()}
