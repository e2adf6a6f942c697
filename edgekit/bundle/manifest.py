"""The bundle manifest `edgekit.json` (schema_version 1; the contract is in docs/ARCHITECTURE.md)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from edgekit.errors import EdgekitError, InvalidInputError

MANIFEST = "edgekit.json"
SCHEMA_VERSION = 1
_VERSIONED = {"torch": "torch", "executorch": "executorch", "litert": "ai-edge-litert",
              "litert_torch": "litert-torch", "onnxruntime": "onnxruntime", "onnx": "onnx",
              "torchao": "torchao"}


class BundleError(EdgekitError):
    """A bundle that is missing, malformed, or whose files do not match their recorded hashes."""


def versions() -> dict[str, str | None]:
    """Versions of the tools that made (or read) a bundle."""
    out: dict[str, str | None] = {}
    for key, dist in _VERSIONED.items():
        try:
            out[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[key] = None
    out["python"] = platform.python_version()
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_facts(path: Path) -> dict[str, Any]:
    return {"size_bytes": path.stat().st_size, "sha256": sha256_file(path)}


def now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def read(bundle: str | Path) -> dict[str, Any]:
    """Load and sanity-check a bundle's manifest; raises BundleError with the fix in the message."""
    path = Path(bundle) / MANIFEST
    if not path.is_file():
        raise BundleError(f"{bundle} has no {MANIFEST}", hint="pass a directory written by `edgekit export`")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON ({exc.__class__.__name__})",
                          hint="the bundle is corrupt: re-export it") from None
    if not isinstance(manifest, dict) or manifest.get("schema_version") != SCHEMA_VERSION:
        got = manifest.get("schema_version") if isinstance(manifest, dict) else None
        raise BundleError(f"{path}: unsupported schema_version {got!r} (this edgekit reads {SCHEMA_VERSION})",
                          hint="re-export the bundle with this edgekit")
    for key in ("model", "input", "artifacts"):
        if key not in manifest:
            raise BundleError(f"{path} lacks the {key!r} field", hint="re-export the bundle")
    if not manifest["artifacts"]:
        raise BundleError(f"{path} lists no model files", hint="re-export the bundle")
    return manifest


def verify(bundle: str | Path, entry: dict[str, Any]) -> Path:
    """The artifact's path, after checking it exists and matches its recorded size and sha256."""
    path = Path(bundle) / str(entry.get("file", ""))
    if not path.is_file():
        raise BundleError(f"bundle file {path} is missing", hint="re-copy or re-export the bundle")
    size = path.stat().st_size
    if entry.get("size_bytes") is not None and size != entry["size_bytes"]:
        raise BundleError(f"{path.name} is {size} bytes but the manifest says {entry['size_bytes']} "
                          "(truncated or modified)", hint="re-copy or re-export the bundle")
    if entry.get("sha256") and sha256_file(path) != entry["sha256"]:
        raise BundleError(f"{path.name} fails its sha256 check (corrupt or modified)",
                          hint="re-copy or re-export the bundle")
    return path


def write(bundle_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write edgekit.json into a (temporary) bundle directory; the caller renames the directory."""
    path = bundle_dir / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    return path


def validate_entry(entry: dict[str, Any]) -> None:
    required = ("file", "format", "runtime", "precision", "size_bytes", "sha256")
    missing = [k for k in required if k not in entry]
    if missing:
        raise InvalidInputError(f"artifact entry lacks {', '.join(missing)}", hint="this is an edgekit bug")
