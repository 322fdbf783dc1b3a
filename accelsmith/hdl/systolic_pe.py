"""Processing elements and PE columns of the systolic array (:mod:`accelsmith.hdl.systolic`).

The array places ``cols`` identical columns and each column places ``rows`` PEs with
:func:`accelsmith.hdl.hier.place`, so hierarchical Verilog holds one column module and one PE
module per PE shape whatever the array size (os: one; ws: one per partial-sum width, at most
``1 + ceil(log2(rows))``). A column keeps everything that grows with ``rows`` inside it
(partial sums, the ws fold queue, the os drain multiplexer) and de-skews its own result, so
only activations (``rows`` elements) and a few flags cross between columns. Every block takes
the array's advance signal as ``en``: the parent's ``EnableInserter`` does not reach inside an
instance.

A column's de-skew delay (``cols - 1 - j`` cycles for column ``j``) arrives on its ``skew``
input, which the array ties to a constant, so all columns are the same module: each has a
``cols - 1`` stage delay line and reads the tap ``skew`` (synthesis removes the unused stages
once the constant is propagated).
"""

from __future__ import annotations

from amaranth.hdl import C, Cat, EnableInserter, Module, Mux, Shape, Signal, Value, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..core.families.systolic import exact_acc_bits
from .blocks.pipe import delay_chain
from .hier import place

__all__ = ["OsCol", "OsPE", "WsCol", "WsPE", "ws_psum_shape"]


def _field(vec: Value, shape: Shape, j: int) -> Value:
    """Element ``j`` of a packed vector of ``shape`` elements (element 0 in the low bits).

    Column ports are plain packed vectors, not ``ArrayLayout`` views: Amaranth names every element
    of a view as its own wire, which would make the array's Verilog grow with ``rows * cols``.
    """
    w = shape.width
    part = vec[j * w : (j + 1) * w]
    return part.as_signed() if shape.signed else part


class OsPE(wiring.Component):
    """Output-stationary PE: multiply-accumulate, a shadow register, operand pass-through.

    Members
    -------
    en : In(1)
        Advance (all registers hold while low).
    a_in, b_in : In(elem)
        Operands arriving from the left and from above.
    v, l : In(1)
        The operands are a valid beat; it is the tile's last beat (the sum moves to ``sh``
        and the accumulator restarts).
    a_out, b_out : Out(elem)
        Operands registered towards the right and downwards.
    sh : Out(acc)
        The finished sum of the previous tile.
    """

    def __init__(self, elem: Shape, acc: Shape) -> None:
        self.elem, self.acc = elem, acc
        super().__init__(
            {
                "en": In(1),
                "a_in": In(elem),
                "b_in": In(elem),
                "v": In(1),
                "l": In(1),
                "a_out": Out(elem),
                "b_out": Out(elem),
                "sh": Out(acc),
            }
        )

    def elaborate(self, platform):
        m = Module()
        acc = Signal(self.acc)
        prod = self.a_in * self.b_in
        with m.If(self.v):
            with m.If(self.l):
                m.d.sync += [self.sh.eq(acc + prod), acc.eq(0)]
            with m.Else():
                m.d.sync += acc.eq(acc + prod)
        m.d.sync += [self.a_out.eq(self.a_in), self.b_out.eq(self.b_in)]
        return EnableInserter({"sync": self.en})(m)


