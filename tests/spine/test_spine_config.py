"""ExportConfig and recipes: validation happens before any slow work, and recipes cover the zoo."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgekit.config import ExportConfig, parse_shape
from edgekit.errors import InvalidInputError
from edgekit.formats import FORMATS, support_table_markdown
from edgekit.models import MODELS

REPO = Path(__file__).resolve().parents[2]


def test_every_recipe_builds_a_valid_config() -> None:
    recipes = sorted((REPO / "converters").glob("*.toml"))
    covered = set()
    for path in recipes:
        cfg = ExportConfig.from_toml(path).validate()
        assert cfg.model in MODELS
        covered.add(cfg.model)
    assert {"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
            "efficientnet_lite0"} <= covered


def test_recipe_errors_and_overrides(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('model = "mobilenet_v2"\nformat = "onnx"\n')
    with pytest.raises(InvalidInputError, match="unknown keys: format"):
        ExportConfig.from_toml(bad)
    broken = tmp_path / "broken.toml"
    broken.write_text("model = ")
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        ExportConfig.from_toml(broken)
    ok = tmp_path / "ok.toml"
    ok.write_text('model = "mobilenet_v2"\nprecisions = ["int8"]\n[calibration]\nsource = "digits"\nn = 5\n')
    cfg = ExportConfig.from_toml(ok, formats="onnx", calib_n=None)
    assert cfg.formats == ["onnx"] and cfg.calib == "digits" and cfg.calib_n == 5


def test_validation() -> None:
    with pytest.raises(InvalidInputError, match="int8 needs calibration data"):
        ExportConfig(model="mobilenet_v2", precisions="int8").validate()
    with pytest.raises(InvalidInputError, match="unknown format 'tf'"):
        ExportConfig(model="mobilenet_v2", formats="onnx,tf").validate()
    assert ExportConfig(model="m", formats="onnx,onnx, tflite").validate().formats == ["onnx", "tflite"]
    assert ExportConfig(model="mobilenet_v2").out_dir == Path("build/export/mobilenet_v2")
    assert ExportConfig(model="path/to/net.py:build").stem == "net"
    with pytest.raises(InvalidInputError, match="onnx_reduce_range must be a bool"):
        ExportConfig(model="mobilenet_v2", onnx_reduce_range="false").validate()
    assert ExportConfig(model="m").onnx_reduce_range is True     # 7-bit ONNX int8 weights by default
    assert parse_shape("1,3,224,224") == (1, 3, 224, 224)
    for bad in ("1,3,224", "1,3,0,4", "a,b,c,d"):
        with pytest.raises(InvalidInputError, match="N,C,H,W"):
            parse_shape(bad)


def test_support_table_comes_from_the_code() -> None:
    table = support_table_markdown()
    for name in MODELS.names():
        assert f"| `{name}` |" in table
    for entry in FORMATS:
        assert entry.obj.suffix in table
