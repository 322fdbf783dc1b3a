"""Opening campaign storage and resolving a target (spec, run folder, storage file or URL).

Every command opens storage here, in one of two modes:

``read`` (``dse status|pareto|export``, ``report``, ``dashboard``, finding a worker's spec)
    Nothing is created or written: a missing SQLite file, journal or run folder is an error
    naming it; SQLite is opened through a read-only URI (``file:...?mode=ro``; ``immutable=1``
    on read-only media) and Optuna creates no table. A database that SQLite made its
    ``-wal``/``-shm`` files for while it was open is tidied when the storage is closed
    (:func:`close_storage`), so a read leaves the folder as it found it.
``write`` (``dse run``, ``dse resume``, ``dse worker``)
    The SQLite folder is created, connections use WAL with ``synchronous=NORMAL`` and wait up
    to 60 s for a lock.

In both modes a SQLite database that is not an accelsmith campaign store (tables other than
Optuna's, or Optuna studies not named ``<campaign>@<explorer>`` or a lease of
:mod:`accelsmith.dse.lease`) is refused before anything
touches it, as is ``sqlite:///:memory:`` (a campaign must outlive the process). Stores written
before these checks existed are ordinary Optuna databases of campaign studies and pass.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import ConfigError

if TYPE_CHECKING:
    from .spec import CampaignSpec

__all__ = [
    "StorageMissing",
    "Target",
    "close_storage",
    "driver_url",
    "open_storage",
    "resolve_target",
    "sqlite_abs",
]

SQLITE = "sqlite:///"
JOURNAL = "journal:"
RUN_FILES = ("study.db", "journal.log")
JOURNAL_SUFFIXES = (".log", ".jsonl", ".journal")
#: the tables of an Optuna RDB storage (any schema version since 2.0) and SQLite's own
OPTUNA_TABLES = frozenset(
    {
        "alembic_version",
        "studies",
        "study_directions",
        "study_user_attributes",
        "study_system_attributes",
        "trials",
        "trial_params",
        "trial_values",
        "trial_intermediate_values",
        "trial_user_attributes",
        "trial_system_attributes",
        "trial_heartbeats",
        "version_info",
    }
)


def driver_url(url: str) -> str:
    """``url`` with the PostgreSQL driver this project installs (psycopg2-binary).

    SQLAlchemy 2.1 maps a plain ``postgresql://`` to psycopg 3, which is not installed.
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def sqlite_abs(url: str) -> str:
    """A relative ``sqlite:///`` URL made absolute (other URLs unchanged)."""
    if url.startswith(SQLITE) and not url.startswith(SQLITE + "/") and ":memory:" not in url:
        return SQLITE + str(Path(url[len(SQLITE) :]).resolve())
    return url


class StorageMissing(ConfigError):
    """A storage a read-only command was pointed at does not exist (nothing was created)."""


# ------------------------------------------------------------------------------ SQLite


class _ReadOnlyConnection(sqlite3.Connection):
    """Marks the connections opened by a read-only storage (no pragmas are set on them)."""


def _writing_connection(path: Path) -> sqlite3.Connection:
    """A connection of a writing campaign storage: WAL journal, ``synchronous=NORMAL``.

    Only the engines :func:`open_storage` creates in write mode connect through this (their
    ``creator``); every other SQLite connection of the process (a user's own Optuna study, a
    foreign database) keeps its journal mode and synchronous setting.

    Commits then cost no fsync (14 ms each on this project's disks, 20 per trial): a killed
    process loses nothing (WAL is crash-safe for the application); only an OS crash or power
    loss can drop the last transactions. WAL also lets readers run while a worker writes.
    """
    con = sqlite3.connect(str(path), timeout=60, check_same_thread=False)
    try:
        con.execute("PRAGMA journal_mode=WAL").fetchall()
        con.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        con.close()
        raise
    return con


def _ro_uri(path: Path) -> str:
    uri = "file:" + urllib.parse.quote(str(path)) + "?mode=ro"
    wal = Path(f"{path}-wal")
    if not os.access(path.parent, os.W_OK) and not wal.exists():
        # read-only media: SQLite cannot create the WAL index, and nobody can write the file
        uri += "&immutable=1"
    return uri


