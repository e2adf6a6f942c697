"""`edgekit export --format tflite`: the sparse form is written when the model carries sparsity, the
switch forces dense, and the manifest records per-layer storage under the torch layer names."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from edgekit.formats.tflite_sparse import DENSE, DENSIFY, DIRECT, flatbuf

from .conftest import run

USER_MODEL = textwrap.dedent('''
    import torch
    from torch import nn

    INPUT_SHAPE = (1, 3, 16, 16)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 16, 3, 2, 1)
            self.pw = nn.Conv2d(16, 64, 1)
            self.dw = nn.Conv2d(64, 64, 3, 1, 1, groups=64)
            self.fc = nn.Linear(64, 32)

        def forward(self, x):
            x = self.dw(torch.relu(self.pw(torch.relu(self.stem(x)))))
            return self.fc(x.mean((2, 3)))

    @torch.no_grad()
    def build():
        torch.manual_seed(0)
        net = Net().eval()
        g = torch.Generator().manual_seed(1)
        pw = net.pw.weight.view(16, 4, 16)                    # 4x1 groups: 4 output channels x 1 input
        pw.mul_((torch.rand(16, 1, 16, generator=g) > 0.9).float())
        fc = net.fc.weight.view(32, 16, 4)                    # TFLite's 1x4 blocks
        fc.mul_((torch.rand(32, 16, 1, generator=g) > 0.9).float())
        return net
''')


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from edgekit.config import ExportConfig
    from edgekit.export import export

    root = tmp_path_factory.mktemp("export")
    src = root / "sparse_net.py"
    src.write_text(USER_MODEL)
    out = {}
    for label, sparse in (("sparse", True), ("dense", False)):
        cfg = ExportConfig(model=f"{src}:build", formats=["tflite"], precisions=["fp32"], eval_n=4,
                           out=str(root / label), tflite_sparse=sparse)
        out[label] = export(cfg.validate(), progress=lambda *_: None).bundle
    return out


def _artifact(bundle_dir):
    manifest = json.loads((bundle_dir / "edgekit.json").read_text())
    (art,) = manifest["artifacts"]
    return manifest, art, (bundle_dir / art["file"]).read_bytes()


def test_export_writes_sparse_tflite_and_records_storage(exported):
    manifest, art, data = _artifact(exported["sparse"])
    assert manifest["sparsity"] is not None and art["parity_ok"]
    info = art["tflite_sparse"]
    assert info["sparse"] is True
    storage = {name: layer["storage"] for name, layer in info["layers"].items()}
    assert storage == {"stem": DENSE, "pw": DENSIFY, "dw": DENSE, "fc": DIRECT}
    xnn = info["xnnpack_sparse_inference"]  # 3x3 s2 stem, 90%-zero 1x1 conv, depthwise, mean
    assert xnn["qualifies"] is True and 0.85 < xnn["conv1x1_zero_fraction"] < 0.95
    model = flatbuf.read(data)
    assert any(t.sparsity is not None for t in model.subgraphs[0].tensors)


def test_dense_switch_and_parity_between_the_two_files(exported):
    _, art_s, sparse = _artifact(exported["sparse"])
    _, art_d, dense = _artifact(exported["dense"])
    assert art_d["tflite_sparse"] is None
    assert not any(t.sparsity is not None for t in flatbuf.read(dense).subgraphs[0].tensors)
    assert art_s["size_bytes"] < art_d["size_bytes"]
    x = np.random.default_rng(0).standard_normal((1, 3, 16, 16)).astype(np.float32)
    for builtin_only in (False, True):
        y_d, y_s = run(dense, x, builtin_only), run(sparse, x, builtin_only)
        np.testing.assert_allclose(y_s, y_d, rtol=1e-5, atol=1e-5 * np.abs(y_d).max())
