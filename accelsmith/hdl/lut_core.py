"""LUT-tensor-core generator: one ``tile_m x tile_n`` tile of ``C = A @ W`` by table lookup.

After Mo et al., "LUT Tensor Core" (arXiv 2408.06003, ISCA 2025); exact semantics in
:mod:`accelsmith.sim.golden.lut_core`. Datapath, per group of ``K`` activations:

1. **Precompute** (one cycle per group): for each of the ``tile_m`` activation rows the adders
   of :func:`~accelsmith.hdl.blocks.lut_table.precompute` fill the **table registers** with
   ``LUT[c] = sum_k (2 c_k - 1) a_k`` (``2**(K-1)`` entries with bit 0 clear when
   ``symmetric``, else all ``2**K``).
2. **LUT array** (``B`` cycles per group, one weight bit-plane per cycle): per output
   ``(m, n)`` a ``2**(K-1)``-to-1 mux on the index bits ``[K-1:1]`` plus a conditional
   negation by index bit 0 (``symmetric``; with ``negation="hardware"`` XOR gates invert the
   index first), or a ``2**K``-to-1 mux (full table).
3. **Shift-and-add**: ``acc[m][n] += lookup << i`` for plane ``i``; at the tile's last plane
   the sum is captured into a result register bank and the accumulators restart.
4. **Bias correction** (``bias_correction``): per row the group sums ``sum(a) = -LUT[0]``
   are accumulated alongside; each result is ``(acc - sum(A)) >> 1 = A @ W`` (one subtractor
   per column, shared by the rows as they drain).
5. **Drain**: the output register takes the selected row's corrected result. In a core of one
   column and two or more rows (``d = 1`` below) the drain takes two register stages: the row
   select and the low ``accw // 2`` bits of the subtraction (with their borrow), then the high
   bits less that borrow. There a one-stage drain (row select -> a ripple subtraction of the
   whole accumulator) was the worst path on sky130hd and mapped fast or slow at random; with
   more columns the row path, whose flags fan out to every column, hides it
   (:data:`accelsmith.core.latency.lut_core.DRAIN_SPLIT_MIN_ROWS`).

Weight mapping: a signed ``B``-bit weight ``W`` is sent as the offset-binary code ``Q = W +
2**(B-1)`` (its two's complement with the top bit flipped). Plane ``i`` of ``Q`` read as
``-1/+1`` per bit gives the odd integer ``Q' = 2Q - (2**B - 1) = 2W + 1``, so the lookups sum
``A @ Q' = 2 A @ W + sum(A)``; the bias correction subtracts ``sum(A)`` and halves (exact).
Without ``bias_correction`` the results are ``A @ Q'`` itself.

Port protocol (:mod:`amaranth.lib.stream` valid/ready; a beat transfers in a cycle where both
are high; ``ready`` may depend on ``valid``, never the reverse):

``start`` (in, payload ``k_minus_1``)
    One beat per tile announces the reduction length ``Kd = k_minus_1 + 1`` (``<= max_k``),
    i.e. ``G = ceil(Kd / K)`` groups. The next tile's ``start`` transfers in the cycle of the
    current tile's last ``a`` beat.
``a`` (in, payload ``tile_m * K`` activations; element ``m*K + k`` is ``A[m, gK + k]``, at bit
``(m*K + k) * act_bits``)
    ``G`` beats per tile, beat ``g`` = ``A[:, gK : gK+K]``; elements at or past ``Kd`` are
    ignored (read as zero), so the last group may be partial. A beat is accepted once the
    table registers are free: when empty, or in the cycle the previous group's last plane
    transfers.
``w`` (in, payload ``[tile_n]`` ``K``-bit indices)
    ``G * B`` beats per tile in the order group-major, plane-minor: beat ``(g, i)`` holds, for
    each column ``n``, ``c = sum_k ((Q[gK+k, n] >> i) & 1) << k`` (codes past ``Kd`` are
    arbitrary); with ``symmetric`` and ``negation="offline"`` the transformed
    ``c' = c ^ (2**K - 2)`` if ``c & 1`` else ``c``. A beat is accepted while a table is
    loaded; a tile's very last beat additionally waits until its result capture cannot
    overtake the previous tile's drain.
``c`` (out, payload ``data`` (``tile_n`` signed results of ``acc_bits``) and ``last``)
    The tile's rows ``C[0, :] .. C[tile_m-1, :]``, one per beat; ``last`` on row
    ``tile_m - 1``. ``c.ready`` low freezes the whole core in place.
``busy`` / ``done`` (out)
    ``busy``: an announced tile has not delivered its last row. ``done``: the last row of a
    tile transfers in this cycle.

Cycle count of an isolated tile (from its ``start`` transfer to its last row, both counted,
inputs always valid, output always ready)::

    G * B + tile_m + 4 + d    with G = ceil(Kd / K), d = 1 if tile_n == 1 and tile_m >= 2 else 0

(start at cycle 0, ``a`` beats from cycle 1, the tile's last ``w`` beat at cycle ``c = G*B + 1``,
row ``r`` at cycle ``c + 3 + d + r``). Back to back a tile completes every ``max(G * B, tile_m)``
cycles: the table precompute of the next group overlaps the current group's last plane, and a
tile's last ``w`` beat transfers no earlier than ``c_prev + tile_m``. Every stalled cycle
(``c.valid and not c.ready``) freezes the core and adds exactly one cycle.
:mod:`accelsmith.models.lut_core` holds these rules and the schedules the testbench checks.

Arithmetic: entries are exact (:func:`~accelsmith.core.families.lut_core.entry_bits`); the
accumulators are ``acc_bits`` wide (``acc_bits + 1`` with ``bias_correction``) and wrap, so the
results equal the exact sums reduced to ``acc_bits`` two's complement.
"""

