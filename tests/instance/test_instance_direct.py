"""``InstancePredictor.predict`` on plain tensors, without a dataset or the runner, equals ``segment``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import fo_sam3
from fo_sam3.config import SegmentConfig
from fo_sam3.convert.labels import full_mask
from fo_sam3.convert.masks import upsample_mask
from fo_sam3.engine.data import image_pixels
from fo_sam3.engine.images import load_rgb
from fo_sam3.instance.predictor import InstancePredictor
from fo_sam3.instance.prompts import InstancePrompt

from inst_helpers import RUN


def _prompts(sample) -> list[InstancePrompt]:
    """By hand, in the documented convention: the detections' relative boxes, with the clicks
    (relative ``(x, y)``) of the keypoint linked to each (``index``)."""
    links = {kp.index: kp for kp in sample.kp.keypoints if kp.index is not None}
    out = []
    for det in sample.gt.detections:
        kp = links.get(det.index) if det.index is not None else None
        clicks = {} if kp is None else {"points": np.array(kp.points), "point_labels": np.array(kp.sam_labels)}
        out.append(InstancePrompt(det.id, det.label, np.array(det.bounding_box), **clicks))
    return out


def test_predict_on_plain_tensors_equals_the_pipeline(inst_ds, tiny_inst_model):
    summary = fo_sam3.segment(inst_ds, "masks", box_field="gt", point_field="kp", model=tiny_inst_model,
                              tighten_boxes=True, **RUN)
    assert (summary.done, summary.detections) == (2, 4)

    images = [load_rgb(s.filepath) for s in inst_ds]  # chelsea 451x300, coffee 600x400
    pixels = torch.stack([image_pixels(im) for im in images])
    sizes = [(im.height, im.width) for im in images]
    prompts = [_prompts(s) for s in inst_ds]
    assert any(len(p.points) for p in prompts[0]) and any(not len(p.points) for p in prompts[0])
    found = InstancePredictor(tiny_inst_model, SegmentConfig()).predict(pixels, sizes, prompts)

    assert len(found) == 2
    for sample, (h, w), masks, asked in zip(inst_ds, sizes, found, prompts):
        dets = sample.masks.detections
        assert [m.prompt for m in masks] == [0, 1] and len(dets) == 2
        for det, m in zip(dets, masks):
            assert det.source_id == asked[m.prompt].source_id
            assert det.sam_score == pytest.approx(m.score, abs=1e-6)
            assert (full_mask(det, w, h) == upsample_mask(m.logits, h, w).to_full(h, w)).all()


def test_single_clicks_give_three_candidates_on_plain_tensors(inst_ds, tiny_inst_model):
    sample = inst_ds.first()
    image = load_rgb(sample.filepath)
    click = InstancePrompt("k", "click", points=np.array([[0.7, 0.6]]), point_labels=np.array([1]))
    predictor = InstancePredictor(tiny_inst_model, SegmentConfig(), all_candidates=True)
    (masks,) = predictor.predict(image_pixels(image)[None], [(image.height, image.width)], [[click]])
    assert [(m.prompt, m.candidate) for m in masks] == [(0, 0), (0, 1), (0, 2)]
    best = InstancePredictor(tiny_inst_model, SegmentConfig()).predict(
        image_pixels(image)[None], [(image.height, image.width)], [[click]])[0]
    assert len(best) == 1 and best[0].score == pytest.approx(max(m.score for m in masks), abs=1e-6)
