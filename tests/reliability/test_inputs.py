"""Issue 19 items 6, 7 and 9: every bad input file or number is one line naming the file,
line or field, exit 2, no traceback, nothing created."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accelsmith.cli.main import main

from .helpers import files_under, spec_file

BINARY = bytes(range(128, 256)) * 3
CONV_HEADER = (
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
    "Num Filter, Strides,\n"
)


def _spec(folder: Path, **changes) -> str:
    changes.setdefault("budget", 2)
    return str(spec_file(folder, **changes))


def _raw(folder: Path, text: str | bytes, name: str = "s.yaml") -> str:
    p = folder / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(p)


def _long_name(folder: Path) -> str:
    import yaml

    from ..dse.dse_helpers import tiny_spec_dict

    return _raw(folder, yaml.safe_dump(tiny_spec_dict("n" * 300)))


CASES = {
    # (argv builder, words the one line must hold)
    "binary spec": (lambda d: ["dse", "run", _raw(d, BINARY)], ["s.yaml", "UTF-8"]),
    "duplicate spec key": (
        lambda d: ["dse", "run", _raw(d, "name: a\nbudget: 3\nbudget: 4\n")],
        ["s.yaml", "line 3", "duplicate key 'budget'"],
    ),
    "budget true": (lambda d: ["dse", "run", _spec(d, budget=True)], ["budget", "True"]),
    "budget 1.5": (lambda d: ["dse", "run", _spec(d, budget=1.5)], ["budget", "1.5"]),
    "constraint 1e999": (
        lambda d: ["dse", "run", _spec(d, constraints=["area_mm2 <= 1e999"])],
        ["constraints", "finite"],
    ),
    "constraint nan": (
        lambda d: ["dse", "run", _spec(d, constraints={"area_mm2": {"<=": float("nan")}})],
        ["constraints", "nan"],
    ),
    "constraint inf": (
        lambda d: ["dse", "run", _spec(d, constraints={"area_mm2": {">=": float("inf")}})],
        ["constraints", "inf"],
    ),
    "weight inf": (
        lambda d: ["dse", "run", _spec(d, workload=[{"name": "resnet50", "weight": 1e999}])],
        ["workload", "inf"],
    ),
    "300-character name": (lambda d: ["dse", "run", _long_name(d)], ["name", "100"]),
    "5000-character workload file name": (
        lambda d: ["dse", "run", _spec(d, workload="w" * 5000 + ".yaml")],
        ["workload", "too long"],
    ),
    "binary --config": (
        lambda d: ["cost", "systolic", "--config", _raw(d, BINARY, "c.yaml")],
        ["--config", "c.yaml", "UTF-8"],
    ),
    "duplicate --config key": (
        lambda d: ["cost", "systolic", "--config", _raw(d, "rows: 4\nrows: 8\n", "c.yaml")],
        ["--config", "duplicate key 'rows'"],
    ),
    "binary --tech": (
        lambda d: ["cost", "systolic", "--tech", _raw(d, BINARY, "t.yaml")],
        ["--tech", "t.yaml", "UTF-8"],
    ),
    "duplicate --tech key": (
        lambda d: [
            "cost",
            "systolic",
            "--tech",
            _raw(d, "dram_pj_bit: 1\ndram_pj_bit: 2\n", "t.yaml"),
        ],
        ["--tech", "duplicate key"],
    ),
    "binary workload": (
        lambda d: ["cost", "systolic", "--workload", _raw(d, BINARY, "w.yaml")],
        ["w.yaml", "UTF-8"],
    ),
    "duplicate workload key": (
        lambda d: ["cost", "systolic", "--workload", _raw(d, "name: a\nname: b\n", "w.yaml")],
        ["w.yaml", "duplicate key 'name'"],
    ),
    "binary --timing": (
        lambda d: ["generate", "pim", "--timing", _raw(d, BINARY, "tm.yaml")],
        ["--timing", "UTF-8"],
    ),
    "csv overflowing cell": (
        lambda d: [
            "cost",
            "systolic",
            "--workload",
            _raw(d, CONV_HEADER + "c1, 224, 224, 3, 3, 3, 6400000000000000000000, 1,\n", "o.csv"),
        ],
        ["o.csv", "line 2", "num filter", "1..2147483648"],
    ),
    "dashboard --interval inf": (
        lambda d: ["dashboard", "runs/x", "--interval", "inf"],
        ["--interval", "inf"],
    ),
    "report weird.jsonl": (
        lambda d: ["report", _raw(d, '{"a": 1}\n', "weird.jsonl")],
        ["weird.jsonl", "not an Optuna journal"],
    ),
    "corrupt sqlite storage": (
        lambda d: [
            "dse",
            "run",
            _spec(d),
            "--storage",
            f"sqlite:///{_raw(d, BINARY * 20, 'x.db')}",
        ],
        ["x.db", "not a readable SQLite database"],
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_one_line(case, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    build, words = case
    argv = build(tmp_path)
    before = files_under(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)
    assert len(err) < 600
    assert files_under(tmp_path) == before


def test_scalesim_csv_with_a_quoted_comma(tmp_path, capsys) -> None:
    csv = tmp_path / "q.csv"
    csv.write_text(CONV_HEADER + '"conv1, 3x3", 224, 224, 3, 3, 3, 64, 1,\n')
    from accelsmith.models.workloads import load_workload

    wl = load_workload(str(csv))
    assert [layer.name for layer in wl.layers] == ["conv1, 3x3"]


@pytest.mark.parametrize("value", ["file", "under-a-file"])
def test_sim_cache_that_is_not_a_folder(tmp_path, monkeypatch, value) -> None:
    from accelsmith.core.errors import ConfigError
    from accelsmith.sim.runner import cache_root

    f = tmp_path / "afile"
    f.write_text("")
    path = f if value == "file" else f / "sub"
    monkeypatch.setenv("ACCELSMITH_SIM_CACHE", str(path))
    with pytest.raises(ConfigError, match="ACCELSMITH_SIM_CACHE="):
        cache_root()


def test_sim_cache_unwritable(tmp_path, monkeypatch) -> None:
    from accelsmith.core.errors import ConfigError
    from accelsmith.sim.runner import cache_root

    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() == 0:  # root writes anywhere (CI runs as root): deny it for this folder
        real = os.access
        monkeypatch.setattr(
            os, "access", lambda p, mode, **kw: False if Path(p) == ro else real(p, mode, **kw)
        )
    monkeypatch.setenv("ACCELSMITH_SIM_CACHE", str(ro))
    with pytest.raises(ConfigError, match="not writable"):
        cache_root()
