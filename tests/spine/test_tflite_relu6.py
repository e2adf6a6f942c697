"""int8 .tflite: conv -> ReLU6 is quantized as one op (its int8 grid covers [0, max], not the conv range).

Before edgekit.quant.litert_relu6, litert-torch gave each ReLU6 the observer of the conv before it, so the
fused CONV_2D/RELU6 output grid spent its lower half on negatives the clamp removes (fmnist_mobilenet_v2:
int8 .tflite 87.33% vs 87.86% fp32 on the Fashion-MNIST test set; 87.86% with the fix: docs/ACCURACY.md).
"""

from __future__ import annotations

import pytest
import torch
from conftest import ZOO_SMALL
from torch import nn

from edgekit import models
from edgekit.quant.litert_relu6 import annotate_conv_relu6, litert_quantizer


@pytest.mark.xdist_group("spine-mobilenet_v2")
def test_every_relu6_conv_output_starts_at_zero(zoo_export) -> None:
    from ai_edge_litert.interpreter import Interpreter

    result = zoo_export("mobilenet_v2")
    entry = next(a for a in result.artifacts if a["format"] == "tflite" and a["precision"] == "int8")
    tfl = Interpreter(model_path=str(result.bundle / entry["file"]))
    tensors = {t["index"]: t for t in tfl.get_tensor_details()}
    convs = [o for o in tfl._get_ops_details() if o["op_name"] in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    at_zero = [o for o in convs if tensors[o["outputs"][0]]["quantization"][1] == -128]  # int8 min is 0.0
    relu6 = sum(isinstance(m, nn.ReLU6) for m in models.create("mobilenet_v2", **ZOO_SMALL["mobilenet_v2"])
                .modules())
    assert relu6 > 10 and len(at_zero) == relu6, (len(convs), len(at_zero), relu6)


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Conv2d(3, 4, 3), nn.Conv2d(4, 4, 1), nn.Conv2d(4, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = nn.functional.relu6(self.a(x))                 # aten.relu6: fused pattern
        z = self.b(y)
        w = nn.functional.hardtanh(self.c(y), -1.0, 1.0)   # not a ReLU6: left to litert-torch
        return nn.ReLU6()(z) + z + w                       # b's output has two users: not fused


def test_only_single_use_conv_relu6_pairs_are_annotated() -> None:
    gm = torch.export.export(_Net().eval(), (torch.randn(1, 3, 8, 8),)).module()
    assert annotate_conv_relu6(gm, litert_quantizer().global_config) == 1
    annotated = [str(n.target) for n in gm.graph.nodes
                 if n.op == "call_function" and "quantization_annotation" in n.meta]
    assert annotated == ["aten.conv2d.default", "aten.relu6.default"], annotated


def test_nn_relu6_after_a_conv_is_annotated() -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU6(), nn.Conv2d(4, 4, 1), nn.Hardtanh(0.0, 1.0)).eval()
    gm = torch.export.export(net, (torch.randn(1, 3, 8, 8),)).module()
    assert annotate_conv_relu6(gm, litert_quantizer().global_config) == 1   # Hardtanh(0, 1) is not ReLU6
