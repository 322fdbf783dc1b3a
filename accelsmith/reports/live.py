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
from ..dse.storage import close_storage
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
        self._config_keys: list[str] = []
        self.version = 0
        self._campaign: Campaign | None = None
        self._quality: tuple[int, Quality | None] | None = None
        self.last_poll = 0.0
        self.refresh()

    def refresh(self) -> bool:
        """Read trials completed since the last call; True if there were any."""
        from .extract import _with_design_ids

        with self._lock:
            data = ledger.read_campaign(self.storage, self.name, since=self._seen)
            changed = set(data.infos) != set(self._infos)
            self._infos, self._seen = data.infos, data.seen
            for explorer, frame in data.frames.items():
                parts = self._parts.setdefault(explorer, [])
                if len(frame):
                    parts.append(_with_design_ids(frame, explorer))
                    changed = True
                if not self._config_keys and "_config_keys" in data.infos[explorer]:
                    self._config_keys = list(data.infos[explorer]["_config_keys"])
            if changed or self._campaign is None:
                self._rebuild()
            self.last_poll = time.time()
            return changed

    def _rebuild(self) -> None:
        import pandas as pd

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
        self._storages: list[Any] = []
        try:
            for s in sources:
                storage = open_storage(s.storage)  # one per target, shared by its campaigns
                self._storages.append(storage)
                pairs += [(s, storage, n) for n in campaign_names(s, storage)]
        except BaseException:
            self.close()
            raise
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

    def close(self) -> None:
        """Close every storage (read-only SQLite: tidy the files SQLite made for reading)."""
        for storage in self._storages:
            close_storage(storage)
        self._storages = []
