"""What to profile: a bundle directory (edgekit.json) or one model file, checked before any process starts.

A bundle is read and verified with edgekit.bundle (artifacts must match their sha256 and size);
every model file must be non-empty and carry its format's magic where it has one. An ETRecord for
a .pte is taken from the artifact's `etrecord` field, else `<stem>.etrecord` next to the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from edgekit import bundle
from edgekit.errors import InvalidInputError

RUNTIME_OF_SUFFIX = {".pte": "executorch", ".tflite": "tflite", ".onnx": "onnx"}
FORMAT_OF_RUNTIME = {"executorch": "pte", "tflite": "tflite", "onnx": "onnx"}
# flatbuffers keep a 4-byte file identifier at offset 4
_MAGIC = {".pte": (b"ET",), ".tflite": (b"TFL3",)}


@dataclass
class Artifact:
    path: Path
    runtime: str
    precision: str | None = None
    sparse: bool | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    etrecord: Path | None = None
    accuracy: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def variant(self) -> str:
        """'int8/sparse', 'fp32/dense', 'int8' ... or '' when the file says nothing about it."""
        parts = [self.precision] if self.precision else []
        if self.sparse is not None:
            parts.append("sparse" if self.sparse else "dense")
        return "/".join(parts)


@dataclass
class Target:
    path: Path
    kind: str  # "bundle" | "file"
    model_name: str
    artifacts: list[Artifact]
    manifest: dict | None = None


def _check_model_file(path: Path) -> None:
    if not path.is_file():
        raise InvalidInputError(f"model file {path} does not exist",
                                hint="pass a bundle directory or a .pte/.tflite/.onnx file")
    suffix = path.suffix.lower()
    if suffix not in RUNTIME_OF_SUFFIX:
        raise InvalidInputError(f"{path.name}: unknown model format {suffix or '(no suffix)'!r}",
                                hint="edgekit profiles .pte, .tflite and .onnx files")
    head = path.open("rb").read(8)
    if not head:
        raise InvalidInputError(f"{path} is empty", hint="re-export the model")
    magics = _MAGIC.get(suffix)
    if magics and not any(head[4:8].startswith(m) for m in magics):
        raise InvalidInputError(f"{path} is not a valid {suffix} file (bad file identifier)",
                                hint="the file is corrupt or mis-named: re-export it")


def _guess_precision(name: str) -> str | None:
    m = re.search(r"(?:^|[_.\-])(int8|fp32|fp16|f32|i8|qs8)(?:[_.\-]|$)", name.lower())
    if not m:
        return None
    return {"f32": "fp32", "i8": "int8", "qs8": "int8"}.get(m.group(1), m.group(1))


def _single_file(path: Path) -> Target:
    _check_model_file(path)
    etrecord = path.with_suffix(".etrecord")
    art = Artifact(path=path, runtime=RUNTIME_OF_SUFFIX[path.suffix.lower()],
                   precision=_guess_precision(path.stem),
                   sparse=True if "sparse" in path.stem.lower() else None,
                   size_bytes=path.stat().st_size,
                   etrecord=etrecord if etrecord.is_file() else None)
    return Target(path=path, kind="file", model_name=path.stem, artifacts=[art])


def _accuracy_of(manifest: dict, entry: dict) -> float | None:
    """Top-1 accuracy for one artifact: its own field, else the manifest's by file or precision."""
    for source in (entry.get("accuracy"), (manifest.get("accuracy") or {})):
        if isinstance(source, int | float):
            return float(source)
        if isinstance(source, dict):
            for key in (entry.get("file"), entry.get("precision"), "top1"):
                value = source.get(key) if key else None
                if isinstance(value, dict):
                    value = value.get("top1")
                if isinstance(value, int | float):
                    return float(value)
    return None


def _bundle(path: Path) -> Target:
    manifest = bundle.read(path)  # BundleError: no/invalid edgekit.json, other schema_version
    entries = manifest["artifacts"]
    artifacts = []
    for entry in entries:
        file = path / str(entry.get("file", ""))
        if file.suffix.lower() not in RUNTIME_OF_SUFFIX:
            continue  # side files (labels, ETRecords, ...) are not profiled
        etrecord = entry.get("etrecord")
        etrecord_path = path / etrecord if etrecord else file.with_suffix(".etrecord")
        artifacts.append(Artifact(
            path=file, runtime=entry.get("runtime") or RUNTIME_OF_SUFFIX[file.suffix.lower()],
            precision=entry.get("precision"), sparse=bool(entry.get("sparse_backend")),
            sha256=entry.get("sha256"), size_bytes=entry.get("size_bytes"),
            etrecord=etrecord_path if etrecord_path.is_file() else None,
            accuracy=_accuracy_of(manifest, entry), extra=entry))
    model = manifest.get("model") or {}
    return Target(path=path, kind="bundle", model_name=str(model.get("name") or path.name),
                  artifacts=artifacts, manifest=manifest)


def verify(art: Artifact, root: Path) -> None:
    """Raise BundleError unless a bundle file matches its recorded size and sha256, then check its magic."""
    if art.extra:
        bundle.verify(root, art.extra)
    _check_model_file(art.path)


def resolve(target: str | Path) -> Target:
    path = Path(target)
    if not path.exists():
        raise InvalidInputError(f"{path} does not exist",
                                hint="pass a bundle directory or a .pte/.tflite/.onnx file")
    return _bundle(path) if path.is_dir() else _single_file(path)


def select(target: Target, runtime: str | None = None, precision: str | None = None,
           every: bool = False) -> list[Artifact]:
    """The artifacts to profile; the first match unless `every`. Verifies each one's sha256."""
    chosen = [a for a in target.artifacts if (runtime is None or a.runtime == runtime)
              and (precision is None or a.precision == precision)]
    if not chosen:
        have = ", ".join(f"{a.path.name} ({a.runtime}, {a.precision})" for a in target.artifacts) or "none"
        want = " ".join(x for x in (runtime, precision) if x)
        raise InvalidInputError(f"{target.path} has no {want} model; it has: {have}",
                                hint="pick another --runtime/--precision")
    chosen = chosen if every else chosen[:1]
    for art in chosen:
        verify(art, target.path)
    return chosen
