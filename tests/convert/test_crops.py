"""``convert.crops.crop_masks`` against the per-mask reference ``convert.masks.upsample_mask``."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fo_sam3.convert.crops import crop_masks
from fo_sam3.convert.masks import upsample_mask


def _crops_equal_reference(logits, h, w, threshold, budget, dense_pixels=None):
    got = dict(crop_masks(logits, h, w, threshold, budget=budget, dense_pixels=dense_pixels))
    assert sorted(got) == list(range(len(logits)))
    for k in range(len(logits)):
        ref = upsample_mask(logits[k], h, w, threshold)
        assert (got[k].x0, got[k].y0) == (ref.x0, ref.y0), k
        assert got[k].mask.shape == ref.mask.shape and np.array_equal(got[k].mask, ref.mask), k


@pytest.mark.parametrize("dense_pixels", [0, None, 1 << 40], ids=["boundary-cells", "cpu-default", "every-pixel"])
@pytest.mark.parametrize("kind", ["noise", "plateaus", "smooth", "non-finite"])
def test_batched_crops_are_exact_where_blends_touch_the_threshold(kind, dense_pixels):
    """Cells copied whole (all taps clearly inside/outside) and blended boundary cells together give
    exactly the per-mask reference, as do groups that blend every pixel (a GPU's default) and
    the CPU's mix of both: on taps at or a rounding step from the threshold, on NaN and
    infinite logits, when up- and downscaling, on non-square maps and with tiny budgets."""
    g = torch.Generator().manual_seed(7)
    for trial, ((lh, lw), (h, w), threshold, budget) in enumerate([
        ((288, 288), (1999, 1201), 0.0, 1 << 23), ((64, 64), (37, 500), 0.3, 4096),
        ((288, 200), (200, 100), -0.5, 50_000), ((5, 7), (1000, 3), 0.0, 1000),
    ]):
        k = 6
        if kind == "noise":
            logits = torch.randn(k, lh, lw, generator=g) * 5
        elif kind == "plateaus":  # taps exactly at the threshold and one float step around it
            step = torch.randint(-1, 2, (k, lh, lw), generator=g).float()
            logits = torch.nextafter(torch.full((k, lh, lw), threshold), step * 1e9) * step.abs() + threshold * (1 - step.abs())
        elif kind == "smooth":
            coarse = torch.randn(k, 1, 6, 6, generator=g) * 20
            logits = F.interpolate(coarse, size=(lh, lw), mode="bicubic", align_corners=False)[:, 0]
        else:
            logits = torch.randn(k, lh, lw, generator=g) * 5
            logits[0, ::3, ::5] = float("nan")
            logits[1, 1::4] = float("inf")
            logits[2, :, ::2] = -float("inf")
            logits[3] = float("nan")
        _crops_equal_reference(logits.contiguous(), h, w, threshold, budget, dense_pixels)
