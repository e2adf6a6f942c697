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
    err_lines: list[str] = []

    def pump_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            if on_stderr_line is not None:
                on_stderr_line(line.rstrip("\n"))

    pump = threading.Thread(target=pump_stderr, daemon=True)
    pump.start()
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise DeviceTimeoutError(f"{what} did not finish within {timeout:.0f} s",
                                 hint="raise the timeout or lower --runs") from None
    pump.join()
    return proc.returncode, out, "".join(err_lines)
