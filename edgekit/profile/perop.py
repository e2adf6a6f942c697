"""Per-operator breakdowns from each runtime's own profiler (runs inside the worker, no edgekit imports).

Every function returns the same dict:
    {"available", "timed", "source", "notes": [..], "iterations", "op_count",
     "ops": [{"name", "op_type", "layer", "delegate", "p50_ms", "mean_ms"}]}
`op_count` counts operator executions per inference (delegate-internal ops included, wrapper events not).
"""

from __future__ import annotations

import json
import os
import statistics
from typing import Any

# ETDump bookkeeping events that are not operators (or that wrap ones we already count).
_ET_WRAPPERS = {"Method::execute", "OPERATOR_CALL", "DELEGATE_CALL", "Method::init", "Program::load_method"}
# aten ops that carry the weights of a layer; XNNPACK's compute ops map onto them in order.
_ATEN_COMPUTE = ("convolution", "linear", "addmm", "aten_mm_", "aten_bmm_")
_XNN_COMPUTE = ("Convolution", "Fully Connected", "Deconvolution", "Batch Matrix Multiply")


def _result(source: str, *, timed: bool, ops: list[dict], iterations: int, notes: list[str]) -> dict:
    return {"available": True, "timed": timed, "source": source, "notes": notes,
            "iterations": iterations, "op_count": len(ops), "ops": ops}


def unavailable(source: str, reason: str) -> dict:
    return {"available": False, "timed": False, "source": source, "notes": [reason],
            "iterations": 0, "op_count": 0, "ops": []}


def _deepest_layer(hierarchy: dict[str, Any]) -> str | None:
    """`{'L__self__': ('', Model), 'L__self__stem': ('stem', Conv2d)}` -> 'stem'."""
    paths = [v[0] for v in hierarchy.values() if isinstance(v, (tuple, list)) and v and v[0]]
    return max(paths, key=len) if paths else None


def _layers_of_delegate_call(event: Any) -> list[str | None]:
    """Layer names of the weight-carrying aten ops inside one delegate call, in graph order."""
    layers: list[str | None] = []
    hierarchy = event.module_hierarchy or {}
    for node_name, node_hier in hierarchy.items():
        if any(k in node_name for k in _ATEN_COMPUTE):
            layers.append(_deepest_layer(node_hier))
    return layers


def executorch_per_op(pte: str, inputs: list, iterations: int, workdir: str, extras: dict) -> dict:
    try:
        from executorch.devtools import Inspector
        from executorch.runtime import Runtime
    except ImportError as exc:
        return unavailable("etdump", f"executorch.devtools is not importable here ({exc})")
    program = Runtime.get().load_program(pte, enable_etdump=True, debug_buffer_size=0)
    method = program.load_method("forward")
    for _ in range(iterations):
        method.execute(inputs)
    etdump = os.path.join(workdir, "profile.etdp")
    program.write_etdump_result_to_file(etdump, os.path.join(workdir, "profile.debug.bin"))
    etrecord = extras.get("etrecord")
    notes: list[str] = []
    if not etrecord:
        notes.append("no ETRecord: delegate op times without aten op names or layers "
                     "(export with generate_etrecord=True to map ops to layers)")
    inspector = Inspector(etdump_path=etdump, etrecord=etrecord)
    ops: list[dict] = []
    pending: list[dict] = []  # delegate-internal ops seen before their DELEGATE_CALL event
    for block in inspector.event_blocks:
        if block.name != "Execute":
            continue
        for event in block.events:
            perf = event.perf_data
            if perf is None:
                continue
            if event.name == "DELEGATE_CALL":
                _assign_layers(pending, _layers_of_delegate_call(event))
                ops.extend(pending)
                pending = []
                continue
            if event.name in _ET_WRAPPERS:
                continue
            op_types = list(event.op_types or [])
            row = {"name": event.name,
                   "op_type": op_types[0] if op_types else event.name.split(" #")[0],
                   "layer": _deepest_layer(next(iter((event.module_hierarchy or {}).values()), {})),
                   "delegate": event.delegate_backend_name if event.is_delegated_op else None,
                   "p50_ms": float(perf.p50), "mean_ms": float(perf.avg)}
            (pending if event.is_delegated_op else ops).append(row)
    ops.extend(pending)
    if any(op["delegate"] for op in ops):
        notes.append("ops inside the XNNPACK delegate carry XNNPACK's operator names; layers are "
                     "matched to convolution/linear layers in graph order when ETRecord is present")
    return _result("etdump+etrecord" if etrecord else "etdump", timed=True, ops=ops,
                   iterations=iterations, notes=notes)


