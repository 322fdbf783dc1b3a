"""What a campaign's trials mean, by content: the identity checked before a resume.

A campaign study records (study attribute ``accelsmith.identity``, see
:mod:`accelsmith.dse.ledger`) the spec keys that change results (:data:`SPEC_KEYS`, the space
expanded) and, under ``contents``:

``spec_sha256``
    SHA-256 of those spec keys (canonical JSON).
``space_hash``
    :meth:`accelsmith.dse.space.Space.hash` of the expanded space.
``files``
    ``{"workload.<i>": {"path", "sha256"}, "tech": {"path", "sha256"}}``: the *contents* of
    every workload and technology file, so editing a file in place is seen.
``results_version``
    :data:`RESULTS_VERSION`, the version of accelsmith's cost models as far as results go.
``calibration`` (node 130 only)
    ``{"file": "calib_sky130.json", "samples_sha256", "models_version"}``: the node-130
    models are built from the synthesized components of that file
    (:func:`accelsmith.models.calib.samples_sha256`), so a re-calibration changes node-130
    results without touching the other nodes': it is refused for node-130 campaigns only, and
    every stored 45 nm campaign or reference front keeps its identity. The same holds for a
    change of a node-130 model's code over unchanged samples (:data:`NODE130_MODELS_VERSION`).
``ecp5`` (only when an objective or a constraint is an ``ecp5_`` column)
    ``{"file": "calib_ecp5.json", "samples_sha256", "models_version"}``: the ECP5 columns
    (LUT4, DSP, BRAM, Fmax, device utilization) come from the components of that file
    (:func:`accelsmith.models.ecp5.samples_sha256`) and the code of
    :mod:`accelsmith.models.ecp5_inventory` (:data:`ECP5_MODELS_VERSION`); they are recorded
    for every family at every node, but a campaign that merely records them is not refused
    when they change (its search does not depend on them).

A resume whose identity differs is refused, naming what changed (:func:`differences`). A
campaign stored before contents were recorded (no ``contents``) is *legacy*: its spec keys
are compared, and its contents are recorded at that resume.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .spec import CampaignSpec

__all__ = ["RESULTS_VERSION", "SPEC_KEYS", "differences", "identity"]

#: Bump when a change to a cost model, a workload loader or the technology tables changes
#: the numbers a campaign records: a campaign run before then is not resumed silently.
#: "2" (2026-12-06): accel cycles from the closed-form schedule and energy from the hardware's
#: event counts; node-130 models built from calibrated components (systolic, lut-core, ...).
#: "3" (2026-12-07, session 8, lut8): a LUT core of one column and two or more rows drains
#: through two register stages (hdl/lut_core.py): one cycle more per tile chain at every node,
#: and the split drain's flip-flops in its area and energy (core/latency/lut_core.split_drain).
RESULTS_VERSION = "3"

#: the node whose models are calibrated against synthesized components (models/calib.py)
CALIBRATED_NODE_NM = 130

#: Bump when the code of a node-130 model (models/calib.py, models/rtl_inventory.py ...) changes
#: the numbers it records while the calibration samples stay the same (those are hashed
#: apart); other nodes keep their identity. An identity stored without it is version "1".
#: "2" (2026-12-07): weight-stationary partial sums are only as wide as their row needs
#: (hdl/systolic_pe.py ws_psum_shape): the flip-flop inventory and the PE widths follow.
#: "3" (2026-12-07, session 5, one bump for the session's node-130 model changes): the SIMD
#: engine's merged pipeline-1/-2 chain, readout and area in context (models/simd_asic.py).
#: "4" (2026-12-07, session 6, one bump for the session's node-130 model changes): the SIMD
#: engine's pipeline-1 exact path from its lane in context (``schainl*``) and the mode
#: multiplexer's levels as in the RTL (models/simd_asic.py).
#: "5" (2026-12-07, session 7, one bump for the session's node-130 model changes; lut7 first):
#: the LUT core's one-column drain by accumulator width, its row path from the one-column
#: drain cores and the midpoint for both tables (models/calib.py lut_core_period_ns).
#: "6" (2026-12-07, session 8, one bump for the session's node-130 model changes; simd8
#: first): the SIMD exact slot's readout in context from the chain-and-readout block at the
#: quire LSB nearest the slot's own (models/simd_asic.py _readout_block).
#: "7" (2026-12-07, session 9, one bump for the session's node-130 model changes; simd10
#: first): an exact SIMD slot's binary32 readout is never interpolated across the rounding
#: step between quire widths 25 and 26 (models/simd_asic.py _readout_s); a near-critical exact
#: slot is slower per lane (models/simd_asic.py engine_cost, LANE_SIZING).
#: "8" (2026-12-07, session 12, one bump for the session's node-130 model changes; simdw12
#: first): an exact SIMD slot whose posit8 operand comes only with the posit8 x FP4 mode
#: takes the posit8 x FP4 lane in context (models/simd_asic.py _lane_ctx_kind).
#: Also: a K = 2 LUT core's 3-bit level moves with its PEs (models/calib.py
#: lut_b3_level_ns; small12).
#: "9" (2026-12-08, session 13, one bump for the session's node-130 model changes): from
#: group size 3 on, a LUT core's context level moves with its tile counter's width (the
#: table path), not its accumulator's (models/calib.py lut_core_period_ns, ``max_k``; lut13).
#: Also: the int8 PIM lane path in context pooled over several channel contexts and its step
#: to several banks measured in context (models/pim_asic.py CHAN_CONTEXTS, bank_step_ns; pim13).
#: Also: an exact SIMD slot with FP8 E4M3 and no 8-bit integer or posit mode takes the E4M3
#: lane in context of the narrow modes beside it (models/simd_asic.py _e4m3_lane; simd13).
NODE130_MODELS_VERSION = "9"

#: Bump when the code of the ECP5 model (models/ecp5.py, models/ecp5_inventory.py) changes
#: the ``ecp5_`` columns while the ECP5 samples stay the same. Identities stored without an
#: ``ecp5`` record predate it (the ECP5 model changed on 2026-12-07: whole-array systolic
#: fits, one-run calibration), so such a campaign using an ``ecp5_`` column is refused.
#: "2" (2026-12-07, session 5): weight-stationary arrays priced from their components (fold
#: adder gating, narrow partial sums) instead of fitted scales; ws array Fmax from the widest
#: PE adder or the gated fold adder (a 1-row column's PE has no adder).
#: "3" (same day): the SIMD lane fit takes the lane samples' live operand gating off first.
#: "4" (2026-12-07, session 6, one bump for the session's ECP5 model changes): PIM mapped by
#: the hierarchical ECP5 flow, a channel priced as its control module plus its banks at their
#: isolated price (no floating-point bank term); Fmax paths (ecp56).
#: "5" (2026-12-07, session 7, one bump for the session's ECP5 model changes): LUT-core rows
#: interpolated in their entry width between sampled activation widths; the SIMD lane fit
#: includes whole integer-only SIMD designs (ecp57); systolic / PIM changes (ecp58).
#: "6" (2026-12-07, session 8, one bump for the session's ECP5 model changes): a SIMD lane's
#: period from a datapath and a read-out scale fitted to placed lanes and multi-lane fp /
#: posit designs; LUT-core table path (ecpf8); systolic / PIM changes (ecps8).
#: "7" (2026-12-07, session 9, one bump for the session's ECP5 model changes): an in-core
#: term of symmetric LUT cores of group 2-3 and 2+ rows (ecpl10); a SIMD lane's MULT18X18D
#: by the partial-product rule synthesis follows (pipeline depth, slots, share; ecps10).
#: "8" (2026-12-07, session 12, one bump for the session's ECP5 model changes): the wide
#: current-weight term of ws arrays of 5+ rows at odd 11+-bit weights (ecpl12).
#: "9" (2026-12-07, session 13, one bump for the session's ECP5 model changes): the
#: decode-per-bit current-weight term of ws arrays of 5+ rows with a 9+-bit k counter, every
#: column (ecp13).
ECP5_MODELS_VERSION = "9"

SPEC_KEYS = ("family", "space", "workload", "objectives", "constraints", "node_nm", "tech")


def _sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def input_files(spec: CampaignSpec) -> dict[str, str]:
    """Role (``workload.<i>``, ``tech``) -> path of every file the spec's results depend on."""
    out: dict[str, str] = {}
    for i, w in enumerate(spec.workload):
        source = w.source
        if w.file is not None or Path(source).is_file():
            out[f"workload.{i}"] = str(Path(source).resolve())
    if spec.tech:
        out["tech"] = str(Path(spec.tech).resolve())
    return out


