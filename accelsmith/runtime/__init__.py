"""Compiler and runtime of the ``accel`` family: tile GEMMs and convolutions for a
configuration (the mapper), emit the command stream and the DRAM image, model the cycles."""

from __future__ import annotations

from .compiler import Cmd, Program, Quant, compile_layers
from .mapper import Mapping, choose_mapping
from .shapes import ConvShape, shape_of

__all__ = [
    "Cmd",
    "ConvShape",
    "Mapping",
    "Program",
    "Quant",
    "choose_mapping",
    "compile_layers",
    "shape_of",
]
