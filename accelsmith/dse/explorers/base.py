"""The explorer interface shared by the Optuna samplers, the exhaustive sweep and RL agents.

An explorer takes a space, objectives, constraints, a budget and a seed (all in its
:class:`ExplorerContext`) and records every evaluated point as an Optuna trial of the
campaign study, exactly as :mod:`accelsmith.dse.ledger` describes.

Call order (made by :func:`accelsmith.dse.campaign.run_worker`)::

    cls = get_explorer(name)               # registry, see accelsmith.dse.explorers
    options = cls.check_options(raw)       # validated, defaults filled (ConfigError)
    explorer = cls(ctx)                    # ctx.options holds the validated options
    explorer.run()                         # returns when ctx.remaining() == 0 or ctx.stopped()

Invariants an explorer must keep
    - Work in batches: propose a batch, evaluate it with **one** ``ctx.evaluator`` call
      (vectorized; invalid rows come back as failed rows, never as exceptions) and store it
      with **one** write (:meth:`ExplorerContext.record` or ``ctx.ledger.write``: one
      transaction, see :mod:`accelsmith.dse.ledger_bulk`). A batch is stored whole or not at
      all, so a process killed at any instant loses no stored trial and leaves no RUNNING one.
    - Never evaluate a design already in the ledger (``ctx.ledger.designs``: design key ->
      stored result, kept current by every write, including other workers' trials).
    - Never exceed the budget: check :meth:`ExplorerContext.remaining` before each batch;
      the write drops rows beyond it (several workers race for the last slots under the
      study's lock). Trials already in the study count (resume).
    - Be reproducible from ``ctx.seed`` (derive generators from it; see :meth:`seed_for`).
    - Call ``ctx.tick()`` after recording so the CLI progress bar moves.

Budget and repeated designs
    The budget counts *distinct designs* (COMPLETE and FAIL trials; a failed design is not
    retried since the cost model is deterministic). A sampler that proposes a design already
    in the ledger is told the stored result (values and constraint values) instead of an
    evaluation and asked again; it costs no evaluation and no budget. The ledger's trials stay
    distinct designs: for the Optuna samplers such proposals are kept as *repeat entries* in
    the study's system attributes (``accelsmith:repeats:...``: ask position, design key,
    params, sampler attributes) so that a resumed run rebuilds exactly the history the sampler
    saw. Explorers whose proposals do not depend on that history (``random``, the RL
    explorers' cache) keep nothing. An explorer stops early when proposals keep repeating
    known designs (the space is exhausted or the sampler has converged); the study then holds
    fewer trials than the budget.
Reproducibility
    A batch covers the ask positions ``[k B, (k+1) B)`` (``B`` the batch size, for NSGA-II/III
    the population: one generation per batch; repeats count as asks) and its proposals are
    drawn from ``seed_for(k B)`` and the history stored before it. Batches are stored whole,
    so a run killed at any instant and resumed proposes exactly the trials of an uninterrupted run
    (the same seed gives the same trials).
Several workers
    Each worker process holds a *slot* of the study (:meth:`LedgerWriter.claim_worker
    <accelsmith.dse.ledger_bulk.LedgerWriter.claim_worker>`: the lowest slot no live process
    holds; workers started together get 0, 1, 2, ...) and draws from ``seed_for(...,
    "worker", slot)`` (slot 0: the single-worker keys), so workers propose distinct designs
    from their first batch on. What stays reproducible: a worker's proposals are a
    deterministic function of the seed, its slot and the trials it has seen before each
    batch. Which of the other workers' trials it has seen by then depends on timing, so the
    trials of a campaign run by several workers (their numbers, and which designs are
    stored) are not reproducible run to run. What always holds: no stored trial is lost or
    stored twice, every stored design is distinct, and the budget is exact (the write's
    lock). One worker alone (after a kill -9 too: the dead worker's slot 0 is free again) is
    the reproducible single-worker run.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ...core.errors import ConfigError

if TYPE_CHECKING:
    import numpy as np
    import optuna

    from ..evaluator import BatchResult, Evaluator
    from ..ledger_bulk import LedgerWriter
    from ..space import Space
    from ..spec import CampaignSpec

__all__ = ["Explorer", "ExplorerContext", "Option"]


@dataclass(frozen=True)
class Option:
    """One explorer option: accepted types, default and a one-line help."""

    types: tuple[type, ...]
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()

    def check(self, where: str, value: Any) -> Any:
        if value is None and self.default is None:
            return None
        ok = isinstance(value, self.types) and not (
            isinstance(value, bool) and bool not in self.types
        )
        if ok and float in self.types and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        what = " or ".join(t.__name__ for t in self.types)
        if self.choices:
            if value not in self.choices:
                allowed = ", ".join(repr(c) for c in self.choices)
                raise ConfigError(f"{where} must be one of {allowed}, not {value!r}")
            return value
        if not ok:
            raise ConfigError(f"{where} must be {_article(what)}, not {value!r}")
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            lo = "" if self.low is None else f">= {self.low:g}"
            hi = "" if self.high is None else f"<= {self.high:g}"
            bounds = " and ".join(filter(None, (lo, hi)))
            raise ConfigError(f"{where} must be {_article(what)} {bounds}, not {value!r}")
        return value


def _article(what: str) -> str:
    return ("an " if what[0] in "aeiou" else "a ") + what


@dataclass
class ExplorerContext:
    """Everything an explorer needs; made by the campaign runner.

    Attributes
    ----------
    spec : CampaignSpec
    space : Space
    evaluator : Evaluator
    study : optuna.Study
        The explorer's study of the campaign (``"<campaign>@<explorer>"``).
    explorer : str
        The explorer name (stored with each trial).
    budget : int
        Total trials of the study (those already in it count).
    seed : int
    options : dict
        Validated explorer options.
    tick : callable
        Called after each recorded batch (progress display). Explorers whose work is not
        counted in trials (the exhaustive sweep) pass ``completed=`` and ``total=`` (points).
    stop : callable
        Returns True when the run should stop early (Ctrl-C, time limit).
    stale_after : float
        Seconds after which a RUNNING trial of another machine is considered abandoned.
    history : bool
        False: :attr:`ledger` reads only the design index of stored trials, never their
        parameters (``LedgerWriter.history``); set by :class:`Explorer` for explorers whose
        proposals do not depend on the history.
    results : bool
        False: :attr:`ledger`'s design index keeps no stored results (values, constraint
        values) of known designs, only which designs are stored (``LedgerWriter.results``);
        set by :class:`Explorer` for explorers that never use a known design's result.
    """

    spec: CampaignSpec
    space: Space
    evaluator: Evaluator
    study: optuna.Study
    explorer: str
    budget: int
    seed: int
    options: dict[str, Any] = field(default_factory=dict)
    tick: Callable[..., None] = lambda **_: None
    stop: Callable[[], bool] = lambda: False
    stale_after: float = 3600.0
    history: bool = True
    results: bool = True

    @property
    def ledger(self) -> LedgerWriter:
        """The study's :class:`~accelsmith.dse.ledger_bulk.LedgerWriter` (synced on first use)."""
        writer = self.__dict__.get("_ledger")
        if writer is None:
            from ..ledger_bulk import LedgerWriter

            writer = LedgerWriter(self.study, self.space.names)
            writer.history = self.history
            writer.results = self.results
            writer.sync()
            self.__dict__["_ledger"] = writer
        return writer

    def done(self) -> int:
        """Trials of the study that count against the budget (distinct designs), as of the
        last write or sync of :attr:`ledger`."""
        return self.ledger.counted

    def remaining(self) -> int:
        return max(0, self.budget - self.done())

    def record(self, result: BatchResult, rows: Any = None, **extra_user_attrs: Any) -> int:
        """Add evaluated rows as trials in one transaction, truncated to the budget; designs
        already in the ledger are skipped. Returns the number of trials added."""
        from ..record import record_evaluations

        idx = list(range(len(result))) if rows is None else [int(r) for r in rows]
        if not idx or self.remaining() <= 0:
            return 0
        n = record_evaluations(
            self.study,
            result,
            self.space,
            self.explorer,
            rows=idx,
            extra_user_attrs=extra_user_attrs or None,
            writer=self.ledger,
            budget=self.budget,
        )
        self.tick()
        return n

    def seed_for(self, *keys: Any) -> int:
        """A 32-bit seed derived from the campaign seed and ``keys`` (stable across runs)."""
        text = ":".join(str(k) for k in (self.seed, self.explorer, *keys))
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")

    def rng(self, *keys: Any) -> np.random.Generator:
        import numpy as np

        return np.random.default_rng(self.seed_for(*keys))


