"""Column-wise, incremental reads of a campaign from an RDB ledger (SQLite, PostgreSQL).

Why
    Optuna's ORM builds a ``FrozenTrial`` per trial with one object per parameter, value and
    attribute: reading a 100,000-trial campaign that way took 527 s here (profiled at load
    13 on 2 cores, 2026-12-06), and every later poll walked all 100,000 trials again.
    :class:`ColumnReader` reads the same rows with plain queries and turns each JSON
    attribute (metrics, configuration, constraint values) into columns with **one**
    ``json.loads`` per attribute and read, so the cost is the JSON text itself; a second
    :meth:`~ColumnReader.read` fetches only trials numbered above the last settled one.
What it returns
    Exactly what :func:`accelsmith.dse.ledger.read_campaign` returns (a
    :class:`~accelsmith.dse.ledger.CampaignData`; the frames equal
    :func:`~accelsmith.dse.ledger.frame_of_trials` of the same trials, which
    ``tests/dse/test_ledger_columns.py`` checks), so reports, ``dse status`` and the dashboard
    read the ledger through the one reader. Journal storages keep Optuna's own reads.
Incremental state
    Per explorer: the highest trial number below which every trial has settled (finished,
    failed or pruned), the numbers read above it, and running sums of the sampler time.
    Trial numbers are dense per study (Optuna and :mod:`.ledger_bulk` both number a trial by
    the count of the study's earlier trials, in trial-id order), so ``trial_id > the
    mark's id`` finds every trial that was running or absent at the previous read, through
    the primary key: a poll costs what is new, not what is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .ledger import (
    CONFIG_KEY,
    CONSTRAINTS_KEY,
    EVAL_SECONDS_KEY,
    EXPLORER_KEY,
    FEASIBLE_KEY,
    METRICS_KEY,
    SAMPLER_SECONDS_KEY,
    SEP,
    STUDY_KEY,
    CampaignData,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ColumnReader", "rdb_of"]

_KEYS = (EXPLORER_KEY, FEASIBLE_KEY, EVAL_SECONDS_KEY, METRICS_KEY, CONFIG_KEY, CONSTRAINTS_KEY)
_UNSETTLED = ("RUNNING", "WAITING")


def rdb_of(storage: Any) -> Any:
    """The ``RDBStorage`` behind an opened storage (unwrapping Optuna's cache), or None."""
    from optuna.storages import RDBStorage

    storage = getattr(storage, "_backend", storage)
    return storage if isinstance(storage, RDBStorage) else None


@dataclass
class _Cursor:
    study_id: int
    mark: int = -1  # every trial numbered <= mark has settled and was read (if finished)
    mark_id: int = -1  # its trial id (ids grow with numbers within a study)
    ahead: set[int] = field(default_factory=set)  # numbers > mark already read
    seen: set[int] = field(default_factory=set)
    timed: set[int] = field(default_factory=set)  # numbers > mark whose sampler time counts
    sampler_sum: float = 0.0
    sampler_n: int = 0
    config_keys: list[str] | None = None


def _state_name(state: Any) -> str:
    return state.name if hasattr(state, "name") else str(state)


def _parse(texts: list[str]) -> list[Any]:
    """Many JSON texts -> values, with one parser call (the texts are stored JSON)."""
    return json.loads("[" + ",".join(texts) + "]") if texts else []


class ColumnReader:
    """Reads one campaign of an RDB storage, each call returning only what is new.

    Parameters
    ----------
    storage : optuna.storages.BaseStorage
        An opened RDB storage (cached or not).
    campaign : str
    include_failed : bool
        Return FAIL trials too (as :func:`~accelsmith.dse.ledger.read_campaign`).
    """

    def __init__(self, storage: Any, campaign: str, *, include_failed: bool = False) -> None:
        backend = rdb_of(storage)
        if backend is None:
            raise TypeError("ColumnReader needs an RDB storage")
        self.engine = backend.engine
        self.campaign = campaign
        self.done = ("COMPLETE", "FAIL") if include_failed else ("COMPLETE",)
        self.cursors: dict[str, _Cursor] = {}

    def read(self) -> CampaignData:
        """Trials finished since the previous call (all of them on the first), per explorer.

        Raises
        ------
        ConfigError
            The storage holds no study of the campaign.
        """
        from ..core.errors import ConfigError

        with self.engine.connect() as conn:
            studies = self._studies(conn)
            if not studies:
                raise ConfigError(
                    f"no campaign {self.campaign!r} in the storage (run `dse run` first)"
                )
            out = CampaignData(frames={}, infos={}, seen={})
            for explorer, (sid, attrs) in sorted(studies.items()):
                cur = self.cursors.setdefault(explorer, _Cursor(study_id=sid))
                frame, total = self._read_new(conn, cur)
                info = dict(attrs)
                info["_all_trials"] = total
                info["sampler_ms"] = (
                    1e3 * cur.sampler_sum / cur.sampler_n if cur.sampler_n else None
                )
                if cur.config_keys is not None:
                    info["_config_keys"] = list(cur.config_keys)
                out.frames[explorer] = frame
                out.infos[explorer] = info
                out.seen[explorer] = cur.seen
        return out

    def _studies(self, conn: Any) -> dict[str, tuple[int, dict[str, Any]]]:
        from optuna.storages._rdb import models
        from sqlalchemy import select

        S = models.StudyModel.__table__
        A = models.StudyUserAttributeModel.__table__
        prefix = self.campaign + SEP
        found: dict[str, tuple[int, dict[str, Any]]] = {}
        for sid, name in conn.execute(select(S.c.study_id, S.c.study_name)):
            campaign, _, explorer = name.rpartition(SEP)
            if name.startswith(prefix) and campaign == self.campaign:
                found[explorer] = (sid, {})
        ids = {sid: e for e, (sid, _) in found.items()}
        if ids:
            for sid, value in conn.execute(
                select(A.c.study_id, A.c.value_json).where(
                    A.c.study_id.in_(list(ids)), A.c.key == STUDY_KEY
                )
            ):
                found[ids[sid]][1].update(json.loads(value))
        return found

    def _read_new(self, conn: Any, cur: _Cursor) -> tuple[pd.DataFrame, int]:
        """The frame of trials finished since the last read, and the study's trial count."""
        import pandas as pd
        from optuna.storages._rdb import models
        from sqlalchemy import select

        T = models.TrialModel.__table__
        rows = conn.execute(
            select(T.c.trial_id, T.c.number, T.c.state, T.c.datetime_complete)
            .where(T.c.study_id == cur.study_id, T.c.trial_id > cur.mark_id)
            .order_by(T.c.number)
        ).all()
        total = cur.mark + 1 + len(rows)
        new = [r for r in rows if _state_name(r[2]) in self.done and r[1] not in cur.ahead]
        for tid, number, state, _ in rows:  # advance the mark over settled trials
            if number != cur.mark + 1 or _state_name(state) in _UNSETTLED:
                break
            cur.mark, cur.mark_id = number, tid
        cur.ahead = {n for n in cur.ahead if n > cur.mark}
        cur.ahead.update(r[1] for r in new if r[1] > cur.mark)
        cur.seen.update(r[1] for r in new)
        self._sampler(conn, cur, rows)
        cur.timed = {n for n in cur.timed if n > cur.mark}
        if not new:
            return pd.DataFrame(), total
        return self._frame(conn, cur, new), total

    def _sampler(self, conn: Any, cur: _Cursor, rows: list[Any]) -> None:
        """Add sampler times not counted yet (trials in any state, as Optuna's read) to the
        running mean; a trial is counted once, when its time is first found."""
        from optuna.storages._rdb import models
        from sqlalchemy import select

        U = models.TrialUserAttributeModel.__table__
        fresh = {r[0]: r[1] for r in rows if r[1] not in cur.timed}
        if not fresh:
            return
        found = conn.execute(  # a range of the (trial_id, key) index: O(new trials)
            select(U.c.trial_id, U.c.value_json).where(
                U.c.trial_id >= min(fresh), U.c.key == SAMPLER_SECONDS_KEY
            )
        ).all()
        found = [(tid, v) for tid, v in found if tid in fresh]
        for (tid, _), v in zip(found, _parse([v for _, v in found]), strict=True):
            cur.timed.add(fresh[tid])
            if v is not None:
                cur.sampler_sum += float(v)
                cur.sampler_n += 1

    def _frame(self, conn: Any, cur: _Cursor, new: list[Any]) -> pd.DataFrame:
        """Columns of ``new`` trials as :func:`~accelsmith.dse.ledger.frame_of_trials` builds
        them; one query per attribute, over the trial-id range of ``new`` (an index range)."""
        import numpy as np
        import pandas as pd
        from optuna.storages._rdb import models
        from sqlalchemy import select

        U = models.TrialUserAttributeModel.__table__
        ids = [r[0] for r in new]
        pos = {tid: i for i, tid in enumerate(ids)}
        texts: dict[str, list[tuple[int, str]]] = {}
        for key in _KEYS:
            found = conn.execute(
                select(U.c.trial_id, U.c.value_json).where(U.c.trial_id >= min(ids), U.c.key == key)
            ).all()
            texts[key] = [(pos[tid], v) for tid, v in found if tid in pos]
        n = len(ids)

        def column(key: str, default: Any) -> list[Any]:
            out = [default] * n
            got = texts[key]
            for (i, _), v in zip(got, _parse([t for _, t in got]), strict=True):
                out[i] = v
            return out

        base = pd.DataFrame(
            {
                "number": np.array([r[1] for r in new], dtype=np.int64),
                "state": [_state_name(r[2]) for r in new],
                EXPLORER_KEY: column(EXPLORER_KEY, None),
                FEASIBLE_KEY: [bool(v) for v in column(FEASIBLE_KEY, True)],
                "datetime_complete": [r[3] for r in new],
                EVAL_SECONDS_KEY: column(EVAL_SECONDS_KEY, None),
            }
        )
        metrics = pd.DataFrame.from_records(column(METRICS_KEY, {}), nrows=n)
        stored = column(CONFIG_KEY, None)
        configs = stored
        if any(c is None for c in configs):  # a trial without a stored configuration
            params = self._params(conn, [ids[i] for i, c in enumerate(configs) if c is None])
            configs = [
                c if c is not None else params.get(ids[i], {}) for i, c in enumerate(configs)
            ]
        config = pd.DataFrame.from_records(configs, nrows=n)
        if cur.config_keys is None:  # the configuration keys of the first completed trial
            complete = [i for i, r in enumerate(new) if _state_name(r[2]) == "COMPLETE"]
            if complete:
                first = stored[complete[0]]
                cur.config_keys = list(first or {})
        cons = column(CONSTRAINTS_KEY, [])
        width = max((len(c) for c in cons), default=0)
        constraint = pd.DataFrame(
            {
                f"constraint_{i}": [c[i] if i < len(c) else np.nan for c in cons]
                for i in range(width)
            }
        )
        # dict.update order: the configuration overrides a metric of the same name in place
        both = [c for c in config.columns if c in metrics.columns]
        for c in both:
            metrics[c] = config[c]
        config = config.drop(columns=both)
        frame = pd.concat([base, metrics, config, constraint], axis=1)
        return frame.infer_objects()

    def _params(self, conn: Any, ids: list[int]) -> dict[int, dict[str, Any]]:
        """Optuna parameters (external form) of trials stored without a configuration."""
        from optuna.distributions import json_to_distribution
        from optuna.storages._rdb import models
        from sqlalchemy import select

        P = models.TrialParamModel.__table__
        out: dict[int, dict[str, Any]] = {}
        dists: dict[str, Any] = {}
        for chunk in _chunks(ids):
            for tid, name, value, dist_json in conn.execute(
                select(P.c.trial_id, P.c.param_name, P.c.param_value, P.c.distribution_json)
                .where(P.c.trial_id.in_(chunk))
                .order_by(P.c.param_id)
            ):
                dist = dists.get(dist_json) or dists.setdefault(
                    dist_json, json_to_distribution(dist_json)
                )
                out.setdefault(tid, {})[name] = dist.to_external_repr(value)
        return out


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    """Chunks small enough for SQLite's bound-parameter limit."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
