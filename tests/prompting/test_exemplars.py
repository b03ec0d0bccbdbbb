"""Exemplar boxes from other images, encoded once and searched for everywhere (tiny model, real photos)."""

import fiftyone as fo
import numpy as np
import pytest

import fo_sam3
from fo_sam3.concept.exemplars import ExemplarSource, encode_exemplars
from fo_sam3.errors import PromptError

from prompting_helpers import RUN, assert_same_dets, by_label

LOW = dict(confidence=0.15, topk_per_query=6, **RUN)  # random weights: scores sit near 0.1-0.4
PERSON = [0.2, 0.05, 0.5, 0.9]


def _boxes(sample, field: str, dets: list) -> None:
    sample[field] = fo.Detections(detections=dets)
    sample.save()


def _reference(dataset, field="gt", negative=False):
    """Sample 0 (astronaut) with a positive "person" box (and a negative one)."""
    dets = [fo.Detection(label="person", bounding_box=PERSON)]
    if negative:
        dets.append(fo.Detection(label="person", bounding_box=[0.0, 0.6, 0.15, 0.3], sam_label=0))
    sample = dataset.first()
    _boxes(sample, field, dets)
    return dataset.select(sample.id)


def test_self_transfer_equals_in_image_box_query(dataset, tiny_model):
    """Image A's own exemplar tokens on A give exactly today's in-image box query on A."""
    ref = _reference(dataset, negative=True)
    sample = ref.first()
    sample["gt"].detections.append(fo.Detection(label="flag", bounding_box=[0.05, 0.1, 0.2, 0.2]))
    sample.save()
    fo_sam3.segment(ref, "inimg", box_field="gt", model=tiny_model, **LOW)
    summary = fo_sam3.segment(ref, "exm", exemplars=ref, exemplar_field="gt", model=tiny_model, **LOW)
    assert summary.done == 1
    sample.reload()
    w, h = sample.metadata.width, sample.metadata.height
    got, want = by_label(sample, "exm"), by_label(sample, "inimg")
    assert set(got) == set(want) == {"person", "flag"}
    for label in want:
        assert_same_dets(got[label], want[label], w, h)
        assert {d.query for d in got[label]} == {f"{label} [exemplars]"}


def test_exemplars_share_a_pass_with_text_and_are_encoded_once(dataset, tiny_model):
    ref = _reference(dataset)
    targets = dataset.skip(1).limit(2)
    calls = []
    hook = tiny_model.geometry_encoder.register_forward_hook(lambda *a: calls.append(1))
    try:
        fo_sam3.segment(targets, "mixed", text=["cat"], exemplars=ref, exemplar_field="gt", label="widget",
                        model=tiny_model, batch_size=2, max_queries=4, **LOW)
    finally:
        hook.remove()
    assert len(calls) == 2  # the reference image once, then one pass: 2 images x 2 queries
    fo_sam3.segment(targets, "text", text=["cat"], model=tiny_model, batch_size=2, **LOW)
    fo_sam3.segment(targets, "alone", exemplars=ref, exemplar_field="gt", label="widget",
                    model=tiny_model, batch_size=2, **LOW)
    for sample in targets:
        w, h = sample.metadata.width, sample.metadata.height
        mixed = by_label(sample, "mixed")
        assert_same_dets(mixed["cat"], by_label(sample, "text")["cat"], w, h)
        assert_same_dets(mixed["widget"], by_label(sample, "alone")["widget"], w, h)


def test_negative_exemplars_from_a_change_b(dataset, tiny_model):
    ref = _reference(dataset, "pos")
    _reference(dataset, "posneg", negative=True)
    target = dataset.skip(1).limit(1)
    for field in ("pos", "posneg"):
        fo_sam3.segment(target, f"out_{field}", exemplars=ref, exemplar_field=field, model=tiny_model,
                        confidence=0.0, topk_per_query=5, **RUN)
    sample = target.first()
    a = [d.confidence for d in by_label(sample, "out_pos")["person"]]
    b = [d.confidence for d in by_label(sample, "out_posneg")["person"]]
    assert len(a) == len(b) == 5
    assert np.abs(np.array(a) - np.array(b)).max() > 1e-3


def test_references_combine_with_a_cap(dataset, tiny_model):
    first, rocket = dataset.first(), dataset.skip(3).first()
    _boxes(first, "gt", [fo.Detection(label="person", bounding_box=PERSON),
                         fo.Detection(label="person", bounding_box=[0.0, 0.6, 0.15, 0.3], sam_label=0)])
    _boxes(rocket, "gt", [fo.Detection(label="person", bounding_box=[0.1, 0.1, 0.3, 0.3]),
                          fo.Detection(label="rocket", bounding_box=[0.4, 0.1, 0.2, 0.8])])
    refs = dataset.select([first.id, rocket.id], ordered=True)
    bank = encode_exemplars(tiny_model, ExemplarSource(refs, "gt"))
    # each reference image gives its boxes' tokens plus its CLS token
    assert {k: len(t) for k, t in bank.tokens.items()} == {"person": 3 + 2, "rocket": 2}
    assert [(q.text, q.label, q.exemplar) for q in bank.queries] == [
        ("person", "person", "person"), ("rocket", "rocket", "rocket")]
    one = encode_exemplars(tiny_model, ExemplarSource(refs, "gt", label="widget", text_hint=False))
    assert {k: len(t) for k, t in one.tokens.items()} == {"widget": 3 + 3}
    assert [(q.text, q.name) for q in one.queries] == [("visual", "widget [exemplars]")]
    capped = encode_exemplars(tiny_model, ExemplarSource(refs, "gt", label="widget", max_exemplars=2))
    assert len(capped.tokens["widget"]) == 3  # the second image's boxes are over the cap
    assert capped.notes == ["2 exemplar boxes beyond max_exemplars=2 per label were left out"]


def test_exemplar_arguments_are_checked(dataset, tiny_model):
    ref = _reference(dataset)
    with pytest.raises(ValueError, match="need exemplars"):
        fo_sam3.segment(dataset, "x", text=["a"], exemplar_field="gt", model=tiny_model)
    with pytest.raises(ValueError, match="label names"):
        fo_sam3.segment(dataset, "x", text=["a"], label="widget", model=tiny_model)
    with pytest.raises(ValueError, match="concept-mode"):
        fo_sam3.segment(dataset, "x", mode="instance", box_field="gt", exemplars=ref, exemplar_field="gt")
    with pytest.raises(PromptError, match="does not exist"):
        fo_sam3.segment(dataset, "x", exemplars=ref, exemplar_field="nope", model=tiny_model)
    with pytest.raises(ValueError, match="max_exemplars"):
        fo_sam3.segment(dataset, "x", exemplars=ref, exemplar_field="gt", max_exemplars=0, model=tiny_model)
    sample = ref.first()
    sample["gt"].detections[0].sam_label = 0
    sample.save()
    with pytest.raises(PromptError, match="only negative"):
        fo_sam3.segment(dataset, "x", exemplars=ref, exemplar_field="gt", text_hint=False, model=tiny_model)
    assert "x" not in dataset.get_field_schema()
