"""Start ``accelsmith dashboard`` in a subprocess on a free loopback port (test helper)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

LAUNCH = "import sys; from accelsmith.cli.main import main; sys.exit(main(sys.argv[1:]))"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening_addresses(port: int) -> set[str]:
    """Local IPv4 addresses with a socket listening on ``port`` (from /proc/net/tcp)."""
    out = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state = fields[1], fields[3]
        addr, p = local.split(":")
        if state == "0A" and int(p, 16) == port:  # 0A: LISTEN
            out.add(socket.inet_ntoa(bytes.fromhex(addr)[::-1]))
    return out


@contextlib.contextmanager
def dashboard(args: list[str], port: int, log: Path, timeout: float = 60.0) -> Iterator[str]:
    """Run the dashboard CLI with ``args`` until the port accepts connections; yield its URL."""
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, "dashboard", *args, "--port", str(port)],
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while not listening_addresses(port):
                if proc.poll() is not None:
                    raise RuntimeError(f"dashboard exited: {log.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"dashboard did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
