"""The child rows of a ledger batch, built before the study lock and inserted under it.

A finished trial is one ``trials`` row plus about twenty child rows (``trial_values``,
``trial_params``, ``trial_user_attributes``, ``trial_system_attributes``), and the children
need the trial ids, which :class:`~accelsmith.dse.ledger_bulk.LedgerWriter` gets only under
the study's lock (ids are allocated in commit order, as Optuna's own trial creation does,
so that readers that fetch "trials after id N" never miss one). Everything that does not need
the id is therefore done first, outside the lock, by :func:`prepare`: JSON encoding of every
attribute, the parameters' internal representation, the distributions' JSON, and on
PostgreSQL the text of a ``COPY ... FROM STDIN`` per table. Under the lock,
:meth:`Prepared.insert` only puts the ids in and sends the rows.

Why COPY on PostgreSQL (psycopg2)
    A batch of 256 trials is ~5,000 child rows. SQLAlchemy's multi-row ``INSERT`` builds and
    binds every value in Python (profiled: ~0.3 ms of worker CPU per trial, all of it while
    the lock is held), and the server parses ~20,000 bind parameters. ``COPY`` sends one text
    stream per table; the rows are exactly the ones the ``INSERT`` writes (same columns, the
    same float text: Python's shortest round-trip ``repr``; tested against the ``INSERT``
    path, ``tests/dse/test_pg_ledger.py``).
Elsewhere
    SQLite: one DB-API ``executemany`` per table (SQLAlchemy's per-row parameter processing
    costs more than the insert). Other servers (MySQL): SQLAlchemy's batched insert.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CHILD_TABLES", "Prepared", "insert_trials", "prepare"]

#: the child tables and their columns after ``trial_id``, in insert order
CHILD_TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("trial_values", ("objective", "value", "value_type")),
    ("trial_params", ("param_name", "param_value", "distribution_json")),
    ("trial_user_attributes", ("key", "value_json")),
    ("trial_system_attributes", ("key", "value_json")),
)


def _copy_text(v: Any) -> str:
    """``v`` as a field of PostgreSQL's COPY text format (``\\N`` is NULL)."""
    if v is None:
        return "\\N"
    if isinstance(v, float):
        # shortest text that reads back as the same double (what psycopg2 sends); float() as
        # numpy's repr names its type
        return repr(float(v))
    s = str(v)
    if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
        s = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return s


def _is_copy(dialect: Any) -> bool:
    return dialect.name == "postgresql" and dialect.driver == "psycopg2"


@dataclass
class Prepared:
    """Child rows of a batch, per row of the batch and per table (see :func:`prepare`).

    ``tuples[i][k]``: the rows of table ``CHILD_TABLES[k]`` for batch row ``i`` as tuples
    without the trial id; ``copy[i][k]`` (PostgreSQL): the same rows as COPY text lines, each
    starting with the tab that follows the id.
    """

    tuples: list[list[list[tuple[Any, ...]]]]
    copy: list[list[str]] | None

    def insert(self, conn: Any, ids: Sequence[int], rows: Sequence[int]) -> None:
        """Insert the children of batch rows ``rows``, whose trials got ``ids``."""
        if self.copy is not None and _is_copy(conn.dialect):
            self._copy(conn, ids, rows)
            return
        for k, (table, cols) in enumerate(CHILD_TABLES):
            data = [(tid, *t) for tid, i in zip(ids, rows, strict=True) for t in self.tuples[i][k]]
            if data:
                _insert_many(conn, table, ("trial_id", *cols), data)

    def _copy(self, conn: Any, ids: Sequence[int], rows: Sequence[int]) -> None:
        cur = conn.connection.driver_connection.cursor()
        try:
            for k, (table, cols) in enumerate(CHILD_TABLES):
                parts = []
                for tid, i in zip(ids, rows, strict=True):
                    body = self.copy[i][k]  # type: ignore[index]
                    if body:
                        # every line starts with "\t": put the id in front of each
                        t = str(tid)
                        parts.append(t + body[:-1].replace("\n", "\n" + t) + "\n")
                if parts:
                    sql = f"COPY {table} (trial_id, {', '.join(cols)}) FROM STDIN"
                    cur.copy_expert(sql, io.StringIO("".join(parts)))
        finally:
            cur.close()


