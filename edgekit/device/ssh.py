"""Linux boards over SSH with the system `ssh`/`scp` binaries (so ~/.ssh/config, agents and keys just work).

    ssh://user@host[:port][?identity=KEY&known_hosts=FILE&python=/usr/bin/python3&connect_timeout=10]

New host keys are accepted on first use and checked after that (StrictHostKeyChecking=accept-new);
BatchMode means a missing key fails at once instead of prompting for a password.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from edgekit.device.base import Transport
from edgekit.device.errors import DeviceAuthError, DeviceError, DeviceUnreachableError
from edgekit.device.process import LineCallback, run_streaming
from edgekit.errors import InvalidInputError, MissingDependencyError

_QUERY_KEYS = {"identity", "known_hosts", "python", "connect_timeout"}
_UNREACHABLE = ("connection refused", "no route to host", "could not resolve", "timed out",
                "network is unreachable", "connection closed", "connection reset",
                "name or service not known")
_AUTH = ("permission denied", "host key verification failed", "too many authentication failures",
         "remote host identification has changed")


class SshTransport(Transport):
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "ssh" or not parts.hostname:
            raise InvalidInputError(f"bad device URL {url!r}",
                                    hint="use ssh://user@host[:port]")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - _QUERY_KEYS
        if unknown:
            raise InvalidInputError(f"unknown option(s) {', '.join(sorted(unknown))} in {url!r}",
                                    hint=f"valid: {', '.join(sorted(_QUERY_KEYS))}")
        for tool in ("ssh", "scp"):
            if shutil.which(tool) is None:
                raise MissingDependencyError(f"`{tool}` is not installed",
                                             hint="apt-get install openssh-client")
        self.url = url
        self.host = parts.hostname
        self.user = parts.username
        try:
            self.port = parts.port or 22
        except ValueError:
            raise InvalidInputError(f"bad port in device URL {url!r}",
                                    hint="use ssh://user@host:2222") from None
        self.python = query.get("python", "python3")
        self._dest = f"{self.user}@{self.host}" if self.user else self.host
        opts = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=accept-new", "-o", "LogLevel=ERROR",
                "-o", f"ConnectTimeout={int(query.get('connect_timeout', 10))}"]
        if "identity" in query:
            opts += ["-i", query["identity"], "-o", "IdentitiesOnly=yes"]
        if "known_hosts" in query:
            opts += ["-o", f"UserKnownHostsFile={query['known_hosts']}"]
        self._opts = opts
        self._temps: list[str] = []
        self.run(["true"], timeout=60)  # fail now, with a clear message, if the board is not usable

    def _check(self, rc: int, err: str, action: str) -> None:
        if rc != 255:
            return
        low = err.lower()
        first = next((ln for ln in err.splitlines() if ln.strip()), "no output").strip()
        if any(s in low for s in _AUTH):
            raise DeviceAuthError(f"{self._dest} port {self.port} refused the SSH login: {first}",
                                  hint="check the user name; pass ?identity=KEY or add the key to ssh-agent")
        if any(s in low for s in _UNREACHABLE):
            raise DeviceUnreachableError(f"cannot reach {self.host} port {self.port}: {first}",
                                         hint="check the address, that sshd runs, that the board is up")
        raise DeviceError(f"ssh to {self._dest} failed while trying to {action}: {first}")

    def run(self, argv: Sequence[str], timeout: float | None = None, *,
            on_stderr_line: LineCallback | None = None) -> tuple[int, str, str]:
        remote_cmd = " ".join(shlex.quote(a) for a in argv)
        cmd = ["ssh", *self._opts, "-p", str(self.port), self._dest, "--", remote_cmd]
        rc, out, err = run_streaming(cmd, timeout=timeout, on_stderr_line=on_stderr_line,
                                     what=f"{Path(argv[0]).name} on {self.host}")
        self._check(rc, err, f"run {argv[0]}")
        return rc, out, err

    def _scp(self, src: str, dst: str, action: str) -> None:
        cmd = ["scp", *self._opts, "-q", "-r", "-P", str(self.port), src, dst]
        rc, _, err = run_streaming(cmd, timeout=600, on_stderr_line=None, what=f"scp to {self.host}")
        if rc != 0:
            self._check(255, err, action)
            raise DeviceError(f"could not {action}: {err.strip().splitlines()[0] if err.strip() else rc}")

    def push(self, local: str | Path, remote: str) -> None:
        self._scp(str(local), f"{self._dest}:{remote}", f"copy {Path(local).name} to {self.host}")

    def pull(self, remote: str, local: str | Path) -> None:
        self._scp(f"{self._dest}:{remote}", str(local), f"copy {remote} back from {self.host}")

    def tempdir(self) -> str:
        path = f"/tmp/edgekit-{uuid.uuid4().hex[:12]}"
        rc, _, err = self.run(["mkdir", "-p", "-m", "700", path], timeout=60)
        if rc != 0:
            raise DeviceError(f"cannot create {path} on {self.host}: {err.strip()}")
        self._temps.append(path)
        return path

    def close(self) -> None:
        if self._temps:
            # best effort: if the board went away, its /tmp is cleaned on reboot
            with contextlib.suppress(DeviceError):
                self.run(["rm", "-rf", *self._temps], timeout=60)
            self._temps.clear()
