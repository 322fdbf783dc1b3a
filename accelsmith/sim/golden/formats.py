"""The bit-exact number-format codec (moved to :mod:`accelsmith.core.numformats.codec`, below
``models`` and ``sim``, so the SQNR model and the golden models share it; re-exported here for
existing imports)."""

from ...core.numformats.codec import (
    FORMATS,
    Format,
    decode,
    encode,
    encode_exact,
    exact_value,
    fp32_bits_to_float,
    get_format,
    posit_tie_value,
    round_to_float_bits,
    values,
)

__all__ = [
    "FORMATS",
    "Format",
    "decode",
    "encode",
    "encode_exact",
    "exact_value",
    "fp32_bits_to_float",
    "get_format",
    "posit_tie_value",
    "round_to_float_bits",
    "values",
]
