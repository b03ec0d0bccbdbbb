"""``ConceptPredictor.predict`` on plain tensors, without a dataset or the runner, equals ``segment``."""

import math

import fiftyone as fo
import numpy as np
import pytest
import torch

import fo_sam3
from fo_sam3.concept.predictor import ConceptPredictor
from fo_sam3.config import SegmentConfig
from fo_sam3.convert.boxes import pixel_box
from fo_sam3.convert.labels import full_mask
from fo_sam3.convert.masks import upsample_mask
from fo_sam3.engine.data import image_pixels
from fo_sam3.engine.images import load_rgb
from fo_sam3.prompts.types import Query

CAT_BOX = [0.2, 0.1, 0.5, 0.6]  # FiftyOne-relative [x, y, w, h]
SETTINGS = dict(confidence=0.0, topk_per_query=2, box_source="model")


def _outward(xyxy, width, height):
    """``xyxy`` (absolute pixels) rounded outward to whole pixels inside the image."""
    x0, y0 = max(0, math.floor(xyxy[0])), max(0, math.floor(xyxy[1]))
    return x0, y0, min(width, max(x0, math.ceil(xyxy[2]))), min(height, max(y0, math.ceil(xyxy[3])))


def test_predict_on_plain_tensors_equals_the_pipeline(dataset, tiny_model):
    view = dataset.limit(3)  # astronaut 512x512, chelsea 451x300, coffee 600x400
    for sample in view:
        sample["gt"] = fo.Detections(detections=[fo.Detection(label="cat", bounding_box=CAT_BOX)])
        sample.save()
    summary = fo_sam3.segment(view, "sam3", text=["person"], box_field="gt", model=tiny_model, batch_size=3,
                              num_workers=0, progress=False, **SETTINGS)
    assert summary.done == 3

    images = [load_rgb(s.filepath) for s in view]
    pixels = torch.stack([image_pixels(im) for im in images])  # uint8 (3, 3, 1008, 1008)
    assert pixels.dtype == torch.uint8 and pixels.shape == (3, 3, 1008, 1008)
    sizes = [(im.height, im.width) for im in images]
    queries = [Query(text="cat", label="cat", rel_boxes=np.array([CAT_BOX]), positive=np.array([True])),
               Query(text="person", label="person")]
    predictor = ConceptPredictor(tiny_model, SegmentConfig(**SETTINGS))
    found = predictor.predict(pixels, sizes, [queries] * 3)

    assert len(found) == 3
    for sample, (h, w), instances in zip(view, sizes, found):
        dets = sample.sam3.detections
        assert len(dets) == len(instances) == 4  # 2 per query
        for det, inst in zip(dets, instances):
            assert det.query == queries[inst.query].name
            assert det.confidence == pytest.approx(inst.score, abs=1e-5)
            box = _outward(inst.box_xyxy, w, h)  # SAM3's box, in pixels of the original image
            assert pixel_box(det.bounding_box, w, h) == box
            x0, y0, x1, y1 = box
            intended = np.zeros((h, w), bool)
            intended[y0:y1, x0:x1] = upsample_mask(inst.logits, h, w).to_full(h, w)[y0:y1, x0:x1]
            assert (full_mask(det, w, h) == intended).all()


def test_predict_takes_no_images_and_precomputed_features(dataset, tiny_model):
    predictor = ConceptPredictor(tiny_model, SegmentConfig(**SETTINGS))
    assert predictor.predict(torch.zeros((0, 3, 1008, 1008), dtype=torch.uint8), [], []) == []
    image = load_rgb(dataset.first().filepath)
    pixels, size = image_pixels(image)[None], [(image.height, image.width)]
    queries = [[Query(text="person", label="person")]]
    a = predictor.predict(pixels, size, queries)[0]
    b = predictor.predict(pixels, size, queries, backbone_out=predictor.encode(pixels))[0]
    assert [(f.query, f.score) for f in a] == [(f.query, f.score) for f in b]