def _sqlite_tables(path: Path, label: str) -> tuple[set[str], list[str]]:
    """Tables and Optuna study names of an existing SQLite file, read without writing."""
    wal_created = not Path(f"{path}-wal").exists()
    try:
        con = sqlite3.connect(_ro_uri(path), uri=True, timeout=60, factory=_ReadOnlyConnection)
    except sqlite3.Error as exc:
        raise ConfigError(f"storage {label!r} cannot be opened: {exc}") from None
    try:
        rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        tables = {r[0] for r in rows if not r[0].startswith("sqlite_")}
        studies: list[str] = []
        if "studies" in tables:
            studies = [r[0] for r in con.execute("SELECT study_name FROM studies").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise ConfigError(
            f"storage {label!r} is not a readable SQLite database ({exc}); give the study.db "
            "of a campaign run folder"
        ) from None
    finally:
        con.close()
        _tidy(path, created=wal_created)
    return tables, studies


def check_store(tables: set[str], studies: list[str], label: str) -> None:
    """Refuse a database that is not an accelsmith campaign store (nothing is touched)."""
    foreign = sorted(tables - OPTUNA_TABLES)
    if foreign:
        raise ConfigError(
            f"storage {label!r} is not an accelsmith campaign store (it holds tables "
            f"{', '.join(foreign[:5])}); give another --storage"
        )
    from .lease import LEASE_PREFIX  # a run's lease (see accelsmith.dse.lease) is ours

    others = [s for s in studies if "@" not in s and not s.startswith(LEASE_PREFIX)]
    if others:
        raise ConfigError(
            f"storage {label!r} is not an accelsmith campaign store (it holds Optuna studies "
            f"{', '.join(map(repr, others[:3]))}); give another --storage"
        )


def _tidy(path: Path, *, created: bool) -> None:
    """Remove the ``-wal``/``-shm`` files a read-only connection made SQLite create.

    A read-only connection cannot checkpoint, so SQLite leaves them behind. Closing a writing
    connection does what the last writer would have done: when no other process has the
    database open, SQLite checkpoints (nothing: no writer ran) and deletes both files;
    otherwise it leaves them to that process.
    """
    wal = Path(f"{path}-wal")
    if not created or not wal.exists() or not os.access(path.parent, os.W_OK):
        return
    try:
        con = sqlite3.connect(str(path), timeout=1)
        try:
            con.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        pass  # busy or unreadable: the files stay, as SQLite would leave them


def _sqlite_path(url: str, label: str) -> Path:
    path = url[len(SQLITE) :]
    if path in ("", ":memory:") or "mode=memory" in path or path.startswith(":memory:"):
        raise ConfigError(
            f"storage {label!r} is an in-memory database: a campaign must be stored in a file "
            "or a database server (e.g. sqlite:///runs/<name>/study.db)"
        )
    return Path(path.split("?", 1)[0])


# ------------------------------------------------------------------------------ opening


@dataclasses.dataclass
class _Opened:
    """What :func:`close_storage` needs: the RDB storage and the SQLite file it reads."""

    backend: Any = None
    path: Path | None = None
    wal_created: bool = False


#: storage URLs whose table schema Optuna checked in this process: the check loads every one
#: of Optuna's alembic migration scripts (~0.03 s of CPU per opening, measured 2026-12-07 on
#: PostgreSQL 15), and a worker opens its storage twice (to read the stored spec, then to write)
_SCHEMA_CHECKED: set[str] = set()


def _rdb(url: str, **kwargs: Any) -> Any:
    """Optuna's ``RDBStorage`` for ``url``; its schema check (the runtime Optuna's version
    against the tables') is done by the first opening of ``url`` in this process only, and
    without alembic when the stored schema is the installed Optuna's head revision
    (:mod:`accelsmith.dse.rdb_schema`)."""
    import optuna

    from .rdb_schema import lean_schema_check

    with lean_schema_check():
        store = optuna.storages.RDBStorage(
            url, skip_compatibility_check=url in _SCHEMA_CHECKED, **kwargs
        )
    _SCHEMA_CHECKED.add(url)
    return store


def _mark(store: Any, opened: _Opened) -> Any:
    store._accelsmith_opened = opened
    return store


def open_storage(url: str, *, write: bool = False, label: str | None = None) -> Any:
    """An Optuna storage for ``url`` (``sqlite:///``, ``postgresql://``, ``mysql://`` or
    ``journal:<file>``), read-only unless ``write`` (see the module docstring).

    Raises
    ------
    ConfigError
        The storage does not exist (read), is in memory, is not an accelsmith campaign
        store, or cannot be opened (one line naming it).
    """
    import optuna

    label = label or url
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if url.startswith(JOURNAL) and not write:
        return _open_journal(Path(url[len(JOURNAL) :]), label)
    url = driver_url(url)
    if url.startswith(SQLITE):
        return _open_sqlite(url, label, write)
    if not url.startswith(("postgresql", "mysql")):
        raise ConfigError(
            f"storage must be an sqlite:///, postgresql:// or mysql:// URL, not {url!r}"
        )
    try:
        store = _rdb(url, skip_table_creation=not write)
        check_store(set(), optuna.study.get_all_study_names(storage=store), label)
    except ConfigError:
        raise
    except Exception as exc:  # sqlalchemy / driver errors: bad URL, server down, no tables
        msg = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ConfigError(f"storage {label!r} cannot be opened: {msg}") from None
    return _mark(optuna.storages.get_storage(store) if not write else store, _Opened(store))


def _open_sqlite(url: str, label: str, write: bool) -> Any:
    import optuna

    path = _sqlite_path(url, label)
    exists = path.is_file()
    if exists and path.stat().st_size:
        check_store(*_sqlite_tables(path, label), label)
    if not write:
        if not exists:
            raise StorageMissing(
                f"storage {label!r} does not exist ({path} not found); give a campaign spec "
                "YAML, a run folder (runs/<name>/) that `dse run` wrote, or a storage URL"
            )
        if not path.stat().st_size:
            raise ConfigError(f"storage {label!r} holds no accelsmith campaign (empty file)")
        opened = _Opened(path=path.resolve(), wal_created=not Path(f"{path}-wal").exists())
        uri = _ro_uri(opened.path)

        def creator() -> sqlite3.Connection:
            return sqlite3.connect(
                uri, uri=True, timeout=60, check_same_thread=False, factory=_ReadOnlyConnection
            )

        try:
            store = _rdb(
                SQLITE + str(opened.path),
                engine_kwargs={"creator": creator},
                skip_table_creation=True,
            )
        except Exception as exc:  # an empty or damaged database: no Optuna tables
            msg = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise ConfigError(f"storage {label!r} cannot be read: {msg}") from None
        # Optuna's cached wrapper: later reads fetch only trials not finished before
        opened.backend = store
        return _mark(optuna.storages.get_storage(store), opened)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"storage: cannot create {path.parent}: {exc}") from None
    target = path.resolve()
    try:
        store = _rdb(
            SQLITE + str(target),
            engine_kwargs={"creator": lambda: _writing_connection(target)},
        )
        return _mark(store, _Opened(store))
    except Exception as exc:  # sqlalchemy / driver errors: unwritable, damaged
        msg = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise ConfigError(f"storage {label!r} cannot be opened: {msg}") from None


