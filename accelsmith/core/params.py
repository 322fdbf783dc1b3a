"""Validated, frozen, keyword-only parameter objects shared by every stage of a design point.

A family's parameters are a ``@dataclass(frozen=True, kw_only=True)`` subclass of
:class:`ParamsBase`. Construction validates every field and raises :class:`ConfigError` with a
message in Amaranth's style: ``"<field> must be <constraint>, not <value>"``.

Each parameter is declared once, with its metadata (:func:`param` for a generator parameter, a
dataclass field; :func:`model_param` for a model-only one, listed in the class's
``model_params``). Everything else is derived from that declaration: validation
(:meth:`ParamsBase.__post_init__`), the CLI options of ``generate``/``verify``/``cost``
(``cli/options.py``), the ``--config`` merge (:func:`merge_config`), the cost
model's column bounds (:func:`column_spec`), the default DSE space (:func:`default_space`) and
the ``accelsmith generate`` command line of a design (:mod:`accelsmith.core.commands`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from .errors import ConfigError
from .files import safe_load_file
from .spec import (
    COMMANDS,
    NOT_IN_SPACE,
    ParamSpec,
    column_spec,
    default_space,
    model_param,
    param,
    param_specs,
)

__all__ = [
    "COMMANDS",
    "NOT_IN_SPACE",
    "ParamSpec",
    "ParamsBase",
    "check_bool",
    "check_choice",
    "check_int",
    "column_spec",
    "config_keys",
    "default_space",
    "merge_config",
    "model_param",
    "param",
    "param_specs",
]


def yaml_problem(exc: Exception) -> str:
    """One line describing a YAML syntax error: the problem and where (line, column)."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"{problem} (line {mark.line + 1}, column {mark.column + 1})"
    return " ".join(str(problem).split())


def check_int(name: str, value: Any, lo: int, hi: int) -> int:
    """Return ``value`` if it is an integer in ``[lo, hi]``, else raise :class:`ConfigError`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{name} must be an integer in {lo}..{hi}, not {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be an integer in {lo}..{hi}, not {value!r}")
    return value


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise :class:`ConfigError`."""
    choices = tuple(choices)
    if value not in choices:
        allowed = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"{name} must be one of {allowed}, not {value!r}")
    return value


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool, else raise :class:`ConfigError`."""
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, not {value!r}")
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class ParamsBase:
    """Base of every family's parameter object.

    Subclasses set :attr:`family`, declare their fields with :func:`param` (and model-only
    parameters in :attr:`model_params`). Construction checks every declared field in order
    (range, choices, type), then calls :meth:`check`, where a subclass adds its cross-field
    rules and fills derived defaults (a field left as ``None`` and computed from others) with
    :meth:`_set`.
    """

    family: ClassVar[str] = ""
    #: model-only parameters (cost-model columns that are no generator parameter), each from
    #: :func:`model_param`
    model_params: ClassVar[tuple[ParamSpec, ...]] = ()

    def __post_init__(self) -> None:
        for spec in param_specs(type(self)):
            if spec.model_only:
                continue
            value = getattr(self, spec.name)
            if value is None and spec.derived:
                continue
            self._set(spec.name, spec.check(value))
        self.check()

    def check(self) -> None:
        """Cross-field rules and derived defaults; called after every field's own check."""

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def to_dict(self) -> dict[str, Any]:
        """All fields, with derived defaults resolved, as plain Python values."""
        return {name: getattr(self, name) for name in self.field_names()}

    def to_config(self) -> dict[str, Any]:
        """The cost-model configuration row of these parameters (column values: list-valued
        fields as comma-separated strings, e.g. simd ``formats``)."""
        return {
            k: ",".join(map(str, v)) if isinstance(v, (list, tuple)) else v
            for k, v in self.to_dict().items()
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "config") -> Self:
        """Build from a mapping; unknown keys are refused with the list of allowed ones."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source} must be a mapping of parameter names to values")
        names = cls.field_names()
        unknown = [k for k in data if k not in names]
        if unknown:
            raise ConfigError(
                f"{source}: unknown key {unknown[0]!r}; allowed keys are {', '.join(names)}"
            )
        return cls(**{k: v for k, v in data.items() if v is not None})

    @classmethod
    def from_yaml(cls, path: str | Path) -> Self:
        """Build from a YAML file holding a mapping with the same keys as the CLI flags."""
        import yaml

        p = Path(path)
        try:
            data = safe_load_file(p)  # duplicate keys and binary files refused (core/files)
        except OSError as exc:
            raise ConfigError(f"--config cannot be read: {p} ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"--config {p} is not valid YAML: {yaml_problem(exc)}") from None
        if data is None:
            data = {}
        return cls.from_dict(data, source=f"--config {p}")

    def slug(self) -> str:
        """A short stable name for files and caches: family plus a hash of the fields."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return f"{self.family}_{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def merge_config(cls: type[ParamsBase], config: str | Path | None, flags: Mapping[str, Any]) -> Any:
    """Merge a ``--config`` YAML file (if any) with flag values; flags (not ``None``) win.

    Derived fields (declared ``derived=True``, e.g. ``acc_bits``) are re-derived from the
    merged values unless the file sets them explicitly. Raises :class:`ConfigError` with one
    line for an unreadable or invalid file or invalid merged values.
    """
    values: dict[str, Any] = {}
    if config is not None:
        import yaml

        values = cls.from_yaml(config).to_dict()
        raw = yaml.safe_load(Path(config).read_text()) or {}
        for spec in param_specs(cls):
            if spec.derived and spec.name not in raw:
                values.pop(spec.name, None)
    values.update({k: v for k, v in flags.items() if v is not None})
    return cls.from_dict(values, source="parameters")


def config_keys(cls: type[ParamsBase], config: str | Path | None) -> set[str]:
    """Keys a ``--config`` YAML file sets (empty without one); the file is validated first."""
    if config is None:
        return set()
    import yaml

    cls.from_yaml(config)  # one-line errors for unreadable or invalid files
    return set(yaml.safe_load(Path(config).read_text()) or {})
