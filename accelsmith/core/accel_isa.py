"""The ``accel`` family's software interface as plain data: ISA, register map, memory layout.

The hardware (:mod:`accelsmith.hdl.accel`) decodes commands and lays out its registers from
these tables, and the compiler (:mod:`accelsmith.runtime`) encodes commands with them, so the
two can never disagree. Nothing here imports more than the standard library.

Commands
--------
Every command is 128 bits, written by software as four 32-bit words (``CMD0`` .. ``CMD3``,
least significant first); writing ``CMD3`` pushes the command into the queue. Bits ``[3:0]``
hold the opcode. Commands run in order; a load or store (the DMA unit) and a compute (the
array) may run at the same time when they touch different banks (see :data:`HAZARDS`).

``config``
    Output-stage settings used by every later ``store``: ``shift`` (right shift after the
    scale multiply, 0..63), ``relu`` (clamp negatives to zero), ``per_channel`` (scale per
    output column from the scale memory instead of the per-tensor ``scale``), ``scale``
    (unsigned 16-bit per-tensor multiplier). Waits until both units are idle.
``load``
    DMA from DRAM into a scratchpad (``target`` 0: activations A, 1: weights B, 2: scales):
    ``n_rows`` rows of ``row_elems`` elements; row ``r`` starts at byte
    ``dram_addr + r * stride`` (stride 0 repeats one row, e.g. a zero row for padding).
    ``transpose = 0``: row ``r`` fills lanes ``lane .. lane + row_elems - 1`` of entry
    ``spad_addr + r``. ``transpose = 1``: row ``r`` fills lane ``lane + r`` of entries
    ``spad_addr .. spad_addr + row_elems - 1`` (one element per cycle). Other lanes keep
    their contents. Scales are 16-bit elements (no transpose, lanes count scales).
``store``
    Output stage then DMA to DRAM: ``n_rows`` accumulator entries from ``acc_addr``; the first
    ``row_elems`` lanes of entry ``acc_addr + r`` go to byte ``dram_addr + r * stride``, each
    ``scaled = (acc * scale + round) >> shift`` (``round = 2**(shift-1)`` when ``shift > 0``,
    arithmetic shift: round half up), then ReLU if enabled, then saturated to ``in_bits``.
``compute``
    One array tile over reduction depth ``k``: reads ``k`` B entries from ``b_addr`` and the
    activations from ``a_addr`` (``os``: ``k`` entries, entry ``i`` = A[0:rows, i];
    ``ws``: ``ceil(k / rows) * rows`` entries, entry ``f * rows + m`` = A[m, f*rows:(f+1)*rows]),
    and adds (``accumulate = 1``) or writes (``accumulate = 0``) the ``rows`` result rows into
    accumulator entries ``acc_addr .. acc_addr + rows - 1``.
``fence``
    Completes when every earlier command has completed.

Errors
------
A command that fails its checks is not executed: the error code and the command's index are
latched, the queue stops, and ``STATUS.error`` is set until software writes ``CTRL.clear``
(which also empties the queue). Nothing in memory or DRAM is changed by a refused command.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CMD_BITS",
    "COUNTERS",
    "ERRORS",
    "FIELDS",
    "HAZARDS",
    "ID_VALUE",
    "OPCODES",
    "REGISTERS",
    "SCALE_BITS",
    "Field",
    "Register",
    "decode",
    "encode",
    "isa_table",
    "memory_layout",
    "register_table",
    "words",
]

CMD_BITS = 128
OPCODE_BITS = 4
SCALE_BITS = 16
ID_VALUE = 0xACCE1001  # read-only ID register: "ACCEL", interface version 1

OPCODES: dict[str, int] = {"config": 1, "load": 2, "store": 3, "compute": 4, "fence": 5}

LOAD_TARGETS: dict[str, int] = {"a": 0, "b": 1, "scale": 2}


@dataclass(frozen=True)
class Field:
    """One command field: bits ``[lsb, lsb + width)`` of the 128-bit command."""

    name: str
    lsb: int
    width: int
    doc: str


FIELDS: dict[str, tuple[Field, ...]] = {
    "config": (
        Field("shift", 4, 6, "right shift after the scale multiply (0..63)"),
        Field("relu", 10, 1, "1: clamp negative results to zero"),
        Field("per_channel", 11, 1, "1: per-column scales from the scale memory"),
        Field("scale", 16, 16, "per-tensor unsigned multiplier"),
    ),
    "load": (
        Field("target", 4, 2, "0: activations A, 1: weights B, 2: scales"),
        Field("transpose", 6, 1, "1: DRAM row r fills lane r of consecutive entries"),
        Field("bank", 7, 1, "scratchpad bank (ignored for scales)"),
        Field("lane", 8, 8, "first lane written (row r of a transposed load: lane + r)"),
        Field("spad_addr", 16, 16, "first entry inside the bank"),
        Field("dram_addr", 32, 32, "byte offset of row 0 from DRAM_BASE"),
        Field("n_rows", 64, 16, "rows to transfer (>= 1)"),
        Field("row_elems", 80, 16, "elements per row (>= 1)"),
        Field("stride", 96, 32, "bytes between row starts"),
    ),
    "store": (
        Field("bank", 7, 1, "accumulator bank"),
        Field("scale_addr", 8, 8, "scale-memory entry (per-channel mode)"),
        Field("acc_addr", 16, 16, "first accumulator entry inside the bank"),
        Field("dram_addr", 32, 32, "byte offset of row 0 from DRAM_BASE"),
        Field("n_rows", 64, 16, "rows (accumulator entries) to store (>= 1)"),
        Field("row_elems", 80, 16, "elements per row (1..cols)"),
        Field("stride", 96, 32, "bytes between row starts"),
    ),
    "compute": (
        Field("a_bank", 4, 1, "activation bank"),
        Field("b_bank", 5, 1, "weight bank"),
        Field("acc_bank", 6, 1, "accumulator bank"),
        Field("accumulate", 7, 1, "1: add to the accumulator, 0: overwrite"),
        Field("k", 16, 16, "reduction depth (1..max_k)"),
        Field("a_addr", 32, 16, "first activation entry inside the bank"),
        Field("b_addr", 48, 16, "first weight entry inside the bank"),
        Field("acc_addr", 64, 16, "first accumulator entry inside the bank"),
    ),
    "fence": (),
}

#: error code -> (name, meaning)
ERRORS: dict[int, tuple[str, str]] = {
    0: ("none", "no error"),
    1: ("bad_command", "unknown opcode, a zero size, a load target 3, or a size over a limit"),
    2: ("spad_range", "a scratchpad, accumulator or scale-memory range outside its bank"),
    3: ("dram_range", "a DRAM row outside [0, DRAM_SIZE) (offsets from DRAM_BASE)"),
    4: ("queue_overflow", "CMD3 written while the command queue was full (command dropped)"),
}

HAZARDS = (
    "a load into bank x of A (or B) waits while a compute reading bank x of A (or B) runs",
    "a store from accumulator bank y waits while a compute writing bank y runs",
    "a compute waits while a load into one of its A/B banks or a store from its "
    "accumulator bank runs",
    "config and fence wait until both units are idle",
)


@dataclass(frozen=True)
class Register:
    """One 32-bit AXI4-Lite register."""

    name: str
    offset: int
    access: str
    doc: str


REGISTERS: tuple[Register, ...] = (
    Register("ID", 0x00, "ro", f"constant {ID_VALUE:#010x}"),
    Register(
        "STATUS",
        0x04,
        "ro",
        "bit 0 idle (queue empty, units idle), bit 1 error, bit 2 queue full, bit 3 hold, "
        "bits 31:16 commands waiting in the queue",
    ),
    Register(
        "CTRL",
        0x08,
        "wo",
        "bit 0 clear: clear the error and empty the queue; bit 1 hold: no command starts "
        "while it is 1 (fill the queue, then release)",
    ),
    Register(
        "ERROR",
        0x0C,
        "ro",
        "bits 3:0 error code (see ERRORS); bits 31:16 the refused command's index: the low "
        "16 bits of ACCEPTED when it was written",
    ),
    Register("RETIRED", 0x10, "ro", "commands completed since reset (wraps at 2**32)"),
    Register("DRAM_BASE", 0x14, "rw", "byte address added to every command's dram_addr"),
    Register("DRAM_SIZE", 0x18, "rw", "bytes of DRAM the commands may touch"),
    Register("CYCLES", 0x1C, "ro", "clock cycles since reset (wraps at 2**32)"),
    Register("CMD0", 0x20, "wo", "command bits 31:0"),
    Register("CMD1", 0x24, "wo", "command bits 63:32"),
    Register("CMD2", 0x28, "wo", "command bits 95:64"),
    Register("CMD3", 0x2C, "wo", "command bits 127:96; the write pushes the command"),
    Register("ACCEPTED", 0x30, "ro", "commands accepted into the queue since reset"),
)

#: Performance counters: 32-bit event counts since reset (wrap at 2**32; software reads them
#: before and after a run and subtracts modulo 2**32). ``(register, event key, meaning)``;
#: the event keys are those of :func:`accelsmith.runtime.events.command_events`.
COUNTERS: tuple[tuple[str, str, str], ...] = (
    ("PC_ACTIVE", "active", "cycles with work queued or running and CTRL.hold low"),
    ("PC_EX_BUSY", "ex_busy", "cycles the compute unit (systolic array) is busy"),
    ("PC_A_READS", "a_reads", "A-scratchpad entries streamed into the array"),
    ("PC_B_READS", "b_reads", "B-scratchpad entries streamed into the array (sum of k)"),
    ("PC_ACC_RMW", "acc_rmw", "accumulator rows read-modified-written by computes"),
    ("PC_A_WRITES", "a_writes", "A-scratchpad write cycles of loads"),
    ("PC_B_WRITES", "b_writes", "B-scratchpad write cycles of loads"),
    ("PC_S_WRITES", "s_writes", "scale-memory write cycles of loads"),
    ("PC_ACC_READS", "acc_reads", "accumulator rows read by stores (through the output stage)"),
    ("PC_RD_BEATS", "rd_beats", "AXI4 read data beats (R handshakes)"),
    ("PC_WR_BEATS", "wr_beats", "AXI4 write data beats (W handshakes)"),
    ("PC_DMA_BUSY", "dma_busy", "cycles the DMA unit is busy"),
    (
        "PC_DMA_WAIT",
        "dma_wait",
        "cycles the DMA unit is busy but moves no data (no scratchpad write, no W beat): "
        "DRAM latency, AXI back-pressure, burst set-up",
    ),
)

REGISTERS += tuple(
    Register(name, 0x40 + 4 * i, "ro", f"performance counter: {doc} (wraps at 2**32)")
    for i, (name, _, doc) in enumerate(COUNTERS)
)

REG = {r.name: r.offset for r in REGISTERS}
REG_ADDR_BITS = 7


def encode(op: str, **values: int) -> int:
    """The 128-bit command ``op`` with ``values`` (missing fields are 0).

    Raises
    ------
    ValueError
        For an unknown opcode or field, or a value that does not fit its field.
    """
    if op not in OPCODES:
        raise ValueError(f"opcode must be one of {', '.join(OPCODES)}, not {op!r}")
    fields = {f.name: f for f in FIELDS[op]}
    word = OPCODES[op]
    for name, value in values.items():
        if name not in fields:
            raise ValueError(f"{op} has no field {name!r}")
        f = fields[name]
        if not 0 <= int(value) < (1 << f.width):
            raise ValueError(f"{op}.{name} must fit {f.width} bits, not {value!r}")
        word |= int(value) << f.lsb
    return word


def decode(command: int) -> tuple[str, dict[str, int]]:
    """``(opcode name, field values)`` of a 128-bit command (``"invalid"`` if unknown)."""
    code = command & ((1 << OPCODE_BITS) - 1)
    for name, value in OPCODES.items():
        if value == code:
            return name, {f.name: (command >> f.lsb) & ((1 << f.width) - 1) for f in FIELDS[name]}
    return "invalid", {}


def words(command: int) -> list[int]:
    """The four 32-bit register writes (``CMD0`` .. ``CMD3``) of a command."""
    return [(command >> (32 * i)) & 0xFFFFFFFF for i in range(4)]


def isa_table() -> dict[str, Any]:
    """The ISA as manifest-ready data."""
    return {
        "command_bits": CMD_BITS,
        "opcode_bits": f"[{OPCODE_BITS - 1}:0]",
        "push": "write CMD0, CMD1, CMD2 then CMD3 (the CMD3 write pushes the command)",
        "opcodes": {
            name: {
                "code": code,
                "fields": [
                    {"name": f.name, "bits": f"[{f.lsb + f.width - 1}:{f.lsb}]", "doc": f.doc}
                    for f in FIELDS[name]
                ],
            }
            for name, code in OPCODES.items()
        },
        "load_targets": LOAD_TARGETS,
        "errors": {str(code): {"name": n, "meaning": d} for code, (n, d) in ERRORS.items()},
        "hazards": list(HAZARDS),
    }


def register_table() -> list[dict[str, str]]:
    """The register map as manifest-ready data."""
    return [
        {"name": r.name, "offset": f"{r.offset:#04x}", "access": r.access, "doc": r.doc}
        for r in REGISTERS
    ]


def memory_layout(p: Any) -> dict[str, Any]:
    """Scratchpad, accumulator and scale-memory geometry of an ``AccelParams``."""
    eb = p.in_bits // 8
    return {
        "a_scratchpad": {
            "banks": 2,
            "entries_per_bank": p.a_entries,
            "entry": f"{p.rows} lanes x {p.in_bits} bits (lane i = array row i)",
            "bytes": 2 * p.a_entries * p.rows * eb,
        },
        "b_scratchpad": {
            "banks": 2,
            "entries_per_bank": p.b_entries,
            "entry": f"{p.cols} lanes x {p.in_bits} bits (lane j = array column j)",
            "bytes": 2 * p.b_entries * p.cols * eb,
        },
        "accumulator": {
            "banks": 2,
            "entries_per_bank": p.acc_entries,
            "entry": f"{p.cols} lanes x {p.acc_bits} bits (one result row)",
            "bytes": 2 * p.acc_entries * p.cols * math.ceil(p.acc_bits / 8),
        },
        "scale_memory": {
            "banks": 1,
            "entries": p.scale_entries,
            "entry": f"{p.cols} lanes x {SCALE_BITS} bits (unsigned)",
        },
        "command_queue": {"depth": p.queue_depth, "entry_bits": CMD_BITS},
        "dram": "little-endian; elements are in_bits two's-complement integers, scales "
        "16-bit unsigned; addresses are bytes from DRAM_BASE",
    }
