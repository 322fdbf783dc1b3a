"""Component -> Verilog, a JSON manifest and a FuseSoC core file.

The Verilog is deterministic (``emit_src=False``: no source locations), so its hash keys the
simulator and synthesis caches. It is hierarchical: repeated blocks are one module each,
instantiated (see :mod:`accelsmith.hdl.hier`), all in the one ``.v`` file. Port names are
the signature paths joined by ``__``; the manifest lists every port with its direction, width
and payload fields so that testbenches and users never guess them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from amaranth.back import verilog
from amaranth.hdl import Shape, Value
from amaranth.lib import data, wiring

from ..core.errors import ConfigError, OutputError
from ..core.files import atomic_write
from ..core.params import ParamsBase
from .hier import emit_hierarchical

__all__ = ["Emitted", "check_name", "emit", "port_table", "verilog_text"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
# Verilog-2005 and SystemVerilog keywords a module name must avoid (the common ones).
_RESERVED = frozenset(
    """
    always and assign automatic begin buf case casex casez cell config deassign default
    defparam design disable edge else end endcase endconfig endfunction endgenerate endmodule
    endprimitive endspecify endtable endtask event for force forever fork function generate
    genvar if ifnone initial inout input instance integer join large liblist library localparam
    macromodule medium module nand negedge nmos nor not or output parameter posedge primitive
    pull0 pull1 pulldown pullup real realtime reg release repeat scalared signed small specify
    specparam strong0 strong1 supply0 supply1 table task time tran tri tri0 tri1 triand trior
    trireg unsigned use vectored wait wand weak0 weak1 while wire wor xnor xor logic bit byte
    int shortint longint class interface package program typedef enum struct union
    """.split()
)


def check_name(name: str) -> str:
    """Return ``name`` if it is usable as a Verilog module and file name."""
    if not isinstance(name, str) or not _IDENT.match(name) or name in _RESERVED:
        raise ConfigError(
            "name must be a Verilog identifier (a letter or _, then letters, digits or _, at "
            f"most 63 characters, not a keyword), not {name!r}"
        )
    return name


def verilog_text(component: wiring.Component, name: str, *, hierarchy: bool = True) -> str:
    """Verilog for ``component`` with top module ``name`` (deterministic).

    With ``hierarchy`` (the default) every block the generator adds with
    :func:`accelsmith.hdl.hier.place` (a processing element, a row, a lane, a bank) is written
    once as module ``<name>_<kind>`` and instantiated; ``hierarchy=False`` writes the same
    design flat (every instance spelled out), as Amaranth's simulator sees it.
    """
    check_name(name)
    if hierarchy:
        return emit_hierarchical(component, name)
    return verilog.convert(component, name=name, emit_src=False)


def _fields(shape: Any, offset: int = 0, prefix: str = "") -> list[dict[str, Any]]:
    """Flatten a payload layout into ``{name, offset, width, signed}`` entries."""
    if isinstance(shape, data.StructLayout):
        out: list[dict[str, Any]] = []
        for fname, field in shape:
            out += _fields(field.shape, offset + field.offset, f"{prefix}{fname}")
        return out
    if isinstance(shape, data.ArrayLayout):
        elem = Shape.cast(shape.elem_shape)
        return [
            {
                "name": f"{prefix}[{i}]",
                "offset": offset + i * elem.width,
                "width": elem.width,
                "signed": elem.signed,
            }
            for i in range(shape.length)
        ]
    s = Shape.cast(shape)
    return [{"name": prefix or "value", "offset": offset, "width": s.width, "signed": s.signed}]


def port_table(component: wiring.Component) -> list[dict[str, Any]]:
    """Every Verilog port: name, direction, width and (for payloads) its fields."""
    ports: list[dict[str, Any]] = [
        {"name": "clk", "direction": "input", "width": 1, "description": "clock, rising edge"},
        {
            "name": "rst",
            "direction": "input",
            "width": 1,
            "description": "synchronous reset, active high",
        },
    ]
    for path, member, value in component.signature.flatten(component):
        shape = member.shape
        width = Value.cast(value).shape().width
        entry: dict[str, Any] = {
            "name": "__".join(str(p) for p in path),
            "direction": "input" if member.flow == wiring.In else "output",
            "width": width,
        }
        if isinstance(shape, data.Layout):
            entry["fields"] = _fields(shape)
        ports.append(entry)
    ports.sort(key=lambda p: p["name"])
    return ports


@dataclasses.dataclass(frozen=True)
class Emitted:
    """Files written by :func:`emit`."""

    verilog: Path
    manifest: Path
    core: Path
    verilog_sha256: str


def _core_file(name: str, params: ParamsBase) -> str:
    return (
        "CAPI=2:\n"
        f"name: accelsmith:generated:{name}:0.1.0\n"
        f"description: accelsmith {params.family} generator output ({params.slug()})\n"
        "filesets:\n"
        "  rtl:\n"
        "    files:\n"
        f"      - {name}.v\n"
        "    file_type: verilogSource\n"
        "targets:\n"
        "  default: &default\n"
        "    filesets: [rtl]\n"
        f"    toplevel: {name}\n"
        "  lint:\n"
        "    <<: *default\n"
        "    default_tool: verilator\n"
        "    tools:\n"
        "      verilator:\n"
        "        mode: lint-only\n"
        "        verilator_options: [-Wno-WIDTHEXPAND, -Wno-WIDTHTRUNC]\n"
    )


def emit(
    component: wiring.Component,
    params: ParamsBase,
    name: str,
    out_dir: str | Path,
    extra_manifest: dict[str, Any] | None = None,
) -> Emitted:
    """Write ``<name>.v``, ``<name>.json`` and ``<name>.core`` into ``out_dir``.

    Raises
    ------
    OutputError
        If ``out_dir`` cannot be created or written.
    """
    import amaranth

    from .. import __version__

    check_name(name)
    out = Path(out_dir)
    text = verilog_text(component, name)
    digest = hashlib.sha256(text.encode()).hexdigest()
    manifest = {
        "name": name,
        "family": params.family,
        "parameters": params.to_dict(),
        "slug": params.slug(),
        "generator": {"accelsmith": __version__, "amaranth": amaranth.__version__},
        "verilog": {"file": f"{name}.v", "sha256": digest, "top": name},
        "ports": port_table(component),
        **(extra_manifest or {}),
    }
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = (out / f"{name}.v", out / f"{name}.json", out / f"{name}.core")
        # each file whole or not at all (temporary name, then rename: core/files.py)
        atomic_write(paths[0], text)
        atomic_write(paths[1], json.dumps(manifest, indent=2) + "\n")
        atomic_write(paths[2], _core_file(name, params))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputError(f"--out {out} cannot be written: {reason}") from None
    return Emitted(*paths, verilog_sha256=digest)
