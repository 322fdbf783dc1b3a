"""Typed design spaces from the campaign-spec syntax.

Syntax (one entry per parameter, in ``space:`` of a campaign spec or ``Family.space``)::

    rows: {low: 4, high: 128, step: 4}      # int range (ints for low/high), optional log: true
    clock_mhz: {low: 200.0, high: 1000.0}   # float range (continuous unless step is given)
    dataflow: {choices: [os, ws]}           # categorical (any JSON scalars)
    in_bits: 8                              # fixed value (or {value: 8})
    acc_bits: {low: 16, high: 48, when: {signed: true}}   # conditional parameter

``when: {other: value | [values]}`` makes a parameter active only where every listed parameter
takes one of the listed values; an inactive parameter is absent from the configuration, so the
cost model uses its default.

A :class:`Space` maps to Optuna distributions (:meth:`Space.distributions`, :meth:`Space.suggest`),
enumerates its grid in vectorized batches (:meth:`Space.grid_batches`, for the exhaustive
explorer), normalizes values to ``[0, 1]`` and back (:meth:`Space.normalize`,
:meth:`Space.denormalize`, for the RL explorers) and has a stable :meth:`Space.hash`.

Length: over 500 lines on purpose (issue 14 item 5): one concept, the typed space (parsing and
checking the spec syntax, the Optuna mapping, grid enumeration, normalization, hash), whose
parts share the :class:`Dimension` representation.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.errors import ConfigError

if TYPE_CHECKING:
    import optuna
    import pandas as pd

__all__ = ["Dimension", "Space"]

_RANGE_KEYS = ("low", "high", "step", "log", "when")
_SCALAR = (bool, int, float, str, type(None))


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_num(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, (float, np.floating))) and math.isfinite(float(v))


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _same(a: Any, b: Any) -> bool:
    """Equality that keeps ``True`` and ``1`` apart (YAML choices mix them)."""
    a, b = _plain(a), _plain(b)
    return a == b and isinstance(a, bool) == isinstance(b, bool)


@dataclass(frozen=True, kw_only=True)
class Dimension:
    """One parameter of a space.

    Attributes
    ----------
    name : str
        Parameter name (a configuration column of the family's cost model).
    kind : {"int", "float", "categorical", "fixed"}
        Integer range, float range, categorical choices or fixed value.
    low, high : float or int, optional
        Inclusive bounds of a range.
    step : float or int, optional
        Grid step of a range (int ranges default to 1; float ranges without a step are
        continuous and cannot be enumerated).
    log : bool
        Log-uniform sampling and normalization.
    choices : tuple
        Categorical values (``kind == "categorical"``) or ``(value,)`` for a fixed parameter.
    when : mapping of str to tuple
        Conditions under which the parameter is active (empty: always).
    """

    name: str
    kind: str
    low: Any = None
    high: Any = None
    step: Any = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    when: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def varies(self) -> bool:
        """True for a parameter the explorers choose (not fixed)."""
        return self.kind != "fixed"

    @property
    def enumerable(self) -> bool:
        return not (self.kind == "float" and self.step is None)

    def values(self) -> np.ndarray:
        """Every value of an enumerable dimension, as an array (object for categoricals)."""
        if self.kind in ("categorical", "fixed"):
            out = np.empty(len(self.choices), dtype=object)
            out[:] = list(self.choices)
            return out
        if self.kind == "int":
            return np.arange(self.low, self.high + 1, self.step, dtype=np.int64)
        if self.step is None:
            raise ConfigError(
                f"space.{self.name} is a continuous range; exhaustive search needs a step "
                "or choices"
            )
        n = round((self.high - self.low) / self.step) + 1
        return self.low + self.step * np.arange(n, dtype=np.float64)

    @property
    def size(self) -> float:
        """Number of values (``inf`` for a continuous range)."""
        if self.kind in ("categorical", "fixed"):
            return len(self.choices)
        if not self.enumerable:
            return math.inf
        return round((self.high - self.low) / self.step) + 1

    def distribution(self) -> optuna.distributions.BaseDistribution:
        """The Optuna distribution of a varying dimension."""
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        if self.kind == "int":
            return IntDistribution(self.low, self.high, log=self.log, step=self.step)
        if self.kind == "float":
            return FloatDistribution(self.low, self.high, log=self.log, step=self.step)
        if self.kind == "categorical":
            return CategoricalDistribution(self.choices)
        raise ConfigError(f"space.{self.name} is fixed; it has no distribution")

    def contains(self, value: Any) -> bool:
        """True if ``value`` is one of this dimension's values."""
        if self.kind in ("categorical", "fixed"):
            value = _plain(value)
            return any(_same(c, value) for c in self.choices)
        if not _is_num(value) or not self.low <= value <= self.high:
            return False
        if self.kind == "int" and not float(value).is_integer():
            return False
        if self.step is not None:
            k = (value - self.low) / self.step
            return abs(k - round(k)) < 1e-9
        return True

    def normalize(self, value: Any) -> float:
        """``value`` mapped to ``[0, 1]`` (log scale for log ranges, index for choices)."""
        if self.kind in ("categorical", "fixed"):
            n = len(self.choices)
            return 0.0 if n == 1 else self._index(value) / (n - 1)
        lo, hi, x = float(self.low), float(self.high), float(value)
        if self.log:
            lo, hi, x = math.log(lo), math.log(hi), math.log(x)
        return 0.0 if hi == lo else min(1.0, max(0.0, (x - lo) / (hi - lo)))

    def denormalize(self, u: float) -> Any:
        """The value nearest to position ``u`` in ``[0, 1]`` (clipped); inverse of normalize."""
        u = min(1.0, max(0.0, float(u)))
        if self.kind in ("categorical", "fixed"):
            return self.choices[round(u * (len(self.choices) - 1))]
        lo, hi = float(self.low), float(self.high)
        if u in (0.0, 1.0):  # the bounds exactly (exp(log(x)) is not always x)
            return self.low if u == 0.0 else self.high
        x = (
            math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
            if self.log
            else (lo + u * (hi - lo))
        )
        if self.step is not None:
            x = self.low + round((x - self.low) / self.step) * self.step
        x = min(hi, max(lo, x))
        return round(x) if self.kind == "int" else float(x)

    def _index(self, value: Any) -> int:
        for i, c in enumerate(self.choices):
            if _same(c, _plain(value)):
                return i
        raise ConfigError(f"space.{self.name}: {value!r} is not one of {list(self.choices)}")

    def to_dict(self) -> dict[str, Any]:
        """The normalized spec-syntax form (what :meth:`Space.to_dict` stores)."""
        if self.kind == "fixed":
            d: dict[str, Any] = {"value": self.choices[0]}
        elif self.kind == "categorical":
            d = {"choices": list(self.choices)}
        else:
            d = {"low": self.low, "high": self.high}
            if self.step is not None:
                d["step"] = self.step
            if self.log:
                d["log"] = True
        if self.when:
            d["when"] = {k: list(v) for k, v in self.when.items()}
        return d


def _parse_dimension(name: str, entry: Any) -> Dimension:
    path = f"space.{name}"
    if isinstance(entry, _SCALAR):
        return Dimension(name=name, kind="fixed", choices=(entry,))
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f"{path} must be a value, {{low, high, step?, log?}} or {{choices: [...]}}, "
            f"not {entry!r}"
        )
    when = _parse_when(path, entry.get("when"))
    keys = set(entry) - {"when"}
    if "value" in keys:
        return _parse_fixed(path, name, entry, keys, when)
    if "choices" in keys:
        return _parse_choices(path, name, entry, keys, when)
    return _parse_range(path, name, entry, keys, when)


