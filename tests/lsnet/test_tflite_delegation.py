"""Counting which .tflite ops LiteRT's XNNPACK delegate takes (targets.tflite_xnnpack_delegation).

data/conv_cumsum.tflite (3.4 KB) was written by targets.export_tflite from
    conv3x3(3->8) -> relu -> cumsum(dim=3) -> conv1x1(8->8) + 1      on a 1x3x8x8 input
litert-torch made it TRANSPOSE, CONV_2D, CUMSUM, CONV_2D, TRANSPOSE (ADD folded into the bias). XNNPACK
has no CUMSUM, so the delegate takes 4 of the 5 ops in two partitions and CUMSUM runs on LiteRT's kernel.
(Converting it here would cost ~30 s of CPU; the file is the test input.)
"""

from __future__ import annotations

from pathlib import Path

from edgekit.models.lsnet.targets import tflite_delegation, tflite_xnnpack_delegation

DATA = Path(__file__).parent / "data"


def test_xnnpack_leaves_out_the_op_it_cannot_run():
    d = tflite_xnnpack_delegation(DATA / "conv_cumsum.tflite")
    assert (d.total, d.delegated, d.left_out) == (5, 4, {"CUMSUM": 1})
    assert d.share == 0.8


def test_the_op_list_alone_cannot_tell():
    # every op is a builtin: counting builtins (what the interpreter lists before delegation) says 100%
    assert tflite_delegation(DATA / "conv_cumsum.tflite").share == 1.0
