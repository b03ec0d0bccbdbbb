"""CLI fixtures: prompt fields, a small video dataset (the in-process ``cli`` runner is in tests/conftest.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest


@pytest.fixture
def gt_dataset(dataset):
    """The photos with the demo's hand-drawn boxes in ``gt`` and two points per box in ``kp``."""
    import fiftyone as fo

    from fo_sam3.demo.photos import detections

    for sample in dataset.iter_samples(autosave=True):
        gt = detections(Path(sample.filepath).stem.removesuffix("_left"))
        sample["gt"] = gt
        sample["kp"] = fo.Keypoints(keypoints=[
            fo.Keypoint(label=d.label, points=[_center(d.bounding_box), [d.bounding_box[0], d.bounding_box[1]]],
                        sam_labels=[1, 0])
            for d in gt.detections
        ])
    return dataset


def _center(box):
    return [box[0] + box[2] / 2, box[1] + box[3] / 2]


def write_video(path: Path, frames: int = 4, size=(160, 120)) -> Path:
    """A short MP4 of a real photo (chelsea) panning sideways."""
    import cv2
    import numpy as np
    import skimage.data

    image = cv2.resize(skimage.data.chelsea()[:, :, ::-1], size)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 5, size)
    for i in range(frames):
        writer.write(np.roll(image, 4 * i, axis=1))
    writer.release()
    return path


@pytest.fixture
def video_dataset(tmp_path):
    """One 4-frame video with a frame-1 box prompt in ``frames.prompt``."""
    import fiftyone as fo

    ds = fo.Dataset(f"fo-sam3-cli-video-{uuid.uuid4().hex[:8]}")
    ds.add_sample(fo.Sample(filepath=str(write_video(tmp_path / "cat.mp4"))))
    ds.compute_metadata()
    ds.ensure_frames()
    sample = ds.first()
    sample.frames[1]["prompt"] = fo.Detections(
        detections=[fo.Detection(label="cat", bounding_box=[0.2, 0.1, 0.5, 0.8])]
    )
    sample.save()
    yield ds
    if fo.dataset_exists(ds.name):
        ds.delete()