def _assign_layers(delegate_ops: list[dict], layers: list[str | None]) -> None:
    compute = [op for op in delegate_ops if op["name"].startswith(_XNN_COMPUTE)]
    if layers and len(compute) == len(layers):  # only when the match is one to one
        for op, layer in zip(compute, layers, strict=True):
            op["layer"] = layer


_ONNX_WEIGHTED = {"Conv", "Gemm", "MatMul", "ConvTranspose", "QLinearConv", "ConvInteger", "MatMulInteger"}


def _onnx_layer(node_name: str) -> str | None:
    """torch.onnx scopes: '/features/features.3/conv/conv.0/Conv' -> 'conv.0', '/fc/Gemm' -> 'fc'."""
    parts = [p for p in node_name.split("/") if p]
    return parts[-2] if len(parts) > 1 else None


def _onnx_producers(model_path: str | None) -> dict[str, Any]:
    """Output tensor name -> node of the original graph (needs the `onnx` package; {} without it)."""
    if not model_path:
        return {}
    try:
        import onnx
    except ImportError:
        return {}
    graph = onnx.load(model_path, load_external_data=False).graph
    return {out: node for node in graph.node for out in node.output}


def _layer_of_optimized_node(name: str, producers: dict[str, Any]) -> str | None:
    """ORT names fused nodes after their output ('/Relu_output_0_nchwc'): follow that tensor back
    through activations/DequantizeLinear to the Conv/Gemm that carries the weights."""
    layer = _onnx_layer(name)
    tensor = name.removesuffix("_nchwc")
    node = producers.get(tensor)
    for _ in range(4):
        if node is None:
            break
        if node.op_type in _ONNX_WEIGHTED:
            return _onnx_layer(node.name) or layer
        node = producers.get(node.input[0]) if node.input else None
    return layer


def onnxruntime_per_op(trace_path: str, iterations: int, model_path: str | None = None) -> dict:
    with open(trace_path, encoding="utf-8") as f:
        events = json.load(f)
    durations: dict[str, list[float]] = {}
    meta: dict[str, dict] = {}
    for ev in events:
        if ev.get("cat") != "Node" or not ev.get("name", "").endswith("_kernel_time"):
            continue
        node = ev["name"][: -len("_kernel_time")]
        durations.setdefault(node, []).append(ev["dur"] / 1000.0)
        meta.setdefault(node, ev.get("args", {}))
    producers = _onnx_producers(model_path)
    ops = []
    for node, durs in durations.items():
        timed = durs[1:] if len(durs) > iterations else durs  # drop the untimed first run
        args = meta[node]
        provider = args.get("provider", "")
        ops.append({"name": node, "op_type": args.get("op_name", "?"),
                    "layer": _layer_of_optimized_node(node, producers),
                    "delegate": None if provider == "CPUExecutionProvider" else provider or None,
                    "p50_ms": statistics.median(timed), "mean_ms": statistics.fmean(timed)})
    notes = ["node names are ONNX Runtime's optimized graph (fused nodes take the name of their output)"]
    return _result("onnxruntime-profiler", timed=True, ops=ops, iterations=iterations, notes=notes)


def litert_op_list(interpreter: Any) -> dict:
    """LiteRT's Python Interpreter has no op profiler: list the model's ops without times."""
    try:
        details = interpreter._get_ops_details()
    except Exception as exc:  # private API: degrade to nothing rather than fail the profile
        return unavailable("litert-interpreter", f"op list unavailable: {exc}")
    ops = []
    delegate_nodes = 0
    for d in details:
        if d["op_name"] == "DELEGATE":
            delegate_nodes += 1
            continue
        ops.append({"name": f"{d['op_name']} #{d['index']}", "op_type": d["op_name"], "layer": None,
                    "delegate": None, "p50_ms": None, "mean_ms": None})
    notes = ["ai_edge_litert's Python Interpreter exposes no per-op timings (the op profiler is only "
             "reachable from the C++ benchmark_model tool): ops are listed without times"]
    if delegate_nodes:
        notes.append(f"{delegate_nodes} delegate node(s) (XNNPACK) run these ops")
    return _result("litert-op-list", timed=False, ops=ops, iterations=0, notes=notes)
