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

    G * B + tile_m + 4        with G = ceil(Kd / K)

(start at cycle 0, ``a`` beats from cycle 1, the tile's last ``w`` beat at cycle ``c = G*B + 1``,
row ``r`` at cycle ``c + 3 + r``). Back to back a tile completes every ``max(G * B, tile_m)``
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

from amaranth.hdl import Const, EnableInserter, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import bits_for

from ..core.families.lut_core import LutCoreParams
from .blocks.lut_table import lookup, precompute, select

__all__ = ["LutCore", "build", "manifest_extras", "protocol_summary"]


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
        p = self.params
        assert p.acc_bits is not None
        m = Module()
        K, B, TM, TN = p.group_size, p.weight_bits, p.tile_m, p.tile_n
        ew = p.entry_bits
        accw = p.acc_bits + (1 if p.bias_correction else 0)

        adv = Signal()  # the whole core advances only when the output can move
        m.d.comb += adv.eq(~self.c.valid | self.c.ready)

        # ---------------------------------------------------------------- control
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

        # ---------------------------------------------------------------- precompute + tables
        tables = []
        for r in range(TM):
            acts = [
                Mux(krem > k, self.a.payload[r * K + k], 0) if k else self.a.payload[r * K]
                for k in range(K)
            ]
            entries = precompute(m, acts, p.symmetric, ew, f"pre{r}")
            regs = [Signal(signed(ew), name=f"tbl{r}_{j}") for j in range(len(entries))]
            with m.If(a_fire):
                m.d.sync += [reg.eq(e) for reg, e in zip(regs, entries, strict=True)]
            tables.append(regs)
        with m.If(w_fire):
            m.d.sync += pl.eq(Mux(last_plane, 0, pl + 1))
        with m.If(a_fire):
            m.d.sync += [tv.eq(1), pl.eq(0), tfirst.eq(afirst), tlast.eq(is_last_group)]
        with m.Elif(w_fire & last_plane):
            m.d.sync += tv.eq(0)

        # ---------------------------------------------------------------- stage 1: LUT array
        m.d.sync += v1.eq(w_fire)
        lut = [[Signal(signed(ew), name=f"lut{r}_{n}") for n in range(TN)] for r in range(TM)]
        gsum = [Signal(signed(ew), name=f"gsum{r}") for r in range(TM)]
        with m.If(w_fire):
            m.d.sync += [
                p1.eq(pl),
                f1.eq(tfirst & (pl == 0)),
                l1.eq(tlast & last_plane),
            ]
            for r in range(TM):
                for n in range(TN):
                    val = lookup(
                        m,
                        tables[r],
                        self.w.payload[n],
                        p.symmetric,
                        p.negation,
                        ew,
                        f"lk{r}_{n}",
                    )
                    m.d.sync += lut[r][n].eq(val)
                if p.bias_correction:  # the group's sum of activations is -LUT[0]
                    m.d.sync += gsum[r].eq(-tables[r][0])

        # ---------------------------------------------------------------- stage 2: shift-add
        cap = Signal()
        m.d.comb += cap.eq(v1 & l1)
        shadow = [[Signal(signed(accw), name=f"res{r}_{n}") for n in range(TN)] for r in range(TM)]
        ssum = [Signal(signed(accw), name=f"sres{r}") for r in range(TM)]
        for r in range(TM):
            for n in range(TN):
                acc = Signal(signed(accw), name=f"acc{r}_{n}")
                total = Signal(signed(accw), name=f"sum{r}_{n}")
                m.d.comb += total.eq(Mux(f1, 0, acc) + (lut[r][n] << p1))
                with m.If(v1):
                    m.d.sync += acc.eq(total)
                with m.If(cap):
                    m.d.sync += shadow[r][n].eq(total)
            if p.bias_correction:
                sacc = Signal(signed(accw), name=f"sacc{r}")
                stot = Signal(signed(accw), name=f"stot{r}")
                m.d.comb += stot.eq(Mux(f1, 0, sacc) + Mux(p1 == 0, gsum[r], 0))
                with m.If(v1):
                    m.d.sync += sacc.eq(stot)
                with m.If(cap):
                    m.d.sync += ssum[r].eq(stot)

        # ---------------------------------------------------------------- drain
        with m.If(drem != 0):
            m.d.sync += [
                self.c.valid.eq(1),
                self.c.payload.last.eq(drem == 1),
                drem.eq(drem - 1),
                drow.eq(drow + 1),
            ]
            s_row = select(m, ssum, drow, signed(accw), "srow")
            for n in range(TN):
                val = select(m, [shadow[r][n] for r in range(TM)], drow, signed(accw), f"row{n}")
                if p.bias_correction:
                    diff = Signal(signed(accw), name=f"corr{n}")
                    m.d.comb += diff.eq(val - s_row)
                    m.d.sync += self.c.payload.data[n].eq(diff[1:])
                else:
                    m.d.sync += self.c.payload.data[n].eq(val)
        with m.Else():
            m.d.sync += self.c.valid.eq(0)
        with m.If(cap):
            m.d.sync += [drem.eq(TM), drow.eq(0)]

        done = Signal()
        m.d.comb += [
            done.eq(self.c.valid & self.c.ready & self.c.payload.last),
            self.done.eq(done),
        ]
        inflight = Signal(4)
        m.d.sync += inflight.eq(inflight + s_fire - done)
        m.d.comb += self.busy.eq(inflight != 0)
        return EnableInserter({"sync": adv})(m)


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
    from ..core.latency.lut_core import steady_interval, tile_cycles

    ks = sorted(
        {k for k in (1, params.group_size, 64, 256, 4096, params.max_k) if k <= params.max_k}
    )
    p = params
    return {
        "protocol": protocol_summary(p),
        "latency": {
            "tile_cycles_formula": "ceil(Kd / group_size) * weight_bits + tile_m + 4",
            "tile_cycles_definition": "cycles from the start transfer to the last result row "
            "transfer, both counted, with no stalls",
            "back_to_back_interval_formula": "max(ceil(Kd / group_size) * weight_bits, tile_m)",
            "tile_cycles": {
                str(k): int(tile_cycles(p.group_size, p.weight_bits, p.tile_m, k)) for k in ks
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
