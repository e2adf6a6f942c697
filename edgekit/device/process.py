"""Run a local process, streaming its stderr lines to a callback (progress) while collecting output."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable, Sequence

from edgekit.device.errors import DeviceTimeoutError

LineCallback = Callable[[str], None]


def run_streaming(argv: Sequence[str], *, timeout: float | None, on_stderr_line: LineCallback | None,
                  what: str) -> tuple[int, str, str]:
    """(returncode, stdout, stderr); kills the process and raises DeviceTimeoutError past `timeout`."""
    proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace")
    out_chunks: list[str] = []
    err_lines: list[str] = []

    def pump_stdout() -> None:
        assert proc.stdout is not None
        out_chunks.append(proc.stdout.read())

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            if on_stderr_line is not None:
                on_stderr_line(line.rstrip("\n"))

    # Each pipe has its own reader (communicate() would race the stderr pump for the same data).
    pumps = [threading.Thread(target=f, daemon=True) for f in (pump_stdout, pump_stderr)]
    for t in pumps:
        t.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise DeviceTimeoutError(f"{what} did not finish within {timeout:.0f} s",
                                 hint="raise the timeout or lower --runs") from None
    for t in pumps:
        t.join()
    return proc.returncode, "".join(out_chunks), "".join(err_lines)