from __future__ import annotations

from typing import Any

from amaranth.hdl import Cat, Const, EnableInserter, Module, Mux, Signal, Value, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ..core.families.lut_core import LutCoreParams
from ..core.latency.lut_core import split_drain
from .blocks.lut_table import lookup, precompute, select
from .hier import place

__all__ = ["LutCore", "LutPE", "LutRow", "build", "manifest_extras", "protocol_summary"]


class LutCore(wiring.Component):
    """A parameterized LUT tensor core (see the module docstring for the protocol).

    Parameters
    ----------
    params : LutCoreParams
        Validated parameters.

    Members
    -------
    start : In(stream.Signature(StructLayout({"k_minus_1": unsigned(kbits)})))
    a : In(stream.Signature(ArrayLayout(signed(act_bits), tile_m * K)))
    w : In(stream.Signature(ArrayLayout(unsigned(K), tile_n)))
    c : Out(stream.Signature(StructLayout({"data": ArrayLayout(signed(acc_bits), tile_n),
        "last": 1})))
    busy, done : Out(1)
    """

    def __init__(self, params: LutCoreParams) -> None:
        self.params = p = params
        assert p.acc_bits is not None
        self.kbits = max(1, bits_for(p.max_k - 1))
        act = signed(p.act_bits)
        super().__init__(
            {
                "start": In(stream.Signature(data.StructLayout({"k_minus_1": self.kbits}))),
                "a": In(stream.Signature(data.ArrayLayout(act, p.tile_m * p.group_size))),
                "w": In(stream.Signature(data.ArrayLayout(unsigned(p.group_size), p.tile_n))),
                "c": Out(
                    stream.Signature(
                        data.StructLayout(
                            {"data": data.ArrayLayout(signed(p.acc_bits), p.tile_n), "last": 1}
                        )
                    )
                ),
                "busy": Out(1),
                "done": Out(1),
            }
        )

    def elaborate(self, platform: Any) -> Module:
        m = Module()
        adv = Signal()  # the whole core advances only when the output can move
        m.d.comb += adv.eq(~self.c.valid | self.c.ready)
        ctl = self._control(m, adv)
        res, sres = self._rows(m, adv, ctl)
        self._drain(m, ctl, res, sres)
        return EnableInserter({"sync": adv})(m)

    def _control(self, m: Module, adv: Signal) -> dict[str, Value]:
        """Tile command, a/w acceptance, table validity and the stage-1 flags.

        Returns the handshakes (``a_fire``, ``w_fire``, ``s_fire``), the activation mask
        ``kmask`` (bit ``k``: element ``k`` of the group is inside the tile), the stage-1 flags
        ``v1``/``f1``/``l1``/``p1`` and the drain counters ``drem``/``drow``.
        """
        p = self.params
        K, B, TM = p.group_size, p.weight_bits, p.tile_m
        krem = Signal(self.kbits + 1)  # activations of the tile not yet accepted (0: none)
        afirst = Signal()  # the next a beat is its tile's first group
        tv = Signal()  # the table registers hold a group
        pl = Signal(range(max(B, 2)))  # plane of that group the next w beat is for
        tfirst, tlast = Signal(), Signal()  # that group is its tile's first / last
        v1, f1, l1 = Signal(), Signal(), Signal()  # stage-1 flags: valid, first, last
        p1 = Signal(range(max(B, 2)))
        drem = Signal(range(TM + 1))  # result rows still to drain
        drow = Signal(range(max(TM, 2)))

        last_plane = pl == B - 1
        is_last_group = krem <= K
        # the capture of a tile's last beat (two cycles later) must find the drain done
        drain_ok = ~(v1 & l1) & (drem <= 2) if TM > 1 else Const(1, 1)
        w_fire, a_fire, s_fire = Signal(), Signal(), Signal()
        m.d.comb += [
            self.w.ready.eq(adv & tv & (~(tlast & last_plane) | drain_ok)),
            w_fire.eq(self.w.valid & self.w.ready),
            self.a.ready.eq(adv & (krem != 0) & (~tv | (last_plane & w_fire))),
            a_fire.eq(self.a.valid & self.a.ready),
            self.start.ready.eq(adv & ((krem == 0) | (is_last_group & a_fire))),
            s_fire.eq(self.start.valid & self.start.ready),
        ]
        with m.If(a_fire):
            m.d.sync += [krem.eq(Mux(is_last_group, 0, krem - K)), afirst.eq(0)]
        with m.If(s_fire):
            m.d.sync += [krem.eq(self.start.payload.k_minus_1 + 1), afirst.eq(1)]
        kmask = Signal(K)
        m.d.comb += kmask.eq(Cat(krem > k for k in range(K)))

        with m.If(w_fire):
            m.d.sync += pl.eq(Mux(last_plane, 0, pl + 1))
        with m.If(a_fire):
            m.d.sync += [tv.eq(1), pl.eq(0), tfirst.eq(afirst), tlast.eq(is_last_group)]
        with m.Elif(w_fire & last_plane):
            m.d.sync += tv.eq(0)
        m.d.sync += v1.eq(w_fire)
        with m.If(w_fire):
            m.d.sync += [p1.eq(pl), f1.eq(tfirst & (pl == 0)), l1.eq(tlast & last_plane)]
        return {
            "a_fire": a_fire,
            "w_fire": w_fire,
            "s_fire": s_fire,
            "kmask": kmask,
            "v1": v1,
            "f1": f1,
            "l1": l1,
            "p1": p1,
            "drem": drem,
            "drow": drow,
        }

    def _rows(self, m: Module, adv: Signal, ctl: dict[str, Value]) -> tuple[list, list]:
        """The ``tile_m`` rows (precompute, tables, LUT array, shift-add), one module each.

        Returns each row's packed result registers and its bias-correction sum.
        """
        p = self.params
        K, TM = p.group_size, p.tile_m
        act_w = p.act_bits
        cap = Signal()
        m.d.comb += cap.eq(ctl["v1"] & ctl["l1"])
        res, sres = [], []
        for r in range(TM):
            row = place(m, f"row{r}", LutRow(p), "row", p.slug())
            m.d.comb += [
                row.en.eq(adv),
                row.acts.eq(self.a.payload.as_value()[r * K * act_w : (r + 1) * K * act_w]),
                row.kmask.eq(ctl["kmask"]),
                row.load.eq(ctl["a_fire"]),
                row.idx.eq(self.w.payload.as_value()),
                row.w_fire.eq(ctl["w_fire"]),
                row.v1.eq(ctl["v1"]),
                row.f1.eq(ctl["f1"]),
                row.p1.eq(ctl["p1"]),
                row.cap.eq(cap),
            ]
            res.append(row.res)
            sres.append(row.sres)
        ctl["cap"] = cap
        return res, sres

    def _drain(self, m: Module, ctl: dict[str, Value], res: list, sres: list) -> None:
        """Result rows out, one per beat, with the bias correction; ``busy`` and ``done``.

        The output register takes the selected row's ``(res - sres) >> 1`` (bias
        correction) or ``res``; in a core of one column and two or more rows
        (:func:`~accelsmith.core.latency.lut_core.split_drain`) the row select and the bias
        subtraction are split over two register stages (:meth:`_drain_split`; module
        docstring, "Drain").
        """
        p = self.params
        assert p.acc_bits is not None
        TN = p.tile_n
        accw = p.acc_bits + (1 if p.bias_correction else 0)
        drem, drow = ctl["drem"], ctl["drow"]
        if split_drain(p.tile_m, p.tile_n):
            self._drain_split(m, drem, drow, res, sres, accw)
        else:
            with m.If(drem != 0):
                m.d.sync += [
                    self.c.valid.eq(1),
                    self.c.payload.last.eq(drem == 1),
                    drem.eq(drem - 1),
                    drow.eq(drow + 1),
                ]
                s_row = select(m, sres, drow, signed(accw), "srow")
                row = select(m, res, drow, unsigned(TN * accw), "rowsel")
                for n in range(TN):
                    val = row[n * accw : (n + 1) * accw].as_signed()
                    if p.bias_correction:
                        diff = Signal(signed(accw), name=f"corr{n}")
                        m.d.comb += diff.eq(val - s_row)
                        m.d.sync += self.c.payload.data[n].eq(diff[1:])
                    else:
                        m.d.sync += self.c.payload.data[n].eq(val)
            with m.Else():
                m.d.sync += self.c.valid.eq(0)
        with m.If(ctl["cap"]):  # after the drain's own updates: a capture takes priority
            m.d.sync += [drem.eq(p.tile_m), drow.eq(0)]

        done = Signal()
        m.d.comb += [
            done.eq(self.c.valid & self.c.ready & self.c.payload.last),
            self.done.eq(done),
        ]
        inflight = Signal(4)
        m.d.sync += inflight.eq(inflight + ctl["s_fire"] - done)
        m.d.comb += self.busy.eq(inflight != 0)

    def _drain_split(
        self, m: Module, drem: Value, drow: Value, res: list, sres: list, accw: int
    ) -> None:
        """The two-stage drain: the first stage registers the selected row's low
        ``h = accw // 2`` bits less the activation sum's (with the borrow) and the high bits
        of both; the second subtracts the high bits and the borrow into the output register.
        The first stage's registers are named ``drain_*`` (synth/paths.py finds them)."""
        p = self.params
        TN, h = p.tile_n, accw // 2
        v2, l2 = Signal(name="drain_v"), Signal(name="drain_last")
        lo = [Signal(h + 1, name=f"drain_lo{n}") for n in range(TN)]
        vhi = [Signal(accw - h, name=f"drain_hi{n}") for n in range(TN)]
        shi = Signal(accw - h, name="drain_shi")
        with m.If(drem != 0):
            m.d.sync += [
                v2.eq(1),
                l2.eq(drem == 1),
                drem.eq(drem - 1),
                drow.eq(drow + 1),
            ]
            s_row = select(m, sres, drow, signed(accw), "srow")
            row = select(m, res, drow, unsigned(TN * accw), "rowsel")
            for n in range(TN):
                val = row[n * accw : (n + 1) * accw]
                sub = val[:h] - s_row[:h] if p.bias_correction else val[:h]
                m.d.sync += [lo[n].eq(sub), vhi[n].eq(val[h:])]
            if p.bias_correction:
                m.d.sync += shi.eq(s_row[h:])
        with m.Else():
            m.d.sync += v2.eq(0)
        with m.If(v2):
            m.d.sync += [self.c.valid.eq(1), self.c.payload.last.eq(l2)]
            for n in range(TN):
                if p.bias_correction:  # the high bits less the borrow of the low ones
                    hi = Signal(accw - h, name=f"corrhi{n}")
                    m.d.comb += hi.eq(vhi[n] - shi - lo[n][h])
                    m.d.sync += self.c.payload.data[n].eq(Cat(lo[n][1:h], hi))
                else:
                    m.d.sync += self.c.payload.data[n].eq(Cat(lo[n][:h], vhi[n]))
        with m.Else():
            m.d.sync += self.c.valid.eq(0)


