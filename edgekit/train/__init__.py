"""Training and fine-tuning on real data (Fashion-MNIST, scikit-learn digits) on the CPU."""

from edgekit.train.checkpoint import load_model, read_checkpoint, save_model
from edgekit.train.loop import History, TrainConfig, evaluate, fit

__all__ = ["History", "TrainConfig", "evaluate", "fit", "load_model", "read_checkpoint", "save_model"]
