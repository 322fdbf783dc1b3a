"""Campaigns read incrementally from storage, for the live dashboard.

A :class:`LiveCampaign` keeps one storage open and, on each :meth:`~LiveCampaign.refresh`,
reads only the trials finished since the previous one: SQLite and PostgreSQL ledgers through
:class:`~accelsmith.dse.ledger_columns.ColumnReader` (plain SQL, a query per attribute),
journals through :func:`~accelsmith.dse.ledger.read_campaign` with ``since=``.

Work per refresh does not grow with the campaign: the new rows are appended as a chunk (the
whole trials frame is concatenated only when something asks for it, and then cached), and
the Pareto status is updated incrementally. A point dominated by any trial is dominated by a
point of the current front, so the new front is the non-dominated set of (old front + new
feasible rows); old front points that drop out are recorded as *demoted* with the version
that demoted them, so a client that drew version ``v`` can be sent exactly what changed
(:meth:`LiveCampaign.delta`).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from ..dse import ledger
from ..dse.ledger_columns import ColumnReader, rdb_of
from ..dse.storage import close_storage
from .extract import (
    EXHAUSTIVE,
    STATUS_DOMINATED,
    STATUS_INFEASIBLE,
    STATUS_PARETO,
    Campaign,
    CampaignSource,
    Quality,
    _with_design_ids,
    campaign_names,
    campaign_quality,
    open_storage,
    resolve_target,
    varied_params,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Delta", "Hub", "LiveCampaign"]

#: status codes of the rows (index = code)
STATUSES = np.array([STATUS_INFEASIBLE, STATUS_DOMINATED, STATUS_PARETO], dtype=object)
_DOM, _PAR = 1, 2


@dataclasses.dataclass
class Delta:
    """What changed in a campaign since a client drew rows ``[0, n0)`` at version ``v0``.

    Attributes
    ----------
    new : DataFrame
        Rows ``[n0, n)`` with their current ``status``.
    demoted : DataFrame
        Rows below ``n0`` that were Pareto-optimal at ``v0`` and are dominated now.
    front : DataFrame or None
        The whole current front (best first), or None when it did not change since ``v0``.
    n, version, generation : int
        The campaign's row count, version and generation now.
    """

    new: pd.DataFrame
    demoted: pd.DataFrame
    front: pd.DataFrame | None
    n: int
    version: int
    generation: int


class LiveCampaign:
    """One campaign of one storage, refreshed incrementally.

    Parameters
    ----------
    source : CampaignSource
    name : str
        The campaign name.
    key : str
        Unique label in the dashboard (the name, plus the storage when names clash).
    storage : optional
        An opened storage of ``source`` (shared by the campaigns of one target).
    """

    def __init__(self, source: CampaignSource, name: str, key: str, storage: Any = None) -> None:
        self.source = source
        self.name = name
        self.key = key
        self.storage = storage if storage is not None else open_storage(source.storage)
        self._reader = ColumnReader(self.storage, name) if rdb_of(self.storage) else None
        self.lock = threading.RLock()
        self._seen: dict[str, set[int]] = {}
        self._infos: dict[str, dict[str, Any]] = {}
        self._config_keys: list[str] = []
        self._parts: dict[str, list[pd.DataFrame]] = {}  # explorer -> chunks read
        self.version = 0  # +1 per refresh that changed anything
        self.generation = 0  # +1 when the rows were laid out anew (a client must redraw)
        self.front_version = 0  # version at which the front last changed
        self._campaign: Campaign | None = None
        self._quality: tuple[int, Quality | None, int] | None = None
        self._quality_running = False
        self._quality_started = -1e9
        self._quality_cost = 0.0
        self._quality_done = 0
        self.last_poll = 0.0
        self._reset()
        self.refresh()

    # ------------------------------------------------------------------ incremental state
    def _reset(self) -> None:
        self._chunks: list[pd.DataFrame] = []  # the trials rows, in arrival order
        self._starts: list[int] = []  # first row of each chunk
        self._codes = np.zeros(0, dtype=np.int8)  # status code per row
        self._front = np.zeros(0, dtype=np.int64)  # rows on the Pareto front
        self._front_vals = np.zeros((0, 0))
        self._demoted: list[tuple[int, np.ndarray]] = []  # (version, rows) demoted then
        self._trial_explorers: list[str] = []
        self.n = 0
        self.n_feasible = 0
        self._trials_cache: tuple[int, pd.DataFrame] | None = None
        self._front_cache: tuple[tuple[int, int], pd.DataFrame] | None = None
        self.generation += 1

    @property
    def front_size(self) -> int:
        return len(self._front)

    @property
    def exact_rows(self) -> int:
        """Rows read of the exhaustive sweep's exact front (0 without one)."""
        with self.lock:
            return sum(len(p) for p in self._parts.get(EXHAUSTIVE, []))

    @property
    def objectives(self) -> list[tuple[str, str]]:
        info = self._infos.get(self._base_explorer(), {})
        return [(str(m), str(d)) for m, d in info.get("objectives", [])]

    def params(self, frame: pd.DataFrame) -> list[str]:
        """The parameters the campaign varies (as ``Campaign.params``), given rows of it."""
        return varied_params(self._infos.get(self._base_explorer(), {}), frame)

    def _base_explorer(self) -> str:
        names = [e for e in self._infos if e != EXHAUSTIVE] or list(self._infos)
        return names[0] if names else ""

    def refresh(self) -> bool:
        """Read trials completed since the last call; True if there were any."""
        with self.lock:
            if self._reader is not None:
                data = self._reader.read()
            else:
                data = ledger.read_campaign(self.storage, self.name, since=self._seen)
            changed = set(data.infos) != set(self._infos)
            self._infos, self._seen = data.infos, data.seen
            fresh: dict[str, pd.DataFrame] = {}
            for explorer, frame in data.frames.items():
                self._parts.setdefault(explorer, [])
                if len(frame):
                    fresh[explorer] = _with_design_ids(frame, explorer)
                    self._parts[explorer].append(fresh[explorer])
                if not self._config_keys and "_config_keys" in data.infos[explorer]:
                    self._config_keys = list(data.infos[explorer]["_config_keys"])
            if not self.objectives:
                raise ConfigError(
                    f"campaign {self.name!r} records no objectives (study attribute missing)"
                )
            trial_explorers = self._trial_explorer_names()
            new = [fresh[e] for e in trial_explorers if e in fresh]
            if trial_explorers != self._trial_explorers:
                self._layout(trial_explorers)  # the explorers whose trials are drawn changed
                changed = True
            elif new:
                self.version += 1
                for chunk in new:
                    self._append(chunk)
            elif changed or fresh:  # a new study, or exact-front rows only
                self.version += 1
            changed = changed or bool(fresh)
            if changed:
                self._campaign = None
            self.last_poll = time.time()
            return changed

    def _trial_explorer_names(self) -> list[str]:
        """Explorers whose trials are the campaign's points (the exhaustive sweep's exact front
        only when nothing else ran, as :func:`~accelsmith.reports.extract.build_campaign`)."""
        others = [e for e in self._infos if e != EXHAUSTIVE and self._parts.get(e)]
        if others or not self._parts.get(EXHAUSTIVE):
            return sorted(e for e in self._infos if e != EXHAUSTIVE)
        return [EXHAUSTIVE]

    def _layout(self, explorers: list[str]) -> None:
        """Lay the rows out anew from every chunk read (first read, or explorers changed)."""
        self._reset()
        self._trial_explorers = explorers
        self.version += 1
        for e in explorers:
            for chunk in self._parts.get(e, []):
                self._append(chunk)
        self.front_version = self.version

    def _append(self, chunk: pd.DataFrame) -> None:
        """Add rows and update the Pareto status incrementally (see the module docstring)."""
        from ..dse import pareto

        objectives = self.objectives
        missing = [m for m, _ in objectives if m not in chunk.columns]
        if missing:
            raise ConfigError(
                f"campaign {self.name!r}: objective {missing[0]!r} missing from trials"
            )
        vals = pareto.objective_values(chunk, objectives)
        ok = np.isfinite(vals).all(axis=1)
        codes = np.where(ok, _DOM, 0).astype(np.int8)
        rows = self.n + np.flatnonzero(ok)
        if not len(self._front_vals):
            self._front_vals = np.zeros((0, len(objectives)))
        cand = np.vstack([self._front_vals, vals[ok]])
        keep = pareto.nondominated_mask(cand, [d for _, d in objectives])
        k = len(self._front)
        dropped = self._front[~keep[:k]]
        if len(dropped):
            self._codes[dropped] = _DOM
            self._demoted.append((self.version, dropped))
        codes[np.flatnonzero(ok)[keep[k:]]] = _PAR
        if len(dropped) or keep[k:].any():
            self.front_version = self.version
        self._front = np.concatenate([self._front[keep[:k]], rows[keep[k:]]])
        self._front_vals = cand[keep]
        self._starts.append(self.n)
        self._chunks.append(chunk.reset_index(drop=True))
        self._codes = np.concatenate([self._codes, codes])
        self.n += len(chunk)
        self.n_feasible += int(chunk["feasible"].to_numpy(bool).sum()) if len(chunk) else 0

    # ------------------------------------------------------------------ reading the state
    def trials(self) -> pd.DataFrame:
        """Every row with its ``status`` (concatenated once per version, then cached).

        The concatenation runs outside the lock (polls go on meanwhile); the chunks it
        joined are then replaced by the joined frame, if no new layout happened."""
        import pandas as pd

        with self.lock:
            if self._trials_cache is not None and self._trials_cache[0] == self.n:
                return self._trials_cache[1]
            chunks, codes, n = list(self._chunks), self._codes.copy(), self.n
        if not chunks:
            return _empty_frame().assign(status=np.zeros(0, dtype=object))
        joined = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
        frame = joined.assign(status=STATUSES[codes])
        with self.lock:
            k = len(chunks)
            if len(self._chunks) >= k and _same(self._chunks[:k], chunks):
                self._chunks = [joined, *self._chunks[k:]]  # compacted; later rows append
                self._starts = [0, *self._starts[k:]]
            if self.n == n:
                self._trials_cache = (n, frame)
        return frame

    def rows(self, positions: np.ndarray) -> pd.DataFrame:
        """The rows at ``positions``, in increasing order, with their status (gathered from
        the chunks: the whole frame is not concatenated)."""
        import pandas as pd

        with self.lock:
            positions = np.sort(np.asarray(positions, dtype=np.int64))
            if not len(positions) or not self._chunks:
                empty = self._chunks[0].iloc[:0] if self._chunks else _empty_frame()
                return empty.assign(status=np.zeros(0, dtype=object))
            which = np.searchsorted(np.asarray(self._starts), positions, side="right") - 1
            parts = [
                self._chunks[c].iloc[positions[which == c] - self._starts[c]]
                for c in np.unique(which)
            ]
            out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
            return out.reset_index(drop=True).assign(status=STATUSES[self._codes[positions]])

    def front(self) -> pd.DataFrame:
        """The Pareto-optimal rows, best first (as :func:`accelsmith.dse.results.pareto_front`;
        gathered once per change of the front: a poll, the table and a full draw share it)."""
        from ..dse.results import pareto_front

        with self.lock:
            stamp = (self.generation, self.front_version)
            if self._front_cache is None or self._front_cache[0] != stamp:
                front = pareto_front(self.rows(np.sort(self._front)), self.objectives)
                self._front_cache = (stamp, front)
            return self._front_cache[1]

    @property
    def front_stamp(self) -> tuple[int, int]:
        """Changes whenever the front does (generation, version of its last change)."""
        return (self.generation, self.front_version)

    def delta(self, n0: int, v0: int) -> Delta:
        """What changed since a client drew rows ``[0, n0)`` at version ``v0`` (same
        generation); the work is proportional to the change, not to the campaign."""
        with self.lock:
            new = self.rows(np.arange(n0, self.n))
            gone = [rows for v, rows in self._demoted if v > v0]
            demoted = np.unique(np.concatenate(gone)) if gone else np.zeros(0, np.int64)
            demoted = demoted[demoted < n0]
            front = self.front() if self.front_version > v0 else None
            return Delta(
                new=new,
                demoted=self.rows(demoted),
                front=front,
                n=self.n,
                version=self.version,
                generation=self.generation,
            )

    @property
    def campaign(self) -> Campaign:
        """The campaign as plain data (assembled once per version, outside the lock)."""
        import pandas as pd

        with self.lock:
            if self._campaign is not None:
                return self._campaign
            if not self._infos:
                raise ConfigError(f"campaign {self.name!r} has no explorer study yet")
            snap = {e: list(p) for e, p in self._parts.items()}
            version, infos = self.version, dict(self._infos)
            base = infos[self._base_explorer()]
            objectives, config_keys = self.objectives, list(self._config_keys)
        frames = {}
        for e, parts in snap.items():
            if len(parts) > 1:
                frames[e] = pd.concat(parts, ignore_index=True).sort_values(
                    "number", ignore_index=True
                )
            else:
                frames[e] = parts[0] if parts else _empty_frame()
        trials = self.trials()
        ex = frames.get(EXHAUSTIVE)
        camp = Campaign(
            name=self.name,
            family=str(base.get("family", "systolic")),
            storage=self.source.label,
            objectives=objectives,
            constraints=[(str(m), str(op), float(b)) for m, op, b in base.get("constraints", [])],
            params=varied_params(base, trials),
            info=base,
            explorer_info=infos,
            trials=trials if len(trials) else pd.DataFrame(),
            exhaustive=ex if ex is not None and len(ex) else None,
            frames=frames,
            config_keys=config_keys,
        )
        with self.lock:
            for e, parts in snap.items():
                now = self._parts.get(e, [])
                k = len(parts)
                if k > 1 and len(now) >= k and _same(now[:k], parts):
                    self._parts[e] = [frames[e], *now[k:]]
            if self.version == version:
                self._campaign = camp
        return camp

    def quality(self) -> Quality | None:
        """Hypervolume numbers of the current trials (computed once per new data, here)."""
        with self.lock:
            version = self.version
            if self._quality is not None and self._quality[0] == version:
                return self._quality[1]
        camp = self.campaign  # assembled outside the lock too
        try:  # outside the lock: polls go on while the quality numbers are computed
            q = campaign_quality(camp)
        except ConfigError:
            q = None
        with self.lock:
            self._quality = (version, q, camp.trials.shape[0])
        return q

    #: the background HV computation waits at least this long, and this many times its own
    #: last duration, after the previous one (HV history and strict measures cost O(campaign)
    #: each; at 100,000 trials ~0.7 s on an idle core, so they never run per poll)
    QUALITY_MIN_GAP_S = 5.0
    QUALITY_GAP_FACTOR = 10.0

    def quality_later(self) -> tuple[Quality | None, int]:
        """The latest computed quality and the trial count it is of, without waiting; starts
        a background computation when the data changed and the throttle allows."""
        with self.lock:
            done = self._quality
            stale = done is None or done[0] != self.version
            wait = max(self.QUALITY_MIN_GAP_S, self.QUALITY_GAP_FACTOR * self._quality_cost)
            due = time.monotonic() - self._quality_started >= wait
            if stale and due and not self._quality_running:
                self._quality_running = True
                self._quality_started = time.monotonic()
                threading.Thread(target=self._quality_job, daemon=True).start()
            return (done[1], done[2]) if done is not None else (None, 0)

    @property
    def quality_stamp(self) -> int:
        """Changes when a background quality computation finished (a panel to redraw)."""
        return self._quality_done

    def _quality_job(self) -> None:
        t = time.monotonic()
        try:
            self.quality()
        finally:
            with self.lock:
                self._quality_cost = time.monotonic() - t
                self._quality_running = False
                self._quality_done += 1