class LutRow(wiring.Component):
    """One activation row: table precompute and registers, ``tile_n`` LUT PEs, bias sum.

    Members
    -------
    en : In(1)
        Advance.
    acts : In(K * act_bits)
        The row's group of activations (packed, element ``k`` at bit ``k * act_bits``) ...
    kmask : In(K)
        ... of which element ``k`` counts only if bit ``k`` is set (else it reads 0).
    load : In(1)
        Precompute and load the table registers (an ``a`` beat transfers).
    idx : In(tile_n * K)
        The ``w`` beat: one ``K``-bit index per column.
    w_fire : In(1)
        The ``w`` beat transfers: look up and register.
    v1, f1, p1, cap : In
        Stage-1 flags: the registered lookups are valid, belong to the tile's first plane,
        are plane ``p1``; capture the sums (the tile's last plane).
    res : Out(tile_n * accw)
        The captured results of the row (packed, column ``n`` at bit ``n * accw``).
    sres : Out(signed(accw))
        The captured sum of the row's activations (bias correction; 0 otherwise).
    """

    def __init__(self, params: LutCoreParams) -> None:
        self.params = p = params
        assert p.acc_bits is not None
        self.accw = p.acc_bits + (1 if p.bias_correction else 0)
        K = p.group_size
        super().__init__(
            {
                "en": In(1),
                "acts": In(K * p.act_bits),
                "kmask": In(K),
                "load": In(1),
                "idx": In(p.tile_n * K),
                "w_fire": In(1),
                "v1": In(1),
                "f1": In(1),
                "p1": In(range(max(p.weight_bits, 2))),
                "cap": In(1),
                "res": Out(p.tile_n * self.accw),
                "sres": Out(signed(self.accw)),
            }
        )

    def elaborate(self, platform: Any) -> Module:
        p = self.params
        m = Module()
        K, ew, accw, aw = p.group_size, p.entry_bits, self.accw, p.act_bits
        acts = [
            Mux(self.kmask[k], self.acts[k * aw : (k + 1) * aw].as_signed(), 0)
            if k
            else self.acts[:aw].as_signed()
            for k in range(K)
        ]
        entries = precompute(m, acts, p.symmetric, ew, "pre")
        regs = [Signal(signed(ew), name=f"tbl{j}") for j in range(len(entries))]
        with m.If(self.load):
            m.d.sync += [reg.eq(e) for reg, e in zip(regs, entries, strict=True)]
        table = Signal(len(regs) * ew)
        m.d.comb += table.eq(Cat(regs))
        for n in range(p.tile_n):
            pe = place(m, f"pe{n}", LutPE(p), "pe", p.slug())
            m.d.comb += [
                pe.en.eq(self.en),
                pe.table.eq(table),
                pe.idx.eq(self.idx[n * K : (n + 1) * K]),
                pe.w_fire.eq(self.w_fire),
                pe.v1.eq(self.v1),
                pe.f1.eq(self.f1),
                pe.p1.eq(self.p1),
                pe.cap.eq(self.cap),
                self.res[n * accw : (n + 1) * accw].eq(pe.res),
            ]
        if p.bias_correction:  # the group's sum of activations is -LUT[0]
            gsum = Signal(signed(ew))
            with m.If(self.w_fire):
                m.d.sync += gsum.eq(-regs[0])
            sacc = Signal(signed(accw))
            stot = Signal(signed(accw))
            m.d.comb += stot.eq(Mux(self.f1, 0, sacc) + Mux(self.p1 == 0, gsum, 0))
            with m.If(self.v1):
                m.d.sync += sacc.eq(stot)
            with m.If(self.cap):
                m.d.sync += self.sres.eq(stot)
        return EnableInserter({"sync": self.en})(m)