def _open_journal(path: Path, label: str) -> Any:
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    if not path.is_file():
        raise StorageMissing(f"storage {label!r} does not exist ({path} not found)")
    try:
        store = JournalStorage(JournalFileBackend(str(path)))
        check_store(set(), [s.study_name for s in store.get_all_studies()], label)
    except ConfigError:
        raise
    except Exception as exc:  # not a journal file
        msg = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ConfigError(f"storage {label!r} is not an Optuna journal: {msg}") from None
    return store


def close_storage(store: Any) -> None:
    """Close ``store``'s connections and tidy what a read-only SQLite opening created."""
    opened: _Opened | None = getattr(store, "_accelsmith_opened", None)
    if opened is None:
        return
    engine = getattr(opened.backend, "engine", None)
    if engine is not None:
        opened.backend.scoped_session.remove()
        engine.dispose()
    if opened.path is not None:
        _tidy(opened.path, created=opened.wal_created)


# ------------------------------------------------------------------------------ targets


@dataclasses.dataclass(frozen=True, kw_only=True)
class Target:
    """Where a campaign lives, as a command named it.

    Attributes
    ----------
    storage : str
        Storage URL (``sqlite:///`` absolute, ``postgresql+psycopg2://`` ...) or
        ``journal:<path>``.
    campaign : str or None
        The campaign the target pins (a spec's ``name``), or None for "any".
    label : str
        The target as the user wrote it (for messages and titles).
    spec : CampaignSpec or None
        The spec, when the target is a spec file or a run folder holding ``spec.yaml``.
    """

    storage: str
    campaign: str | None
    label: str
    spec: CampaignSpec | None = None


