"""Instance-mode fixtures: two real photos with boxes and clicks, and sam3's own answers."""

from __future__ import annotations

import uuid

import fiftyone as fo
import numpy as np
import pytest
import torch

from fo_sam3.engine.images import load_rgb
from fo_sam3.model import cpu_forward
from inst_helpers import PHOTO_INDEXES, make_labels, pixel_box, pixel_points


@pytest.fixture(scope="module")
def inst_base(photo_paths):
    ds = fo.Dataset(f"fo-sam3-inst-{uuid.uuid4().hex[:10]}")
    samples = []
    for i in PHOTO_INDEXES:
        dets, kps = make_labels()
        samples.append(fo.Sample(filepath=photo_paths[i], gt=dets, kp=kps))
    ds.add_samples(samples)
    ds.compute_metadata()
    yield ds
    if fo.dataset_exists(ds.name):
        ds.delete()


@pytest.fixture
def inst_ds(inst_base):
    """A fresh copy of the base dataset (same sample and label ids)."""
    ds = inst_base.clone(f"{inst_base.name}-{uuid.uuid4().hex[:6]}")
    yield ds
    ds.delete()


@pytest.fixture(scope="module")
def reference(inst_base, tiny_inst_model):
    """sam3's ``Sam3Processor.set_image`` + ``predict_inst`` per image and prompt.

    ``{label_id: (masks (C, H, W) bool, scores (C,))}`` for each detection
    (box plus linked clicks, one mask) and each keypoint alone (3 candidates
    for a single click, else one mask).
    """
    from sam3.model.sam3_image_processor import Sam3Processor

    model = tiny_inst_model
    proc = Sam3Processor(model, device="cpu")
    out = {}
    for sample in inst_base:
        image = load_rgb(sample.filepath)
        width, height = image.size
        with cpu_forward(), torch.inference_mode():
            state = proc.set_image(image)
            links = {kp.index: kp for kp in sample.kp.keypoints if kp.index is not None}
            for det in sample.gt.detections:
                kw = {}
                if det.index in links:
                    kp = links[det.index]
                    kw = {"point_coords": pixel_points(kp.points, width, height),
                          "point_labels": np.array(kp.sam_labels)}
                box = pixel_box(det.bounding_box, width, height)
                masks, scores, _ = model.predict_inst(state, box=box, multimask_output=False, **kw)
                out[det.id] = (masks.astype(bool), scores)
            for kp in sample.kp.keypoints:
                labels = np.array(kp.sam_labels) if kp.has_field("sam_labels") else np.ones(len(kp.points))
                masks, scores, _ = model.predict_inst(
                    state, point_coords=pixel_points(kp.points, width, height), point_labels=labels,
                    multimask_output=len(kp.points) == 1,
                )
                out[kp.id] = (masks.astype(bool), scores)
    return out
