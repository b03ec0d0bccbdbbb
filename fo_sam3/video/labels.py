"""Tracked objects to FiftyOne ``Detection`` documents (exact relative boxes, cropped masks).

Masks go through the same ``MaskStore`` as images: cropped on the logits'
device, encoded for the database (or written as PNG files).
"""

from __future__ import annotations

import numpy as np
from bson import ObjectId

from ..convert.boxes import rel_box_for_pixels
from ..convert.cleanup import Cleanup
from ..convert.masks import CroppedMask, mask_to_xyxy
from ..write.encode import detection_doc
from ..write.masks import MaskStore
from .instance import FrameObject


def _cropped_from_full(mask: np.ndarray) -> CroppedMask:
    box = mask_to_xyxy(mask)
    if box is None:
        return CroppedMask(0, 0, np.zeros((0, 0), dtype=bool))
    x0, y0, x1, y1 = box
    return CroppedMask(x0, y0, np.ascontiguousarray(mask[y0:y1, x0:x1]))


def _crops(objects: list[FrameObject], width: int, height: int, store: MaskStore):
    with_logits = [k for k, o in enumerate(objects) if o.logits is not None]
    if with_logits:
        for j, cropped in store.crops([objects[k].logits for k in with_logits], height, width):
            yield with_logits[j], cropped
    for k, obj in enumerate(objects):
        if obj.logits is None:
            yield k, _cropped_from_full(np.asarray(obj.mask, dtype=bool))


def frame_docs(objects: list[FrameObject], width: int, height: int, labels: list[str],
               store: MaskStore, sample_id: str = "", cleanup: Cleanup | None = None) -> dict[int, dict]:
    """``{obj_id: Detection document}`` for one frame's objects with a non-empty mask.

    The box is the mask's tight box in relative ``[x, y, w, h]`` (exact under
    FiftyOne's floor rule), after ``cleanup`` (see ``MaskStore.clean``); the
    mask is cropped to it; ``confidence`` is the track score and ``index``
    the track id.

    Args:
        objects: the frame's tracked objects.
        width / height: the frame's size in pixels.
        labels: one label per object.
        store: how masks are cropped, cleaned and encoded.
        sample_id: names the mask files when ``store`` writes PNGs.
        cleanup: mask clean-up, or ``None``.

    Returns:
        ``{obj_id: Detection document}``.
    """
    out = {}
    for k, cropped in _crops(objects, width, height, store):
        if cropped.mask.size == 0:
            continue
        placed = rel_box_for_pixels(cropped.xyxy, width, height), cropped.mask
        placed = store.clean(*placed, width, height, cleanup, tighten=True)
        if placed is None:
            continue
        (box, mask), obj, _id = placed, objects[k], ObjectId()
        out[obj.obj_id] = detection_doc(box, label=labels[k], _id=_id, confidence=float(obj.score),
                                        index=int(obj.obj_id), **store.store(mask, sample_id, _id))
    return out
