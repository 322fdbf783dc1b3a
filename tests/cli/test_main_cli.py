"""The ``accelsmith`` entry point: parser usage errors as one line naming the value given."""

from __future__ import annotations

import pytest

from accelsmith.cli.main import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["generate", "systolic", "--rows", "abc"],
            "Invalid value for '--rows': Input should be a valid integer, unable to parse "
            "string as an integer, not 'abc'",
        ),
        (
            ["generate", "lut-core", "--tile-n=x"],
            "Invalid value for '--tile-n': Input should be a valid integer, unable to parse "
            "string as an integer, not 'x'",
        ),
        (
            ["dse", "pareto", "x.yaml", "--limit", "3", "--limit", "0"],
            "Invalid value for '--limit': Input should be greater than or equal to 1, not '0'",
        ),
        (
            ["dashboard", "x", "--port", "70000"],
            "Invalid value for '--port': Input should be less than or equal to 65535, not '70000'",
        ),
        (
            ["generate", "tpu"],
            "No such command 'tpu'; commands: systolic, lut-core",
        ),
        (
            ["frobnicate"],
            "No such command 'frobnicate'; commands: workloads, report, dashboard, calibrate, "
            "compile, generate",
        ),
    ],
)
def test_usage_error_names_the_value_and_the_choices(capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["cost", "systolic", "--freq-mhz", "nan"],
        ["cost", "systolic", "--ifmap-kb", "NaN"],
        ["cost", "lut-core", "--dram-gbps=nan"],
        ["cost", "simd", "--freq-mhz", "-nan"],
        ["cost", "pim", "--npu-freq-mhz", "nan"],
    ],
)
def test_nan_option_is_refused(capsys, args):
    # the cost models read NaN as "not given" and took the default silently
    code, out, err = run(capsys, *args, "--workload", "resnet50", "--json")
    assert code == 2 and out == ""
    assert err.startswith(f"error: Invalid value for '{args[2].split('=')[0]}': ")
    assert "Input should be a number, not " in err and err.count("\n") == 1


def test_help_texts_carry_no_docstring_markup(capsys):
    """`--help` of every command shows plain text: no ``literal`` or :role:`x` markup and no
    docstring line wraps in the command listing."""
    import re

    import typer

    from accelsmith.cli.main import _plain_help, app

    command = typer.main.get_command(app)
    _plain_help(command)
    markup = re.compile(r"``|:[a-z]+:`")
    seen = 0

    def walk(cmd, path):
        nonlocal seen
        texts = [cmd.help, cmd.short_help] + [getattr(p, "help", None) for p in cmd.params]
        for text in filter(None, texts):
            seen += 1
            assert not markup.search(text), (path, text)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(command, "accelsmith")
    assert seen > 100
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "--target ecp5: the ECP5 component samples of accelsmith.models.ecp5" in " ".join(
        line.strip("│ ") for line in out.splitlines()
    )