def identity(spec: CampaignSpec) -> dict[str, Any]:
    """The identity of ``spec``'s campaign (see the module docstring)."""
    d = spec.to_dict()
    space = spec.build_space()
    d["space"] = space.to_dict()
    ident = {k: d[k] for k in SPEC_KEYS}
    files = {
        role: {"path": path, "sha256": _sha256_file(path)}
        for role, path in input_files(spec).items()
    }
    ident["contents"] = {
        "spec_sha256": hashlib.sha256(_canonical(ident).encode()).hexdigest(),
        "space_hash": space.hash(),
        "files": files,
        "results_version": RESULTS_VERSION,
    }
    if ident["node_nm"] == CALIBRATED_NODE_NM:
        from ..models.calib import DATA_FILE, samples_sha256

        ident["contents"]["calibration"] = {
            "file": DATA_FILE.name,
            "samples_sha256": samples_sha256(),
            "models_version": NODE130_MODELS_VERSION,
        }
    used = [m for m, _ in spec.objectives] + [c.metric for c in spec.constraints]
    if any(m.startswith("ecp5_") for m in used):
        from ..models.ecp5 import CALIB_PATH
        from ..models.ecp5 import samples_sha256 as ecp5_sha256

        ident["contents"]["ecp5"] = {
            "file": CALIB_PATH.name,
            "samples_sha256": ecp5_sha256(),
            "models_version": ECP5_MODELS_VERSION,
        }
    return ident


