"""fo_sam3 equals sam3's own documented APIs on a seeded tiny model and real photos."""

import fiftyone as fo
import numpy as np
from PIL import Image

import fo_sam3
from fo_sam3.convert.labels import full_mask

from sam3_reference import datapoint_boxes, processor_text

THRESHOLD = 0.15  # random weights: scores sit near 0.1-0.4


def _iou(a, b):
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else np.logical_and(a, b).sum() / union


def assert_same(dets, ref, width, height):
    scores, _, masks = ref
    dets = sorted(dets, key=lambda d: -d.confidence)
    order = np.argsort(-scores, kind="stable")
    assert len(dets) == len(scores) > 0
    np.testing.assert_allclose([d.confidence for d in dets], scores[order], atol=1e-4)
    for det, k in zip(dets, order):
        assert _iou(full_mask(det, width, height), masks[k]) >= 0.99


def _by_query(sample, field):
    out = {}
    for d in sample[field].detections:
        out.setdefault(d.query, []).append(d)
    return out


def test_text_queries_equal_sam3_processor(dataset, tiny_model):
    texts = ["person", "cat", "coffee cup"]
    view = dataset.limit(3)
    fo_sam3.segment(view, "sam3", text=texts, model=tiny_model, confidence=THRESHOLD, batch_size=3, num_workers=0)
    for sample in view:
        image = Image.open(sample.filepath).convert("RGB")
        found = _by_query(sample, "sam3")
        for text in texts:
            ref = processor_text(tiny_model, image, text, THRESHOLD)
            assert_same(found.get(text, []), ref, *image.size)


def test_box_queries_equal_datapoint_api(dataset, tiny_model):
    sample = dataset.first()
    sample["gt"] = fo.Detections(
        detections=[
            fo.Detection(label="person", bounding_box=[0.2, 0.05, 0.5, 0.9]),
            fo.Detection(label="person", bounding_box=[0.0, 0.6, 0.15, 0.3], sam_label=0),
            fo.Detection(label="flag", bounding_box=[0.05, 0.1, 0.2, 0.2]),
        ]
    )
    sample.save()
    fo_sam3.segment(dataset.limit(1), "sam3", box_field="gt", model=tiny_model, confidence=THRESHOLD, num_workers=0)
    sample.reload()
    image = Image.open(sample.filepath).convert("RGB")
    w, h = image.size

    def xyxy(b):
        return [b[0] * w, b[1] * h, (b[0] + b[2]) * w, (b[1] + b[3]) * h]

    gt = sample.gt.detections
    queries = [
        ("person", [xyxy(gt[0].bounding_box), xyxy(gt[1].bounding_box)], [True, False]),
        ("flag", [xyxy(gt[2].bounding_box)], [True]),
    ]
    refs = datapoint_boxes(tiny_model, image, queries, THRESHOLD)
    found = _by_query(sample, "sam3")
    assert_same(found["person [text+boxes]"], refs[0], w, h)
    assert_same(found["flag [text+boxes]"], refs[1], w, h)


def test_batch_size_does_not_change_results(dataset, tiny_model):
    assert len(set((s.metadata.width, s.metadata.height) for s in dataset)) > 2
    args = dict(text=["person", "dog"], model=tiny_model, confidence=THRESHOLD, num_workers=0)
    fo_sam3.segment(dataset, "b1", batch_size=1, **args)
    fo_sam3.segment(dataset, "b4", batch_size=4, max_queries=3, **args)
    for sample in dataset:
        w, h = sample.metadata.width, sample.metadata.height
        a = sorted(sample.b1.detections, key=lambda d: (d.label, -d.confidence))
        b = sorted(sample.b4.detections, key=lambda d: (d.label, -d.confidence))
        assert [d.label for d in a] == [d.label for d in b]
        np.testing.assert_allclose([d.confidence for d in a], [d.confidence for d in b], atol=1e-4)
        for da, db in zip(a, b):
            assert _iou(full_mask(da, w, h), full_mask(db, w, h)) >= 0.99
