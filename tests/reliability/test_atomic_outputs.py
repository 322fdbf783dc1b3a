"""Issue 19 item 8: outputs are written whole or not at all. A file-size limit (RLIMIT_FSIZE,
what a full file system does to a writer: EFBIG/ENOSPC part-way through) stops the write;
the command exits 2 with one line and leaves no truncated file and no temporary file."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _limited(argv: list[str], limit: int, cwd) -> subprocess.CompletedProcess:
    code = textwrap.dedent(
        f"""
        import resource, signal, sys
        import accelsmith.hdl.emit as emit
        from accelsmith.cli.main import main

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
        verilog_text = emit.verilog_text

        def limited(*args, **kwargs):  # the disk fills once the Verilog is made
            text = verilog_text(*args, **kwargs)
            resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
            return text

        emit.verilog_text = limited
        sys.exit(main({argv!r}))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_generate_onto_a_full_disk_leaves_no_truncated_verilog(tmp_path) -> None:
    run = _limited(
        ["generate", "systolic", "--rows", "8", "--cols", "8", "--out", "gen"], 20000, tmp_path
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1, run.stderr
    left = sorted(p.name for p in (tmp_path / "gen").iterdir())
    assert not [n for n in left if n.endswith(".v")], left  # no truncated Verilog
    assert not [n for n in left if n.endswith(".tmp")], left


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path, monkeypatch) -> None:
    from accelsmith.core.files import atomic_write

    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    import accelsmith.core.files as files

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, "new\n" * 1000)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    monkeypatch.undo()
    atomic_write(target, "new\n")
    assert target.read_text() == "new\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644) or target.stat().st_mode & 0o044
