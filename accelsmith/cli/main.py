"""The ``accelsmith`` command.

Every domain error becomes one line on stderr and an exit code (2 bad input, 1 failed check,
3 missing tool); usage errors from the parser are shortened to one line as well. Set
``ACCELSMITH_DEBUG=1`` to see tracebacks.
"""

from __future__ import annotations

import math
import os
import re
import sys
import typing

import typer
from typer.exceptions import TyperException

import accelsmith
from accelsmith.core.errors import AccelsmithError


def _version(value: bool) -> None:
    if value:
        typer.echo(f"accelsmith {accelsmith.__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """accelsmith: hardware design-space exploration and RTL generation."""


def build_app(only: str | None = None) -> typer.Typer:
    """The command tree: every command, or with ``only="dse"`` the root with the ``dse``
    group alone.

    :func:`main` builds the ``dse`` tree alone for a command line that starts with ``dse``:
    such a command (a campaign worker's ``accelsmith dse worker`` among them) parses and
    runs exactly as in the whole tree (the same root, the same ``dse`` group), without
    importing and converting every other command group (~0.1 s of CPU per process, measured
    2026-12-07: each worker of a campaign pays it at start-up). ``app`` (this module's
    attribute) is the whole tree, built when first asked for.
    """
    root = typer.Typer(
        name="accelsmith",
        help="Generate, verify, cost and explore ML accelerator designs.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    root.callback()(_root)
    if only == "dse":
        from . import dse

        root.add_typer(dse.app, name="dse")
        return root
    if only is not None:
        raise ValueError(f"only must be None or 'dse', not {only!r}")
    from . import calibrate, cost, dse, generate, report, synth, verify, workloads
    from .families import accel as _accel_cli

    run_app = typer.Typer(
        help="Run compiled layers on a generated design in Verilator.", no_args_is_help=True
    )
    _accel_cli.register("run", run_app)
    root.add_typer(generate.app, name="generate")
    root.add_typer(verify.app, name="verify")
    root.add_typer(cost.app, name="cost")
    root.add_typer(dse.app, name="dse")
    root.add_typer(synth.app, name="synth")
    root.command("workloads")(workloads.workloads_command)
    root.add_typer(run_app, name="run")
    root.command("report")(report.report_command)
    root.command("dashboard")(report.dashboard_command)
    root.command("calibrate")(calibrate.calibrate_command)
    _accel_cli.compile_command(root)
    return root


def __getattr__(name: str) -> typer.Typer:
    if name == "app":  # the whole command tree (see build_app)
        app = globals()["app"] = build_app()
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _given(param: object, argv: list[str]) -> str | None:
    """The value given on the command line for option ``param`` (the last one), if any."""
    value = None
    for opt in getattr(param, "opts", ()):
        if not opt.startswith("-"):
            continue
        for i, tok in enumerate(argv):
            if tok == opt and i + 1 < len(argv):
                value = argv[i + 1]
            elif tok.startswith(opt + "="):
                value = tok[len(opt) + 1 :]
    return value


def _usage_message(exc: TyperException, argv: list[str]) -> str:
    """One line for a parser error, with the bad value or the commands allowed."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    param = getattr(exc, "param", None)
    if type(exc).__name__ == "BadParameter" and param is not None:
        value = _given(param, argv)
        if value is not None:
            message = f"{message.rstrip('.')}, not {value!r}"
    elif message.startswith("No such command") and hasattr(
        getattr(ctx, "command", None), "list_commands"
    ):
        commands = ", ".join(ctx.command.list_commands(ctx))  # type: ignore[union-attr]
        message = f"{message.rstrip('.')}; commands: {commands}"
    return message


def _not_nan(ctx: typer.Context, param: object, value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        raise typer.BadParameter("Input should be a number", ctx=ctx, param=param)  # type: ignore[arg-type]
    return value


def _refuse_nan(command: object) -> None:
    """Refuse ``nan`` for every float option: the cost models read NaN as "not given" and
    would silently take the default (``inf`` stays: the models' ranges refuse it)."""
    for param in getattr(command, "params", ()):
        ann = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        if (ann is float or float in typing.get_args(ann)) and param.callback is None:
            param.callback = _not_nan
    for sub in getattr(command, "commands", {}).values():
        _refuse_nan(sub)


_RST_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_RST_LITERAL = re.compile(r"``([^`]+)``")
_WRAPPED = re.compile(r"(?<!\n)\n(?![\n\s]*[-*\d])")  # a docstring's line wrap, not a list item


def _plain(text: str | None) -> str | None:
    """Help text without the reStructuredText markup and line wraps of its docstring."""
    if not text:
        return text
    text = _RST_LITERAL.sub(r"\1", _RST_ROLE.sub(r"\1", text))
    return _WRAPPED.sub(" ", text)


def _plain_help(command: object) -> None:
    """Strip docstring markup (``literal``, :mod:`x`) from every command's and option's help."""
    for attr in ("help", "short_help"):
        if getattr(command, attr, None):
            setattr(command, attr, _plain(getattr(command, attr)))
    for param in getattr(command, "params", ()):
        if getattr(param, "help", None):
            param.help = _plain(param.help)
    for sub in getattr(command, "commands", {}).values():
        _plain_help(sub)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script exits with it)."""
    debug = os.environ.get("ACCELSMITH_DEBUG") == "1"
    args = sys.argv[1:] if argv is None else argv
    try:
        command = typer.main.get_command(build_app("dse" if args[:1] == ["dse"] else None))
        _refuse_nan(command)
        _plain_help(command)
        result = command.main(args=argv, prog_name="accelsmith", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except AccelsmithError as exc:
        if debug:
            raise
        code = _fail(str(exc), exc.exit_code)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        code = _fail("aborted", 130)
    except TyperException as exc:  # usage errors from the parser
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help())
            code = 0
        else:
            code = _fail(_usage_message(exc, args), 2)
    except KeyboardInterrupt as exc:  # outside a run's own handling (see dse.workers.Stopped)
        code = _fail("interrupted", getattr(exc, "exit_code", 130))
    return code


if __name__ == "__main__":
    sys.exit(main())
