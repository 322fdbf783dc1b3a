"""One declaration per parameter: the metadata every stage derives its view from.

A generator parameter is a field of the family's params dataclass declared with
:func:`param`; a model-only parameter (a cost-model column such as a buffer size or a clock
that the generator does not take) is a :func:`model_param` in the class's ``model_params``.
Each declaration carries the allowed range or choices, the unit, the CLI help text and flag
spelling, which commands show it, the cost-model column's default and bounds and the
default DSE range. From it are derived:

- validation of the params object (:meth:`ParamSpec.check`, run by ``ParamsBase``),
- the typer options of ``generate`` / ``verify`` / ``cost`` (``cli/options.py``),
- the cost model's column bounds (:func:`column_spec`),
- the family's default DSE space (:func:`default_space`),
- the ``accelsmith generate`` command line of a design (:mod:`accelsmith.core.commands`).

Example::

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class MyParams(ParamsBase):
        family: ClassVar[str] = "mine"
        rows: int = param(8, lo=1, hi=256, help="PE rows (1..256).", space={"low": 4, "high": 64})
        signed: bool = param(True, flag="--signed/--unsigned", help="Signed inputs.")
        model_params = (model_param("freq_mhz", 1000.0, lo=1.0, hi=1e4, unit="MHz"),)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ConfigError

__all__ = [
    "COMMANDS",
    "NOT_IN_SPACE",
    "ParamSpec",
    "cli_specs",
    "column_spec",
    "default_space",
    "model_param",
    "param",
    "param_specs",
]

#: the CLI commands whose options are derived from the declarations
COMMANDS = ("generate", "verify", "cost")
#: marker: the parameter is not part of the family's default DSE space
NOT_IN_SPACE: Any = type("NotInSpace", (), {"__repr__": lambda self: "NOT_IN_SPACE"})()
_SAME: Any = type("Same", (), {"__repr__": lambda self: "SAME"})()
_METADATA_KEY = "accelsmith"


@dataclasses.dataclass(frozen=True)
class ParamSpec:
    """Everything about one parameter except its use in a generator or model.

    Attributes
    ----------
    name : str
        Field / column name (``in_bits``); set from the dataclass field for :func:`param`.
    kind : type
        ``int``, ``float``, ``bool``, ``str`` or ``tuple`` (a list of names, e.g. formats).
    default : object
        The params default (generator parameters) or the column default (model-only).
    lo, hi : float or None
        Inclusive range of ``int`` / ``float`` parameters.
    choices : tuple or None
        Allowed values (strings, or ints such as ``lane_bits``).
    unit : str
        Unit of the value (``"bits"``, ``"KiB"``, ``"MHz"``, ``"cycles"``), empty if none.
    help : str
        CLI help text (all commands, unless ``cli_help`` overrides one).
    flag : str or None
        CLI spelling: ``"--in-bits"``, ``"--signed/--unsigned"``; default from the name
        (``--name-with-dashes``; booleans ``--name/--no-name``).
    derived : bool
        ``None`` is allowed and means "computed from the other fields" (in ``check()``).
    model_only : bool
        A cost-model column, not a field of the params object (:func:`model_param`).
    commands : tuple of str
        The commands that show the flag (``generate``, ``verify``, ``cost``); empty for a
        parameter whose option a command writes by hand.
    cli_help : mapping
        Per-command help overriding :attr:`help`.
    cli_default : object
        Default of the flag (``None``: not given, the model's / params' default applies).
    column : mapping
        Overrides of the cost-model column derived from this declaration: ``default``,
        ``kind``, ``lo``, ``hi``, ``choices``; ``{"skip": True}`` keeps it out of the columns.
    space : object
        Default DSE range in campaign-spec syntax (``{low, high, step}``, ``{choices}``, a
        fixed value), or :data:`NOT_IN_SPACE`.
    custom_check : bool
        The family validates the value itself in ``check()`` (e.g. a bound that depends on
        another field); the generic range/choice check is skipped.
    cli_before : str or None
        Show the flag (and write it in ``accelsmith generate`` command lines) just before this
        other parameter's, instead of in declaration order.
    """

    name: str = ""
    kind: Any = int
    default: Any = None
    lo: float | None = None
    hi: float | None = None
    choices: tuple[Any, ...] | None = None
    unit: str = ""
    help: str = ""
    flag: str | None = None
    derived: bool = False
    model_only: bool = False
    commands: tuple[str, ...] = COMMANDS
    cli_help: Mapping[str, str] = dataclasses.field(default_factory=dict)
    cli_default: Any = None
    column: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    space: Any = NOT_IN_SPACE
    custom_check: bool = False
    cli_before: str | None = None

    # ------------------------------------------------------------------------- validation
    def check(self, value: Any) -> Any:
        """Return ``value`` (normalized) if allowed, else raise :class:`ConfigError`."""
        from .params import check_bool, check_choice, check_int

        if self.custom_check:
            return value
        if self.kind is bool:
            return check_bool(self.name, value)
        if self.choices is not None:
            return check_choice(self.name, value, self.choices)
        if self.kind is int:
            assert self.lo is not None and self.hi is not None
            return check_int(self.name, value, int(self.lo), int(self.hi))
        if self.kind is float:
            return check_float(self.name, value, self.lo, self.hi)
        return value

    # ------------------------------------------------------------------------------- CLI
    @property
    def flags(self) -> tuple[str, str | None]:
        """``(--on, --off)`` of a boolean switch, or ``(--flag, None)``."""
        flag = self.flag or "--" + self.name.replace("_", "-")
        if self.kind is bool:
            on, _, off = flag.partition("/")
            return on, off or f"--no-{on[2:]}"
        return flag, None

    def help_for(self, command: str) -> str:
        return self.cli_help.get(command, self.help)

    def cli_value(self, value: Any) -> list[str]:
        """The argv words that set ``value`` (``["--rows", "4"]``, ``["--unsigned"]``)."""
        on, off = self.flags
        if self.kind is bool:
            return [on if bool(value) else off]  # type: ignore[list-item]
        if self.kind is tuple and not isinstance(value, str):
            value = ",".join(map(str, value))
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return [on, str(value)]


def check_float(name: str, value: Any, lo: float | None, hi: float | None) -> float:
    """Return ``value`` if it is a finite real number in ``[lo, hi]``, else :class:`ConfigError`."""
    import math

    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        ok = math.isfinite(value) and (lo is None or value >= lo) and (hi is None or value <= hi)
    if not ok:
        low = "-inf" if lo is None else f"{lo:g}"
        high = "inf" if hi is None else f"{hi:g}"
        raise ConfigError(f"{name} must be a finite number in {low}..{high}, not {value!r}")
    return value


def _spec(name: str, default: Any, kind: Any, **meta: Any) -> ParamSpec:
    if kind is None:
        kind = type(default) if default is not None else int
        if kind is tuple or kind is list:
            kind = tuple
    choices = meta.pop("choices", None)
    if choices is not None:
        meta["choices"] = tuple(choices)
    return ParamSpec(name=name, kind=kind, default=default, **meta)


def param(default: Any = None, *, kind: Any = None, **meta: Any) -> Any:
    """A generator parameter: a dataclass field carrying its :class:`ParamSpec`.

    ``kind`` defaults to the type of ``default`` (give it for a derived ``None`` default).
    The other keywords are :class:`ParamSpec` attributes (``lo``, ``hi``, ``choices``,
    ``unit``, ``help``, ``flag``, ``derived``, ``commands``, ``cli_help``, ``column``,
    ``space``, ``custom_check``).
    """
    if isinstance(default, list):
        default = tuple(default)
    spec = _spec("", default, kind, **meta)
    return dataclasses.field(default=default, metadata={_METADATA_KEY: spec})


def model_param(name: str, default: Any, *, kind: Any = None, **meta: Any) -> ParamSpec:
    """A model-only parameter (cost-model column, no generator field); shown by ``cost``."""
    meta.setdefault("commands", ("cost",))
    return _spec(name, default, kind, model_only=True, **meta)


def param_specs(cls: type) -> tuple[ParamSpec, ...]:
    """Every declared parameter of a params class: its fields in order, then model-only ones.

    A field declared without :func:`param` gets a minimal spec (no range: validated by the
    class itself), so older families keep working while they adopt the metadata.
    """
    cached = cls.__dict__.get("_accelsmith_specs")
    if cached is not None:
        return cached
    out = []
    for f in dataclasses.fields(cls):
        spec = f.metadata.get(_METADATA_KEY)
        if spec is None:
            default = None if f.default is dataclasses.MISSING else f.default
            spec = ParamSpec(kind=type(default), default=default, custom_check=True)
        out.append(dataclasses.replace(spec, name=f.name))
    out.extend(getattr(cls, "model_params", ()))
    specs = tuple(out)
    cls._accelsmith_specs = specs  # type: ignore[attr-defined]
    return specs


def cli_specs(cls: type, command: str) -> list[ParamSpec]:
    """The parameters ``command`` shows as flags, in CLI order (see ``cli_before``)."""
    specs = [s for s in param_specs(cls) if command in s.commands]
    for spec in [s for s in specs if s.cli_before is not None]:
        names = [s.name for s in specs]
        if spec.cli_before in names:
            specs.remove(spec)
            specs.insert([s.name for s in specs].index(spec.cli_before), spec)
    return specs


def column_spec(cls: type, order: Sequence[str] = ()) -> dict[str, tuple[Any, Any, float, float]]:
    """The cost model's column bounds ``name -> (default, kind, low, high)`` of a family.

    Derived from the declarations (see :mod:`accelsmith.models.common` for the tuple's
    meaning): booleans ``(d, bool, 0, 1)``; string choices ``(d, choices, 0, 0)``; integer
    choices ``(d, int, min, max)``; ranges ``(d, kind, lo, hi)``; each entry overridable by
    the declaration's ``column``. ``order`` lists columns to put first (the rest follow in
    declaration order).
    """
    out: dict[str, tuple[Any, Any, float, float]] = {}
    for spec in param_specs(cls):
        over = spec.column
        if over.get("skip"):
            continue
        default = over.get("default", spec.default)
        kind = over.get("kind", spec.kind)
        choices = over.get("choices", spec.choices)
        lo = over.get("lo", spec.lo)
        hi = over.get("hi", spec.hi)
        if kind is bool:
            entry = (default, bool, 0, 1)
        elif choices is not None and all(isinstance(c, str) for c in choices):
            entry = (default, tuple(choices), 0, 0)
        elif choices is not None:
            entry = (
                default,
                kind,
                lo if lo is not None else min(choices),
                hi if hi is not None else max(choices),
            )
        elif kind in (str, tuple):
            entry = (default, str, 0, 0)
        else:
            entry = (default, kind, lo, hi)
        out[spec.name] = entry
    first = {k: out[k] for k in order if k in out}
    return first | {k: v for k, v in out.items() if k not in first}


def default_space(cls: type, order: Sequence[str] = ()) -> dict[str, Any]:
    """The family's default DSE space (campaign-spec syntax) from the declarations' ``space``.

    ``order`` lists dimensions to put first (explorers sample in space order).
    """
    out = {s.name: s.space for s in param_specs(cls) if s.space is not NOT_IN_SPACE}
    first = {k: out[k] for k in order if k in out}
    return first | {k: v for k, v in out.items() if k not in first}