def _parse_fixed(
    path: str, name: str, entry: Mapping[str, Any], keys: set[str], when: dict[str, Any]
) -> Dimension:
    if keys != {"value"}:
        raise ConfigError(
            f"{path}: a fixed value takes only 'value' and 'when', not {sorted(keys)}"
        )
    if not isinstance(entry["value"], _SCALAR):
        raise ConfigError(f"{path}.value must be a number, string or bool, not {entry['value']!r}")
    return Dimension(name=name, kind="fixed", choices=(entry["value"],), when=when)


def _parse_choices(
    path: str, name: str, entry: Mapping[str, Any], keys: set[str], when: dict[str, Any]
) -> Dimension:
    if keys != {"choices"}:
        extra = sorted(keys - {"choices"})
        raise ConfigError(f"{path}: 'choices' cannot be combined with {', '.join(extra)}")
    ch = entry["choices"]
    if not isinstance(ch, Sequence) or isinstance(ch, str) or len(ch) == 0:
        raise ConfigError(f"{path}.choices must be a non-empty list, not {ch!r}")
    for c in ch:
        if not isinstance(c, _SCALAR):
            raise ConfigError(f"{path}.choices must hold numbers, strings or bools, not {c!r}")
    seen: list[Any] = []
    for c in ch:
        if any(_same(c, s) for s in seen):
            raise ConfigError(f"{path}.choices must not repeat a value, not {list(ch)!r}")
        seen.append(c)
    return Dimension(name=name, kind="categorical", choices=tuple(ch), when=when)


