"""Family command options derived from the parameter declarations (``accelsmith.core.spec``).

:func:`family_command` adds ``generate|verify|cost <family>``: its signature is built from the
params class's declarations (one option per parameter shown by that command, in declaration
order, then ``--config``), followed by the command's own options (``--out``, ``--seed`` ...).
The command function receives a :class:`Flags` (the parameter flags as given) first.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from accelsmith.core.params import ParamsBase, config_keys, merge_config
from accelsmith.core.spec import ParamSpec, cli_specs

__all__ = ["Config", "Flags", "family_command", "param_options"]

Config = Annotated[
    Path | None,
    typer.Option("--config", help="YAML file of these parameters (keys with _, e.g. in_bits: 8)."),
]
_CLI_TYPES: dict[Any, Any] = {int: int, float: float, bool: bool, str: str, tuple: str}


def _option(spec: ParamSpec, command: str) -> inspect.Parameter:
    """One typer option (``inspect.Parameter`` with an ``Annotated`` typer.Option)."""
    on, off = spec.flags
    decl = f"{on}/{off}" if off else on
    kind = _CLI_TYPES.get(spec.kind, str)
    default = spec.cli_default
    annotation = kind if default is not None else kind | None
    info = typer.Option(decl, help=spec.help_for(command) or None)
    return inspect.Parameter(
        spec.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[annotation, info],
    )


def param_options(cls: type[ParamsBase], command: str) -> list[inspect.Parameter]:
    """The options ``command`` shows for ``cls``'s parameters, in CLI order."""
    return [_option(s, command) for s in cli_specs(cls, command)]


# Options every family's generate / verify commands share (one declaration each; typer needs
# them in each command's signature, so the commands name these aliases).
ModuleName = Annotated[str | None, typer.Option("--name", help="Top module and file name.")]
OutDir = Annotated[Path, typer.Option("--out", help="Output folder.")]
Report = Annotated[Path | None, typer.Option("--report", help="Also write the report as JSON.")]
Workdir = Annotated[
    Path | None, typer.Option("--workdir", help="Keep configuration, logs and waves here.")
]
# ... and their cost commands
Node = Annotated[int, typer.Option("--node", help="Technology node in nm.")]
TechFile = Annotated[
    Path | None, typer.Option("--tech", help="YAML overriding the technology table.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
AsCsv = Annotated[bool, typer.Option("--csv", help="Print per-layer CSV.")]


@dataclasses.dataclass
class Flags:
    """The parameter flags of one family command as the user gave them.

    Attributes
    ----------
    cls : type
        The family's params class.
    config : Path or None
        The ``--config`` file.
    given : dict
        Every declared parameter shown by the command -> flag value (``None``: not given;
        model-only flags with a CLI default carry it).
    """

    cls: type[ParamsBase]
    config: Path | None
    given: dict[str, Any]

    @property
    def generator(self) -> dict[str, Any]:
        """Flags of the generator parameters (fields of the params object)."""
        fields = set(self.cls.field_names())
        return {k: v for k, v in self.given.items() if k in fields}

    @property
    def model(self) -> dict[str, Any]:
        """Flags of the model-only parameters that are given (or have a CLI default)."""
        fields = set(self.cls.field_names())
        return {k: v for k, v in self.given.items() if k not in fields and v is not None}

    def params(self, **override: Any) -> Any:
        """``--config`` merged with the generator flags (and ``override``); flags win."""
        return merge_config(self.cls, self.config, self.generator | override)

    def config_keys(self) -> set[str]:
        """Keys the ``--config`` file sets (validated first)."""
        return config_keys(self.cls, self.config)


def family_command(
    app: typer.Typer,
    command: str,
    name: str,
    cls: type[ParamsBase],
    order: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as ``<command> <name>`` with derived options.

    The function takes a :class:`Flags` first, then its own typer options (keyword
    parameters with ``Annotated`` types and defaults); its docstring is the command's help.
    Options are listed as the parameters are declared, then ``--config``, then the
    function's own; ``order`` (option names, e.g. ``("config", "ifmap_kb", "node")``)
    lists options to show right after the generator parameters' in that order
    (presentation only).
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        own = list(inspect.signature(func, eval_str=True).parameters.values())[1:]
        derived = param_options(cls, command)
        names = [p.name for p in derived]
        config = inspect.Parameter(
            "config", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Config
        )
        params = [*derived, config, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own)]
        if order:
            rank = {n: i for i, n in enumerate(order)}
            rank |= {n: -1 for n in cls.field_names()}
            params.sort(key=lambda p: rank.get(p.name, len(order)))

        def command_function(**kwargs: Any) -> Any:
            flags = Flags(cls, kwargs.pop("config"), {n: kwargs.pop(n) for n in names})
            return func(flags, **kwargs)

        command_function.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command_function.__name__ = func.__name__
        command_function.__qualname__ = func.__qualname__
        command_function.__doc__ = func.__doc__
        command_function.__module__ = func.__module__
        app.command(name)(command_function)
        return func

    return decorate
