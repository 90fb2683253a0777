"""A small U-Net for the paper's semantic-segmentation baseline (one channel per class)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """Four down/up levels; input (B, 1, H, W) with H, W multiples of 16; logits out."""

    def __init__(self, num_classes: int, width: int = 16) -> None:
        super().__init__()
        chans = [width * 2**i for i in range(5)]
        self.down = nn.ModuleList([_block(1, chans[0])])
        self.down.extend(_block(chans[i], chans[i + 1]) for i in range(4))
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2) for i in reversed(range(4))
        )
        self.merge = nn.ModuleList(_block(chans[i] * 2, chans[i]) for i in reversed(range(4)))
        self.head = nn.Conv2d(chans[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for up, merge in zip(self.up, self.merge, strict=True):
            x = merge(torch.cat([up(x), skips.pop()], dim=1))
        return self.head(x)


def unet_loss(logits: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """Cross-entropy plus soft Dice over the foreground classes (class imbalance is large)."""
    ce = F.cross_entropy(logits, target)
    probs = logits.float().softmax(dim=1)[:, 1:]
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).float()[:, 1:]
    inter = (probs * onehot).sum(dim=(0, 2, 3))
    denom = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    present = onehot.sum(dim=(0, 2, 3)) > 0
    dice = (2 * inter + 1) / (denom + 1)
    dice_loss = 1 - dice[present].mean() if present.any() else probs.sum() * 0
    return {"loss_ce": ce, "loss_dice": dice_loss}