def _parse_range(
    path: str, name: str, entry: Mapping[str, Any], keys: set[str], when: dict[str, Any]
) -> Dimension:
    unknown = sorted(keys - set(_RANGE_KEYS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r}; allowed keys are low, high, step, log, when "
            "(a range), choices, when (categorical) or value, when (fixed)"
        )
    for k in ("low", "high"):
        if k not in entry:
            raise ConfigError(f"{path}: a range needs both 'low' and 'high' (missing {k!r})")
        if not _is_num(entry[k]) or isinstance(entry[k], bool):
            raise ConfigError(f"{path}.{k} must be a finite number, not {entry[k]!r}")
    low, high = entry["low"], entry["high"]
    kind = "int" if _is_int(low) and _is_int(high) else "float"
    log = entry.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{path}.log must be true or false, not {log!r}")
    step = entry.get("step")
    if step is not None:
        ok = _is_int(step) if kind == "int" else _is_num(step)
        if not ok or step <= 0:
            what = "a positive integer" if kind == "int" else "a positive number"
            raise ConfigError(f"{path}.step must be {what}, not {step!r}")
    if high < low:
        raise ConfigError(f"{path}.high must be >= low ({low!r}), not {high!r}")
    if log and low <= 0:
        raise ConfigError(f"{path}.low must be > 0 with log: true, not {low!r}")
    if log and step is not None and step != 1:
        raise ConfigError(f"{path}: log: true cannot be combined with step {step!r}")
    if kind == "int":
        step = 1 if step is None or log else int(step)
        if (high - low) % step:
            raise ConfigError(
                f"{path}.high must be low + a multiple of step ({low} + k*{step}), not {high!r}"
            )
        return Dimension(
            name=name, kind="int", low=int(low), high=int(high), step=step, log=log, when=when
        )
    if step is not None and log:
        step = None
    if step is not None:
        k = (high - low) / step
        if abs(k - round(k)) > 1e-9:
            raise ConfigError(
                f"{path}.high must be low + a multiple of step ({low} + k*{step}), not {high!r}"
            )
    return Dimension(
        name=name,
        kind="float",
        low=float(low),
        high=float(high),
        step=None if step is None else float(step),
        log=log,
        when=when,
    )


def _parse_when(path: str, when: Any) -> dict[str, tuple[Any, ...]]:
    if when is None:
        return {}
    if not isinstance(when, Mapping) or not when:
        raise ConfigError(
            f"{path}.when must be a mapping {{parameter: value or [values]}}, not {when!r}"
        )
    out = {}
    for k, v in when.items():
        vals = tuple(v) if isinstance(v, (list, tuple)) else (v,)
        if not vals:
            raise ConfigError(f"{path}.when.{k} must list at least one value")
        out[str(k)] = vals
    return out


