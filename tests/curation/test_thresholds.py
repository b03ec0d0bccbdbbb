"""Per-prompt confidence, class mapping and NMS across prompts (concept mode only)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from fiftyone import ViewField as F
from curation_helpers import CONCEPT, RUN

from fo_sam3.config import SegmentConfig
from fo_sam3.concept.predictor import ConceptPredictor, Instance
from fo_sam3.prompts.types import Query


def _between(scores):
    """A threshold that keeps about half of ``scores`` (strictly between two of them)."""
    s = sorted(scores)
    return (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2


def test_per_prompt_thresholds_and_classes_on_known_scores(curated, tiny_model):
    import fo_sam3

    ref = {q: curated.filter_labels("sam3", F("query") == q)
           .values("sam3.detections.confidence", unwind=True) for q in ("person", "cat", "cup")}
    person, default = _between(ref["person"]), _between(ref["cat"] + ref["cup"])
    options = {**CONCEPT, "confidence": {"person": person, "default": default},
               "classes": {"cat": "animal", "cup": "animal"}}
    summary = fo_sam3.segment(curated, "sam3_thr", model=tiny_model, **options, **RUN)
    try:
        kept = expected = 0
        for sample in curated:
            got = sorted((d.query, d.label, round(d.confidence, 6)) for d in sample.sam3_thr.detections)
            want = sorted((d.query, "person" if d.query == "person" else "animal", round(d.confidence, 6))
                          for d in sample.sam3.detections
                          if d.confidence > (person if d.query == "person" else default))
            assert got == want
            kept, expected = kept + len(got), expected + len(sample.sam3.detections)
        assert 0 < kept < expected and summary.detections == kept
    finally:
        curated.delete_sample_field("sam3_thr")


def _queries(*texts) -> list[Query]:
    return [Query(text=t, label=t) for t in texts]


def _same_object(n):
    logits = torch.full((16, 16), -5.0)
    logits[4:12, 4:12] = 5.0
    box = np.array([8.0, 8.0, 24.0, 24.0])
    return [Instance(q, 0.9 - 0.1 * q, box, logits.clone()) for q in range(n)]


@pytest.mark.parametrize("nms_on", ["mask", "box"])
def test_nms_across_prompts(tiny_model, nms_on):
    queries = _queries("car", "vehicle")
    per_class = ConceptPredictor(tiny_model, SegmentConfig(nms_iou=0.5, nms_on=nms_on))
    across = ConceptPredictor(tiny_model, SegmentConfig(nms_iou=0.5, nms_on=nms_on, nms_across_prompts=True))
    mapped = ConceptPredictor(tiny_model, SegmentConfig(nms_iou=0.5, nms_on=nms_on, classes={"vehicle": "car"}))
    assert [f.query for f in per_class._per_image(queries, _same_object(2))] == [0, 1]
    assert [f.query for f in across._per_image(queries, _same_object(2))] == [0]
    assert [f.query for f in mapped._per_image(queries, _same_object(2))] == [0]


@pytest.mark.parametrize("kwargs, match", [
    (dict(confidence={"person": 1.5}), "person"),
    (dict(confidence={}), "empty"),
    (dict(confidence={3: 0.5}), "keys"),
    (dict(classes={"a": ""}), "classes"),
    (dict(classes=["a"]), "classes"),
    (dict(nms_across_prompts=True), "nms_iou"),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SegmentConfig(**kwargs)


def test_thresholds_per_prompt():
    cfg = SegmentConfig(confidence={"person": 0.3, "default": 0.6})
    assert (cfg.threshold_for("person"), cfg.threshold_for("cat"), cfg.concept_confidence) == (0.3, 0.6, 0.6)
    assert SegmentConfig(confidence={"person": 0.3}).threshold_for("cat") == 0.5


def test_unknown_prompts_and_instance_mode_are_refused(curated, tiny_model):
    import fo_sam3

    with pytest.raises(ValueError, match="not in text: dog"):
        fo_sam3.segment(curated, "x", text=["cat"], model=tiny_model, confidence={"dog": 0.2})
    with pytest.raises(ValueError, match="not in text: car"):
        fo_sam3.segment(curated, "x", text=["cat"], model=tiny_model, classes={"car": "vehicle"})
    for kwargs in (dict(confidence={"person": 0.2}), dict(classes={"person": "human"}),
                   dict(nms_iou=0.5, nms_across_prompts=True)):
        with pytest.raises(ValueError, match="only apply to concept mode"):
            fo_sam3.segment(curated, "x", mode="instance", box_field="gt", model=tiny_model, **kwargs)
    assert not curated.has_field("x")