class LutPE(wiring.Component):
    """One output of the tile: table lookup, lookup register, shift-add accumulator, result.

    Members
    -------
    en : In(1)
        Advance.
    table : In(entries * entry_bits)
        The row's table registers (packed).
    idx : In(K)
        This column's weight index.
    w_fire, v1, f1, p1, cap : In
        As in :class:`LutRow`.
    res : Out(signed(accw))
        The captured sum.
    """

    def __init__(self, params: LutCoreParams) -> None:
        self.params = p = params
        assert p.acc_bits is not None
        self.accw = p.acc_bits + (1 if p.bias_correction else 0)
        super().__init__(
            {
                "en": In(1),
                "table": In(p.table_entries * p.entry_bits),
                "idx": In(p.group_size),
                "w_fire": In(1),
                "v1": In(1),
                "f1": In(1),
                "p1": In(range(max(p.weight_bits, 2))),
                "cap": In(1),
                "res": Out(signed(self.accw)),
            }
        )

    def elaborate(self, platform: Any) -> Module:
        p = self.params
        m = Module()
        ew, accw = p.entry_bits, self.accw
        table = [self.table[j * ew : (j + 1) * ew].as_signed() for j in range(p.table_entries)]
        lut = Signal(signed(ew))
        with m.If(self.w_fire):
            val = lookup(m, table, self.idx, p.symmetric, p.negation, ew, "lk")
            m.d.sync += lut.eq(val)
        acc = Signal(signed(accw))
        total = Signal(signed(accw))
        m.d.comb += total.eq(Mux(self.f1, 0, acc) + (lut << self.p1))
        with m.If(self.v1):
            m.d.sync += acc.eq(total)
        with m.If(self.cap):
            m.d.sync += self.res.eq(total)
        return EnableInserter({"sync": self.en})(m)


