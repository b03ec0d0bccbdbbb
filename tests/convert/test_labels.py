import numpy as np
import torch

import fiftyone as fo

from fo_sam3.convert.labels import box_and_mask, full_mask
from fo_sam3.convert.masks import upsample_mask


def test_tight_box_rebuilds_exact_mask():
    torch.manual_seed(0)
    logits = torch.randn(288, 288)
    cropped = upsample_mask(logits, 333, 777)
    box, mask = box_and_mask(cropped, [0, 0, 10, 10], 777, 333, "mask")
    det = fo.Detection(bounding_box=box, mask=mask, label="x", confidence=0.5)
    assert (full_mask(det, 777, 333) == cropped.to_full(333, 777)).all()
    assert det.label == "x" and det.confidence == 0.5


def test_model_box_keeps_model_box():
    logits = torch.full((288, 288), -5.0)
    logits[100:150, 100:150] = 5.0
    cropped = upsample_mask(logits, 288, 288)
    box, mask = box_and_mask(cropped, [90.4, 95.0, 140.0, 160.2], 288, 288, "model")
    det = fo.Detection(bounding_box=box, mask=mask)
    np.testing.assert_allclose(np.array(det.bounding_box) * 288, [90, 95, 50, 66], atol=1e-9)
    assert det.mask.shape == (66, 50)