def _what(role: str) -> str:
    return "technology file" if role == "tech" else f"{role.replace('.', ' ')} file"


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between a stored identity and a new one, as short phrases.

    A legacy identity (no ``contents``) is compared on its spec keys only.
    """
    changed = [
        f"a different {k}"
        for k in SPEC_KEYS
        if _canonical(old.get(k)) != _canonical(new.get(k)) and k in old
    ]
    before, after = old.get("contents"), new.get("contents")
    if not isinstance(before, dict):
        return changed
    if "space" not in old and before.get("space_hash") != after["space_hash"]:
        changed.append(f"a different space (hash {before.get('space_hash')})")
    old_files, new_files = before.get("files", {}), after["files"]
    for role in sorted(set(old_files) | set(new_files)):
        o, n = old_files.get(role), new_files.get(role)
        if o is None or n is None:
            continue  # a file that became a built-in (or back): the spec keys name it
        if o.get("sha256") != n.get("sha256"):
            what = _what(role)
            if o.get("path") == n.get("path"):
                changed.append(f"other contents of its {what} {n['path']}")
            else:
                changed.append(f"another {what} ({o.get('path')} -> {n['path']})")
    calibrated = {
        "calibration": (
            f"calibration data (node-{CALIBRATED_NODE_NM} results depend on",
            "calibration data",
            f"node-{CALIBRATED_NODE_NM} cost models",
            "1",  # an identity stored before the models version was recorded
        ),
        "ecp5": (
            "ECP5 model (its ecp5_ objectives/constraints depend on",
            "ECP5 calibration data",
            "ECP5 cost models",
            None,
        ),
    }
    for key, (unrecorded, data, models, first) in calibrated.items():
        c_old, c_new = before.get(key), after.get(key)
        if c_new is None or c_old == c_new:
            continue
        new_sha = c_new["samples_sha256"][:12]
        if c_old is None:
            changed.append(f"no record of its {unrecorded} {c_new['file']}, sha256 {new_sha} now)")
        elif c_old.get("samples_sha256") != c_new["samples_sha256"]:
            old_sha = str(c_old.get("samples_sha256"))[:12]
            changed.append(f"other {data} ({c_new['file']} samples sha256 {old_sha} -> {new_sha})")
        else:
            version = c_old.get("models_version", first)
            changed.append(f"other {models} (version {version} -> {c_new['models_version']})")
    if before.get("results_version") != after["results_version"]:
        changed.append(
            f"accelsmith results version {before.get('results_version')} "
            f"(now {after['results_version']})"
        )
    return changed
