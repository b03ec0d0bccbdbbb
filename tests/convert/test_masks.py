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

