"""The worst register path of a synthesized design split by where it ends.

A design's Fmax is its one worst path; a model that adds paths of its own (the LUT core's row
and its drain, :meth:`accelsmith.models.calib.CalibratedTech.lut_core_period_ns`) needs each
of them apart, including the one the worst path hides. :func:`split_periods` re-runs OpenSTA
on a cached sky130hd netlist (no new synthesis) for the worst path into the flip-flops whose
output drives a given port (``ports``) and the worst path into every other flip-flop.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from . import pdk
from .asic import CLOCK_PORT, _parse_path, sta_sections
from .tools import SynthError, run_tool

__all__ = ["split_periods"]

_FLOP = re.compile(r"sky130_fd_sc_hd__df\w+\s+(\S+)\s*\((.*?)\);", re.S)
_CHECK = "report_checks -path_delay max -from [all_registers -clock_pins] -to [get_pins {%s}]"


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
    net = (Path(folder) / "netlist.v").read_text()
    names = (ports,) if isinstance(ports, str) else ports
    to_port, other = [], []
    for name, body in _FLOP.findall(net):
        q = re.search(r"\.Q\(([^)]*)\)", body)
        hit = q is not None and any(n in q.group(1) for n in names)
        (to_port if hit else other).append(f"{name}/D")
    if not to_port or not other:
        raise SynthError(
            f"cannot split the paths of {top}: {len(to_port)} flip-flops drive {ports!r}, "
            f"{len(other)} others"
        )
    tcl = [
        f"read_liberty {pdk.liberty('full')}",
        f"read_verilog {Path(folder).resolve() / 'netlist.v'}",
        f"link_design {top}",
        f"create_clock -name clk -period {clock_ns} [get_ports {CLOCK_PORT}]",
        'puts "@@ port"',
        _CHECK % " ".join(to_port) + " -digits 4",
        'puts "@@ other"',
        _CHECK % " ".join(other) + " -digits 4",
        'puts "@@ end"',
    ]
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
    out = []
    for tag in ("port", "other"):
        path = _parse_path(sections.get(tag, ""), clock_ns)
        if path is None:
            raise SynthError(f"OpenSTA found no path into the {tag} flip-flops of {top}")
        out.append(float(path["min_period_ns"]))
    return out[0], out[1]
