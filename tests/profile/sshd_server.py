"""A real OpenSSH sshd on 127.0.0.1 for tests: throwaway keys, a test-owned sshd_config, no system changes."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"


@dataclass
class SshServer:
    port: int
    user: str
    key: Path
    known_hosts: Path
    proc: subprocess.Popen

    def url(self, **query: str) -> str:
        params = {"identity": str(self.key), "known_hosts": str(self.known_hosts), **query}
        qs = "&".join(f"{k}={v}" for k, v in params.items())
        return f"ssh://{self.user}@127.0.0.1:{self.port}?{qs}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def start(root: Path) -> SshServer:
    """Start sshd in the foreground (-D) on a free port; the caller stops it with stop()."""
    if not (shutil.which("ssh-keygen") and os.path.exists(SSHD)):
        raise RuntimeError("openssh-server is not installed: run scripts/setup-apt.sh")
    root.mkdir(parents=True, exist_ok=True)
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege-separation dir (missing without systemd)
    _keygen(root / "host_key")
    _keygen(root / "client_key")
    shutil.copy(root / "client_key.pub", root / "authorized_keys")
    port = free_port()
    config = root / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {root / 'host_key'}",
        f"PidFile {root / 'sshd.pid'}", f"AuthorizedKeysFile {root / 'authorized_keys'}",
        "UsePAM no", "StrictModes no", "PermitRootLogin yes", "PubkeyAuthentication yes",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no", "LogLevel ERROR",
        "Subsystem sftp /usr/lib/openssh/sftp-server", "",
    ]))
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    import getpass

    return SshServer(port=port, user=getpass.getuser(), key=root / "client_key",
                     known_hosts=root / "known_hosts", proc=proc)


def stop(server: SshServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
