"""Small-Kernel Aggregation (SKA): a per-pixel, input-dependent KxK kernel shared across channel groups.

For input x (N, C, H, W) and weights w (N, Cw, K*K, H, W) with C = G * Cw, channel c uses the weights of
weight channel c % Cw:

    out[n, c, i, j] = sum_{a,b} x[n, c, i + a - p, j + b - p] * w[n, c % Cw, a*K + b, i, j]   (zero padding)

The published operator is a Triton GPU kernel. `ska` computes the same thing from ops every CPU target
delegates: one zero pad, K*K shifted slices of x, each times a broadcast slice of w, summed. It takes the
weights "tap-major" — (N, K*K*Cw, H, W), channel k*Cw + j = tap k of weight channel j — so each tap's
weights are one contiguous channel slice (XNNPACK slices only with stride 1) and every tensor stays 4-D.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def ska(x: torch.Tensor, w_tap_major: torch.Tensor, kernel_size: int = 3) -> torch.Tensor:
    """Exportable SKA. x: (N, C, H, W); w_tap_major: (N, K*K*Cw, H, W) with C a multiple of Cw."""
    n, c, h, wd = x.shape
    k = kernel_size
    taps = k * k
    cw = w_tap_major.shape[1] // taps
    if cw * taps != w_tap_major.shape[1] or cw == 0 or c % cw:
        raise ValueError(f"SKA: {w_tap_major.shape[1]} weight channels do not fit {k}x{k} taps, {c} channels")
    groups = c // cw
    pad = k // 2
    # Channel c = g*Cw + j uses weight channel j: view x as (N, G, Cw, ...) and broadcast w over G.
    xp = F.pad(x, (pad, pad, pad, pad)).reshape(n, groups, cw, h + 2 * pad, wd + 2 * pad)
    w = w_tap_major.reshape(n, 1, taps * cw, h, wd)
    out = None
    for tap in range(taps):
        dy, dx = divmod(tap, k)
        term = xp[:, :, :, dy:dy + h, dx:dx + wd] * w[:, :, tap * cw:(tap + 1) * cw]
        out = term if out is None else out + term
    return out.reshape(n, c, h, wd)


def to_tap_major(w: torch.Tensor) -> torch.Tensor:
    """(N, Cw, K*K, H, W) -> (N, K*K*Cw, H, W), tap-major."""
    n, cw, taps, h, wd = w.shape
    return w.permute(0, 2, 1, 3, 4).reshape(n, taps * cw, h, wd)


def ska_reference(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Straightforward unfold-based SKA in the published layout: w (N, Cw, K*K, H, W)."""
    n, c, h, wd = x.shape
    _, cw, taps, _, _ = w.shape
    k = math.isqrt(taps)
    cols = F.unfold(x, k, padding=k // 2).view(n, c, taps, h, wd)
    w_per_channel = w.repeat(1, c // cw, 1, 1, 1)  # channel c -> weight channel c % Cw
    return (cols * w_per_channel).sum(dim=2)


class SKA(nn.Module):
    """SKA as used inside LSNet: the shifted copies of x come from fixed one-hot depthwise convs.

    Same math as `ska`, but without a pad node: XNNPACK refuses the int8 constant pad it would need
    (`StaticConstantPad ... xnn_status_invalid_parameter` at load time), while a depthwise conv is delegated
    and quantised exactly (one-hot weights are exact in per-channel int8). The centre tap is x itself.
    """

    def __init__(self, channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.channels, self.kernel_size = channels, kernel_size
        taps = kernel_size * kernel_size
        self.centre = taps // 2
        for tap in range(taps):  # one buffer per tap: XNNPACK wants each conv weight as a static tensor
            kernel = torch.zeros(channels, 1, kernel_size, kernel_size)
            kernel[:, 0, tap // kernel_size, tap % kernel_size] = 1.0
            # persistent: torch.export's PT2E re-export loses non-persistent buffers (KeyError on
            # ExecuTorch int8); checkpoint loading fills these constants (not in original checkpoints).
            self.register_buffer(f"shift_{tap}", kernel)

    def forward(self, x: torch.Tensor, w_tap_major: torch.Tensor) -> torch.Tensor:
        n, c, h, wd = x.shape
        taps = self.kernel_size**2
        cw = w_tap_major.shape[1] // taps
        groups = c // cw
        w = w_tap_major.reshape(n, 1, taps * cw, h, wd)
        out = None
        for tap in range(taps):
            shifted = x if tap == self.centre else F.conv2d(
                x, getattr(self, f"shift_{tap}"), padding=self.kernel_size // 2, groups=c)
            term = shifted.reshape(n, groups, cw, h, wd) * w[:, :, tap * cw:(tap + 1) * cw]
            out = term if out is None else out + term
        return out.reshape(n, c, h, wd)
