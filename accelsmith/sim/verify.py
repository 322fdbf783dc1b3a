"""Verify a generated design on Verilator: build (or reuse) the simulator, run the testbench.

:func:`verify` is the code path behind ``accelsmith verify``: it emits the Verilog, builds it
with :mod:`accelsmith.sim.runner` (cached by content hash), hands the parameters and the port
table to the family's cocotb testbench through a JSON file, and collects the per-test reports.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError, OutputError
from ..core.params import ParamsBase
from ..core.registry import get_family

__all__ = ["TestReport", "VerifyReport", "verify"]

MAX_TILES = 100_000


@dataclass(frozen=True)
class TestReport:
    """Outcome of one cocotb test of a testbench."""

    name: str
    tiles: int
    mismatches: int
    timing_mismatches: int
    measured_cycles: int
    predicted_cycles: int
    errors: list[str]
    #: per checked tile or event: ``tile``, ``k``, ``what``, ``measured``, ``predicted`` (cycles)
    timing: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.errors and self.mismatches == 0 and self.timing_mismatches == 0


@dataclass
class VerifyReport:
    """Everything ``accelsmith verify`` prints and writes."""

    family: str
    name: str
    parameters: dict[str, Any]
    seed: int
    build_seconds: float
    build_cached: bool
    sim_seconds: float
    verilator: str
    tests: list[TestReport] = field(default_factory=list)
    failures: int = 0

    @property
    def passed(self) -> bool:
        return self.failures == 0 and bool(self.tests) and all(t.passed for t in self.tests)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k != "tests"}
        d["tests"] = [t.__dict__ | {"passed": t.passed} for t in self.tests]
        d["passed"] = self.passed
        return d

    def write(self, path: str | Path) -> None:
        p = Path(path)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        except OSError as exc:
            raise OutputError(f"--report {p} cannot be written: {exc.strerror}") from None


def verify(
    params: ParamsBase,
    *,
    tiles: int = 40,
    seed: int = 0,
    waves: bool | None = None,
    workdir: str | Path | None = None,
    inject_fault: bool = False,
    extra: dict[str, Any] | None = None,
) -> VerifyReport:
    """Build and simulate the design for ``params`` and check it against its golden model.

    Parameters
    ----------
    params : ParamsBase
        Validated parameters of any registered family.
    tiles : int
        Random tiles to check (split over the back-to-back and the random-stall tests), on top
        of the fixed corner cases.
    seed : int
        Seed of every random choice (stimulus, gaps, back-pressure).
    waves : bool, optional
        Record waveforms (default: the ``WAVES=1`` environment variable).
    workdir : path, optional
        Where the test configuration, reports and logs go (default: a temporary folder).
    inject_fault : bool
        Corrupt one expected result in every test (proves the checker can fail).
    extra : dict, optional
        Family-specific testbench settings (JSON-serializable), passed as ``cfg["extra"]``.
    """
    from ..hdl.emit import port_table, verilog_text
    from . import runner

    _check_run_args(tiles, seed)
    if waves is None:
        waves = os.environ.get("WAVES") == "1"
    family = get_family(params.family)
    runner.check_toolchain()
    # the work folder before the (long) build: an unusable --workdir fails at once
    work, report_dir = _work_folder(workdir)

    name = params.default_name()  # type: ignore[attr-defined]
    component = family.build()(params)
    text = verilog_text(component, name)
    b = runner.build(text, name, waves=waves)

    cfg = {
        "params": params.to_dict(),
        "ports": {p["name"]: p for p in port_table(component)},
        "seed": seed,
        "tiles": tiles,
        "report_dir": str(report_dir),
        "inject_fault": inject_fault,
        "extra": dict(extra or {}),
    }
    cfg_path = _write_config(work, cfg)

    t0 = time.perf_counter()
    result = runner.run(
        b,
        family.bench,
        env={"ACCELSMITH_TB_CONFIG": str(cfg_path)},
        test_dir=work / "sim",
        seed=seed,
        waves=waves,
    )
    sim_seconds = time.perf_counter() - t0

    report = _new_report(params, name, seed, b, sim_seconds, result)
    _read_test_reports(report, report_dir, family.test_order, result)
    return report


def _new_report(
    params: ParamsBase, name: str, seed: int, b: Any, sim_seconds: float, result: Any
) -> VerifyReport:
    """The report of a run (build ``b``, simulation ``result``), its tests not yet read."""
    return VerifyReport(
        family=params.family,
        name=name,
        parameters=params.to_dict(),
        seed=seed,
        build_seconds=round(b.seconds, 2),
        build_cached=b.cached,
        sim_seconds=round(sim_seconds, 2),
        verilator=b.verilator_version,
        failures=result.failures,
    )


def _work_folder(workdir: str | Path | None) -> tuple[Path, Path]:
    """The work folder (default: a new temporary one) and its ``reports`` folder, created."""
    work = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="accelsmith-"))
    report_dir = work / "reports"
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--workdir {work} cannot be created: {exc.strerror}") from None
    return work, report_dir


def _write_config(work: Path, cfg: dict[str, Any]) -> Path:
    """The testbench configuration as ``tb_config.json`` in ``work``; its path."""
    cfg_path = work / "tb_config.json"
    cfg_path.write_text(json.dumps(cfg, indent=1))
    return cfg_path


def _check_run_args(tiles: Any, seed: Any) -> None:
    if isinstance(tiles, bool) or not isinstance(tiles, int) or not 1 <= tiles <= MAX_TILES:
        raise ConfigError(f"tiles must be an integer in 1..{MAX_TILES}, not {tiles!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, not {seed!r}")


def _read_test_reports(
    report: VerifyReport, report_dir: Path, test_order: Sequence[str], result: Any
) -> None:
    """Add the bench's per-test reports (``<report_dir>/<test>.json``) to ``report``, in the
    family's test order; a test that crashed before writing its report counts as failed."""
    order = {name: i for i, name in enumerate(test_order)}
    for path in sorted(report_dir.glob("*.json"), key=lambda q: (order.get(q.stem, 9), q.stem)):
        d = json.loads(path.read_text())
        report.tests.append(
            TestReport(
                name=d["test"],
                tiles=d["tiles"],
                mismatches=d["mismatches"],
                timing_mismatches=d["timing_mismatches"],
                measured_cycles=d["measured_cycles"],
                predicted_cycles=d["predicted_cycles"],
                errors=d["errors"],
                timing=d.get("timing", []),
            )
        )
    if result.tests == 0 or len(report.tests) < result.tests:
        # a test that crashed before writing its report still counts as a failure
        report.failures = max(result.failures, result.tests - len(report.tests), 1)
    if not report.tests:
        report.tests.append(
            TestReport(
                "simulation",
                0,
                0,
                0,
                0,
                0,
                [f"the simulation produced no report; see {result.log}"],
            )
        )