class Explorer(ABC):
    """Base class of every explorer.

    Subclasses set :attr:`name`, :attr:`options` (name -> :class:`Option`) and implement
    :meth:`run`. :attr:`exact` is True for an explorer whose trials are the exact Pareto
    front (the exhaustive sweep); :attr:`uses_budget` False when it ignores the budget.
    """

    name: ClassVar[str] = ""
    options: ClassVar[Mapping[str, Option]] = {}
    exact: ClassVar[bool] = False
    uses_budget: ClassVar[bool] = True
    #: True when several worker processes may run this explorer on one study.
    parallel: ClassVar[bool] = True
    #: False when proposals never depend on stored trials' parameters (only on which designs
    #: are stored): the ledger then reads only its design index (lighter with many workers).
    history: ClassVar[bool] = True
    #: False when a known design's stored result is never used (with :attr:`history` False:
    #: the ledger reads only which designs are stored, one query per read).
    results: ClassVar[bool] = True

    def __init__(self, ctx: ExplorerContext) -> None:
        self.ctx = ctx
        self.opts = self.check_options(ctx.options)
        if not self.history:
            ctx.history = False
        if not self.results:
            ctx.results = False

    @classmethod
    def check_options(cls, options: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validated options with defaults; unknown ones are refused with the allowed list."""
        options = dict(options or {})
        unknown = [k for k in options if k not in cls.options]
        if unknown:
            allowed = ", ".join(cls.options) or "none"
            raise ConfigError(
                f"explorer.options: unknown option {unknown[0]!r} for {cls.name}; "
                f"allowed: {allowed}"
            )
        return {
            k: (opt.check(f"explorer.options.{k}", options[k]) if k in options else opt.default)
            for k, opt in cls.options.items()
        }

    @classmethod
    def check_space(cls, space: Space, options: dict[str, Any]) -> None:
        """Refuse (ConfigError) a space this explorer cannot search; called with the validated
        options before a campaign's storage is created. The default accepts every space."""
        return None

    @abstractmethod
    def run(self) -> None:
        """Explore until the budget is spent (or ``ctx.stop()``), recording every point."""
