"""How large a CT MIP is shown to the net: never smaller than a fixed scale.

torchvision's Mask R-CNN resizes every image so that its short side reaches `min_size`
unless its long side would pass `max_size`. A MIP's pixels are millimetres (the CT
paper's 1 mm grid), so under that rule the scale in net pixels per millimetre depends on
how long the scan is: a 5-vertebra lumbar crop (100 x 180 px) is shown at 2.8 px/mm, a
whole thoracolumbar spine (180 x 556 px) at 0.9 under the starter's 384 / 512. Its
vertebrae were then a third of the size the model learnt, and the starter found 4-7 of
the 14-17 vertebrae of long scans (measured: docs/ml.md, "Round 10").

`FlooredTransform` keeps torchvision's rule and adds a floor, `min_scale` net pixels per
image pixel: short views are still blown up to the net's input size as before (what every
trained CT model learnt), long ones are no longer shrunk below the floor. Radiograph
models come pre-scaled to their long side (`resize_in_training=False`) and never get it.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn
from torchvision.models.detection.transform import GeneralizedRCNNTransform


def resize_scale(shape: tuple[int, int], min_size: float, max_size: float, floor: float) -> float:
    """Net pixels per image pixel for an image of `shape` (h, w): torchvision's rule,
    never below `floor`."""
    h, w = shape
    return max(min(min_size / min(h, w), max_size / max(h, w)), floor)


class FlooredTransform(GeneralizedRCNNTransform):
    """GeneralizedRCNNTransform whose resize never goes below `min_scale`."""

    # torchvision sets these in its __init__ without annotations mypy can read
    min_size: tuple[float, ...]
    max_size: float

    def __init__(self, *args: Any, min_scale: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_scale = float(min_scale)

    def resize(
        self, image: Tensor, target: dict[str, Tensor] | None = None
    ) -> tuple[Tensor, dict[str, Tensor] | None]:
        if self.training and self._skip_resize:
            return image, target
        h, w = (int(s) for s in image.shape[-2:])
        size = self.torch_choice(self.min_size) if self.training else self.min_size[-1]
        scale = resize_scale((h, w), size, self.max_size, self.min_scale)
        # torchvision's own resize (image, masks and boxes alike) at sizes whose rule gives
        # exactly `scale`; restored at once (a model is used by one thread at a time)
        kept = self.min_size, self.max_size
        self.min_size, self.max_size = (scale * min(h, w),), scale * max(h, w)
        try:
            return super().resize(image, target)
        finally:
            self.min_size, self.max_size = kept


def floor_resize(model: nn.Module, min_scale: float) -> None:
    """Give a built Mask R-CNN the floored resize (in place); `min_scale` <= 0: leave it."""
    old: Any = model.transform
    if min_scale <= 0 or old._skip_resize:
        return
    model.transform = FlooredTransform(
        old.min_size,
        old.max_size,
        old.image_mean,
        old.image_std,
        size_divisible=old.size_divisible,
        fixed_size=old.fixed_size,
        _skip_resize=old._skip_resize,
        min_scale=min_scale,
    )
