"""Quality metrics of a campaign: non-dominated sorting, hypervolume, HV ratio, IGD+, history.

Conventions (every number a report or ``accelsmith dse status`` prints follows them)

Directions
    Objectives are given as ``[(metric, "minimize" | "maximize"), ...]`` (the ledger's
    ``objectives`` list). Arrays stay in natural units and directions; the functions orient
    them internally.
Normalization
    Objective ``k`` is mapped to ``z_k = (v_k - ideal_k) / (nadir_k - ideal_k)``, where
    ``ideal`` and ``nadir`` are the best and worst values of objective ``k`` over the
    non-dominated points of a *reference set*: 0 is the ideal, 1 the nadir, smaller is better
    for every objective (maximized objectives included, since their ideal is above their
    nadir). A degenerate axis (``ideal == nadir``) is scaled by ``|ideal|`` (1 if that is 0).
    For a campaign (:func:`campaign_normalization`) the reference set is the exact front of
    the exhaustive explorer when the campaign has one, else the union of the feasible trials
    of all its explorers, so that every explorer of one campaign is measured with the same
    bounds and their hypervolumes are comparable. ``Normalization(log=True)`` applies the same
    map to ``log10`` of the objectives (an option, for spaces spanning decades; linear is the
    default, used by the CLI and the reports).
Reference point
    :data:`REFERENCE_POINT` = 1.1 on every normalized axis (10 % beyond the nadir, the usual
    choice, e.g. Ishibuchi et al., "How to specify a reference point in hypervolume
    calculation", GECCO 2017). Points outside that box contribute nothing.
Hypervolume
    Exact, computed by ``moocore.hypervolume`` (HV3D+ / HV4D+ algorithms) on normalized
    values of the feasible points. HV ratio = HV(points) / HV(exact front).
IGD+
    Ishibuchi, Masuda, Tanigaki, Nojima, "Modified distance calculation in generational
    distance and inverted generational distance", EMO 2015:
    ``IGD+(A, Z) = (1/|Z|) sum_{z in Z} min_{a in A} sqrt(sum_k max(a_k - z_k, 0)^2)``
    in normalized (minimization) space, ``Z`` the reference front. 0 means ``A`` covers
    ``Z``; it is Pareto compliant (weakly), unlike plain IGD.
Infeasible and failed points
    Rows whose objectives are not all finite (the frame helpers set infeasible rows to NaN)
    take no part in sorting, fronts or hypervolume; they still count as trials in the history.

Strict measures (front recall, IGD+ on normalized objectives, HV ratio on log objectives,
trials to 95 %): :mod:`accelsmith.dse.pareto.strict`, the headline of ``dse status``.

Non-dominated sorting uses ``moocore.pareto_rank`` / ``moocore.is_nondominated`` (C;
O(n log n) for 2 and 3 objectives): 20,000 points x 4 objectives rank in ~0.06 s.
"""

from .core import (
    DIRECTIONS,
    REFERENCE_POINT,
    Normalization,
    hv_ratio,
    hypervolume,
    hypervolume_history,
    igd_plus,
    nondominated_mask,
    pareto_ranks,
    parse_objectives,
    trial_checkpoints,
)
from .frames import (
    campaign_normalization,
    front_mask,
    front_ranks,
    history_frame,
    objective_values,
    quality_summary,
)
from .strict import (
    STRICT_COLUMNS,
    front_recall,
    strict_at,
    strict_measures,
    strict_summary,
    trials_to_reach,
)

__all__ = [
    "DIRECTIONS",
    "REFERENCE_POINT",
    "STRICT_COLUMNS",
    "Normalization",
    "campaign_normalization",
    "front_mask",
    "front_ranks",
    "front_recall",
    "history_frame",
    "hv_ratio",
    "hypervolume",
    "hypervolume_history",
    "igd_plus",
    "nondominated_mask",
    "objective_values",
    "pareto_ranks",
    "parse_objectives",
    "quality_summary",
    "strict_at",
    "strict_measures",
    "strict_summary",
    "trial_checkpoints",
    "trials_to_reach",
]
