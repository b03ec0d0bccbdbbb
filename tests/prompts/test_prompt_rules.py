"""One set of prompt rules (boxes, points, polarity, text) for concept and instance mode."""

from __future__ import annotations

import logging
from collections import Counter

import fiftyone as fo
import numpy as np
import pytest

from fo_sam3.errors import PromptError
from fo_sam3.instance import InstanceOptions
from fo_sam3.instance.prompts import box_prompts, point_prompts
from fo_sam3.prompts import PromptSpec, box_queries, clip_rel_box, frame_field, polarity, split_prompt_text
from fo_sam3.prompts import text as text_rules

INF, NAN = float("inf"), float("nan")
OPTS = InstanceOptions()


def _warned(caplog, *names) -> bool:
    return any(all(n in r.getMessage() for n in names) for r in caplog.records)


def test_infinite_boxes_are_dropped_in_both_modes(dataset, caplog):
    assert clip_rel_box([0.1, 0.1, INF, 0.2]) is None and clip_rel_box([0.1, 0.1, 0.2, -INF]) is None
    assert clip_rel_box("abcd") is None
    sample = dataset.first()
    wide = fo.Detection(label="car", bounding_box=[0.1, 0.1, INF, 0.2])
    ok = fo.Detection(label="car", bounding_box=[0.5, 0.5, 0.2, 0.2])
    sample["gt"] = fo.Detections(detections=[wide, ok])
    spec = PromptSpec(box_field="gt")
    with caplog.at_level(logging.WARNING, logger="fo_sam3"):
        (q,) = spec.queries(sample)
        counts = Counter()
        (p,) = box_prompts(sample, "gt", None, OPTS, False, counts)
    assert q.rel_boxes.ravel().tolist() == pytest.approx([0.5, 0.5, 0.2, 0.2])
    assert p.source_id == ok.id and counts["degenerate_boxes"] == spec.counts["degenerate_boxes"] == 1
    assert _warned(caplog, sample.id, wide.id)


@pytest.mark.parametrize("value, sign", [
    (1, 1), (0, 0), (True, 1), (False, 0), (np.int64(0), 0), (np.bool_(True), 1), (1.0, 1),
    (2, None), (-1, None), ("1", None), ("negative", None), (NAN, None), (None, None),
])
def test_one_polarity_rule(value, sign):
    assert polarity(value) == sign


@pytest.mark.parametrize("value", [2, "negative", "0"])
def test_box_polarity_follows_the_point_rule(dataset, value):
    sample = dataset.first()
    det = fo.Detection(label="car", bounding_box=[0.1, 0.1, 0.2, 0.2], sam_label=value)
    sample["gt"] = fo.Detections(detections=[det])
    with pytest.raises(PromptError, match="'sam_label' must be 1 .positive. or 0") as err:
        box_queries(sample.gt, "gt", where=f"sample {sample.id}")
    assert sample.id in str(err.value) and det.id in str(err.value) and "'gt'" in str(err.value)


def test_keypoints_outside_the_image_are_skipped_with_a_warning(dataset, caplog):
    sample = dataset.first()
    pixels = fo.Keypoint(label="px", points=[[200, 100]])
    partly = fo.Keypoint(label="partly", points=[[0.5, 0.5], [1.5, 0.5]])
    edge = fo.Keypoint(label="edge", points=[[1 + 1e-9, -1e-9]])  # rounding slack: kept, clipped
    good = fo.Keypoint(label="good", points=[[0.5, 0.5]])
    sample["kp"] = fo.Keypoints(keypoints=[pixels, partly, edge, good])
    counts = Counter()
    with caplog.at_level(logging.WARNING, logger="fo_sam3"):
        prompts = point_prompts(sample, "kp", OPTS, counts)
    assert [p.source_id for p in prompts] == [edge.id, good.id]
    assert prompts[0].points.tolist() == [[1.0, 0.0]]
    assert counts["outside_keypoints"] == 2
    assert _warned(caplog, sample.id, pixels.id, "pixels") and _warned(caplog, sample.id, partly.id)

    # a linked click in pixels leaves its box without it
    det = fo.Detection(bounding_box=[0.1, 0.1, 0.2, 0.2], index=1)
    sample["gt"] = fo.Detections(detections=[det])
    sample["kp"] = fo.Keypoints(keypoints=[fo.Keypoint(points=[[20, 30]], index=1)])
    counts = Counter()
    (p,) = box_prompts(sample, "gt", "kp", OPTS, False, counts)
    assert len(p.points) == 0 and counts["outside_keypoints"] == 1 and not counts["unlinked_keypoints"]


