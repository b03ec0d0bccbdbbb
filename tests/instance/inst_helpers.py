"""Helpers for the instance-mode tests (labels, pixel conversions, IoU)."""

from __future__ import annotations

import fiftyone as fo
import numpy as np

# chelsea (451 x 300) and coffee (600 x 400): non-square, different sizes.
PHOTO_INDEXES = (1, 2)
RUN = dict(mode="instance", batch_size=2, num_workers=0, progress=False)


def make_labels():
    """Box "cat" is linked (index 1) to a click pair with one negative point."""
    dets = fo.Detections(detections=[
        fo.Detection(label="cat", bounding_box=[0.1, 0.15, 0.4, 0.5], index=1, note="keep", confidence=0.9),
        fo.Detection(label="dog", bounding_box=[0.55, 0.3, 0.35, 0.6]),
    ])
    kps = fo.Keypoints(keypoints=[
        fo.Keypoint(label="cat", points=[[0.3, 0.4], [0.2, 0.3]], sam_labels=[1, 0], index=1),
        fo.Keypoint(label="click", points=[[0.7, 0.6]]),
    ])
    return dets, kps


def pixel_box(rel, width, height) -> np.ndarray:
    x, y, w, h = rel
    return np.array([x * width, y * height, (x + w) * width, (y + h) * height], dtype=np.float32)


def pixel_points(points, width, height) -> np.ndarray:
    return np.asarray(points, dtype=np.float32) * np.array([width, height], dtype=np.float32)


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)
