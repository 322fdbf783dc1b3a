"""Every registered family passes the same checks (``families()``; a new one joins by itself).

Per family: each parameter is declared with its metadata and its errors read the same way;
the params round-trip; ``accelsmith generate`` writes Verilog and a manifest that Verilator
lints; the
golden model returns the documented shapes; the cost model reports its columns with SI units;
the default DSE space evaluates; ``accelsmith generate``/``cost`` run on defaults; the command
line of a DSE trial parses back to the same design. A family that misses a piece fails here
with its name in the test id and a message saying what is missing.

Cheap by design (no simulation): the lint runs on the smallest valid configuration, derived
from the declarations.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from accelsmith.core.errors import ConfigError
from accelsmith.core.registry import Family, families
from accelsmith.core.spec import column_spec, param_specs

FAMILIES = sorted(families())


@pytest.fixture(params=FAMILIES)
def fam(request: pytest.FixtureRequest) -> Family:
    return families()[request.param]


def smallest(cls: Any) -> Any:
    """The defaults with every integer parameter lowered to its minimum (at least 2) where
    still valid: a small design that lints in about a second.

    Single-element dimensions (``rows=1``) have their own tests per family; here they would
    test the degenerate case instead of the family (``generate pim --rows 1`` emits a
    zero-width row address as ``[-1:0]``, which Verilator flags as ASCRANGE).
    """
    values: dict[str, Any] = {}
    for spec in param_specs(cls):
        if spec.model_only or spec.derived or spec.kind is not int or spec.lo is None:
            continue
        low = max(int(spec.lo), 2)
        try:
            cls(**values, **{spec.name: low})
        except ConfigError:
            continue
        values[spec.name] = low
    return cls(**values)


# --------------------------------------------------------------------------- declarations
def test_every_field_is_declared(fam: Family) -> None:
    cls = fam.params_class()
    missing = [f.name for f in dataclasses.fields(cls) if "accelsmith" not in f.metadata]
    assert not missing, f"{fam.name}: declare {missing} with accelsmith.core.params.param(...)"
    for spec in param_specs(cls):
        assert spec.help or not spec.commands, f"{fam.name}.{spec.name}: no CLI help text"
        if spec.kind in (int, float) and spec.choices is None and not spec.custom_check:
            assert spec.lo is not None and spec.hi is not None, f"{fam.name}.{spec.name}: range"


def test_params_round_trip(fam: Family, tmp_path) -> None:
    import yaml

    cls = fam.params_class()
    for p in (cls(), smallest(cls)):
        assert cls.from_dict(p.to_dict()) == p
        f = tmp_path / "p.yaml"
        f.write_text(yaml.safe_dump(p.to_dict()))
        assert cls.from_yaml(f) == p
        assert p.slug() == cls.from_dict(p.to_dict()).slug()
    with pytest.raises(ConfigError, match=r"unknown key 'no_such_param'; allowed keys are "):
        cls.from_dict({"no_such_param": 1})


def _bad_values(spec: Any) -> list[tuple[Any, str]]:
    """Values the declaration refuses, with the exact message each must give."""
    if spec.custom_check or spec.model_only:
        return []
    n = spec.name
    if spec.kind is bool:
        return [("yes", f"{n} must be true or false, not 'yes'")]
    if spec.choices is not None:
        allowed = ", ".join(repr(c) for c in spec.choices)
        return [("zzz", f"{n} must be one of {allowed}, not 'zzz'")]
    if spec.kind is int:
        lo, hi = int(spec.lo), int(spec.hi)
        what = f"{n} must be an integer in {lo}..{hi}"
        return [(lo - 1, f"{what}, not {lo - 1}"), (hi + 1, f"{what}, not {hi + 1}"),
                (2.5, f"{what}, not 2.5"), (True, f"{what}, not True")]  # fmt: skip
    if spec.kind is float and spec.lo is not None and spec.hi is not None:
        what = f"{n} must be a finite number in {spec.lo:g}..{spec.hi:g}"
        return [(float("nan"), f"{what}, not nan"), (float("inf"), f"{what}, not inf")]
    return []


def test_error_texts(fam: Family) -> None:
    cls = fam.params_class()
    checked = 0
    for spec in param_specs(cls):
        for value, message in _bad_values(spec):
            with pytest.raises(ConfigError) as info:
                cls(**{spec.name: value})
            assert str(info.value) == message, f"{fam.name}.{spec.name} = {value!r}"
            checked += 1
    assert checked, f"{fam.name}: no parameter with a declared range or choices"


# ------------------------------------------------------------------ generate, manifest, lint
@pytest.mark.sim
def test_cli_generate_manifest_lint(fam: Family, tmp_path, capsys) -> None:
    """``accelsmith generate`` (the command line of the smallest design) -> manifest -> lint."""
    from accelsmith.cli.main import main
    from accelsmith.core.commands import generate_argv
    from accelsmith.sim.runner import find_verilator

    p = smallest(fam.params_class())
    code = main(generate_argv(fam.name, p.to_dict(), out=str(tmp_path)))
    if fam.model_only:  # a cost model without RTL: generate refuses in one line, exit 2
        err = capsys.readouterr().err.strip()
        assert code == 2 and "model-only" in err and len(err.splitlines()) == 1, err
        assert not any(tmp_path.iterdir())
        return
    assert code == 0, capsys.readouterr().err
    (verilog,) = tmp_path.glob("*.v")
    assert {f.suffix for f in tmp_path.iterdir()} == {".v", ".json", ".core"}
    manifest = json.loads(verilog.with_suffix(".json").read_text())
    assert manifest["parameters"] == json.loads(json.dumps(p.to_dict()))
    env = dict(os.environ, PATH=f"{find_verilator()}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        ["verilator", "--lint-only", "-Wno-fatal", str(verilog)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    kinds = set(re.findall(r"%Warning-([A-Z0-9_]+)", proc.stderr))
    assert kinds <= {"WIDTHEXPAND", "WIDTHTRUNC"}, proc.stderr[-2000:]


# ------------------------------------------------------------------------------- golden
def _golden_systolic(golden: Callable, p: Any, rng: np.random.Generator) -> None:
    a = rng.integers(-1, 2, size=(p.rows, 3))
    b = rng.integers(0, 2, size=(3, p.cols))
    out = golden(p, a, b)
    assert out.shape == (p.rows, p.cols)
    assert np.array_equal(out.astype(np.int64), a @ b)


def _golden_lut_core(golden: Callable, p: Any, rng: np.random.Generator) -> None:
    kd = 2 * p.group_size
    a = rng.integers(-4, 4, size=(p.tile_m, kd))
    q = rng.integers(0, 1 << p.weight_bits, size=(kd, p.tile_n))
    assert golden(p, a, q).shape == (p.tile_m, p.tile_n)


def _golden_simd(golden: Callable, p: Any, rng: np.random.Generator) -> None:
    from accelsmith.sim.golden.simd import Beat

    zeros = [0] * p.lanes
    out = golden(p, [Beat(zeros, zeros, 0, False), Beat(zeros, zeros, 0, True)])
    assert len(out) == 1 and out[0].shape == (p.lanes * p.slots,)


def _golden_pim(golden: Callable, p: Any, rng: np.random.Generator) -> None:
    out_dim, in_dim = p.banks + 1, p.row_elems + p.lanes  # a partial bank group and segment
    w = np.zeros((out_dim, in_dim), dtype=np.int64)
    res = golden(p, w, np.zeros(in_dim, dtype=np.int64))
    assert res["y"].shape == (out_dim,)
    assert res["raw"].shape[1] == p.banks


def _golden_accel(golden: Callable, p: Any, rng: np.random.Generator) -> None:
    from accelsmith.runtime import ConvShape, Quant

    s = ConvShape.gemm("g", 3, 5, 2)  # a 1 x 3 image of 5 channels, 2 filters
    x = rng.integers(-4, 4, size=(1, 3, 5))
    w = rng.integers(-4, 4, size=(1, 1, 5, 2))
    (out,) = golden(p, x, [s], [w], [Quant()])
    assert out.shape == (1, 3, 2)
    assert np.array_equal(out[0], x[0] @ w[0, 0])


#: family -> check of its golden model's shapes (a new family adds its own here)
GOLDEN: dict[str, Callable[..., None]] = {
    "accel": _golden_accel,
    "systolic": _golden_systolic,
    "lut-core": _golden_lut_core,
    "simd": _golden_simd,
    "pim": _golden_pim,
}


def test_golden_model_shapes(fam: Family) -> None:
    if fam.model_only:  # no RTL, so no bit-exact reference: the registry refuses to load one
        assert fam.golden is None and fam.bench is None
        with pytest.raises(ConfigError, match="is model-only"):
            fam.golden_model()
        return
    assert fam.name in GOLDEN, f"{fam.name}: add a golden-model shape check to GOLDEN in {__file__}"
    GOLDEN[fam.name](fam.golden_model(), fam.params_class()(), np.random.default_rng(0))


# --------------------------------------------------------------------------------- cost
REQUIRED = ("cycles", "latency_s", "energy_j", "area_um2", "area_mm2", "power_w", "tops")
UNIT_SUFFIX = re.compile(r"_(s|j|w|um2|mm2|hz|mhz|gbps|kb|bytes|db)$")


def test_cost_columns_and_units(fam: Family) -> None:
    from accelsmith.models import evaluate

    cls = fam.params_class()
    columns = column_spec(cls)
    config = {k: v for k, v in cls().to_config().items() if k in columns}
    out = evaluate(fam.name, [config], [(64, 64, 64), (1, 128, 256)])
    assert len(out) == 1
    missing = [c for c in (*REQUIRED, *columns) if c not in out.columns]
    assert not missing, f"{fam.name}: cost output lacks {missing}"
    for c in REQUIRED:
        v = float(out[c].iloc[0])
        assert np.isfinite(v) and v > 0, f"{fam.name}: {c} = {v}"
    for c in out.columns:
        if c.startswith(("energy_", "area_")) and c not in columns:
            assert UNIT_SUFFIX.search(c), f"{fam.name}: column {c!r} has no SI unit suffix"
    per_layer = evaluate(fam.name, [config], [(64, 64, 64), (1, 128, 256)], per_layer=True)
    assert len(per_layer) == 2 and set(REQUIRED) <= set(per_layer.columns)


def _space_configs(fam: Family, n: int = 6) -> list[dict[str, Any]]:
    from accelsmith.dse.space import Space

    space = Space.from_spec(fam.space)
    rng = np.random.default_rng(1)
    return [space.sample(rng) for _ in range(n)]


def test_default_space_evaluates(fam: Family) -> None:
    from accelsmith.models import evaluate

    assert fam.space, f"{fam.name}: no default DSE space (declare space=... on parameters)"
    names = {s.name for s in param_specs(fam.params_class())}
    undeclared = [k for k in fam.space if k not in names]
    assert not undeclared, f"{fam.name}: space dimensions without a declaration: {undeclared}"
    out = evaluate(fam.name, _space_configs(fam), [(64, 64, 64), (1, 256, 512)])
    assert len(out) == 6
    assert np.isfinite(out["energy_j"].to_numpy(dtype=float)).all()
    assert (out["latency_s"].to_numpy(dtype=float) > 0).all()


# ---------------------------------------------------------------------------------- CLI
def test_cli_cost_on_defaults(fam: Family, tmp_path, capsys) -> None:
    """``accelsmith cost <family>`` with no parameter flag; ``verify`` exists (no simulation)."""
    from accelsmith.cli.main import main

    wl = tmp_path / "wl.yaml"
    wl.write_text("- {name: a, M: 16, N: 64, K: 64}\n- {name: b, M: 1, N: 128, K: 256}\n")
    assert main(["cost", fam.name, "--workload", str(wl), "--json"]) == 0, capsys.readouterr()
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["energy_j"] > 0 and len(data["layers"]) == 2
    assert main(["cost", fam.name, "--workload", str(wl)]) == 0  # the table too
    assert "energy" in capsys.readouterr().out
    for command in ("generate", "verify", "cost"):
        assert main([command, fam.name, "--help"]) == 0, f"{fam.name}: no `{command}` command"
        assert "--config" in capsys.readouterr().out


def test_dse_trial_command_parses_back(fam: Family, monkeypatch, capsys) -> None:
    """The command printed for a design found by a campaign builds exactly that design."""
    import accelsmith.generate as gen
    from accelsmith.cli.main import main
    from accelsmith.core.commands import generate_argv, generate_command
    from accelsmith.generate import params_from_config

    seen: list[Any] = []

    class Done(Exception):
        pass

    def capture(params: Any, out: Any, name: Any = None) -> Any:
        seen.append(params)
        raise Done

    monkeypatch.setattr(gen, "generate", capture)
    for config in _space_configs(fam):
        want = params_from_config(fam.name, config)
        argv = generate_argv(fam.name, config)
        assert generate_command(fam.name, config).startswith(f"accelsmith generate {fam.name}")
        seen.clear()
        with pytest.raises(Done):
            main(argv)
        assert seen == [want], f"{fam.name}: {argv} built {seen}, not {want}"
    capsys.readouterr()
