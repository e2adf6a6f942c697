"""LSNet (T/S/B) in an exportable form: pure-PyTorch SKA, decomposed GroupNorm, reparameterisation, and
loading of original checkpoints. See docs/LSNET.md."""

from edgekit.models.lsnet import zoo as zoo  # registers the models
from edgekit.models.lsnet.checkpoint import load_original_checkpoint, to_original_state_dict
from edgekit.models.lsnet.model import CONFIGS, PUBLISHED, LSNet, LSNetConfig, lsnet_b, lsnet_s, lsnet_t
from edgekit.models.lsnet.reparam import reparameterize
from edgekit.models.lsnet.ska import ska, ska_reference, to_tap_major

__all__ = [
    "CONFIGS", "PUBLISHED", "LSNet", "LSNetConfig", "load_original_checkpoint", "lsnet_b", "lsnet_s",
    "lsnet_t", "reparameterize", "ska", "ska_reference", "to_original_state_dict", "to_tap_major",
]
