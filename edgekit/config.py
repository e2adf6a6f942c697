"""ExportConfig: the one object that travels model -> quantize -> export -> bundle -> parity.

The CLI builds it from flags, a recipe (`converters/*.toml`) from TOML, the Python API takes it directly:

    cfg = ExportConfig(model="mobilenet_v2", formats=["onnx"], precisions=["fp32", "int8"],
                       calib="sample-images", out="build/export/mnv2")
    cfg = ExportConfig.from_toml("converters/mobilenet_v2_int8.toml", precisions=["int8"])
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from edgekit.errors import InvalidInputError

DEFAULT_FORMATS = ("executorch", "tflite", "onnx")


@dataclass
class ExportConfig:
    model: str                                          # registry name, file.py:factory, or .pt2
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    formats: list[str] = field(default_factory=lambda: list(DEFAULT_FORMATS))
    precisions: list[str] = field(default_factory=lambda: ["fp32"])
    calib: str | None = None                            # data set name or image folder (int8 needs it)
    calib_n: int = 32                                   # calibration samples (seeded draw)
    calib_seed: int = 0
    eval_data: str | None = None                        # parity/accuracy inputs (default: see export)
    eval_n: int = 16                                    # samples compared in every runtime
    input_shape: tuple[int, ...] | None = None          # N,C,H,W for models that do not declare one
    out: str | None = None                              # bundle directory (default build/export/<name>)
    name: str | None = None                             # bundle / file stem (default: model name)
    fp32_atol: float = 1e-4                             # fp32 passes if max|diff| <= atol + rtol*max|ref|
    fp32_rtol: float = 1e-3
    sparse_backend: bool = True                         # ExecuTorch: edgekit's sparse backend first
    tflite_sparse: bool = True                          # TFLite: store sparse weights in sparse format
    onnx_reduce_range: bool = True                      # ONNX int8: 7-bit weights (no saturation on AVX2)
    overwrite: bool = True
    recipe: str | None = None                           # where it came from, for the manifest

    def __post_init__(self) -> None:
        self.formats = _as_list(self.formats)
        self.precisions = _as_list(self.precisions)
        if self.input_shape is not None:
            self.input_shape = parse_shape(self.input_shape)

    # -- derived ------------------------------------------------------------------------------------------
    @property
    def stem(self) -> str:
        if self.name:
            return self.name
        base = Path(self.model.split(":")[0]).stem if ("/" in self.model or ":" in self.model) else self.model
        return base.replace(".", "_")

    @property
    def out_dir(self) -> Path:
        return Path(self.out) if self.out else Path("build") / "export" / self.stem

    def validate(self) -> ExportConfig:
        """Check names and combinations early, before any slow work; returns self."""
        from edgekit.formats import FORMATS, PRECISIONS, parse_list

        self.formats = parse_list(self.formats, "format", FORMATS.names())
        self.precisions = parse_list(self.precisions, "precision", PRECISIONS)
        if "int8" in self.precisions and not self.calib:
            raise InvalidInputError("int8 needs calibration data",
                                    hint="pass --calib DATA (a data set such as fashion-mnist, digits, "
                                         "sample-images, or a folder of images)")
        for key in ("calib_n", "eval_n"):
            if int(getattr(self, key)) < 1:
                raise InvalidInputError(f"{key} must be >= 1, got {getattr(self, key)}", hint="use e.g. 32")
        if not isinstance(self.onnx_reduce_range, bool):
            raise InvalidInputError(f"onnx_reduce_range must be a bool, got {self.onnx_reduce_range!r}",
                                    hint="false only for ONNX int8 files that run on ARM or VNNI CPUs")
        for fmt in self.formats:
            unsupported = [p for p in self.precisions if p not in FORMATS.get(fmt).precisions]
            if unsupported:
                raise InvalidInputError(f"format {fmt} does not support {', '.join(unsupported)}",
                                        hint=f"{fmt} supports {', '.join(FORMATS.get(fmt).precisions)}")
        return self

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["input_shape"] = list(self.input_shape) if self.input_shape else None
        return d

    # -- recipes ------------------------------------------------------------------------------------------
    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> ExportConfig:
        """Build from a recipe; keyword overrides (e.g. from CLI flags) win when not None."""
        path = Path(path)
        if not path.is_file():
            raise InvalidInputError(f"recipe {path} does not exist", hint="see converters/*.toml")
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInputError(f"recipe {path} is not valid TOML: {exc}", hint="fix the file") from None
        calib = data.pop("calibration", None) or {}
        data.setdefault("calib", calib.get("source"))
        data.setdefault("calib_n", calib.get("n", 32))
        data.setdefault("calib_seed", calib.get("seed", 0))
        data["model_kwargs"] = data.pop("model_kwargs", data.pop("model_options", {}))
        data["recipe"] = str(path)
        data.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidInputError(f"recipe {path} has unknown keys: {', '.join(unknown)}",
                                    hint=f"valid keys: {', '.join(sorted(known))}, [calibration]")
        if "model" not in data:
            raise InvalidInputError(f"recipe {path} does not name a model", hint='add model = "mobilenet_v2"')
        return cls(**data)


def _as_list(value: str | Sequence[str]) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else list(value)


def parse_shape(value: str | Sequence[int]) -> tuple[int, ...]:
    """'1,3,224,224' or a sequence -> a validated N,C,H,W tuple."""
    try:
        parts = [int(v) for v in (value.replace("x", ",").split(",") if isinstance(value, str) else value)]
    except (TypeError, ValueError):
        raise InvalidInputError(f"input shape {value!r} is not a list of integers",
                                hint="pass --input-shape N,C,H,W, e.g. 1,3,224,224") from None
    if len(parts) != 4 or any(p <= 0 for p in parts):
        raise InvalidInputError(f"input shape {value!r} is not N,C,H,W with positive sizes",
                                hint="pass --input-shape N,C,H,W, e.g. 1,3,224,224")
    return tuple(parts)