class WsPE(wiring.Component):
    """Weight-stationary PE: two weight registers, the current weight, a multiply-add on the
    passing partial sum.

    ``acc`` is the shape of the partial sum in and out: the column gives each row
    :func:`ws_psum_shape` (only as wide as the sums that reach it).

    Members
    -------
    en : In(1)
        Advance.
    a_in : In(elem)
        Activation from the left.
    ps_in : In(acc)
        Partial sum from above.
    w_in : In(elem)
        Weight on the column's load bus ...
    w_load, w_slot : In(1)
        ... written into weight register ``w_slot`` when ``w_load`` is high.
    sel : In(1)
        Which weight register the current activation multiplies.
    sel_nx : In(1)
        The same flag one cycle ahead: the one the next activation (the left neighbour's
        current one) will carry here, i.e. the next value of ``sel``.
    a_out : Out(elem)
        Activation registered towards the right.
    sel_out : Out(1)
        ``sel`` registered towards the right with ``a_out`` (the flag travels with its
        activation), held instead while ``a_in`` is zero.
    sel_nx_out : Out(1)
        The next value of ``sel_out`` (combinational): the right neighbour's ``sel_nx``.
    ps_out : Out(acc)
        ``ps_in + a_in * w[sel]``, registered.

    Notes
    -----
    Each PE's weight-select flag is its own register, fed from its left neighbour's: a
    diagonal of the array shares one flag value, and a single register per diagonal (what
    the array had, and what Yosys makes of equal registers: ``opt_merge`` folds flip-flops
    with the same inputs, ``keep`` on the signal or not) drives ``rows x in_bits``
    multiplexer selects through a buffer tree that deepens with the array (flat sky130hd,
    2026-12-07: 0.6 ns at 4x4, 1.05 ns at 16x16, the 32x32's worst path). The hold while
    ``a_in`` is zero makes the registers of a diagonal differ as functions (a zero
    activation's product is zero whatever weight it selects, so results are unchanged), so
    no synthesis pass can merge them back; each drives only the next PE's select.

    The multiplier reads a third weight register, ``wcur``, that holds ``w[sel]`` for the
    activation in ``a_in``: it loads ``w[sel_nx]`` (the weight registers' next values, so a
    weight written in the same cycle is seen) on every advance, so it equals
    ``Mux(sel, w1, w0)`` in every cycle, stalls included (every register shares ``en``),
    and no cycle is added. The select flag then drives only ``wcur``'s D multiplexer, and
    the PE's register-to-register path is ``wcur`` -> multiply -> add -> ``ps_out``
    without the weight multiplexer and its select buffer (flat sky130hd, 2026-12-07:
    ~0.36 ns of multiplexer plus a buffer on every PE path before).
    """

    def __init__(self, elem: Shape, acc: Shape) -> None:
        self.elem, self.acc = elem, acc
        super().__init__(
            {
                "en": In(1),
                "a_in": In(elem),
                "ps_in": In(acc),
                "w_in": In(elem),
                "w_load": In(1),
                "w_slot": In(1),
                "sel": In(1),
                "sel_nx": In(1),
                "a_out": Out(elem),
                "sel_out": Out(1),
                "sel_nx_out": Out(1),
                "ps_out": Out(acc),
            }
        )

    def elaborate(self, platform):
        m = Module()
        w = [Signal(self.elem, name=f"w{q}") for q in range(2)]
        # the weight registers' next values (what they hold in the next cycle)
        w_nx = [Mux(self.w_load & (self.w_slot == q), self.w_in, w[q]) for q in range(2)]
        m.d.sync += [w[q].eq(w_nx[q]) for q in range(2)]
        wcur = Signal(self.elem, name="wcur")  # == Mux(sel, w1, w0) in every cycle
        m.d.sync += wcur.eq(Mux(self.sel_nx, w_nx[1], w_nx[0]))
        m.d.sync += self.ps_out.eq(self.ps_in + self.a_in * wcur)
        m.d.sync += self.a_out.eq(self.a_in)
        m.d.comb += self.sel_nx_out.eq(Mux(self.a_in.any(), self.sel, self.sel_out))
        m.d.sync += self.sel_out.eq(self.sel_nx_out)
        return EnableInserter({"sync": self.en})(m)


