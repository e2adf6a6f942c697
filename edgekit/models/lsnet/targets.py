"""Export an (LSNet) module straight to the three runtimes, run the files, and count delegated ops.

A thin harness for LSNet's tests and bench (edgekit's export API is the user path): ExecuTorch via the
XNNPACK partitioner, TFLite via litert-torch, ONNX via the TorchScript exporter; int8 via PT2E (XNNPACK
and litert-torch quantizers) or ONNX Runtime static QDQ, calibrated on the inputs given.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn


@dataclass
class Delegation:
    """Ops of an exported graph: how many the accelerated path takes and which ones it leaves out."""

    total: int
    delegated: int
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def share(self) -> float:
        return self.delegated / self.total if self.total else 0.0


def _op_name(node: torch.fx.Node) -> str:
    """'aten.convolution.default' -> 'convolution' (edge and aten overloads alike)."""
    text = str(node.target)
    if "aten." in text:
        return text.split("aten.", 1)[1].split(".", 1)[0]
    return getattr(node.target, "__name__", text)


def _calls(graph: torch.fx.Graph) -> list[torch.fx.Node]:
    return [n for n in graph.nodes if n.op == "call_function" and "getitem" not in str(n.target)]


def export_executorch(model: nn.Module, x: torch.Tensor, path: Path,
                      calib: Sequence[torch.Tensor] | None = None) -> Delegation:
    """Write a .pte (int8 when `calib` is given); return the XNNPACK delegation of its ops."""
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    module: nn.Module = model
    if calib is not None:
        from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
            XNNPACKQuantizer,
            get_symmetric_quantization_config,
        )
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

        quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
        module = prepare_pt2e(torch.export.export(model, (x,)).module(), quantizer)
        for sample in calib:
            module(sample)
        module = convert_pt2e(module)
    edge = to_edge_transform_and_lower(torch.export.export(module, (x,)), partitioner=[XnnpackPartitioner()])
    graph_module = edge.exported_program().graph_module
    delegated = sum(len(_calls(sub.original_module.graph)) for _, sub in graph_module.named_children()
                    if hasattr(sub, "original_module"))
    left = collections.Counter(_op_name(n) for n in _calls(graph_module.graph)
                               if "executorch_call_delegate" not in str(n.target))
    path.write_bytes(edge.to_executorch().buffer)
    return Delegation(delegated + sum(left.values()), delegated, dict(left))


def run_executorch(path: Path, x: torch.Tensor) -> np.ndarray:
    from executorch.runtime import Runtime

    method = Runtime.get().load_program(str(path)).load_method("forward")
    return method.execute([x])[0].numpy()


def export_tflite(model: nn.Module, x: torch.Tensor, path: Path,
                  calib: Sequence[torch.Tensor] | None = None) -> Delegation:
    """Write a .tflite (full-integer int8 weights/activations when `calib` is given); count builtins."""
    import litert_torch

    if calib is None:
        litert_torch.convert(model, (x,)).export(str(path))
    else:
        from litert_torch.quantize import pt2e_quantizer as pq
        from litert_torch.quantize import quant_config as qc
        from torchao.quantization.pt2e import quantize_pt2e

        quantizer = pq.PT2EQuantizer().set_global(
            pq.get_symmetric_quantization_config(is_per_channel=True, is_dynamic=False))
        module = quantize_pt2e.prepare_pt2e(torch.export.export(model, (x,)).module(), quantizer)
        for sample in calib:
            module(sample)
        module = quantize_pt2e.convert_pt2e(module, fold_quantize=False)
        litert_torch.convert(module, (x,), quant_config=qc.QuantConfig(pt2e_quantizer=quantizer)).export(
            str(path))
    return tflite_delegation(path)


def tflite_delegation(path: Path) -> Delegation:
    """Builtin ops vs custom/flex ops. (The interpreter's op list is the model's, not the execution plan
    after XNNPACK took its nodes, so this counts builtins: what XNNPACK or TFLite's own kernels run.)"""
    from ai_edge_litert.interpreter import Interpreter

    ops = Interpreter(model_path=str(path))._get_ops_details()
    names = [d["op_name"] for d in ops]
    left = collections.Counter(n for n in names if n.upper().startswith(("CUSTOM", "FLEX")))
    return Delegation(len(ops), len(ops) - sum(left.values()), dict(left))


def tflite_xnnpack_delegation(path: Path) -> Delegation:
    """Which of a .tflite's ops LiteRT's default XNNPACK delegate actually took.

    After allocate_tensors() the interpreter's node list holds the model's N ops followed by one DELEGATE
    node per XNNPACK partition (the Python API exposes nodes, not the execution plan). A partition is
    the set of original ops between its DELEGATE node's inputs and outputs: walk back from each output
    through the producing ops, stopping at the partition's inputs. Ops reached are delegated; the rest
    run on LiteRT's own kernels (listed by op name).
    """
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=1)
    original = interp._interpreter.NumNodes()
    interp.allocate_tensors()  # applies the delegate (hold no reference to _interpreter across this)
    native = interp._interpreter
    names = [native.NodeName(i) for i in range(native.NumNodes())]
    producer = {int(t): i for i in range(original) for t in native.NodeOutputs(i)}
    delegated: set[int] = set()
    for d in range(original, len(names)):
        boundary = {int(t) for t in native.NodeInputs(d)}
        stack = [int(t) for t in native.NodeOutputs(d)]
        while stack:
            node = producer.get(stack.pop())
            if node is None or node in delegated:
                continue
            delegated.add(node)
            stack.extend(int(t) for t in native.NodeInputs(node) if int(t) >= 0 and int(t) not in boundary)
    left = collections.Counter(names[i] for i in range(original) if i not in delegated)
    return Delegation(original, len(delegated), dict(left))


