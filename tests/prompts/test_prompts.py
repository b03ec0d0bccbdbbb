import fiftyone as fo
import numpy as np
import pytest

from fo_sam3.errors import NoPromptError, PromptError
from fo_sam3.prompts import VISUAL, PromptSpec, box_queries, texts_from_value


def test_texts_from_every_supported_value():
    assert texts_from_value("dog", "f") == ["dog"]
    assert texts_from_value(["a", "b"], "f") == ["a", "b"]
    assert texts_from_value(fo.Classification(label="cat"), "f") == ["cat"]
    assert texts_from_value(fo.Classifications(classifications=[fo.Classification(label="x")]), "f") == ["x"]
    dets = fo.Detections(detections=[fo.Detection(label="car"), fo.Detection(label="car"), fo.Detection(label="bus")])
    assert texts_from_value(dets, "f") == ["car", "car", "bus"]
    with pytest.raises(PromptError, match="field 'f'"):
        texts_from_value(fo.Keypoints(), "f")


def test_fixed_text_is_cleaned():
    spec = PromptSpec(text=[" red  car ", "person", "person", "ünïcode 日本"])
    assert spec.text == ("red car", "person", "ünïcode 日本")
    # a string is one query and a list is never split (only the CLI and forms split on commas)
    assert PromptSpec(text="red, car").text == ("red, car",)
    assert PromptSpec(text=["red, car", "bus"]).text == ("red, car", "bus")
    with pytest.raises(PromptError):
        PromptSpec(text=["", "  "])
    with pytest.raises(PromptError):
        PromptSpec()


def test_box_queries_group_by_label_with_polarity():
    dets = fo.Detections(detections=[
        fo.Detection(label="car", bounding_box=[0.1, 0.1, 0.2, 0.2]),
        fo.Detection(label="car", bounding_box=[0.5, 0.5, 0.2, 0.2], sam_label=0),
        fo.Detection(label="bus", bounding_box=[0.9, 0.9, 0.3, 0.3]),  # clipped
        fo.Detection(label="bus", bounding_box=[0.2, 0.2, 0.0, 0.1]),  # degenerate: dropped
    ])
    qs = {q.label: q for q in box_queries(dets, "gt")}
    assert qs["car"].positive.tolist() == [True, False] and qs["car"].text == "car"
    np.testing.assert_allclose(qs["bus"].rel_boxes, [[0.9, 0.9, 0.1, 0.1]], atol=1e-6)
    hidden = box_queries(dets, "gt", text_hint=False)
    assert {q.text for q in hidden} == {VISUAL}


def test_negative_only_group_needs_text_hint():
    dets = fo.Detections(detections=[fo.Detection(label="car", bounding_box=[0.1, 0.1, 0.2, 0.2], sam_label=False)])
    assert box_queries(dets, "gt")[0].positive.tolist() == [False]
    with pytest.raises(PromptError, match="negative"):
        box_queries(dets, "gt", text_hint=False)


def test_no_duplicate_text_and_box_query_unless_asked(dataset):
    sample = dataset.first()
    sample["gt"] = fo.Detections(detections=[fo.Detection(label="person", bounding_box=[0.1, 0.1, 0.5, 0.5])])
    kinds = [(q.label, q.kind) for q in PromptSpec(text=["person", "sky"], box_field="gt").queries(sample)]
    assert kinds == [("person", "text+boxes"), ("sky", "text")]
    both = PromptSpec(text=["sky"], box_field="gt", text_and_boxes=True).queries(sample)
    assert sorted((q.label, q.kind) for q in both) == [("person", "text"), ("person", "text+boxes"), ("sky", "text")]


def test_field_validation_names_the_field(dataset):
    with pytest.raises(PromptError, match="'nope' does not exist"):
        PromptSpec(box_field="nope").validate(dataset)
    dataset.add_sample_field("kp", fo.EmbeddedDocumentField, embedded_doc_type=fo.Keypoints)
    with pytest.raises(PromptError, match="'kp'"):
        PromptSpec(box_field="kp").validate(dataset)
    dataset.add_sample_field("boxes", fo.EmbeddedDocumentField, embedded_doc_type=fo.Detections)
    with pytest.raises(NoPromptError, match=dataset.first().id):
        PromptSpec(box_field="boxes").queries(dataset.first())
