"""Systolic-array generator: one ``rows x cols`` tile of ``C = A @ B`` over any ``K >= 1``.

Two dataflows share one port protocol (all streams are :mod:`amaranth.lib.stream` valid/ready;
a transfer happens in a cycle where both are high):

``start`` (in, payload ``k_minus_1``)
    One transfer per tile announces its reduction depth ``K = k_minus_1 + 1``. The next tile's
    ``start`` is accepted in the cycle the current tile's last input beat is accepted, so tiles
    stream back to back without the array going idle.
``a``, ``b`` (in)
    Un-skewed operand vectors; the skew registers are inside.

    * ``os`` (output-stationary): ``K`` beats per tile. Beat ``k`` carries ``a = A[:, k]``
      (``rows`` elements, element ``i`` enters array row ``i``) and ``b = B[k, :]`` (``cols``
      elements). ``a`` and ``b`` transfer together: each stream's ``ready`` is high only in a
      cycle where both are valid (a join; ``ready`` depends on ``valid``, never the reverse).
    * ``ws`` (weight-stationary): ``B`` is loaded ``rows`` rows at a time (a *fold*,
      ``F = ceil(K / rows)`` folds per tile; the last fold may be partial). ``b`` carries the
      weight rows ``B[k, :]`` in order, ``K`` beats per tile. ``a`` carries, for every fold
      ``f`` and output row ``m = 0 .. rows-1``, the chunk ``A[m, f*rows : f*rows + rows]``
      (``rows * F`` beats per tile; elements beyond ``K`` are ignored). A fold's activations
      are accepted once all its weight rows are in; the next fold's weights load into a second
      weight register of every PE while the current fold computes.
``c`` (out, payload ``data`` (``cols`` results of ``acc_bits``) and ``last``)
    The tile's result rows ``C[0, :] .. C[rows-1, :]`` in order, one beat each; ``last`` marks
    row ``rows - 1``. Back-pressure (``ready`` low) stalls the whole array in place.
``busy`` (out)
    High while any announced tile has not delivered its last row.
``done`` (out)
    High in the cycle the last row of a tile is transferred.

Cycle count of a tile (from the cycle its ``start`` transfers to the cycle its last row
transfers, both counted, with inputs always valid and outputs always ready)::

    os:  K + rows + cols + 2
    ws:  min(K, rows) + ceil(K / rows) * rows + rows + cols + 2

Back to back, a new tile completes every ``max(K, rows, 2)`` (os) or ``ceil(K / rows) * rows``
(ws) cycles. Every stalled cycle (``c.valid and not c.ready``) freezes the array and adds
exactly one cycle; input gaps insert bubbles. :mod:`accelsmith.models.systolic` holds these
rules and the cycle-exact schedule the testbench checks.

Arithmetic: products are exact (``2 * in_bits``); every addition wraps modulo
``2 ** acc_bits``, so the results equal the exact sums reduced to ``acc_bits`` (two's
complement when ``signed``).

Structure: the array is ``cols`` identical columns (:mod:`accelsmith.hdl.systolic_pe`), each
``rows`` PEs, added with :func:`accelsmith.hdl.hier.place`; hierarchical Verilog therefore
holds one column module and a few PE modules whatever the size (ws: partial sums are only as
wide as the row needs, :func:`~accelsmith.hdl.systolic_pe.ws_psum_shape`, so one PE module per
width). This module keeps the tile
control, the input skew lines and the flag pipelines (packed shift registers: a few lines of
Verilog each).
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import (
    Array,
    Cat,
    EnableInserter,
    Module,
    Mux,
    Shape,
    Signal,
    Value,
    signed,
    unsigned,
)
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ..core.families.systolic import SystolicParams
from .blocks.pipe import delay, delay_chain
from .hier import place
from .systolic_pe import OsCol, WsCol

__all__ = ["SystolicArray", "build", "manifest_extras", "protocol_summary"]


class SystolicArray(wiring.Component):
    """A parameterized output- or weight-stationary systolic array.

    Parameters
    ----------
    params : SystolicParams
        Validated parameters.

    Members
    -------
    start : In(stream.Signature(StructLayout({"k_minus_1": unsigned(kbits)})))
        Tile command: reduction depth minus one.
    a : In(stream.Signature(ArrayLayout(elem, rows)))
        Activation vectors (see the module docstring for each dataflow's beat order).
    b : In(stream.Signature(ArrayLayout(elem, cols)))
        Operand rows of ``B`` (os) or weight rows (ws).
    c : Out(stream.Signature(StructLayout({"data": ArrayLayout(acc, cols), "last": 1})))
        Result rows of the tile, ``last`` on the final row.
    busy : Out(1)
        A tile is in flight.
    done : Out(1)
        The last row of a tile transfers in this cycle.
    """

    def __init__(self, params: SystolicParams) -> None:
        self.params = params
        p = params
        assert p.acc_bits is not None
        self.elem_shape: Shape = signed(p.in_bits) if p.signed else unsigned(p.in_bits)
        self.acc_shape: Shape = signed(p.acc_bits) if p.signed else unsigned(p.acc_bits)
        self.kbits = max(1, bits_for(p.max_k - 1))
        self.rbits = Shape.cast(range(max(p.rows, 2))).width
        super().__init__(
            {
                "start": In(stream.Signature(data.StructLayout({"k_minus_1": self.kbits}))),
                "a": In(stream.Signature(data.ArrayLayout(self.elem_shape, p.rows))),
                "b": In(stream.Signature(data.ArrayLayout(self.elem_shape, p.cols))),
                "c": Out(
                    stream.Signature(
                        data.StructLayout(
                            {"data": data.ArrayLayout(self.acc_shape, p.cols), "last": 1}
                        )
                    )
                ),
                "busy": Out(1),
                "done": Out(1),
            }
        )

    # ------------------------------------------------------------------ shared pieces
    def _output(self, m: Module, res: list, valid, end) -> None:
        """Drive the ``c`` stream from the columns' de-skewed results, and the control outputs.

        ``res[j]`` is column ``j``'s result register delayed ``cols - 1 - j`` cycles (inside
        the column), so that a whole row leaves together. ``valid``/``end`` are the registered
        flags that accompany column ``cols - 1``.
        """
        cols = self.params.cols
        for j in range(cols):
            m.d.comb += self.c.payload.data[j].eq(res[j])
        m.d.comb += [self.c.valid.eq(valid), self.c.payload.last.eq(end)]

        done = Signal()
        m.d.comb += done.eq(self.c.valid & self.c.ready & self.c.payload.last)
        m.d.comb += self.done.eq(done)
        inflight = Signal(4)
        started = self.start.valid & self.start.ready
        m.d.sync += inflight.eq(inflight + started - done)
        m.d.comb += self.busy.eq(inflight != 0)

    def elaborate(self, platform):
        m = Module()
        adv = Signal()  # the whole datapath advances only when the output can move
        m.d.comb += adv.eq(~self.c.valid | self.c.ready)
        if self.params.dataflow == "os":
            self._elaborate_os(m, adv)
        else:
            self._elaborate_ws(m, adv)
        return EnableInserter({"sync": adv})(m)

    # ------------------------------------------------------------------ output-stationary
    def _elaborate_os(self, m: Module, adv: Signal) -> None:
        fire, is_last, tok_v, tok_s = self._os_control(m, adv)
        p = self.params
        rows, cols = p.rows, p.cols
        # Input registers (stage 0), then skew: row i / column j wait i / j more cycles.
        a0 = [Signal(self.elem_shape, name=f"a0_{i}") for i in range(rows)]
        b0 = [Signal(self.elem_shape, name=f"b0_{j}") for j in range(cols)]
        v0, l0 = Signal(), Signal()
        m.d.sync += [a0[i].eq(self.a.payload[i]) for i in range(rows)]
        m.d.sync += [b0[j].eq(self.b.payload[j]) for j in range(cols)]
        m.d.sync += [v0.eq(fire), l0.eq(fire & is_last)]
        # PE (i, j) sees the beat i + j cycles after stage 0: flags are shared per diagonal.
        vdiag = delay_chain(m, v0, rows + cols - 2, "vdiag")
        ldiag = delay_chain(m, l0, rows + cols - 2, "ldiag")
        # Drain: column j reads row s at D + s + j (a diagonal that trails the capture wave).
        tokv = delay_chain(m, tok_v, cols - 1, "tokv")
        toks = delay_chain(m, tok_s, cols - 1, "toks")

        a_in = Signal(rows * self.elem_shape.width)
        m.d.comb += a_in.eq(Cat(delay(m, a0[i], i, f"askew{i}") for i in range(rows)))
        res = []
        key = (repr(self.elem_shape), repr(self.acc_shape), rows, cols, self.rbits)
        for j in range(cols):
            col = place(
                m,
                f"col{j}",
                OsCol(self.elem_shape, self.acc_shape, rows, cols, self.rbits),
                "oscol",
                key,
            )
            m.d.comb += [
                col.en.eq(adv),
                col.skew.eq(cols - 1 - j),
                col.a_in.eq(a_in),
                col.b_in.eq(delay(m, b0[j], j, f"bskew{j}")),
                col.v.eq(Cat(vdiag[j : j + rows])),
                col.l.eq(Cat(ldiag[j : j + rows])),
                col.tok_v.eq(tokv[j]),
                col.tok_s.eq(toks[j]),
            ]
            a_in = col.a_out
            res.append(col.res)
        out_v, out_e = Signal(), Signal()
        m.d.sync += [out_v.eq(tokv[cols - 1]), out_e.eq(toks[cols - 1] == rows - 1)]
        self._output(m, res, out_v, out_e)

    def _os_control(self, m: Module, adv: Signal) -> tuple[Signal, Value, Signal, Signal]:
        """Tile command, input acceptance and the drain sequencer of the os dataflow.

        Returns ``fire`` (an a/b beat transfers), ``is_last`` (it is the tile's last beat) and
        the drain token ``tok_v``/``tok_s`` (drain result row ``tok_s`` now).
        """
        rows = self.params.rows
        kcnt = Signal(self.kbits + 1)  # beats left in the current tile (0: none)
        pending = Signal()  # a tile is captured or being captured, its drain not started
        pwait = Signal()  # one more cycle before that capture is complete
        dact = Signal()  # a drain is emitting rows
        drow = Signal(range(max(rows, 2)))
        start_now = Signal()
        m.d.comb += start_now.eq(~dact & pending & ~pwait)

        is_last = kcnt == 1
        # The last beat of a tile writes the shadow registers: allowed once the previous
        # tile's drain has started (its diagonal reads stay ahead of the new capture wave).
        beat_ok = (kcnt != 0) & (~is_last | ~pending | start_now)
        fire = Signal()
        m.d.comb += fire.eq(adv & beat_ok & self.a.valid & self.b.valid)
        m.d.comb += [self.a.ready.eq(fire), self.b.ready.eq(fire)]
        m.d.comb += self.start.ready.eq(adv & ((kcnt == 0) | (is_last & fire)))

        with m.If(self.start.valid & self.start.ready):
            m.d.sync += kcnt.eq(self.start.payload.k_minus_1 + 1)
        with m.Elif(fire):
            m.d.sync += kcnt.eq(kcnt - 1)

        with m.If(fire & is_last):
            m.d.sync += [pending.eq(1), pwait.eq(1)]
        with m.Elif(start_now):
            m.d.sync += pending.eq(0)
        with m.Else():
            m.d.sync += pwait.eq(0)

        # Drain sequencer: rows 0..rows-1 of a captured tile, one per cycle, back to back.
        tok_v = Signal()
        tok_s = Signal(range(max(rows, 2)))
        with m.If(dact):
            m.d.comb += [tok_v.eq(1), tok_s.eq(drow)]
            with m.If(drow == rows - 1):
                m.d.sync += dact.eq(0)
            with m.Else():
                m.d.sync += drow.eq(drow + 1)
        with m.Elif(start_now):
            m.d.comb += [tok_v.eq(1), tok_s.eq(0)]
            if rows > 1:
                m.d.sync += [dact.eq(1), drow.eq(1)]
        return fire, is_last, tok_v, tok_s

    # ------------------------------------------------------------------ weight-stationary
    def _elaborate_ws(self, m: Module, adv: Signal) -> None:
        p = self.params
        rows, cols = p.rows, p.cols
        # Two weight slots (one per PE weight register) handed from the loader to the streamer.
        slots = _WsSlots(rows)
        fire_w, w_row, w_par = self._ws_loader(m, adv, slots)
        stage0 = self._ws_streamer(m, adv, slots)
        a0 = stage0["a"]

        wv0, wr0, wp0 = Signal(), Signal(self.rbits), Signal()
        wd0 = [Signal(self.elem_shape, name=f"wd0_{j}") for j in range(cols)]
        m.d.sync += [wv0.eq(fire_w), wr0.eq(w_row), wp0.eq(w_par)]
        m.d.sync += [wd0[j].eq(self.b.payload[j]) for j in range(cols)]

        # Weights reach column j j cycles after stage 0 (the same skew as the activations).
        wv = delay_chain(m, wv0, cols - 1, "wv")
        wr = delay_chain(m, wr0, cols - 1, "wr")
        wp = delay_chain(m, wp0, cols - 1, "wp")
        # Weight-select flag of row i entering column 0 (i cycles after stage 0); it then
        # travels right with the activations, one register per PE (WsPE.sel_out).
        pdiag = delay_chain(m, stage0["par"], rows - 1, "pdiag")
        sel_in: Value = Cat(pdiag)
        # ... and its next value (each tap's D: the streamer's a_par, then the previous tap),
        # from which each PE loads the weight its next activation multiplies (WsPE.wcur)
        sel_nx: Value = Cat(stage0["par_nx"], *pdiag[: rows - 1])
        # The fold queue under column j sees the bottom PE's sum rows + j cycles after stage 0.
        taps = rows + cols - 1
        cv = delay_chain(m, stage0["v"], taps, "cv")
        cf = delay_chain(m, stage0["first"], taps, "cf")
        cl = delay_chain(m, stage0["last"], taps, "cl")
        ce = delay_chain(m, stage0["end"], taps, "ce")

        a_in = Signal(rows * self.elem_shape.width)
        m.d.comb += a_in.eq(Cat(delay(m, a0[i], i, f"askew{i}") for i in range(rows)))
        res = []
        key = (repr(self.elem_shape), repr(self.acc_shape), rows, cols, self.rbits)
        for j in range(cols):
            col = place(
                m,
                f"col{j}",
                WsCol(self.elem_shape, self.acc_shape, rows, cols, self.rbits),
                "wscol",
                key,
            )
            m.d.comb += [
                col.en.eq(adv),
                col.skew.eq(cols - 1 - j),
                col.a_in.eq(a_in),
                col.w_in.eq(delay(m, wd0[j], j, f"wskew{j}")),
                col.w_v.eq(wv[j]),
                col.w_r.eq(wr[j]),
                col.w_p.eq(wp[j]),
                col.sel_in.eq(sel_in),
                col.sel_nx_in.eq(sel_nx),
                col.q_v.eq(cv[rows + j]),
                col.q_first.eq(cf[rows + j]),
            ]
            a_in, sel_in, sel_nx = col.a_out, col.sel_out, col.sel_nx_out
            res.append(col.res)
        out_v, out_e = Signal(), Signal()
        m.d.sync += [out_v.eq(cv[taps] & cl[taps]), out_e.eq(ce[taps])]
        self._output(m, res, out_v, out_e)

    def _ws_loader(self, m: Module, adv: Signal, slots: _WsSlots) -> tuple[Signal, Signal, Signal]:
        """Weight loader: K rows per tile, grouped into folds of ``rows``, into the slots.

        Returns ``fire_w`` (a weight row transfers), the row index in its fold and the slot.
        """
        rows = self.params.rows
        w_rem = Signal(self.kbits + 1)
        w_row = Signal(self.rbits)
        w_par = Signal()
        w_first = Signal(init=1)
        w_ok = (w_rem != 0) & ~Array(slots.full)[w_par]
        fire_w = Signal()
        m.d.comb += [self.b.ready.eq(adv & w_ok), fire_w.eq(self.b.valid & self.b.ready)]
        m.d.comb += self.start.ready.eq(adv & ((w_rem == 0) | ((w_rem == 1) & fire_w)))
        fold_end = (w_row == rows - 1) | (w_rem == 1)
        with m.If(fire_w):
            m.d.sync += w_rem.eq(w_rem - 1)
            with m.If(fold_end):
                m.d.sync += [w_row.eq(0), w_par.eq(~w_par), w_first.eq(w_rem == 1)]
                for q in range(2):
                    with m.If(w_par == q):
                        m.d.sync += [
                            slots.full[q].eq(1),
                            slots.first[q].eq(w_first),
                            slots.last[q].eq(w_rem == 1),
                            slots.n[q].eq(w_row + 1),
                        ]
            with m.Else():
                m.d.sync += w_row.eq(w_row + 1)
        with m.If(self.start.valid & self.start.ready):
            m.d.sync += [w_rem.eq(self.start.payload.k_minus_1 + 1), w_first.eq(1)]
        return fire_w, w_row, w_par

    def _ws_streamer(self, m: Module, adv: Signal, slots: _WsSlots) -> dict:
        """Activation streamer: ``rows`` beats per fold once the fold's weights are in.

        Returns the stage-0 registers: ``a`` (elements past the fold's weight rows zeroed),
        ``par`` (weight slot), ``v``, ``first``, ``last`` (fold flags) and ``end`` (the
        fold's last output row), and ``par_nx``: the next value of ``par``.
        """
        rows = self.params.rows
        a_par = Signal()
        a_m = Signal(self.rbits)
        fire_a = Signal()
        m.d.comb += [
            self.a.ready.eq(adv & Array(slots.full)[a_par]),
            fire_a.eq(self.a.valid & self.a.ready),
        ]
        cur_n = Array(slots.n)[a_par]
        with m.If(fire_a):
            with m.If(a_m == rows - 1):
                m.d.sync += [a_m.eq(0), a_par.eq(~a_par)]
                for q in range(2):
                    with m.If(a_par == q):
                        m.d.sync += slots.full[q].eq(0)
            with m.Else():
                m.d.sync += a_m.eq(a_m + 1)

        a0 = [Signal(self.elem_shape, name=f"a0_{i}") for i in range(rows)]
        m.d.sync += [a0[i].eq(Mux(i < cur_n, self.a.payload[i], 0)) for i in range(rows)]
        st = {"a": a0, **{k: Signal(name=f"{k}0") for k in ("par", "v", "first", "last", "end")}}
        st["par_nx"] = a_par
        m.d.sync += [
            st["par"].eq(a_par),
            st["v"].eq(fire_a),
            st["first"].eq(Array(slots.first)[a_par]),
            st["last"].eq(Array(slots.last)[a_par]),
            st["end"].eq(a_m == rows - 1),
        ]
        return st


class _WsSlots:
    """The two weight slots' flags: full, first/last fold of the tile, weight rows in it."""

    def __init__(self, rows: int) -> None:
        self.full = [Signal(name=f"slot{q}_full") for q in range(2)]
        self.first = [Signal(name=f"slot{q}_first") for q in range(2)]
        self.last = [Signal(name=f"slot{q}_last") for q in range(2)]
        self.n = [Signal(range(rows + 1), name=f"slot{q}_n") for q in range(2)]


def build(params: SystolicParams) -> SystolicArray:
    """Build the systolic-array component for ``params``."""
    return SystolicArray(params)


def protocol_summary(params: SystolicParams) -> dict[str, str]:
    """Short, manifest-ready description of the port protocol for ``params.dataflow``."""
    common = {
        "clock": "single clock `clk`, synchronous active-high `rst`",
        "streams": "valid/ready: a beat transfers in a cycle where valid and ready are both high; "
        "valid never depends on ready",
        "start": "one beat per tile, payload k_minus_1 = K - 1; the next start transfers in the "
        "cycle of the current tile's last input beat",
        "c": "result rows C[0,:] .. C[rows-1,:], one per beat, `last` on the final row; "
        "c.ready low stalls the whole array",
        "busy": "high while an announced tile has not delivered its last row",
        "done": "high in the cycle the last row of a tile transfers",
        "payload_packing": "element i of a vector payload occupies bits [i*w, (i+1)*w)",
    }
    if params.dataflow == "os":
        common["a_b"] = (
            "K beats per tile; beat k: a = A[:, k], b = B[k, :]; a and b transfer "
            "together (ready is high only when both are valid)"
        )
    else:
        common["a_b"] = (
            "b: K weight rows B[k, :] per tile; a: for each fold f of rows weight "
            "rows and each m in 0..rows-1, A[m, f*rows:(f+1)*rows] (elements past K "
            "ignored); a fold's a beats are accepted after its weight rows"
        )
    return common


#: reductions whose latency the manifest lists (with ``rows`` and ``max_k``)
SAMPLE_K = (1, 16, 64, 256)


def manifest_extras(params: SystolicParams) -> dict[str, Any]:
    """Systolic manifest sections: protocol summary and tile-latency formula (from
    :mod:`accelsmith.core.latency.systolic`, the rules the cost model reads too)."""
    from ..core.latency.systolic import (
        INTERVAL_FORMULA,
        TILE_CYCLES_FORMULA,
        steady_interval,
        tile_cycles,
    )

    ks = sorted({k for k in (*SAMPLE_K, params.rows, params.max_k) if k <= params.max_k})
    formula = TILE_CYCLES_FORMULA[params.dataflow]
    interval = INTERVAL_FORMULA[params.dataflow]
    r, c, df = params.rows, params.cols, params.dataflow
    return {
        "protocol": protocol_summary(params),
        "latency": {
            "tile_cycles_formula": formula,
            "tile_cycles_definition": "cycles from the start transfer to the last result "
            "row transfer, both counted, with no stalls",
            "back_to_back_interval_formula": interval,
            "tile_cycles": {str(k): int(tile_cycles(r, c, df, k)) for k in ks},
            "back_to_back_interval": {str(k): int(steady_interval(r, c, df, k)) for k in ks},
        },
        "accumulator": {
            "acc_bits": params.acc_bits,
            "exact_acc_bits": params.exact_acc_bits,
            "wraps_before_max_k": params.wraps,
        },
    }