def prepare(rows: Sequence[Any], dialect: Any) -> Prepared:
    """The child rows of ``rows`` (:class:`~accelsmith.dse.ledger_bulk.Row`) for a storage of
    SQLAlchemy ``dialect`` (None: no COPY text)."""
    from optuna.storages._rdb import models

    from .ledger_bulk import _user_attrs

    to_stored = models.TrialValueModel.value_to_stored_repr
    copy = dialect is not None and _is_copy(dialect)
    tuples: list[list[list[tuple[Any, ...]]]] = []
    texts: list[list[str]] = []
    for row in rows:
        vals = []
        for obj, v in enumerate(row.values or ()):
            stored, vtype = to_stored(float(v))
            vals.append((obj, stored, vtype.name))
        pars = []
        for name, v in row.params.items():
            dist = row.distributions[name]
            pars.append((name, dist.to_internal_repr(v), _dist_json(dist)))
        uas = [(k, json.dumps(v)) for k, v in _user_attrs(row).items()]
        sas = [(k, json.dumps(v)) for k, v in row.system_attrs.items()]
        tables = [vals, pars, uas, sas]
        tuples.append(tables)
        if copy:
            texts.append(
                [
                    "".join("\t" + "\t".join(map(_copy_text, t)) + "\n" for t in table)
                    for table in tables
                ]
            )
    return Prepared(tuples=tuples, copy=texts if copy else None)


def insert_trials(conn: Any, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (dicts of the ``trials`` columns ``number``, ``study_id``, ``state``,
    ``datetime_start``, ``datetime_complete``) into Optuna's ``trials`` table ``table`` (a
    SQLAlchemy ``Table``); their trial ids, in the order of ``rows``, allocated in that order.

    On PostgreSQL through psycopg2 one ``INSERT ... SELECT`` over arrays (one parameter per
    column, adapted by the driver in C), the rows ordered by their position so that the ids
    are drawn in the order of ``rows``, as SQLAlchemy's sorted multi-row insert does, and
    mapped back by trial number (each row's is distinct: the writer numbers them). Why:
    SQLAlchemy builds and binds every value in Python (profiled 2026-12-07, PostgreSQL 15:
    ~0.03-0.04 ms of worker CPU per trial, all of it while the study lock is held, which
    every other worker waits for). Elsewhere SQLAlchemy's sorted multi-row insert.
    """
    from sqlalchemy import insert

    if not _is_copy(conn.dialect):
        stmt = insert(table).returning(table.c.trial_id, sort_by_parameter_order=True)
        return conn.execute(stmt, rows).scalars().all()
    state_type = table.c.state.type.name  # Optuna's enum type ("trialstate")
    sql = (
        f"INSERT INTO {table.name} (number, study_id, state, datetime_start, datetime_complete) "
        f"SELECT n, s, st::{state_type}, ds, dc FROM unnest(%(n)s::integer[], "
        "%(s)s::integer[], %(st)s::text[], %(ds)s::timestamp[], %(dc)s::timestamp[]) "
        "WITH ORDINALITY AS r(n, s, st, ds, dc, i) ORDER BY i RETURNING trial_id, number"
    )
    args = {
        "n": [r["number"] for r in rows],
        "s": [r["study_id"] for r in rows],
        "st": [r["state"].name for r in rows],
        "ds": [r["datetime_start"] for r in rows],
        "dc": [r["datetime_complete"] for r in rows],
    }
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(sql, args)
        ids = {number: tid for tid, number in cur.fetchall()}
    finally:
        cur.close()
    return [ids[r["number"]] for r in rows]


def _insert_many(conn: Any, table: str, cols: Sequence[str], data: list[tuple[Any, ...]]) -> None:
    """Insert ``data`` rows into ``table``: on SQLite one DB-API ``executemany``; elsewhere
    SQLAlchemy's batched insert (psycopg2's plain ``executemany`` would make one round trip
    per row)."""
    if conn.dialect.name == "sqlite":
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
        conn.exec_driver_sql(sql, data)
        return
    from optuna.storages._rdb import models
    from sqlalchemy import insert

    t = models.BaseModel.metadata.tables[table]
    conn.execute(insert(t), [dict(zip(cols, r, strict=True)) for r in data])


_DIST_JSON: dict[int, tuple[Any, str]] = {}


def _dist_json(dist: Any) -> str:
    from optuna.distributions import distribution_to_json

    hit = _DIST_JSON.get(id(dist))
    if hit is not None and hit[0] is dist:
        return hit[1]
    text = distribution_to_json(dist)
    _DIST_JSON[id(dist)] = (dist, text)
    return text