def ws_psum_shape(elem: Shape, acc: Shape, row: int) -> Shape:
    """Shape of the partial sum leaving ws PE row ``row`` (0-based) of a column.

    That sum holds ``row + 1`` products, so it needs no more than
    ``exact_acc_bits(elem.width, elem.signed, row + 1)`` bits (``2 * w + ceil(log2(row + 1))``
    at most), and never more than the accumulator. Sign or zero extension at the next PE
    restores the full value, so every result is the same as with ``acc``-bit partial sums
    (additions still wrap modulo ``2 ** acc.width`` when the accumulator is narrower than
    exact). The narrow chain keeps the PE's adder as wide as its row needs: with full-width
    partial sums, the flat sky130hd flow left 27-28-bit carry chains in rows >= 3 (ABC pruned
    the redundant sign bits of rows 0-2 only), and that carry chain set the array's critical
    path (8x8: ``col3.pe5.ps_out[27]``).
    """
    width = min(acc.width, exact_acc_bits(elem.width, elem.signed, row + 1))
    return Shape(width, acc.signed)


def _deskew(m: Module, value: Value, skew: Value, cols: int) -> Value:
    """``value`` delayed by ``skew`` (0 .. cols - 1) cycles, from a ``cols - 1`` stage line."""
    if cols == 1:
        return value
    taps = delay_chain(m, value, cols - 1, "dsk")
    out = Signal(Value.cast(value).shape(), name="deskewed")
    with m.Switch(skew):
        for n in range(cols - 1):
            with m.Case(n):
                m.d.comb += out.eq(taps[n])
        with m.Default():  # codes past cols - 1 never occur
            m.d.comb += out.eq(taps[cols - 1])
    return out


def _col_members(elem: Shape, acc: Shape, rows: int, cols: int) -> dict:
    return {
        "en": In(1),
        "skew": In(range(max(cols, 2))),
        "a_in": In(rows * elem.width),
        "a_out": Out(rows * elem.width),
        "res": Out(acc),
    }


class OsCol(wiring.Component):
    """One column of output-stationary PEs with its drain multiplexer and de-skew.

    Members
    -------
    en : In(1)
        Advance.
    skew : In(range(cols))
        De-skew delay of this column's result (a constant: ``cols - 1 - j``).
    a_in : In(rows * elem bits, packed)
        Activations entering the column's PEs (row ``i`` in bits ``[i*w, (i+1)*w)``).
    a_out : Out(rows * elem bits, packed)
        Activations registered towards the next column.
    b_in : In(elem)
        Operand entering PE 0 from above (already skewed).
    v, l : In(rows)
        Valid and last flags of each PE's beat.
    tok_v : In(1)
        Drain a result row this cycle ...
    tok_s : In(rbits)
        ... namely row ``tok_s``.
    res : Out(acc)
        The drained result, registered, then delayed by ``skew`` cycles.
    """

    def __init__(self, elem: Shape, acc: Shape, rows: int, cols: int, rbits: int) -> None:
        self.elem, self.acc, self.nrows, self.ncols = elem, acc, rows, cols
        super().__init__(
            {
                **_col_members(elem, acc, rows, cols),
                "b_in": In(elem),
                "v": In(rows),
                "l": In(rows),
                "tok_v": In(1),
                "tok_s": In(unsigned(rbits)),
            }
        )

    def elaborate(self, platform):
        m = Module()
        b_in = self.b_in
        shadow = []
        key = (repr(self.elem), repr(self.acc))
        for i in range(self.nrows):
            pe = place(m, f"pe{i}", OsPE(self.elem, self.acc), "ospe", key)
            m.d.comb += [
                pe.en.eq(self.en),
                pe.a_in.eq(_field(self.a_in, self.elem, i)),
                pe.b_in.eq(b_in),
                pe.v.eq(self.v[i]),
                pe.l.eq(self.l[i]),
                _field(self.a_out, self.elem, i).eq(pe.a_out),
            ]
            b_in = pe.b_out
            shadow.append(pe.sh)
        rd = Signal(self.acc)
        with m.If(self.tok_v), m.Switch(self.tok_s):
            # every index value is covered: rows that are not a power of two leave unused
            # codes, which read the last row (they never occur)
            for i in range(self.nrows - 1):
                with m.Case(i):
                    m.d.sync += rd.eq(shadow[i])
            with m.Default():
                m.d.sync += rd.eq(shadow[self.nrows - 1])
        m.d.comb += self.res.eq(_deskew(m, rd, self.skew, self.ncols))
        return EnableInserter({"sync": self.en})(m)


