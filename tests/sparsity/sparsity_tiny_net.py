"""A tiny CNN for fast tests: stem conv, a 1x1 conv with 10 output channels (not a multiple of 4 or 8),
a depthwise conv, a 1x1 conv, a hidden Linear and the classifier."""

import torch
from torch import nn

INPUT_SHAPE = (1, 1, 8, 8)
MEAN = (0.3051,)
STD = (0.3793,)


class TinyNet(nn.Module):
    def __init__(self, num_classes: int = 10, in_chans: int = 1, input_size: int = 8) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_chans, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.expand = nn.Sequential(nn.Conv2d(16, 10, 1), nn.BatchNorm2d(10), nn.ReLU())
        self.dw = nn.Sequential(nn.Conv2d(10, 10, 3, padding=1, groups=10), nn.ReLU())
        self.project = nn.Sequential(nn.Conv2d(10, 24, 1), nn.BatchNorm2d(24), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.hidden = nn.Linear(96, 32)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.project(self.dw(self.expand(self.stem(x)))))
        return self.fc(torch.relu(self.hidden(torch.flatten(x, 1))))


def tiny_net(num_classes: int = 10, in_chans: int = 1, input_size: int = 8) -> TinyNet:
    return TinyNet(num_classes, in_chans, input_size)


def trained_tiny_net() -> TinyNet:
    """The tiny net with the weights of the checkpoint named by $EDGEKIT_TEST_TINY_CKPT (for export tests)."""
    import os

    from edgekit.train import load_model

    model, _ = load_model(os.environ["EDGEKIT_TEST_TINY_CKPT"])
    return model
