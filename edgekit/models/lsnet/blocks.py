"""LSNet's token mixers and block: LS convolution (large-kernel perception + SKA), attention, the block.

Layouts follow the paper: even-indexed blocks of a stage mix with a RepVGG depthwise conv + squeeze-excite,
odd-indexed ones with an LS convolution (or, in the last stage, multi-head attention); every block ends
with a residual FFN.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn

from edgekit.errors import InvalidInputError
from edgekit.models.lsnet.layers import FFN, ConvBN, RepVGGDW, Residual, SqueezeExcite
from edgekit.models.lsnet.norm import ExportableGroupNorm
from edgekit.models.lsnet.ska import SKA


class LKP(nn.Module):
    """Large-Kernel Perception: 1x1 -> 7x7 depthwise -> 1x1 -> 1x1 to K*K*C/G per-pixel weights -> GroupNorm.

    Returns the SKA weights tap-major, (N, K*K*C/G, H, W) (see ska.py). The GroupNorm normalises each
    weight channel's K*K taps over the image: one group per weight channel.
    """

    def __init__(self, dim: int, large_kernel: int = 7, small_kernel: int = 3, groups: int = 8) -> None:
        super().__init__()
        half, self.weight_channels, self.taps = dim // 2, dim // groups, small_kernel**2
        self.cv1 = ConvBN(dim, half)
        self.act = nn.ReLU()
        self.cv2 = ConvBN(half, half, large_kernel, pad=large_kernel // 2, groups=half)
        self.cv3 = ConvBN(half, half)
        self.cv4 = nn.Conv2d(half, self.taps * self.weight_channels, 1)
        self.norm = ExportableGroupNorm(self.weight_channels, self.taps * self.weight_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.cv3(self.cv2(self.act(self.cv1(x)))))
        w = self.norm(self.cv4(x))  # channel j*K*K + k: tap k of weight channel j
        n, _, h, wd = w.shape
        w = w.reshape(n, self.weight_channels, self.taps, h * wd).permute(0, 2, 1, 3)
        return w.reshape(n, self.taps * self.weight_channels, h, wd)


class LSConv(nn.Module):
    """LS convolution: x + BN(SKA(x, LKP(x)))."""

    def __init__(self, dim: int, large_kernel: int = 7, small_kernel: int = 3, groups: int = 8) -> None:
        super().__init__()
        self.lkp = LKP(dim, large_kernel, small_kernel, groups)
        self.ska = SKA(dim, small_kernel)
        self.bn: nn.Module = nn.BatchNorm2d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.ska(x, self.lkp(x))) + x


def relative_offset_index(resolution: int) -> torch.Tensor:
    """(R*R, R*R) index into an R*R table of |dy|, |dx| offsets (entry dy*R + dx), as in LeViT."""
    points = list(itertools.product(range(resolution), range(resolution)))
    idx = [abs(p[0] - q[0]) * resolution + abs(p[1] - q[1]) for p in points for q in points]
    return torch.tensor(idx, dtype=torch.long).view(len(points), len(points))


class Attention(nn.Module):
    """Multi-head attention on a fixed RxR grid with a learned bias per head and relative offset.

    The bias table depends on the grid size, which depends on the input size: build the model for the size
    you deploy (see LSNet(input_size=...)). `prepare_deploy()` materialises the (heads, R*R, R*R) bias as a
    constant and folds the key scale into the query's depthwise conv. Reload weights -> call .eval() again.
    """

    def __init__(self, dim: int, key_dim: int, num_heads: int, attn_ratio: float, resolution: int) -> None:
        super().__init__()
        self.num_heads, self.key_dim, self.resolution = num_heads, key_dim, resolution
        self.scale = key_dim**-0.5
        self.nh_kd = key_dim * num_heads
        self.dh = int(attn_ratio * key_dim) * num_heads
        self.qkv = ConvBN(dim, self.dh + 2 * self.nh_kd)
        self.dw: nn.Module = ConvBN(self.nh_kd, self.nh_kd, 3, 1, 1, groups=self.nh_kd)
        self.proj = nn.Sequential(nn.ReLU(), ConvBN(self.dh, dim, bn_weight_init=0.0))
        self.attention_biases = nn.Parameter(torch.zeros(num_heads, resolution * resolution))
        self.register_buffer("bias_index", relative_offset_index(resolution), persistent=False)
        self.register_buffer("deploy_bias", None, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        if h != self.resolution or w != self.resolution:
            raise InvalidInputError(
                f"LSNet attention was built for a {self.resolution}x{self.resolution} grid but got {h}x{w}",
                hint="build the model with input_size equal to the image size you run it on")
        n = h * w
        qkv = self.qkv(x)
        # Slices, not split(): split_with_sizes is not delegated by XNNPACK. 3-D bmm, not 4-D matmul:
        # matmul's broadcasting decomposes into expand ops XNNPACK does not take either.
        q = self.dw(qkv[:, :self.nh_kd])
        k = qkv[:, self.nh_kd:2 * self.nh_kd]
        v = qkv[:, 2 * self.nh_kd:]
        heads = b * self.num_heads
        q = q.reshape(heads, self.key_dim, n)
        k = k.reshape(heads, self.key_dim, n)
        v = v.reshape(heads, self.dh // self.num_heads, n)
        attn = torch.bmm(q.transpose(1, 2), k).reshape(b, self.num_heads, n, n)
        if self.scale != 1.0:
            attn = attn * self.scale
        bias = self.deploy_bias if self.deploy_bias is not None else self.attention_biases[:, self.bias_index]
        attn = (attn + bias).softmax(dim=-1).reshape(heads, n, n)
        out = torch.bmm(v, attn.transpose(1, 2)).reshape(b, self.dh, h, w)
        return self.proj(out)

    def train(self, mode: bool = True) -> Attention:
        """Eval mode caches the (heads, R*R, R*R) bias, so exported graphs hold a constant, not a gather."""
        super().train(mode)
        self.deploy_bias = None if mode else self.attention_biases[:, self.bias_index].detach().clone()
        return self

    @torch.no_grad()
    def prepare_deploy(self) -> None:
        """Call after the ConvBNs are fused (self.dw is a biased Conv2d)."""
        if not isinstance(self.dw, nn.Conv2d):
            raise RuntimeError("fuse the ConvBNs before Attention.prepare_deploy()")
        self.dw.weight.mul_(self.scale)
        self.dw.bias.mul_(self.scale)
        self.scale = 1.0
        self.train(False)


class Block(nn.Module):
    """mixer -> (squeeze-excite) -> residual FFN. Even `index`: RepVGG depthwise + SE; odd: LSConv or
    attention (last stage)."""

    def __init__(self, dim: int, key_dim: int, num_heads: int, attn_ratio: float, resolution: int,
                 index: int, use_attention: bool) -> None:
        super().__init__()
        if index % 2 == 0:
            self.mixer: nn.Module = RepVGGDW(dim)
            self.se: nn.Module = SqueezeExcite(dim, 0.25)
        else:
            self.se = nn.Identity()
            if use_attention:
                self.mixer = Residual(Attention(dim, key_dim, num_heads, attn_ratio, resolution))
            else:
                self.mixer = LSConv(dim)
        self.ffn = Residual(FFN(dim, 2 * dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ffn(self.se(self.mixer(x)))