def build(params: LutCoreParams) -> LutCore:
    """Build the LUT-tensor-core component for ``params``."""
    return LutCore(params)


def protocol_summary(params: LutCoreParams) -> dict[str, str]:
    """Short, manifest-ready description of the port protocol."""
    k, b = params.group_size, params.weight_bits
    if params.symmetric and params.negation == "offline":
        index = f"c' = c ^ {(1 << k) - 2} if c & 1 else c (offline negation transform)"
    else:
        index = "c (raw index)"
    return {
        "clock": "single clock `clk`, synchronous active-high `rst`",
        "streams": "valid/ready: a beat transfers in a cycle where valid and ready are both high; "
        "valid never depends on ready",
        "start": "one beat per tile, payload k_minus_1 = Kd - 1 (Kd <= max_k); the next start "
        "transfers in the cycle of the current tile's last a beat",
        "a": f"G = ceil(Kd / {k}) beats per tile; beat g = A[:, g*{k}:(g+1)*{k}], "
        f"element m*{k} + k at bit (m*{k} + k)*{params.act_bits}; elements at or past Kd are "
        "ignored",
        "w": f"G*{b} beats per tile, group-major, plane-minor; beat (g, i) holds per column n "
        f"the {k}-bit index c = sum_k ((Q[g*{k}+k, n] >> i) & 1) << k, sent as {index}",
        "weights": "signed B-bit weight W -> offset-binary code Q = W + 2**(B-1); results are "
        + (
            "A @ W (bias correction in hardware)"
            if params.bias_correction
            else "A @ (2Q - (2**B - 1))"
        ),
        "c": "result rows C[0,:] .. C[tile_m-1,:], one per beat, `last` on the final row; "
        "c.ready low stalls the whole core",
        "busy": "high while an announced tile has not delivered its last row",
        "done": "high in the cycle the last row of a tile transfers",
        "payload_packing": "element i of a vector payload occupies bits [i*w, (i+1)*w)",
    }


