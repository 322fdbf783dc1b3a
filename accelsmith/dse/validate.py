"""Validate a campaign spec completely before anything is created (issue 19: a rejected spec
leaves no storage and no run folder behind).

:func:`check_spec` reads the workload and technology files, checks the explorer's options and
space, and probes the space against the cost model (:func:`probe`); :func:`open_campaign
<accelsmith.dse.campaign.open_campaign>` calls it before it writes anything.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import ConfigError
from .spec import CampaignSpec


def check_spec(spec: CampaignSpec, *, probe_space: bool = True) -> Any:
    """Check ``spec`` completely without writing anything; returns its evaluator.

    Workload and technology files are read, the node looked up, the explorer options checked
    and the space probed against the cost model (:func:`probe`). ConfigError on any problem.
    ``probe_space=False`` skips the probe: for a worker joining a stored campaign, whose spec
    was probed when the campaign was created, under the same identity (cost-model versions
    included), which :func:`~accelsmith.dse.campaign.open_campaign` checks next.
    """
    from .evaluator import Evaluator
    from .explorers import get_explorer

    cls = get_explorer(spec.explorer.name)
    cls.check_space(spec.build_space(), cls.check_options(spec.explorer.options))
    evaluator = Evaluator(spec)
    if probe_space:
        probe(spec, evaluator)
    return evaluator


def probe(spec: CampaignSpec, evaluator: Any = None) -> None:
    """Evaluate a few points to check the space columns, objectives and constraints early."""
    import numpy as np

    from .evaluator import Evaluator

    ev = evaluator or Evaluator(spec)
    space = spec.build_space()
    rng = np.random.default_rng(spec.seed)
    configs = [space.denormalize(np.zeros(len(space.varying)))] + [
        space.sample(rng) for _ in range(15)
    ]
    # every end of every range and every choice, one parameter at a time from the first
    # point: a value the model refuses is a spec error (exit 2), not a stream of failed trials
    base = configs[0]
    first = ev.evaluate([base]).errors[0]
    if first is not None and "unknown column" in first:  # a misspelled space key, named as is
        raise ConfigError(f"space: {first.removeprefix('configs: ')}")
    for d in space.varying:
        if not space.active(d, base):
            continue
        ends = list(d.choices) if d.kind == "categorical" else [d.low, d.high]
        edge = ev.evaluate([{**base, d.name: v} for v in ends])
        for v, err in zip(ends, edge.errors, strict=True):
            if err is not None and d.name in err:
                raise ConfigError(
                    f"spec: space.{d.name}: the {spec.family} model refuses {v!r}: {err}"
                )
    res = ev.evaluate(configs)
    if res.ok.any():
        return
    msg = res.errors[0] or "no point could be evaluated"
    if "unknown column" in msg:
        raise ConfigError(f"space: {msg.removeprefix('configs: ')}")
    raise ConfigError(f"space: every probed configuration is refused by the model: {msg}")
