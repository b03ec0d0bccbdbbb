"""What reaches the model: batching, negative clicks, clipped and degenerate boxes."""

from __future__ import annotations

import contextlib
import logging

import fiftyone as fo
import pytest
import torch

import fo_sam3
from fo_sam3.instance.labels import box_pixels

from inst_helpers import RUN

SIDE = 1008  # SAM3's input resolution: prompts arrive in these pixels


@contextlib.contextmanager
def prompt_inputs(model):
    """Record ``(coords, labels)`` of every call into SAM's prompt encoder (a pre-hook)."""
    calls = []

    def hook(module, args, kwargs):
        coords, labels = kwargs["points"]
        calls.append((coords.detach().clone(), labels.detach().clone()))

    encoder = model.inst_interactive_predictor.model.sam_prompt_encoder
    handle = encoder.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield calls
    finally:
        handle.remove()


def test_backbone_runs_once_per_batch_and_boxes_share_a_call(inst_ds, tiny_inst_model):
    sizes = []
    trunk = tiny_inst_model.backbone.vision_backbone.trunk  # the ViT
    handle = trunk.register_forward_hook(lambda m, args, out: sizes.append(args[0].shape[0]))
    try:
        with prompt_inputs(tiny_inst_model) as calls:
            fo_sam3.segment(inst_ds, "masks", box_field="gt", model=tiny_inst_model, **RUN)
    finally:
        handle.remove()
    assert sizes == [2]  # both images in one backbone pass
    assert [c.shape for c, _ in calls] == [torch.Size([2, 2, 2])] * 2  # per image: both boxes at once
    assert all(lab.tolist() == [[2, 3], [2, 3]] for _, lab in calls)


def test_negative_clicks_reach_the_model(inst_ds, tiny_inst_model):
    view = inst_ds.limit(1)
    with prompt_inputs(tiny_inst_model) as calls:
        fo_sam3.segment(view, "gt", box_field="gt", point_field="kp", model=tiny_inst_model, **RUN)
    coords, labels = next((c, lab) for c, lab in calls if c.shape[1] == 4)  # the cat: box + 2 clicks
    assert labels.tolist() == [[2, 3, 1, 0]]
    assert coords[0, 3].tolist() == pytest.approx([0.2 * SIDE, 0.3 * SIDE], abs=1e-3)  # the negative click
    with_negative = view.first().gt.detections[0].sam_score

    sample = view.first()
    sample.kp.keypoints[0].sam_labels = [1, 1]
    sample.save()
    with prompt_inputs(tiny_inst_model) as calls:
        fo_sam3.segment(view, "gt", box_field="gt", point_field="kp", model=tiny_inst_model, overwrite=True, **RUN)
    _, labels = next((c, lab) for c, lab in calls if c.shape[1] == 4)
    assert labels.tolist() == [[2, 3, 1, 1]]
    assert view.first().gt.detections[0].sam_score != pytest.approx(with_negative, abs=1e-6)


def test_clipped_and_degenerate_boxes(inst_ds, tiny_inst_model, caplog):
    sample = inst_ds.first()
    outside = fo.Detection(label="edge", bounding_box=[0.8, 0.7, 0.5, 0.5])
    flat = fo.Detection(label="flat", bounding_box=[0.3, 0.3, 0.0, 0.2])
    sample.gt = fo.Detections(detections=[outside, flat])
    sample.save()
    view = inst_ds.limit(1)
    with caplog.at_level(logging.WARNING, logger="fo_sam3"), prompt_inputs(tiny_inst_model) as calls:
        summary = fo_sam3.segment(view, "gt", box_field="gt", model=tiny_inst_model, **RUN)
    assert any(sample.id in r.getMessage() and flat.id in r.getMessage() for r in caplog.records)
    assert any("degenerate" in n for n in summary.notes)
    (coords, _), = calls  # only the clipped box reached the model
    assert coords[0].flatten().tolist() == pytest.approx([0.8 * SIDE, 0.7 * SIDE, SIDE, SIDE], abs=1e-3)
    edge, flat_after = view.first().gt.detections
    assert edge.bounding_box == pytest.approx([0.8, 0.7, 0.2, 0.3])
    x0, y0, x1, y1 = box_pixels(edge.bounding_box, sample.metadata.width, sample.metadata.height)
    assert edge.mask.shape == (y1 - y0, x1 - x0)
    assert flat_after.mask is None and flat_after.bounding_box == [0.3, 0.3, 0.0, 0.2]


def test_samples_without_detections_are_skipped_and_counted(inst_ds, tiny_inst_model):
    sample = inst_ds.first()
    sample.gt = fo.Detections()
    sample.save()
    summary = fo_sam3.segment(inst_ds, "masks", box_field="gt", model=tiny_inst_model, **RUN)
    assert (summary.done, summary.skipped, summary.failed) == (1, 1, 0)
    assert inst_ds.first().masks is None and len(inst_ds.last().masks.detections) == 2


def test_wrong_clicks_and_infinite_boxes_never_reach_the_model(inst_ds, tiny_inst_model, caplog):
    sample = inst_ds.first()
    pixels = fo.Keypoint(label="pixels", points=[[200, 100]])
    negative = fo.Keypoint(label="negative", points=[[0.5, 0.5]], sam_labels=[0])
    good = fo.Keypoint(label="good", points=[[0.4, 0.4]])
    sample.kp = fo.Keypoints(keypoints=[pixels, negative, good])
    wide = fo.Detection(label="wide", bounding_box=[0.1, 0.1, float("inf"), 0.2])
    box = fo.Detection(label="box", bounding_box=[0.2, 0.2, 0.3, 0.3])
    sample.gt = fo.Detections(detections=[wide, box])
    sample.save()
    view = inst_ds.limit(1)
    with caplog.at_level(logging.WARNING, logger="fo_sam3"), prompt_inputs(tiny_inst_model) as calls:
        fo_sam3.segment(view, "clicks", point_field="kp", model=tiny_inst_model, **RUN)
        summary = fo_sam3.segment(view, "gt", box_field="gt", model=tiny_inst_model, **RUN)
    assert [lab.tolist() for _, lab in calls] == [[[1]], [[2, 3]]]  # the good click, then the finite box
    (click,) = view.first().clicks.detections
    assert click.source_id == good.id
    wide_after, box_after = view.first().gt.detections
    assert wide_after.mask is None and box_after.mask is not None
    assert any("degenerate" in n for n in summary.notes)
    for label in (pixels, negative, wide):
        assert any(sample.id in r.getMessage() and label.id in r.getMessage() for r in caplog.records)