def _storage_files(url: str) -> list[str]:
    """The local files a storage's commits change (none for a database server)."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :].split("?", 1)[0]
        return [path, path + "-wal"] if path and path != ":memory:" else []
    if url.startswith("journal:"):
        return [url[len("journal:") :]]
    return []


def _same(a: list[Any], b: list[Any]) -> bool:
    """The same objects, in the same order (chunks not replaced meanwhile)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


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
        self.lock = threading.Lock()
        self._last = 0.0
        try:
            for s in sources:
                storage = open_storage(s.storage)  # one per target, shared by its campaigns
                self._storages.append(storage)
                pairs += [(s, storage, n) for n in campaign_names(s, storage)]
        except BaseException:
            self.close()
            raise
        files = [_storage_files(s.storage) for s in sources]
        #: the files whose change signals a commit (empty: a storage is not a local file)
        self.files: list[str] = [f for fs in files for f in fs] if all(files) else []
        names = [n for _, _, n in pairs]
        self.campaigns: dict[str, LiveCampaign] = {}
        for s, storage, n in pairs:
            key = n if names.count(n) == 1 else f"{n} ({s.label})"
            self.campaigns[key] = LiveCampaign(s, n, key, storage)

    def refresh(self, min_age: float = 0.0) -> bool:
        """Poll every campaign; True if any changed. With ``min_age``, a poll younger than
        that many seconds (another client's) is not repeated."""
        with self.lock:
            if min_age and time.monotonic() - self._last < min_age:
                return False
            changed = False
            for c in self.campaigns.values():
                changed |= c.refresh()
            self._last = time.monotonic()
            return changed

    def _stamp(self) -> tuple[Any, ...]:
        out = []
        for f in self.files:
            try:
                st = os.stat(f)
                out.append((st.st_size, st.st_mtime_ns))
            except OSError:
                out.append(None)
        return tuple(out)

    #: how often :meth:`wait_for_commit` looks at the storage files [s] (a stat call each)
    WATCH_STEP_S = 0.005

    def wait_for_commit(self, timeout: float) -> bool:
        """Block until a storage file changes (a writer committed: SQLite's database or WAL
        file, a journal file) or ``timeout`` seconds passed; True if one changed. Returns
        False at once when a storage is not a local file (PostgreSQL: polls only)."""
        if not self.files or timeout <= 0:
            return False
        start, end = self._stamp(), time.monotonic() + timeout
        while time.monotonic() < end:
            time.sleep(min(self.WATCH_STEP_S, max(0.0, end - time.monotonic())))
            if self._stamp() != start:
                return True
        return False

    def versions(self) -> dict[str, list[int]]:
        """Per campaign: [data version, quality computations finished]."""
        return {k: [c.version, c.quality_stamp] for k, c in self.campaigns.items()}

    def close(self) -> None:
        """Close every storage (read-only SQLite: tidy the files SQLite made for reading)."""
        for storage in self._storages:
            close_storage(storage)
        self._storages = []
