"""AXI4 and AXI4-Lite interface signatures (master's view) and the AXI4-Lite register slave.

Port names follow the AMBA spelling (``awaddr``, ``rvalid`` ...), so with the signature path
joined by ``__`` the top's ports read ``m_axi__araddr``, ``s_axil__wdata``: verification IP
such as cocotbext-axi binds them with the prefix ``m_axi_`` / ``s_axil_``.
"""

from __future__ import annotations

from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["Axi4", "AxiLite"]

ADDR_BITS = 32
ID_BITS = 1


class Axi4(wiring.Signature):
    """AXI4 master interface (INCR bursts, one ID), data ``data_bits`` wide."""

    def __init__(self, data_bits: int) -> None:
        members = {}
        for ch in ("aw", "ar"):
            members |= {
                f"{ch}id": Out(ID_BITS),
                f"{ch}addr": Out(ADDR_BITS),
                f"{ch}len": Out(8),
                f"{ch}size": Out(3),
                f"{ch}burst": Out(2),
                f"{ch}valid": Out(1),
                f"{ch}ready": In(1),
            }
        members |= {
            "wdata": Out(data_bits),
            "wstrb": Out(data_bits // 8),
            "wlast": Out(1),
            "wvalid": Out(1),
            "wready": In(1),
            "bid": In(ID_BITS),
            "bresp": In(2),
            "bvalid": In(1),
            "bready": Out(1),
            "rid": In(ID_BITS),
            "rdata": In(data_bits),
            "rresp": In(2),
            "rlast": In(1),
            "rvalid": In(1),
            "rready": Out(1),
        }
        super().__init__(members)


class AxiLite(wiring.Signature):
    """AXI4-Lite master interface, 32-bit data, ``addr_bits``-bit addresses."""

    def __init__(self, addr_bits: int) -> None:
        super().__init__(
            {
                "awaddr": Out(addr_bits),
                "awprot": Out(3),
                "awvalid": Out(1),
                "awready": In(1),
                "wdata": Out(32),
                "wstrb": Out(4),
                "wvalid": Out(1),
                "wready": In(1),
                "bresp": In(2),
                "bvalid": In(1),
                "bready": Out(1),
                "araddr": Out(addr_bits),
                "arprot": Out(3),
                "arvalid": Out(1),
                "arready": In(1),
                "rdata": In(32),
                "rresp": In(2),
                "rvalid": In(1),
                "rready": Out(1),
            }
        )
