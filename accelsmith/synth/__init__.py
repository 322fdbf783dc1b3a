"""Synthesis, timing and power: sky130hd (Yosys + OpenSTA) and ECP5 (Yosys + nextpnr).

Same layer as :mod:`accelsmith.sim`: tools discovered (:mod:`.tools`), runs cached by
content hash (:mod:`.cache`), results as plain data (:class:`SynthReport`) that the cost-model
calibration and the reports read.
"""

from .flow import FLOW_VERSION, TARGETS, SynthReport, export, synthesize
from .tools import SynthError, SynthTimeout

__all__ = [
    "FLOW_VERSION",
    "TARGETS",
    "SynthError",
    "SynthReport",
    "SynthTimeout",
    "export",
    "synthesize",
]