class Space:
    """An ordered set of :class:`Dimension` (conditions always after what they depend on).

    Parameters
    ----------
    dims : sequence of Dimension
        The parameters; order is kept except that a conditional parameter is moved after
        the parameters its ``when`` refers to.
    """

    def __init__(self, dims: Sequence[Dimension]) -> None:
        by_name = {d.name: d for d in dims}
        if len(by_name) != len(dims):
            raise ConfigError("space must not name a parameter twice")
        for d in dims:
            for other, vals in d.when.items():
                if other == d.name:
                    raise ConfigError(f"space.{d.name}.when must not refer to {d.name} itself")
                if other not in by_name:
                    raise ConfigError(
                        f"space.{d.name}.when.{other}: no parameter {other!r} in the space; "
                        f"allowed: {', '.join(by_name)}"
                    )
                ref = by_name[other]
                for v in vals:
                    if not ref.contains(v):
                        raise ConfigError(
                            f"space.{d.name}.when.{other} must be values of {other} "
                            f"({_describe(ref)}), not {v!r}"
                        )
        self.dims: tuple[Dimension, ...] = tuple(_topo(dims))
        if not any(d.varies for d in self.dims):
            raise ConfigError("space must have at least one varying parameter (a range or choices)")

    # construction ---------------------------------------------------------------------------
    @classmethod
    def from_spec(cls, entries: Mapping[str, Any]) -> Space:
        """Parse a ``space:`` mapping (spec syntax); errors name ``space.<param>.<key>``."""
        if not isinstance(entries, Mapping) or not entries:
            raise ConfigError(f"space must be a non-empty mapping of parameters, not {entries!r}")
        return cls([_parse_dimension(str(k), v) for k, v in entries.items()])

    def to_dict(self) -> dict[str, Any]:
        """Normalized spec-syntax mapping (round-trips through :meth:`from_spec`)."""
        return {d.name: d.to_dict() for d in self.dims}

    def hash(self) -> str:
        """Stable 16-hex-digit hash of the normalized space (order-independent)."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    # views ----------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dims)

    @property
    def varying(self) -> tuple[Dimension, ...]:
        """The dimensions explorers choose (ranges and choices), in order."""
        return tuple(d for d in self.dims if d.varies)

    def __getitem__(self, name: str) -> Dimension:
        for d in self.dims:
            if d.name == name:
                return d
        raise KeyError(name)

    def __len__(self) -> int:
        return len(self.dims)

    @property
    def conditional(self) -> bool:
        return any(d.when for d in self.dims)

    @property
    def enumerable(self) -> bool:
        return all(d.enumerable for d in self.dims)

    def grid_product(self) -> float:
        """Product of the dimension sizes (the grid size before conditions; ``inf`` if
        a range is continuous)."""
        return math.prod(d.size for d in self.dims)

    def size(self) -> float:
        """Exact number of distinct configurations (``inf`` when continuous)."""
        if not self.enumerable:
            return math.inf
        if not self.conditional:
            return self.grid_product()
        return sum(len(b) for b in self.grid_batches(1 << 16))

    def active(self, dim: Dimension, config: Mapping[str, Any]) -> bool:
        """True when ``dim``'s conditions hold in ``config`` (values chosen so far)."""
        for other, vals in dim.when.items():
            if other not in config or not any(_same(config[other], v) for v in vals):
                return False
        return True

    # optuna ---------------------------------------------------------------------------------
    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        """Optuna distributions of every varying parameter."""
        return {d.name: d.distribution() for d in self.varying}

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        """Suggest every active parameter on ``trial``; return the full configuration."""
        config: dict[str, Any] = {}
        for d in self.dims:
            if not self.active(d, config):
                continue
            if d.kind == "fixed":
                config[d.name] = d.choices[0]
            elif d.kind == "categorical":
                config[d.name] = trial.suggest_categorical(d.name, d.choices)
            elif d.kind == "int":
                config[d.name] = trial.suggest_int(d.name, d.low, d.high, step=d.step, log=d.log)
            else:
                config[d.name] = trial.suggest_float(d.name, d.low, d.high, step=d.step, log=d.log)
        return config

    def config(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Full configuration (fixed values added, inactive parameters dropped) from the
        varying ``params``; raises :class:`ConfigError` for a value outside the space."""
        config: dict[str, Any] = {}
        for d in self.dims:
            if not self.active(d, config):
                continue
            if d.kind == "fixed":
                config[d.name] = d.choices[0]
                continue
            if d.name not in params:
                raise ConfigError(f"params: missing {d.name!r} ({_describe(d)})")
            v = _plain(params[d.name])
            if not d.contains(v):
                raise ConfigError(f"params: {d.name} must be {_describe(d)}, not {v!r}")
            config[d.name] = int(v) if d.kind == "int" else v
        return config

    def params(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The varying, active parameters of a full configuration (Optuna trial params)."""
        return {
            d.name: _plain(config[d.name])
            for d in self.varying
            if d.name in config and config[d.name] is not None
        }

    # normalization (for RL explorers) -------------------------------------------------------
    def normalize(self, config: Mapping[str, Any]) -> np.ndarray:
        """Varying parameters of ``config`` as a vector in ``[0, 1]`` (inactive: 0)."""
        return np.array(
            [d.normalize(config[d.name]) if d.name in config else 0.0 for d in self.varying]
        )

    def denormalize(self, u: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """Full configuration from a vector of ``[0, 1]`` positions (one per varying param)."""
        u = np.asarray(u, dtype=np.float64).reshape(-1)
        if len(u) != len(self.varying):
            raise ConfigError(f"expected {len(self.varying)} positions, not {len(u)}")
        params = {d.name: d.denormalize(x) for d, x in zip(self.varying, u, strict=True)}
        return self.config(params)

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """A uniformly random configuration (log-uniform for log ranges)."""
        return self.denormalize(rng.random(len(self.varying)))

    # enumeration ----------------------------------------------------------------------------
    def grid_batches(self, batch_size: int = 16384) -> Iterator[pd.DataFrame]:
        """Every configuration of the grid, in DataFrames of at most ``batch_size`` rows.

        Vectorized (``numpy.unravel_index`` over the product of dimension sizes). Inactive
        conditional parameters are ``None`` and duplicates they would create are dropped.
        """
        import pandas as pd

        if not self.enumerable:
            cont = next(d for d in self.dims if not d.enumerable)
            cont.values()  # raises the explanatory error
        values = [d.values() for d in self.dims]
        shape = tuple(len(v) for v in values)
        total = math.prod(shape)
        for start in range(0, total, batch_size):
            idx = np.unravel_index(np.arange(start, min(total, start + batch_size)), shape)
            cols = {d.name: v[i] for d, v, i in zip(self.dims, values, idx, strict=True)}
            if self.conditional:
                keep = np.ones(len(idx[0]), dtype=bool)
                for d, i in zip(self.dims, idx, strict=True):
                    if not d.when:
                        continue
                    on = np.ones(len(i), dtype=bool)
                    for other, vals in d.when.items():
                        col = cols[other]
                        hit = np.zeros(len(i), dtype=bool)
                        for v in vals:
                            hit |= np.asarray(col == v, dtype=bool)
                        on &= hit
                    keep &= on | (i == 0)  # an inactive parameter keeps only its first value
                    col = cols[d.name].astype(object)
                    col[~on] = None
                    cols[d.name] = col
                cols = {k: v[keep] for k, v in cols.items()}
            yield pd.DataFrame(cols)


def _describe(d: Dimension) -> str:
    if d.kind in ("categorical", "fixed"):
        return "one of " + ", ".join(repr(c) for c in d.choices)
    step = f" step {d.step}" if d.step not in (None, 1) else ""
    kind = "an integer" if d.kind == "int" else "a number"
    return f"{kind} in {d.low}..{d.high}{step}"


def _topo(dims: Sequence[Dimension]) -> list[Dimension]:
    by_name = {d.name: d for d in dims}
    out: list[Dimension] = []
    state: dict[str, int] = {}

    def visit(d: Dimension, chain: tuple[str, ...]) -> None:
        if state.get(d.name) == 2:
            return
        if state.get(d.name) == 1:
            raise ConfigError("space: conditions form a cycle: " + " -> ".join((*chain, d.name)))
        state[d.name] = 1
        for other in d.when:
            visit(by_name[other], (*chain, d.name))
        state[d.name] = 2
        out.append(d)

    for d in dims:
        visit(d, ())
    return out
