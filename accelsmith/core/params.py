"""Validated, frozen, keyword-only parameter objects shared by every stage of a design point.

A family's parameters are a ``@dataclass(frozen=True, kw_only=True)`` subclass of
:class:`ParamsBase`. Construction validates every field and raises :class:`ConfigError` with a
message in Amaranth's style: ``"<field> must be <constraint>, not <value>"``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from .errors import ConfigError


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

    Subclasses set :attr:`family` and validate in ``__post_init__``. Derived defaults (a field
    left as ``None`` and computed from others) are filled in with :meth:`_set`.
    """

    family: ClassVar[str] = ""

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    def to_dict(self) -> dict[str, Any]:
        """All fields, with derived defaults resolved, as plain Python values."""
        return {name: getattr(self, name) for name in self.field_names()}

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
            text = p.read_text()
        except OSError as exc:
            raise ConfigError(f"--config cannot be read: {p} ({exc.strerror})") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--config {p} is not valid YAML: {yaml_problem(exc)}") from None
        if data is None:
            data = {}
        return cls.from_dict(data, source=f"--config {p}")

    def slug(self) -> str:
        """A short stable name for files and caches: family plus a hash of the fields."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return f"{self.family}_{hashlib.sha256(text.encode()).hexdigest()[:10]}"