def resolve_target(
    target: str | Path,
    *,
    storage: str | None = None,
    campaign: str | None = None,
    need_spec: bool = False,
) -> Target:
    """Turn a command's target into a :class:`Target` without creating or opening anything.

    A spec file or a run folder ``runs/<name>/`` gives the spec and its storage (the run
    folder's ``campaign.json`` names it; ``--storage`` wins); a folder without a spec but with
    ``study.db`` or ``journal.log``, a SQLite or journal file, or a storage URL give only the
    storage (``need_spec``: refused, as the ``dse`` commands need the spec).

    Raises
    ------
    ConfigError
        The target does not exist or names no campaign.
    """
    label = str(target)
    if "://" in label:
        if need_spec:
            raise ConfigError(
                f"{label} is neither a campaign spec file nor a run folder (give the storage "
                "URL with --storage)"
            )
        return Target(storage=storage or label, campaign=campaign, label=label)
    p = Path(label)
    if p.is_dir() and (p / "spec.yaml").is_file():
        spec = _run_folder_spec(p)
        url = storage or _meta_storage(p / "campaign.json") or spec.storage_url()
        if storage is None and url.startswith(SQLITE) and (p / RUN_FILES[0]).is_file():
            # the folder's own study.db (the one campaign.json names, unless the folder was
            # moved or copied: then this copy, not the original)
            url = SQLITE + str((p / RUN_FILES[0]).resolve())
        return _spec_target(spec, url, campaign, label)
    if p.is_file() and p.suffix in (".yaml", ".yml"):
        from .spec import load_spec

        spec = load_spec(p)
        if storage is None and spec.storage is None:
            storage = _meta_storage(Path("runs") / spec.name / "campaign.json")
        return _spec_target(spec, storage or spec.storage_url(), campaign, label)
    if need_spec:
        if p.is_dir():
            raise ConfigError(f"{p} is not a campaign run folder (no spec.yaml)")
        raise ConfigError(f"{target} is neither a campaign spec file nor a run folder")
    if p.is_dir():
        found = [p / f for f in RUN_FILES if (p / f).is_file()]
        if not found:
            raise ConfigError(
                f"run folder {label!r} holds no campaign (no spec.yaml, {' or '.join(RUN_FILES)})"
            )
        p = found[0]
    if not p.exists():
        raise ConfigError(
            f"storage {label!r} does not exist; give a campaign spec YAML, a run folder "
            "(runs/<name>/), a storage file or a storage URL"
        )
    url = f"{JOURNAL}{p}" if p.suffix in JOURNAL_SUFFIXES else SQLITE + str(p.resolve())
    return Target(storage=storage or url, campaign=campaign, label=label)


def _spec_target(spec: CampaignSpec, url: str, campaign: str | None, label: str) -> Target:
    return Target(storage=url, campaign=campaign or spec.name, label=label, spec=spec)


def _run_folder_spec(folder: Path) -> CampaignSpec:
    import yaml

    from .spec import parse_spec

    spec_file = folder / "spec.yaml"
    try:
        data = yaml.safe_load(spec_file.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{spec_file}: cannot read the campaign spec: {exc}") from None
    return parse_spec(data, source=str(spec_file))


def _meta_storage(meta: Path) -> str | None:
    if not meta.is_file():
        return None
    try:
        url = json.loads(meta.read_text()).get("storage")
    except (OSError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{meta}: cannot read the run folder's storage: {exc}") from None
    return str(url) if url else None