def tflite_op_types(path: Path) -> dict[str, int]:
    from ai_edge_litert.interpreter import Interpreter

    ops = Interpreter(model_path=str(path))._get_ops_details()
    return dict(collections.Counter(d["op_name"] for d in ops))


def run_tflite(path: Path, x: torch.Tensor) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path))
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    data = x.numpy()
    if inp["dtype"] != np.float32:
        scale, zero = inp["quantization"]
        data = np.clip(np.round(data / scale) + zero, -128, 127).astype(inp["dtype"])
    interp.set_tensor(inp["index"], data)
    interp.invoke()
    y = interp.get_tensor(out["index"])
    if out["dtype"] != np.float32:
        scale, zero = out["quantization"]
        y = (y.astype(np.float32) - zero) * scale
    return y


def export_onnx(model: nn.Module, x: torch.Tensor, path: Path,
                calib: Sequence[torch.Tensor] | None = None) -> Delegation:
    """Write a single-file .onnx (ORT static QDQ int8 when `calib` is given); count standard-domain ops."""
    import onnx

    fp32 = path if calib is None else path.with_suffix(".fp32.onnx")
    torch.onnx.export(model, (x,), str(fp32), dynamo=False, input_names=["input"], output_names=["logits"],
                      opset_version=17)
    if calib is not None:
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self.samples = iter([{"input": s.numpy()} for s in calib])

            def get_next(self) -> dict | None:
                return next(self.samples, None)

        pre = path.with_suffix(".pre.onnx")
        quant_pre_process(str(fp32), str(pre))
        # 7-bit weights, as edgekit's ONNX writer: ORT's x86 kernels without VNNI saturate 8-bit ones
        # (edgekit/quant/onnx_static.py)
        quantize_static(str(pre), str(path), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, reduce_range=True)
        pre.unlink()
        fp32.unlink()
    nodes = onnx.load(str(path)).graph.node
    custom = collections.Counter(n.op_type for n in nodes if n.domain not in ("", "ai.onnx"))
    return Delegation(len(nodes), len(nodes) - sum(custom.values()), dict(custom))


def onnx_op_types(path: Path) -> dict[str, int]:
    import onnx

    return dict(collections.Counter(n.op_type for n in onnx.load(str(path)).graph.node))


def run_onnx(path: Path, x: torch.Tensor) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x.numpy()})[0]


EXPORTERS = {
    "executorch": (export_executorch, run_executorch, ".pte"),
    "tflite": (export_tflite, run_tflite, ".tflite"),
    "onnx": (export_onnx, run_onnx, ".onnx"),
}


def parity(reference: np.ndarray, y: np.ndarray) -> dict[str, float]:
    reference, y = reference.reshape(reference.shape[0], -1), y.reshape(reference.shape[0], -1)
    cos = float((reference * y).sum() / (np.linalg.norm(reference) * np.linalg.norm(y) + 1e-30))
    return {"max_abs": float(np.abs(reference - y).max()), "cosine": cos,
            "top1": float((reference.argmax(1) == y.argmax(1)).mean())}


def sample_images(count: int, size: int, seed: int = 0) -> list[torch.Tensor]:
    """Real photos (scikit-learn's two sample images): seeded random crops, resized, ImageNet-normalised."""
    from sklearn.datasets import load_sample_images

    images = [torch.from_numpy(im).permute(2, 0, 1).float() / 255 for im in load_sample_images().images]
    gen = torch.Generator().manual_seed(seed)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
    out = []
    for i in range(count):
        im = images[i % len(images)]
        side = int(torch.randint(160, min(im.shape[1:]) + 1, (1,), generator=gen))
        top = int(torch.randint(0, im.shape[1] - side + 1, (1,), generator=gen))
        left = int(torch.randint(0, im.shape[2] - side + 1, (1,), generator=gen))
        crop = im[:, top:top + side, left:left + side][None]
        crop = torch.nn.functional.interpolate(crop, size=(size, size), mode="bilinear", antialias=True)
        out.append((crop[0] - mean) / std)
    return [t[None] for t in out]