class WsCol(wiring.Component):
    """One column of weight-stationary PEs with its fold accumulation queue and de-skew.

    Members
    -------
    en : In(1)
        Advance.
    skew : In(range(cols))
        De-skew delay of this column's result (a constant: ``cols - 1 - j``).
    a_in : In(rows * elem bits, packed)
        Activations entering the column's PEs.
    a_out : Out(rows * elem bits, packed)
        Activations registered towards the next column.
    w_in : In(elem)
        The column's weight bus ...
    w_v, w_p : In(1)
        ... carries a weight, for weight register ``w_p`` ...
    w_r : In(rbits)
        ... of PE ``w_r``.
    sel_in : In(rows)
        Per PE: the weight register the current activation multiplies ...
    sel_nx_in : In(rows)
        ... and the same flag one cycle ahead (its next value);
    sel_out, sel_nx_out : Out(rows)
        each PE's flag registered towards the next column and its next value
        (:class:`WsPE`).
    q_v, q_first : In(1)
        The partial sum leaving the bottom PE is valid; it belongs to a tile's first fold
        (start from 0 instead of the queued partial row).
    res : Out(acc)
        The accumulated sum (registered), delayed by ``skew`` cycles.
    """

    def __init__(self, elem: Shape, acc: Shape, rows: int, cols: int, rbits: int) -> None:
        self.elem, self.acc, self.nrows, self.ncols = elem, acc, rows, cols
        super().__init__(
            {
                **_col_members(elem, acc, rows, cols),
                "w_in": In(elem),
                "w_v": In(1),
                "w_r": In(unsigned(rbits)),
                "w_p": In(1),
                "sel_in": In(rows),
                "sel_nx_in": In(rows),
                "sel_out": Out(rows),
                "sel_nx_out": Out(rows),
                "q_v": In(1),
                "q_first": In(1),
            }
        )

    def elaborate(self, platform):
        m = Module()
        psum: Value = C(0, self.acc)  # zeros enter the top PE
        for i in range(self.nrows):
            # row i's partial sum is only as wide as i + 1 products need; one PE module
            # per width in hierarchical output
            ps = ws_psum_shape(self.elem, self.acc, i)
            key = (repr(self.elem), repr(ps))
            pe = place(m, f"pe{i}", WsPE(self.elem, ps), f"wspe{ps.width}", key)
            m.d.comb += [
                pe.en.eq(self.en),
                pe.a_in.eq(_field(self.a_in, self.elem, i)),
                pe.ps_in.eq(psum),
                pe.w_in.eq(self.w_in),
                pe.w_load.eq(self.w_v & (self.w_r == i)),
                pe.w_slot.eq(self.w_p),
                pe.sel.eq(self.sel_in[i]),
                pe.sel_nx.eq(self.sel_nx_in[i]),
                _field(self.a_out, self.elem, i).eq(pe.a_out),
                self.sel_out[i].eq(pe.sel_out),
                self.sel_nx_out[i].eq(pe.sel_nx_out),
            ]
            psum = pe.ps_out
        # Fold accumulation: a rotating queue of `rows` partial sums (q[0] the oldest).
        rows, aw = self.nrows, self.acc.width
        qsr = Signal(rows * aw, name="q")
        total = Signal(self.acc, name="total")
        m.d.comb += total.eq(Mux(self.q_first, 0, _field(qsr, self.acc, 0)) + psum)
        with m.If(self.q_v):
            m.d.sync += qsr.eq(Cat(qsr[aw:], total) if rows > 1 else total)
        r_reg = Signal(self.acc, name="sum")
        m.d.sync += r_reg.eq(total)
        m.d.comb += self.res.eq(_deskew(m, r_reg, self.skew, self.ncols))
        return EnableInserter({"sync": self.en})(m)
