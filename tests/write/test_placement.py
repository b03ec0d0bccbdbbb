"""Masks land where FiftyOne puts them: ``Detection.to_segmentation`` reads exactly the intended pixels.

The intended mask comes from the model's own low-resolution logits, upsampled
one instance at a time by ``upsample_mask`` (the per-mask implementation the
batched output stage replaced), so these tests also pin the batched path
pixel for pixel.
"""

import fiftyone as fo
import numpy as np
import pytest
import torch

import fo_sam3
from fo_sam3.config import SegmentConfig
from fo_sam3.convert.boxes import pixel_box, rel_box_for_pixels
from fo_sam3.convert.masks import crop_to_box, upsample_mask
from fo_sam3.concept.predictor import ConceptPredictor
from fo_sam3.engine.data import read_image
from fo_sam3.instance.options import InstanceOptions
from fo_sam3.instance.predictor import InstancePredictor
from fo_sam3.instance.prompts import box_prompts
from fo_sam3.prompts import text_queries


def _rendered(det, w, h) -> np.ndarray:
    return det.to_segmentation(frame_size=(w, h), target=1).mask > 0


def _random_boxes(rng, n):
    x, y = rng.uniform(0.0, 0.5, n), rng.uniform(0.0, 0.5, n)
    return [[float(a), float(b), float(rng.uniform(0.05, 0.45)), float(rng.uniform(0.05, 0.45))]
            for a, b in zip(x, y)]


def test_rel_box_for_pixels_floors_back_exactly():
    rng = np.random.default_rng(0)
    for _ in range(2000):
        w, h = (int(v) for v in rng.integers(1, 9000, 2))
        x0, x1 = sorted(int(v) for v in rng.integers(0, w + 1, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, h + 1, 2))
        box = rel_box_for_pixels((x0, y0, x1, y1), w, h)
        assert pixel_box(box, w, h) == (x0, y0, x1, y1)
        assert abs(box[0] - x0 / w) < 1e-12 and abs(box[2] - (x1 - x0) / w) < 1e-12


@pytest.mark.parametrize("output_dir", [False, True])
def test_concept_masks_render_exactly(dataset, tiny_model, tmp_path, output_dir):
    view = dataset.limit(3)
    cfg = dict(confidence=0.0, topk_per_query=3)
    kwargs = dict(output_dir=str(tmp_path)) if output_dir else {}
    fo_sam3.segment(view, "sam3", text=["cat", "person"], model=tiny_model, num_workers=0, progress=False,
                    **cfg, **kwargs)
    pred = ConceptPredictor(tiny_model, SegmentConfig(**cfg))
    for sample in view:
        pixels, (h, w) = read_image(sample.filepath)
        found = pred.predict(pixels[None], [(h, w)], [text_queries(["cat", "person"])])[0]
        dets = sample.sam3.detections
        assert len(dets) == len(found) == 6
        for det, inst in zip(dets, found):
            intended = upsample_mask(inst.logits, h, w).to_full(h, w)
            assert det.confidence == pytest.approx(inst.score, abs=1e-6)
            assert (_rendered(det, w, h) == intended).all()


@pytest.mark.parametrize("in_place", [True, False])
def test_instance_masks_render_exactly_in_random_boxes(dataset, tiny_inst_model, in_place):
    rng = np.random.default_rng(7)
    view = dataset.limit(3)
    for sample in view:
        sample["gt"] = fo.Detections(detections=[fo.Detection(label="x", bounding_box=b)
                                                 for b in _random_boxes(rng, 4)])
        sample.save()
    out = "gt" if in_place else "masks"
    fo_sam3.segment(view, out, mode="instance", box_field="gt", model=tiny_inst_model, num_workers=0,
                    progress=False)
    pred = InstancePredictor(tiny_inst_model, SegmentConfig())
    for sample in view:
        prompts = box_prompts(sample, "gt", None, InstanceOptions(), False, None)
        pixels, (h, w) = read_image(sample.filepath)
        found = pred.predict(pixels[None], [(h, w)], [prompts])[0]
        for det, m, src in zip(sample[out].detections, found, sample.gt.detections):
            assert det.bounding_box == src.bounding_box  # the user's box is kept
            cropped = upsample_mask(m.logits, h, w)
            x0, y0, x1, y1 = pixel_box(src.bounding_box, w, h)
            intended = np.zeros((h, w), bool)
            intended[y0:y1, x0:x1] = crop_to_box(cropped, (x0, y0, x1, y1))
            assert (_rendered(det, w, h) == intended).all()
            assert det.sam_score == pytest.approx(m.score, abs=1e-6)


def test_batched_crops_equal_per_mask_upsampling_on_awkward_sizes():
    from fo_sam3.convert.crops import crop_masks

    torch.manual_seed(3)
    logits = torch.randn(30, 288, 288) * 2 - 3
    for k in range(30):
        y, x = torch.randint(0, 250, (2,)).tolist()
        logits[k, y : y + 3 + k, x : x + 40 - k] += 8
    logits[5] = -4  # empty
    for h, w in [(1, 1), (37, 5), (300, 451), (1999, 1201)]:
        got = dict(crop_masks(logits, h, w, budget=50_000))  # small budget: many groups and row chunks
        for k in range(30):
            ref = upsample_mask(logits[k], h, w)
            assert (got[k].x0, got[k].y0) == (ref.x0, ref.y0) and np.array_equal(got[k].mask, ref.mask)
