"""Profile the tiny model in all three runtimes through the public API and check the numbers are sane."""

from __future__ import annotations

from pathlib import Path

import pytest
import tiny_models

import edgekit.profile as ekp
from edgekit.cli.main import main

RUNS = 15


def _check_sane(r: ekp.Result, model: Path) -> None:
    lat = r.latency
    assert len(lat["samples"]) == RUNS
    assert all(s > 0 for s in lat["samples"])
    assert 0 < lat["min"] <= lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert lat["min"] <= lat["mean"] <= lat["max"]
    assert lat["std"] >= 0
    assert r.data["load_ms"] > 0 and r.data["first_inference_ms"] > 0
    mem = r.data["memory"]
    assert mem["model_file_bytes"] == model.stat().st_size == r.size_bytes
    assert mem["peak_rss_bytes"] >= mem["rss_before_load_bytes"] > 0
    assert r.data["model"]["input_shapes"] == [list(tiny_models.INPUT_SHAPE)]
    env = r.data["environment"]
    assert env["threads"] == 1 and env["cores_usable"] >= 1
    assert env["cpu_model"] and env["arch"]
    assert env["edgekit_version"] == ekp.__dict__.get("__version__", env["edgekit_version"])
    assert r.data["schema_version"] == ekp.SCHEMA_VERSION


def _profile(path: Path, **kw) -> ekp.Result:
    return ekp.profile(path, runs=RUNS, warmup=2, threads=1, per_op_runs=5, **kw)


def test_executorch_with_etrecord_maps_delegate_ops_to_layers(tiny: Path) -> None:
    r = _profile(tiny / "tiny.pte")
    _check_sane(r, tiny / "tiny.pte")
    assert r.runtime == "executorch" and r.data["runtime"]["version"]
    per_op = r.per_op
    assert per_op["available"] and per_op["timed"] and per_op["source"] == "etdump+etrecord"
    ops = per_op["ops"]
    assert per_op["op_count"] == len(ops)
    # Inside XNNPACK: 3 convolutions (pointwise runs as a GEMM) and the final linear, each mapped back
    # to its layer in graph order; the mean runs outside the delegate as a portable kernel.
    compute = [op for op in ops if op["name"].startswith(("Convolution", "Fully Connected"))]
    assert [op["layer"] for op in compute] == list(tiny_models.LAYERS)
    assert all(op["delegate"] == "XnnpackBackend" for op in compute)
    native = [op for op in ops if not op["delegate"]]
    assert [op["op_type"] for op in native] == ["aten.mean.dim"]
    assert all(op["p50_ms"] >= 0 for op in ops)
    assert sum(op["p50_ms"] for op in ops) <= r.latency["max"] * 5  # op times are per inference


def test_executorch_without_etrecord_still_times_delegate_ops(tiny: Path, tmp_path: Path) -> None:
    pte = tmp_path / "alone.pte"
    pte.write_bytes((tiny / "tiny.pte").read_bytes())
    r = _profile(pte)
    per_op = r.per_op
    assert per_op["source"] == "etdump" and per_op["timed"]
    assert any("no ETRecord" in n for n in per_op["notes"])
    compute = [op for op in per_op["ops"] if op["name"].startswith(("Convolution", "Fully Connected"))]
    assert len(compute) == len(tiny_models.LAYERS)
    assert all(op["layer"] is None for op in compute)


def test_onnxruntime_per_op_matches_optimized_graph(tiny: Path, tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort

    r = _profile(tiny / "tiny.onnx")
    _check_sane(r, tiny / "tiny.onnx")
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.optimized_model_filepath = str(tmp_path / "opt.onnx")
    ort.InferenceSession(str(tiny / "tiny.onnx"), so, providers=["CPUExecutionProvider"])
    graph_nodes = onnx.load(str(tmp_path / "opt.onnx")).graph.node
    per_op = r.per_op
    assert per_op["timed"] and per_op["source"] == "onnxruntime-profiler"
    assert per_op["op_count"] == len(graph_nodes)
    assert sorted(op["op_type"] for op in per_op["ops"]) == sorted(n.op_type for n in graph_nodes)
    # fused nodes ('/Relu_output_0_nchwc') are traced back to the Conv/Gemm that carries the weights
    weighted = [op["layer"] for op in per_op["ops"] if op["op_type"] in ("Conv", "FusedConv", "Gemm")]
    assert sorted(weighted) == sorted(tiny_models.LAYERS)


def test_litert_lists_ops_without_faking_times(tiny: Path) -> None:
    from ai_edge_litert import schema_py_generated as schema

    r = _profile(tiny / "tiny.tflite")
    _check_sane(r, tiny / "tiny.tflite")
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs((tiny / "tiny.tflite").read_bytes(), 0))
    operators = model.subgraphs[0].operators
    per_op = r.per_op
    assert per_op["available"] and not per_op["timed"]
    assert per_op["op_count"] == len(operators)
    assert all(op["p50_ms"] is None for op in per_op["ops"])
    assert any("no per-op timings" in n for n in per_op["notes"])
    assert [op["op_type"] for op in per_op["ops"]].count("CONV_2D") == 2  # stem + pointwise


def test_bundle_profiles_every_artifact_with_manifest_metadata(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs"
    rc = main(["profile", str(tiny / "bundle"), "--all", "--runs", "5", "--warmup", "1", "--threads", "1",
               "--per-op-runs", "0", "--json", str(out)])
    assert rc == 0
    results = sorted((ekp.load_result(p) for p in out.glob("*.json")), key=lambda r: r.data["model"]["file"])
    assert [r.runtime for r in results] == ["onnx", "executorch", "tflite"]  # tiny.onnx, .pte, .tflite
    manifest_acc = __import__("json").loads((tiny / "bundle" / "edgekit.json").read_text())["accuracy"]
    for r in results:
        assert r.variant == "fp32/dense"
        assert r.accuracy == pytest.approx(manifest_acc["top1"])
        assert r.data["model"]["sha256"] and r.data["model"]["target_kind"] == "bundle"
        assert "per_op" not in r.data or r.data["per_op"] is None
    only_onnx = ekp.profile(tiny / "bundle", runtime="onnx", runs=3, warmup=0, per_op_runs=0)
    assert only_onnx.runtime == "onnx" and only_onnx.label == "tiny fp32/dense · onnx"


def test_saved_result_round_trips(tiny: Path, tmp_path: Path) -> None:
    r = ekp.profile(tiny / "tiny.onnx", runs=3, warmup=0, per_op_runs=0)
    path = r.save(tmp_path / "r.json")
    assert ekp.load_result(path).data == r.data


def test_peak_rss_is_the_workers_not_the_parents(tiny: Path) -> None:
    """Linux keeps ru_maxrss across fork+exec: a big parent must not inflate the worker's peak."""
    import numpy as np

    ballast = np.ones(400 * 2**20 // 8)  # 400 MiB, touched
    r = ekp.profile(tiny / "tiny.onnx", runs=3, warmup=0, per_op_runs=0)
    assert ballast.sum() > 0
    assert 0 < r.data["memory"]["rss_before_load_bytes"] <= r.peak_rss_bytes < 300 * 2**20
