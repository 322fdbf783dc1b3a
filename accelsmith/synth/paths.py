"""The worst register path of a synthesized design split by where it ends.

A design's Fmax is its one worst path; a model that adds paths of its own (the LUT core's row
and its drain, :meth:`accelsmith.models.calib.CalibratedTech.lut_core_period_ns`) needs each
of them apart, including the one the worst path hides. :func:`split_periods` re-runs OpenSTA
on a cached sky130hd netlist (no new synthesis) for the worst path into the flip-flops whose
output drives a given port (``ports``) and the worst path into every other flip-flop;
:func:`column_periods` for the worst path into each fold queue of a weight-stationary array
(``hdl/systolic_pe.WsCol``), column by column.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from . import pdk
from .asic import CLOCK_PORT, _parse_path, sta_sections
from .tools import SynthError, run_tool

__all__ = ["column_periods", "split_periods"]

_FLOP = re.compile(r"sky130_fd_sc_hd__df\w+\s+(\S+)\s*\((.*?)\);", re.S)
_CHECK = "report_checks -path_delay max -from [all_registers -clock_pins] -to [get_pins {%s}]"


#: a WS column's fold registers (``WsCol``: the queue ``q`` and the sum ``sum``) in a flat
#: netlist: ``colJ.q [i]`` / ``colJ.sum [i]``
_FOLD_REG = re.compile(r"col(\d+)\.(?:q|sum)\b")


def _flops(folder: str | Path) -> list[tuple[str, str]]:
    """``(instance, Q net)`` of every flip-flop of ``folder/netlist.v``."""
    net = (Path(folder) / "netlist.v").read_text()
    out = []
    for name, body in _FLOP.findall(net):
        q = re.search(r"\.Q\(([^)]*)\)", body)
        out.append((name, q.group(1) if q else ""))
    return out


def _worst_into(
    folder: str | Path, top: str, groups: dict[str, list[str]], clock_ns: float, timeout_s: float
) -> dict[str, float]:
    """Period (ns, setup included) of the worst register-to-register path into each group of
    D pins (``groups``: tag -> pins), one OpenSTA run on the cached netlist."""
    tcl = [
        f"read_liberty {pdk.liberty('full')}",
        f"read_verilog {Path(folder).resolve() / 'netlist.v'}",
        f"link_design {top}",
        f"create_clock -name clk -period {clock_ns} [get_ports {CLOCK_PORT}]",
    ]
    for tag, pins in groups.items():
        tcl += [f'puts "@@ {tag}"', _CHECK % " ".join(pins) + " -digits 4"]
    tcl.append('puts "@@ end"')
    with tempfile.TemporaryDirectory(prefix="accelsmith-split-") as tmp:
        work = Path(tmp)
        (work / "split.tcl").write_text("\n".join(tcl) + "\n")
        run_tool(
            "sta",
            ["-no_splash", "-exit", "split.tcl"],
            cwd=work,
            log=work / "split.log",
            timeout_s=timeout_s,
            what="OpenSTA (split paths)",
        )
        text = (work / "split.log").read_text()
    sections = sta_sections(text)
    out = {}
    for tag in groups:
        path = _parse_path(sections.get(tag, ""), clock_ns)
        if path is None:
            raise SynthError(f"OpenSTA found no path into the {tag} flip-flops of {top}")
        out[tag] = float(path["min_period_ns"])
    return out


def split_periods(
    folder: str | Path,
    top: str,
    ports: str | tuple[str, ...],
    clock_ns: float = 10.0,
    timeout_s: float = 300.0,
) -> tuple[float, float]:
    """``(to_port, other)``: the period (ns, setup included) the worst register-to-register
    path into the flip-flops whose ``Q`` drives a net whose name contains ``ports`` (or one
    of them: a tuple) needs, and the same into every other flip-flop; from
    ``folder/netlist.v`` (an ASIC run of :func:`accelsmith.synth.flow.synthesize_verilog`,
    top module ``top``).

    Raises
    ------
    SynthError
        The netlist has no such flip-flops, or none other, or OpenSTA reports no path.
    """
    names = (ports,) if isinstance(ports, str) else ports
    to_port, other = [], []
    for name, q in _flops(folder):
        hit = bool(q) and any(n in q for n in names)
        (to_port if hit else other).append(f"{name}/D")
    if not to_port or not other:
        raise SynthError(
            f"cannot split the paths of {top}: {len(to_port)} flip-flops drive {ports!r}, "
            f"{len(other)} others"
        )
    got = _worst_into(folder, top, {"port": to_port, "other": other}, clock_ns, timeout_s)
    return got["port"], got["other"]


def column_periods(
    folder: str | Path, top: str, clock_ns: float = 10.0, timeout_s: float = 300.0
) -> list[float]:
    """The period (ns, setup included) the worst register-to-register path into each fold
    queue of a flat weight-stationary array needs (column 0 first: the registers whose ``Q``
    drives ``colJ.q`` or ``colJ.sum``), from ``folder/netlist.v`` (top module ``top``).

    The columns' fold adders are the same logic, yet ABC maps each on its own, so their
    periods differ within one netlist (the array's fold path is the slowest of them); a
    semantically null rewrite of the Verilog (:mod:`.perturb`) need not move them.

    Raises
    ------
    SynthError
        The netlist has no fold-queue flip-flops, or OpenSTA reports no path into a column's.
    """
    cols: dict[int, list[str]] = {}
    for name, q in _flops(folder):
        m = _FOLD_REG.search(q)
        if m:
            cols.setdefault(int(m.group(1)), []).append(f"{name}/D")
    if not cols:
        raise SynthError(f"cannot split the fold paths of {top}: no colJ.q / colJ.sum flip-flops")
    got = _worst_into(folder, top, {f"col{j}": cols[j] for j in sorted(cols)}, clock_ns, timeout_s)
    return [got[f"col{j}"] for j in sorted(cols)]
