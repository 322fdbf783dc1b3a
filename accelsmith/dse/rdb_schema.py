"""Optuna's table-schema check of an RDB storage without importing alembic, when the stored
schema is known to be current.

Why
    Every ``optuna.storages.RDBStorage(url)`` builds Optuna's private ``_VersionManager``,
    which imports alembic (with mako and pygments) to read one row of ``alembic_version``
    and, for the schema check, loads every migration script to find the head revision.
    Every campaign worker pays it when it opens its storage: measured on this project's
    2-core machine (2026-12-07, load ~11, Python 3.11, Optuna 5.1, alembic 1.20,
    PostgreSQL 15): alembic's import ~0.14 s of CPU of a worker's ~1.2 s start-up.
What
    While :func:`lean_schema_check` is active, ``RDBStorage`` gets :class:`LeanVersionManager`
    in place of Optuna's manager. It reads ``alembic_version`` and ``version_info`` in one
    query on the storage's own engine. When ``alembic_version`` holds exactly one revision,
    equal to the head revision of the installed Optuna's migration scripts (cached, see
    below), and ``version_info`` holds its row, the schema is current: Optuna's manager would
    write nothing (it stamps only an empty ``alembic_version`` and adds only a missing
    ``version_info`` row) and its check would pass (it compares the same two revisions), so
    nothing else is done. In every other case (no cached head, another revision, a missing
    row or table, any error) Optuna's own manager is built and does all of it, exactly as
    before, and the head revision it finds is cached. Anything else asked of the manager
    (``RDBStorage.upgrade``, ``get_current_version`` ...) goes to Optuna's manager, built then.
The cache
    One small file per Optuna installation, named by a hash of Optuna's version and of the
    name and bytes of each of its migration scripts (``optuna/storages/_rdb/alembic/
    versions/*.py``), holding the head revision that alembic computed from those scripts. A
    changed, added or removed script gives another name (a miss: Optuna's manager runs and
    fills it). Folder: ``$ACCELSMITH_SCHEMA_CACHE``, else ``~/.cache/accelsmith/optuna-schema``;
    an unwritable folder only means no cache (the full check every time).

Optuna's private API (``optuna.storages._rdb.storage._VersionManager``, its module-level
name) is used here, beside :mod:`accelsmith.dse.ledger_bulk` and :mod:`accelsmith.dse.ledger`.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "LeanVersionManager",
    "cached_head",
    "head_cache_file",
    "lean_schema_check",
    "scripts_key",
]

_LOCK = threading.Lock()


def _cache_root() -> Path:
    env = os.environ.get("ACCELSMITH_SCHEMA_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "accelsmith" / "optuna-schema"


def scripts_key(versions: Path, optuna_version: str) -> str:
    """Hash of an Optuna version and its migration scripts (``versions/*.py``: names and
    bytes), the name of its head-revision cache file."""
    h = hashlib.sha256(optuna_version.encode())
    for path in sorted(versions.glob("*.py")):
        h.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:32]


@functools.cache
def _installed_key() -> str:
    import optuna
    from optuna.storages._rdb import storage as rdb

    return scripts_key(Path(rdb.__file__).parent / "alembic" / "versions", optuna.__version__)


def head_cache_file() -> Path:
    """The cache file of the installed Optuna's head revision (see the module docstring)."""
    return _cache_root() / f"head-{_installed_key()}.txt"


def cached_head() -> str | None:
    """The cached head revision, or None (no cache yet, or unreadable)."""
    try:
        text = head_cache_file().read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


def _store_head(head: str) -> None:
    from ..core.files import atomic_write

    path = head_cache_file()
    with contextlib.suppress(Exception):  # no cache is only slower
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, head + "\n")


def _stored_revision(engine: Any) -> str | None:
    """The one revision in ``alembic_version`` when ``version_info`` has its row too; None
    otherwise (or on any error: missing tables, a read-only or broken connection)."""
    from sqlalchemy import text

    sql = text(
        "SELECT (SELECT count(*) FROM alembic_version), (SELECT min(version_num) FROM "
        "alembic_version), (SELECT count(*) FROM version_info)"
    )
    try:
        with engine.connect() as conn:
            n_rev, rev, n_info = conn.execute(sql).one()
    except Exception:
        return None
    return rev if n_rev == 1 and n_info == 1 and rev else None


class LeanVersionManager:
    """Stands in for Optuna's ``_VersionManager`` (same constructor arguments); see the
    module docstring. ``lean`` tells whether the schema was found current without it."""

    def __init__(self, url: str, engine: Any, scoped_session: Any) -> None:
        self._args = (url, engine, scoped_session)
        self._real: Any = None
        head = cached_head()
        self.lean = head is not None and _stored_revision(engine) == head
        if not self.lean:
            self._optuna()  # Optuna's own initialization (stamps, version row), as before

    def _optuna(self) -> Any:
        if self._real is None:
            from optuna.storages._rdb import storage as rdb

            self._real = _OPTUNA_MANAGER.get(rdb, rdb._VersionManager)(*self._args)
            head = self._real.get_head_version()  # alembic's answer; a wrong cache is mended
            if head != cached_head():
                _store_head(head)
        return self._real

    def check_table_schema_compatibility(self) -> None:
        if not self.lean:
            self._optuna().check_table_schema_compatibility()
        # lean: the stored revision is the head (read at construction): Optuna's check passes

    def __getattr__(self, name: str) -> Any:  # upgrade, get_current_version, ...
        if name.startswith("__") or name in ("_args", "_real", "lean"):
            raise AttributeError(name)
        return getattr(self._optuna(), name)


#: Optuna's manager class while :func:`lean_schema_check` has replaced it (module -> class)
_OPTUNA_MANAGER: dict[Any, Any] = {}


@contextlib.contextmanager
def lean_schema_check() -> Iterator[None]:
    """``RDBStorage`` objects built inside the block get :class:`LeanVersionManager`."""
    from optuna.storages._rdb import storage as rdb

    with _LOCK:
        _OPTUNA_MANAGER[rdb] = rdb._VersionManager
        rdb._VersionManager = LeanVersionManager
        try:
            yield
        finally:
            rdb._VersionManager = _OPTUNA_MANAGER.pop(rdb)
