"""Group-sparse models in TFLite's own sparse format: block-sparse FULLY_CONNECTED weights read
directly (op version 8), other sparse weights compressed behind DENSIFY, XNNPACK sparse-inference
qualification. See docs/TFLITE_SPARSE.md."""

from edgekit.formats.tflite_sparse.check import check_model, violations
from edgekit.formats.tflite_sparse.hook import postprocess_tflite
from edgekit.formats.tflite_sparse.storage import DENSE, DENSIFY, DIRECT, LayerStorage, Policy
from edgekit.formats.tflite_sparse.writer import SparseResult, sparsify_bytes, write_sparse
from edgekit.formats.tflite_sparse.xnnpack import Qualification, qualify

__all__ = ["DENSE", "DENSIFY", "DIRECT", "LayerStorage", "Policy", "Qualification", "SparseResult",
           "check_model", "postprocess_tflite", "qualify", "sparsify_bytes", "violations", "write_sparse"]
