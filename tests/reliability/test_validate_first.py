"""Issue 19 item 5: a spec that is refused leaves nothing behind (no storage, no run folder),
and the corrected spec then runs."""

from __future__ import annotations

import pytest

from accelsmith.cli.main import main

from .helpers import files_under, spec_file

CASES = {
    "unknown objective": {"objectives": {"latency_s": "minimize", "bogus": "minimize"}},
    "unknown constraint metric": {"constraints": ["bogus <= 3"]},
    "node_nm 3": {"node_nm": 3},
    "space rows -4": {"space": {"rows": -4}},
    "tech /etc/passwd": {"tech": "/etc/passwd"},
    "model refuses a range end": {"space": {"rows": {"low": 1, "high": 4096}}},
}


@pytest.mark.parametrize("changes", CASES.values(), ids=CASES.keys())
def test_refused_spec_creates_nothing(changes, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    spec = spec_file(tmp_path, budget=3, **changes)
    before = files_under(tmp_path)
    assert main(["dse", "run", str(spec), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert files_under(tmp_path) == before  # no runs/<name>/, no study database
    # the corrected spec is not refused ("was run with a different ...")
    spec_file(tmp_path, budget=3)
    assert main(["dse", "run", str(spec), "--quiet"]) == 0


def test_exhaustive_on_a_continuous_space_creates_nothing(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    space = {"rows": {"low": 1, "high": 256}, "freq_mhz": {"low": 100.0, "high": 900.0}}
    spec = spec_file(tmp_path, budget=3, explorer="exhaustive", space=space)
    before = files_under(tmp_path)
    assert main(["dse", "run", str(spec), "--quiet"]) == 2
    assert "exhaustive search is limited" in capsys.readouterr().err
    assert files_under(tmp_path) == before
