"""Small real models converted by litert-torch, pruned in TFLite's block shapes, shared per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

INPUT = (1, 3, 16, 16)
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """One xdist worker runs this directory: the converted models (session fixtures) are built once."""
    for item in items:
        if Path(str(item.fspath)).parent == HERE:
            item.add_marker(pytest.mark.xdist_group("tflite_sparse"))


class TinyNet(nn.Module):
    """A MobileNet-shaped toy: 3x3 s2 stem, 1x1 convs, depthwise, spatial mean, two linears."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, 2, 1)
        self.expand = nn.Conv2d(16, 64, 1)
        self.dw = nn.Conv2d(64, 64, 3, 1, 1, groups=64)
        self.project = nn.Conv2d(64, 64, 1)
        self.fc = nn.Linear(64, 128)
        self.head = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.stem(x))
        x = torch.relu(self.expand(x))
        x = self.project(torch.relu(self.dw(x)))
        return self.head(torch.relu(self.fc(x.mean((2, 3)))))


@torch.no_grad()
def prune_blocks(weight: torch.Tensor, rows: int, cols: int, sparsity: float, seed: int) -> None:
    """Zero a `sparsity` fraction of rows x cols blocks of a [O, I, ...] weight (in place)."""
    w = weight.reshape(weight.shape[0], -1)
    o, i = w.shape
    g = torch.Generator().manual_seed(seed)
    drop = torch.rand(o // rows, i // cols, generator=g) < sparsity
    mask = drop.repeat_interleave(rows, 0).repeat_interleave(cols, 1)
    w[mask] = 0


def tiny_net(fc_block: int, sparsity: float = 0.9, seed: int = 0) -> TinyNet:
    torch.manual_seed(seed)
    m = TinyNet().eval()
    prune_blocks(m.expand.weight, 4, 1, sparsity, seed + 1)
    prune_blocks(m.project.weight, 4, 1, sparsity, seed + 2)
    prune_blocks(m.fc.weight, 1, fc_block, sparsity, seed + 3)
    prune_blocks(m.head.weight, 1, fc_block, sparsity, seed + 4)
    return m


def convert_fp32(model: nn.Module, shape: tuple[int, ...] = INPUT) -> bytes:
    import litert_torch

    return bytes(litert_torch.convert(model, (torch.randn(*shape),)).model_content())


def convert_int8(model: nn.Module, per_channel: bool, shape: tuple[int, ...] = INPUT) -> bytes:
    import litert_torch
    from litert_torch.quantize import pt2e_quantizer as pq
    from litert_torch.quantize import quant_config as qc
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    config = pq.get_symmetric_quantization_config(is_per_channel=per_channel)
    quantizer = pq.PT2EQuantizer().set_global(config)
    example = (torch.randn(*shape),)
    prepared = prepare_pt2e(torch.export.export(model, example).module(), quantizer)
    g = torch.Generator().manual_seed(7)
    for _ in range(8):
        prepared(torch.randn(*shape, generator=g))
    quantized = convert_pt2e(prepared, fold_quantize=False)
    return bytes(litert_torch.convert(quantized, example,
                                      quant_config=qc.QuantConfig(pt2e_quantizer=quantizer)).model_content())


def run(data: bytes, x: np.ndarray, builtin_only: bool = False, threads: int = 1) -> np.ndarray:
    """Run a .tflite in the default interpreter (XNNPACK) or with the builtin-only resolver."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    rt = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES if builtin_only else OpResolverType.AUTO
    it = Interpreter(model_content=data, experimental_op_resolver_type=rt, num_threads=threads)
    it.allocate_tensors()
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    if inp["dtype"] == np.int8:
        scale, zero = inp["quantization"]
        x = np.clip(np.round(x / scale) + zero, -128, 127).astype(np.int8)
    it.set_tensor(inp["index"], x.astype(inp["dtype"]))
    it.invoke()
    return it.get_tensor(out["index"]).copy()


@pytest.fixture(scope="session")
def fp32_model() -> tuple[TinyNet, bytes]:
    m = tiny_net(fc_block=4)
    return m, convert_fp32(m)


@pytest.fixture(scope="session")
def int8_files() -> dict[str, bytes]:
    m = tiny_net(fc_block=16)
    return {"per_tensor": convert_int8(m, per_channel=False),
            "per_channel": convert_int8(m, per_channel=True)}


@pytest.fixture(scope="session")
def inputs() -> np.ndarray:
    return np.random.default_rng(3).standard_normal((1, *INPUT[1:])).astype(np.float32)
