"""Full draws of the dashboard's scatter, built once per view and campaign state, and kept.

A full draw at 100,000 trials is most of the first render's server time (filtering, the
trace arrays, the design ids) and, as JSON, most of its transfer and page time. Here it is
built once for a view (campaigns, axes, colour, filters) and a campaign state, and split
in two: the figure (small: legend entries, the live traces, the Pareto front; JSON for
``dcc.Graph``) and the static layer's points as one binary payload
(:func:`~accelsmith.reports.panels.detach_layer`), served from its own route and fetched by
the page script (``assets/static_layer.js``) in parallel with the figure callback.

A kept draw is given again to a page that asks for the same view while the campaign has
grown by at most :attr:`Draws.REUSE_ROWS` trials (same generation, same exact front):
the page's ``drawn`` store then records the kept draw's state, so its first poll sends
what came since as a patch (every trial drawn once, the Pareto trace the current front).
The default view is built when the server starts (:meth:`Draws.get` from ``create_app``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from .live import Hub
from .panels import detach_layer, scatter_figure, slot_counts, trace_slots

__all__ = ["Draw", "Draws", "canonical"]


def canonical(value: Any) -> Any:
    """``value`` with every number a float (a value sent by the page comes back as an
    integer when it is whole: ``[0.0, 64.0]`` returns as ``[0, 64]``), for comparing views."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    return float(value)  # numpy scalars


@dataclasses.dataclass
class Draw:
    """One full draw of the scatter: the figure without its draw name, the static layer's
    payload (served at ``src``), and what the page's ``drawn`` store records of it.

    Attributes
    ----------
    key : str
        Names the draw (view and campaign state); the layer route's last path element.
    view : str
        The canonical view it shows (JSON).
    src : str
        URL path of the static layer's payload (``layout.meta.src``).
    figure : dict
        ``scatter_figure`` with the layer detached; never changed after it is built.
    layer : bytes
        The static layer's payload.
    at : dict
        Per campaign ``[rows drawn, version, generation]``.
    exact : dict
        Per campaign, rows of its exhaustive sweep's front (a new one: build anew).
    slots, counts, ranges : list
        As in the ``drawn`` store (:func:`~accelsmith.reports.panels.trace_slots`, points
        per slot, axis ranges).
    """

    key: str
    view: str
    src: str
    figure: dict[str, Any]
    layer: bytes
    at: dict[str, list[int]]
    exact: dict[str, int]
    slots: list[list[str]]
    counts: list[int]
    ranges: list[Any]

    def figure_named(self, draw: str) -> dict[str, Any]:
        """The figure with ``layout.meta.draw`` = ``draw`` (shallow copies: the kept figure
        is shared by every page that gets this draw)."""
        layout = self.figure["layout"]
        return {
            "data": self.figure["data"],
            "layout": {**layout, "meta": {**layout["meta"], "draw": draw}},
        }

    def drawn(self, signature: list[Any]) -> dict[str, Any]:
        """The ``drawn`` store of a page showing this draw for the view ``signature``."""
        return {
            "view": signature,
            "slots": self.slots,
            "counts": list(self.counts),
            "at": {k: list(v) for k, v in self.at.items()},
            "ranges": self.ranges,
        }


class Draws:
    """The full draws kept for the pages of one dashboard (at most :attr:`KEEP`).

    Parameters
    ----------
    hub : Hub
    prefix : str
        URL path prefix of the layer route (``<prefix><key>``).
    """

    #: a kept draw is reused while its campaigns grew by at most this many trials since
    #: (the page's first poll sends them as a patch; a larger catch-up builds anew)
    REUSE_ROWS = 1000
    #: draws kept (the newest; each holds ~28 bytes per point of the static layer)
    KEEP = 12

    def __init__(self, hub: Hub, prefix: str) -> None:
        self.hub = hub
        self.prefix = prefix
        self._draws: OrderedDict[str, Draw] = OrderedDict()
        self._latest: dict[str, str] = {}  # view -> key of its newest draw
        self._lock = threading.Lock()  # one build at a time (a page's prefetch and figure)

    def find(self, key: str) -> Draw | None:
        """The kept draw named ``key``, or None (dropped, or never built)."""
        with self._lock:
            return self._draws.get(key)

    def get(self, view: Any, *, fresh: bool = False) -> Draw:
        """A draw of ``view`` (``sel``, ``x``, ``y``, ``color``, ``signature``, ``filter``):
        the newest kept one if still reusable (and not ``fresh``), else a new one."""
        sig = json.dumps(canonical(view.signature), sort_keys=True)
        with self._lock:
            key = self._latest.get(sig)
            kept = self._draws.get(key) if key is not None else None
            if kept is not None and not fresh and self._reusable(kept, view.sel):
                self._draws.move_to_end(kept.key)
                return kept
            draw = self._build(view, sig)
            self._draws[draw.key] = draw
            self._latest[sig] = draw.key
            while len(self._draws) > self.KEEP:
                old, _ = self._draws.popitem(last=False)
                self._latest = {v: k for v, k in self._latest.items() if k != old}
            return draw

    def _reusable(self, draw: Draw, sel: list[str]) -> bool:
        for k in sel:
            lc = self.hub.campaigns[k]
            n0, _, g0 = draw.at[k]
            if lc.generation != g0 or not 0 <= lc.n - n0 <= self.REUSE_ROWS:
                return False
            if lc.exact_rows != draw.exact[k]:
                return False
        return True

    def _build(self, view: Any, sig: str) -> Draw:
        panels, at, exact = [], {}, {}
        for k in view.sel:
            lc = self.hub.campaigns[k]
            with lc.lock:
                camp = lc.campaign
                at[k] = [lc.n, lc.version, lc.generation]
                exact[k] = lc.exact_rows
            panels.append((k, camp, view.filter(camp.trials)))
        fig = scatter_figure(panels, view.x, view.y, view.color)
        state = json.dumps([sig, at], sort_keys=True).encode()
        key = hashlib.sha1(state).hexdigest()[:16]
        src = f"{self.prefix}{key}"
        counts = slot_counts(fig)
        layer = detach_layer(fig, src)
        return Draw(
            key=key,
            view=sig,
            src=src,
            figure=fig,
            layer=layer,
            at=at,
            exact=exact,
            slots=trace_slots(panels, view.x, view.y, view.color),
            counts=counts,
            ranges=[fig["layout"][a].get("range") for a in ("xaxis", "yaxis")],
        )