def test_negative_only_clicks_are_skipped_unless_a_box_holds_them(dataset, caplog):
    sample = dataset.first()
    neg = fo.Keypoint(label="neg", points=[[0.2, 0.2], [0.3, 0.3]], sam_labels=[0, 0])
    pair = [fo.Keypoint(points=[[0.5, 0.5]], sam_labels=[0], index=4), fo.Keypoint(points=[[0.6, 0.6]], index=4)]
    sample["kp"] = fo.Keypoints(keypoints=[neg, *pair])
    counts = Counter()
    with caplog.at_level(logging.WARNING, logger="fo_sam3"):
        (p,) = point_prompts(sample, "kp", OPTS, counts)
    assert p.source_id == pair[0].id and p.point_labels.tolist() == [0, 1]
    assert counts["negative_keypoints"] == 1
    assert _warned(caplog, sample.id, neg.id, "nothing to segment")
    # with a box, negative clicks refine it
    sample["gt"] = fo.Detections(detections=[fo.Detection(bounding_box=[0.1, 0.1, 0.5, 0.5], index=7)])
    sample["kp"] = fo.Keypoints(keypoints=[fo.Keypoint(points=[[0.2, 0.2]], sam_labels=[0], index=7)])
    (p,) = box_prompts(sample, "gt", "kp", OPTS, False, Counter())
    assert p.point_labels.tolist() == [0]


def test_split_prompt_text_is_for_the_cli_and_forms():
    assert split_prompt_text(" person, red car ,, ") == ["person", "red car"]
    assert split_prompt_text(" , ") == []


def test_frame_fields_are_named_with_or_without_the_frames_prefix():
    assert frame_field("frames.gt") == frame_field("gt") == "gt"
    assert frame_field("frames.frames.gt") == "frames.gt" and frame_field(None) is None


def test_token_count_says_exactly_when_sam3_truncates():
    tok, limit = text_rules._tokenizer(), text_rules.context_length()
    assert limit == 32
    for n in (30, 31):  # 30 words + start + end fill the context; 31 do not fit
        text = " ".join(["car"] * n)
        ids = tok(text, context_length=limit)[0].tolist()
        kept = [i for i in ids[1:] if i not in (0, tok.eot_token_id)]
        lost = len(tok.encode(text)) - len(kept)
        assert (text_rules.token_count(text) > limit) == (lost > 0) == (n == 31)


def test_long_text_is_sent_whole_and_warned_once_per_run(dataset, caplog):
    long = "the " + "very " * 50 + "red car"  # over 200 characters, over 30 tokens
    with caplog.at_level(logging.WARNING, logger="fo_sam3"):
        spec = PromptSpec(text=[long, "dog"])
        for sample in dataset.limit(2):
            spec.queries(sample)
    assert spec.text == (long, "dog")
    assert [r.getMessage().count("the very very") for r in caplog.records] == [1]
    assert "reads only the first 30" in caplog.records[0].getMessage()

    caplog.clear()
    dataset.set_values("prompt", [long, "dog", long, None, None])
    with caplog.at_level(logging.WARNING, logger="fo_sam3"):
        spec = PromptSpec(text_field="prompt")
        (q,) = spec.queries(dataset.first())
        for sample in dataset.skip(1).limit(2):
            spec.queries(sample)
        PromptSpec(text_field="prompt").queries(dataset.first())  # a new run warns again
    assert q.text == long
    assert len(caplog.records) == 2 and _warned(caplog, dataset.first().id, "the very very")
