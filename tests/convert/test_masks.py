import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fo_sam3.convert.masks import crop_to_box, mask_to_xyxy, round_box, upsample_mask


@pytest.mark.parametrize("size", [(512, 512), (300, 451), (1, 1), (1999, 1201), (37, 5)])
def test_upsample_equals_full_interpolation(size):
    h, w = size
    torch.manual_seed(h)
    logits = torch.randn(288, 288) * 3 - 2
    logits[:100] = -5
    ref = (F.interpolate(logits[None, None], size, mode="bilinear", align_corners=False)[0, 0] > 0).numpy()
    cropped = upsample_mask(logits, h, w)
    assert (cropped.to_full(h, w) == ref).all()
    if ref.any():
        assert cropped.xyxy == mask_to_xyxy(ref)


def test_empty_logits_give_empty_mask():
    cropped = upsample_mask(torch.full((288, 288), -3.0), 100, 200)
    assert cropped.mask.size == 0 and not cropped.to_full(100, 200).any()


def test_crop_to_box_and_round_box():
    full = np.zeros((10, 10), bool)
    full[2:5, 3:8] = True
    from fo_sam3.convert.masks import CroppedMask

    c = CroppedMask(3, 2, full[2:5, 3:8])
    part = crop_to_box(c, (0, 0, 5, 4))
    assert part.shape == (4, 5) and part.sum() == 4
    assert round_box([1.2, 0.5, 7.1, 12.0], 10, 10) == (1, 0, 8, 10)
    assert mask_to_xyxy(np.zeros((3, 3), bool)) is None


def test_packed_transfer_gives_the_same_bits():
    from fo_sam3.convert.masks import to_host

    g = torch.Generator().manual_seed(0)
    for shape in [(3, 5, 1), (2, 7, 8), (4, 9, 13), (1, 1, 17)]:
        out = torch.rand(shape, generator=g) > 0.5
        assert np.array_equal(to_host(out, packed=True), out.numpy())


def _crops_equal_reference(logits, h, w, threshold, budget):
    from fo_sam3.convert.masks import crop_masks

    got = dict(crop_masks(logits, h, w, threshold, budget=budget))
    assert sorted(got) == list(range(len(logits)))
    for k in range(len(logits)):
        ref = upsample_mask(logits[k], h, w, threshold)
        assert (got[k].x0, got[k].y0) == (ref.x0, ref.y0), k
        assert got[k].mask.shape == ref.mask.shape and np.array_equal(got[k].mask, ref.mask), k


@pytest.mark.parametrize("kind", ["noise", "plateaus", "smooth", "non-finite"])
def test_batched_crops_are_exact_where_blends_touch_the_threshold(kind):
    """Cells copied whole (all taps clearly inside/outside) and blended boundary cells together give
    exactly the per-mask reference: on taps at or a rounding step from the threshold, on NaN and
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
        _crops_equal_reference(logits.contiguous(), h, w, threshold, budget)
