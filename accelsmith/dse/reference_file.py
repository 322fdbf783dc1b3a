"""Reference fronts as small JSON files that travel with the repository (issue 17 item 4).

A stored reference campaign (:mod:`accelsmith.dse.reference`) holds every run of the union:
hundreds of megabytes of SQLite that a fresh clone does not have. What the strict measures
need is only the front, so :func:`export_reference` writes the front's designs, their
objective vectors, the campaign identity, and the list of runs the front is the union of
into one JSON file (a few hundred kilobytes at most); :func:`read_reference_file` gives it
back as a :class:`~accelsmith.dse.reference.ReferenceFront` after the same identity check as
a stored front (a file of another space, workload, constraint set or results version is
refused, naming what differs). :func:`~accelsmith.dse.reference.load_reference` takes such a
file wherever a reference storage is accepted (``dse status --reference``, ``report
--reference``, ``dse reference show``, ``bench/bench_coexplore.py``), and ``dse reference
recost`` re-costs one after a results-version change.

Joined runs
    ``join`` adds the runs of other storages (e.g. a benchmark's ablation runs: the same
    campaign identity, other explorer options) to the union: their non-dominated feasible
    trials are merged with the stored front and listed under ``runs`` with their study name
    and explorer options (``explorer`` reads e.g. ``marl (actions=jump)``).

File layout (``format`` :data:`FORMAT`, ``format_version`` :data:`FORMAT_VERSION`)::

    {"format", "format_version", "campaign", "family", "objectives": [[name, direction]],
     "identity": {...}, "runs": [{"explorer", "seed", "trials", ...}], "built", "exported",
     "source", "points": [{"params": {...}, "values": [...], "source": "<study>#<trial>"}]}
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError
from .ledger import STUDY_KEY, campaign_studies, study_name

if TYPE_CHECKING:
    from .reference import ReferenceFront
    from .spec import CampaignSpec

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "export_reference",
    "is_reference_file",
    "read_reference_document",
    "read_reference_file",
]

FORMAT = "accelsmith-reference-front"
FORMAT_VERSION = 1


def is_reference_file(target: str) -> bool:
    """Whether ``target`` names a reference-front JSON file (by its ``.json`` suffix)."""
    return "://" not in target and target.lower().endswith(".json")


def _explorer_label(info: dict[str, Any], explorer: str) -> tuple[str, dict[str, Any]]:
    """``("marl (actions=jump)", options)`` of a run study's stored spec (options that
    change the search; ``save_policy``/``warm_start`` do not)."""
    opts = dict((info.get("spec") or {}).get("explorer", {}).get("options") or {})
    opts = {k: v for k, v in opts.items() if k not in ("save_policy", "warm_start")}
    if not opts:
        return explorer, {}
    return f"{explorer} ({', '.join(f'{k}={v}' for k, v in sorted(opts.items()))})", opts


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def export_reference(
    spec: CampaignSpec, source: str, *, join: Sequence[str] = (), label: str = "reference"
) -> dict[str, Any]:
    """The JSON document of the stored reference front of ``spec``'s campaign in ``source``,
    joined with the runs of the storages ``join`` (see the module docstring).

    Raises
    ------
    ConfigError
        ``source`` or a ``join`` storage does not exist; ``source`` holds no front of this
        campaign (what differs is named); a ``join`` storage holds no run of this campaign.
    """
    import optuna

    from .identity import differences, identity
    from .pareto import nondominated_mask
    from .reference import _open_source, _rdb, matching_front, run_values
    from .storage import close_storage

    if is_reference_file(source):
        raise ConfigError(
            f"{label} must be the storage of a reference campaign (`dse reference build`), not "
            f"the exported file {source}"
        )
    mine = identity(spec)
    dirs = spec.directions
    store, url = _open_source(source, label)
    try:
        found, why = matching_front(store, mine)
        if found is None:
            raise ConfigError(
                f"{label} {source} holds no reference front of campaign {spec.name!r} "
                f"({'; '.join(why) or 'no reference front: `accelsmith dse reference build`'})"
            )
        front_name, info, front_study = found
        trials = front_study.get_trials(deepcopy=False)
    finally:
        close_storage(store)
    meta = dict(info.get("reference", {}))
    runs = [dict(r) for r in meta.get("runs", [])]
    points = [
        {
            "params": {k: _jsonable(v) for k, v in t.params.items()},
            "values": [float(x) for x in t.values],
            "source": str(t.user_attrs.get("reference_source", f"{front_name}#{t.number}")),
        }
        for t in trials
    ]
    values = np.array([p["values"] for p in points], dtype=np.float64).reshape(-1, len(dirs))
    for other in join:
        jstore, jurl = _open_source(other, "--join")
        try:
            added = 0
            for campaign, explorers in sorted(campaign_studies(jstore).items()):
                for e in explorers:
                    name = study_name(campaign, e)
                    jinfo = optuna.load_study(study_name=name, storage=jstore).user_attrs.get(
                        STUDY_KEY, {}
                    )
                    if e == "reference" or differences(jinfo.get("identity", {}), mine):
                        continue
                    v = run_values(jstore, name)
                    explorer, opts = _explorer_label(jinfo, e)
                    seed = (jinfo.get("spec") or {}).get("seed")
                    runs.append(
                        {"explorer": explorer, "seed": seed, "trials": len(v), "study": name}
                        | ({"options": opts} if opts else {})
                        | {"storage": jurl}
                    )
                    added += 1
                    ok = np.flatnonzero(np.isfinite(v).all(axis=1))
                    if not len(ok):
                        continue
                    cand = np.vstack([values, v[ok]])
                    keep = nondominated_mask(cand, dirs)
                    n0 = len(values)
                    # points the run dominates leave; its non-dominated designs whose
                    # objective vector is not on the front yet join (once each)
                    points = [p for p, k in zip(points, keep[:n0], strict=True) if k]
                    values = values[keep[:n0]]
                    rdb = _rdb(jstore)
                    sid = rdb.get_study_id_from_name(name)
                    for r in np.flatnonzero(keep[n0:]):
                        row = v[ok[r]]
                        if len(values) and (values == row).all(axis=1).any():
                            continue
                        number = int(ok[r])
                        tid = rdb.get_trial_id_from_study_id_trial_number(sid, number)
                        src = rdb.get_trial(tid)
                        points.append(
                            {
                                "params": {k: _jsonable(x) for k, x in src.params.items()},
                                "values": [float(x) for x in src.values],
                                "source": f"{name}#{number}",
                            }
                        )
                        values = np.vstack([values, row])
            if not added:
                raise ConfigError(
                    f"--join {other} holds no run of campaign {spec.name!r} (none of its "
                    "studies has this campaign's identity)"
                )
        finally:
            close_storage(jstore)
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "campaign": str(info.get("campaign", front_name.rpartition("@")[0])),
        "family": spec.family,
        "objectives": [list(o) for o in spec.objectives],
        "identity": info.get("identity", mine),
        "runs": runs,
        "built": meta.get("built"),
        "exported": now,
        "source": {"storage": url, "study": front_name, "join": list(join)},
        "points": points,
    }


def write_reference_file(doc: dict[str, Any], path: str | Path) -> Path:
    """Write ``doc`` (:func:`export_reference`) to ``path`` (parents created)."""
    out = Path(path)
    if out.suffix.lower() != ".json":
        raise ConfigError(f"--out must be a .json file, not {str(path)!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
    return out


def read_reference_document(path: str, label: str = "--reference") -> dict[str, Any]:
    """The parsed document of a reference file, checked for its format (not its identity).

    Raises
    ------
    ConfigError
        Missing file, not JSON, or not an accelsmith reference-front file.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{label} {path} does not exist (a reference-front .json file)")
    try:
        doc = json.loads(p.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{label} {path} is not a JSON file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ConfigError(
            f"{label} {path} is not an accelsmith reference-front file (`dse reference export` "
            f"writes one; its 'format' is {FORMAT!r})"
        )
    if doc.get("format_version") != FORMAT_VERSION:
        raise ConfigError(
            f"{label} {path} has format_version {doc.get('format_version')!r}; this accelsmith "
            f"reads {FORMAT_VERSION}"
        )
    points = doc.get("points")
    if not isinstance(points, list) or not all(
        isinstance(p, dict)
        and isinstance(p.get("values"), list)
        and isinstance(p.get("params"), dict)
        for p in points
    ):
        raise ConfigError(f"{label} {path}: 'points' must be a list of {{params, values}}")
    return doc


def read_reference_file(
    path: str, spec: CampaignSpec, *, label: str = "--reference"
) -> ReferenceFront:
    """The reference front of the file ``path`` after checking its identity against ``spec``'s
    campaign (:func:`accelsmith.dse.identity.differences`).

    Raises
    ------
    ConfigError
        As :func:`read_reference_document`, or the file's front is of another campaign
        identity (named; a results-version change says how to re-cost it).
    """
    from .identity import differences, identity
    from .reference import ReferenceFront

    doc = read_reference_document(path, label)
    diff = differences(doc.get("identity") or {}, identity(spec))
    if diff:
        hint = (
            " (re-cost it: `accelsmith dse reference recost`)"
            if any("results version" in d for d in diff)
            else ""
        )
        raise ConfigError(
            f"{label} {path} holds the reference front of {doc.get('campaign')!r} with "
            f"{', '.join(diff)}: not a front of campaign {spec.name!r}{hint}"
        )
    m = len(spec.objectives)
    values = np.array([p["values"] for p in doc["points"]], dtype=np.float64).reshape(-1, m)
    return ReferenceFront(
        values=values, name=str(doc.get("campaign")), storage=str(path), runs=list(doc["runs"])
    )