def manifest_extras(params: LutCoreParams) -> dict[str, Any]:
    """LUT-core manifest sections: protocol, latency formula, table and accumulator widths."""
    from ..core.latency.lut_core import TILE_CYCLES_FORMULA, steady_interval, tile_cycles

    ks = sorted(
        {k for k in (1, params.group_size, 64, 256, 4096, params.max_k) if k <= params.max_k}
    )
    p = params
    return {
        "protocol": protocol_summary(p),
        "latency": {
            "tile_cycles_formula": TILE_CYCLES_FORMULA,
            "tile_cycles_definition": "cycles from the start transfer to the last result row "
            "transfer, both counted, with no stalls",
            "back_to_back_interval_formula": "max(ceil(Kd / group_size) * weight_bits, tile_m)",
            "tile_cycles": {
                str(k): int(tile_cycles(p.group_size, p.weight_bits, p.tile_m, p.tile_n, k))
                for k in ks
            },
            "back_to_back_interval": {
                str(k): int(steady_interval(p.group_size, p.weight_bits, p.tile_m, k)) for k in ks
            },
        },
        "table": {
            "entries_per_row": p.table_entries,
            "entry_bits": p.entry_bits,
            "rows": p.tile_m,
            "mux_inputs": p.table_entries,
        },
        "accumulator": {
            "acc_bits": p.acc_bits,
            "exact_acc_bits": p.exact_acc_bits,
            "wraps_before_max_k": p.wraps,
        },
    }
