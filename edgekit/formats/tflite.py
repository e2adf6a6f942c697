"""TFLite writer: litert-torch -> .tflite, then an optional post-process step (sparse weights).

int8 is full-integer: PT2E with litert-torch's PT2EQuantizer (per-channel symmetric weights, int8
activations); the file's input and output are int8 and the runtime (de)quantizes at the edges.
Hook for sparse TFLite: `post_process()` rewrites the bytes; what it returns goes into the manifest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgekit.formats.base import WriteJob
from edgekit.quant.pt2e import litert_quantizer, quantize_pt2e


def convert_bytes(job: WriteJob, precision: str, scratch: Path) -> bytes:
    import litert_torch
    from litert_torch.quantize.quant_config import QuantConfig

    litert_torch.config.show_progress = False
    if precision == "int8":
        quantizer = litert_quantizer()
        model = quantize_pt2e(job.model, job.example, job.calib, quantizer, fold_quantize=False)
        edge = litert_torch.convert(model, (job.example,), quant_config=QuantConfig(pt2e_quantizer=quantizer))
    else:
        edge = litert_torch.convert(job.model, (job.example,))
    edge.export(str(scratch))
    return scratch.read_bytes()


def post_process(job: WriteJob, data: bytes) -> tuple[bytes, dict[str, Any]]:
    """Store group-sparse weights in TFLite's sparse format when the model is sparse (else untouched)."""
    if not (job.config.tflite_sparse and job.sparsity is not None):
        return data, {"tflite_sparse": None}
    from edgekit.formats.tflite_sparse import sparsify_bytes
    from edgekit.formats.tflite_sparse.hook import manifest_info

    result = sparsify_bytes(data)
    # layers: {torch layer: {storage: block_sparse|densify|dense, block, ...}}, xnnpack_sparse_inference
    info = manifest_info(result, job.model, data)
    return result.data, {"tflite_sparse": {"sparse": result.is_sparse, **info}}


def write(job: WriteJob, precision: str, path: Path) -> dict[str, Any]:
    data = convert_bytes(job, precision, path.with_name(path.name + ".raw"))
    path.with_name(path.name + ".raw").unlink(missing_ok=True)
    data, info = post_process(job, data)
    path.write_bytes(data)
    info["quantization"] = ("full-integer int8 (PT2E, per-channel symmetric weights), int8 input/output"
                            if precision == "int8" else None)
    return info
