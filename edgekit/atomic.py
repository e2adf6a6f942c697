"""Write outputs so a failure never leaves a half-written file or directory behind."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from edgekit.errors import InvalidInputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _chmod_default(path: Path, mode: int) -> None:
    """mkstemp/mkdtemp create 0600/0700; give finished outputs the modes open()/mkdir() would."""
    path.chmod(mode & ~_umask())


def _check_parent_writable(final: Path) -> Path:
    parent = final.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(f"cannot create output directory {parent}: {exc.strerror}",
                                hint="choose a writable --out path") from None
    if not os.access(parent, os.W_OK):
        raise InvalidInputError(f"output directory {parent} is not writable",
                                hint="choose a writable --out path")
    return parent


@contextlib.contextmanager
def atomic_dir(final: str | os.PathLike[str], *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temp directory beside `final`; rename it into place only if the block succeeds."""
    final = Path(final)
    parent = _check_parent_writable(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=parent))
    try:
        yield tmp
        _chmod_default(tmp, 0o777)
        if final.exists():
            if not overwrite:
                raise InvalidInputError(f"{final} already exists", hint="remove it or pass another --out")
            old = parent / f".{final.name}.old-{os.getpid()}"
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_file(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside `final`; os.replace() it into place only if the block succeeds."""
    final = Path(final)
    parent = _check_parent_writable(final)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.tmp-", dir=parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _chmod_default(tmp, 0o666)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(final: str | os.PathLike[str], data: bytes) -> None:
    with atomic_file(final) as tmp:
        tmp.write_bytes(data)


def write_text(final: str | os.PathLike[str], text: str) -> None:
    write_bytes(final, text.encode())
