"""``MaskStore``: how every mode crops its masks and stores them on labels."""

from __future__ import annotations

from typing import Iterator, Sequence

import torch

from ..convert.cleanup import Cleanup, clean_placed
from ..convert.labels import prob_to_logit
from ..convert.crops import crop_masks
from ..convert.masks import CroppedMask
from .encode import mask_bytes, mask_file, write_png


class MaskStore:
    """Crops low-resolution logits into full-resolution masks and encodes them.

    Args:
        mask_threshold: probability at which masks are cut.
        output_dir: write masks as PNG files here (``mask_path``) instead of
            storing them in the database (``mask``).
    """

    def __init__(self, mask_threshold: float = 0.5, output_dir: str | None = None):
        self.threshold = prob_to_logit(mask_threshold)
        self.output_dir = output_dir

    def crops(self, logits: Sequence[torch.Tensor], height: int, width: int) -> Iterator[tuple[int, CroppedMask]]:
        """``(k, CroppedMask)`` for each (h, w) logit map, on the logits' device (see ``crop_masks``).

        Args:
            logits: the low-resolution mask logits of one image.
            height / width: the original image size in pixels.

        Returns:
            an iterator of ``(index into logits, mask cut at the store's
            threshold and cropped to its tight box)``.
        """
        return crop_masks(logits, height, width, self.threshold)

    def clean(self, box, mask, width: int, height: int, cleanup: Cleanup | None,
              tighten: bool) -> tuple[list[float], "np.ndarray"] | None:
        """A placed label's ``(box, mask)`` after mask clean-up (every mode calls this before ``store``).

        Args:
            box: relative ``[x, y, w, h]``; its pixel box is ``mask``'s shape.
            mask: the boolean mask cropped to ``box``.
            width / height: the image size.
            cleanup: the run's ``Cleanup`` (``SegmentConfig.cleanup``); ``None``: none.
            tighten: re-tighten the box to the cleaned mask (``box_source="mask"``,
                ``tighten_boxes``, video); else the box is kept.

        Returns:
            ``(box, mask)``, or ``None`` when clean-up removed the whole mask
            (the label is then not written).
        """
        if cleanup is None:
            return box, mask
        return clean_placed(box, mask, width, height, cleanup, tighten)

    def store(self, mask, sample_id: str, label_id) -> dict:
        """The label attributes that hold ``mask``: ``{"mask": ...}`` or ``{"mask_path": ...}``.

        Args:
            mask: the boolean mask, cropped to the label's box.
            sample_id / label_id: name the PNG file (with ``output_dir``).

        Returns:
            ``{"mask_path": the written PNG}`` with ``output_dir``, else
            ``{"mask": the serialized array}``.
        """
        if self.output_dir:
            return {"mask_path": write_png(mask, mask_file(self.output_dir, sample_id, label_id))}
        return {"mask": mask_bytes(mask)}


class ArrayMaskStore(MaskStore):
    """Keeps masks as arrays, for labels returned to FiftyOne (``SAM3Model``) rather than written."""

    def store(self, mask, sample_id: str, label_id) -> dict:
        """The mask array itself, unless masks go to PNG files (``MaskStore.store``).

        Args:
            mask: the cropped boolean mask.
            sample_id: the sample's id (for a PNG path).
            label_id: the label's id (for a PNG path).

        Returns:
            ``{"mask": mask}`` (not serialized), or ``{"mask_path": ...}``.
        """
        if self.output_dir:
            return super().store(mask, sample_id, label_id)
        return {"mask": mask}


def doc_to_detection(doc: dict) -> "fo.Detection":
    """A ``fo.Detection`` from a document built with an ``ArrayMaskStore`` (a new id).

    Args:
        doc: a detection document (``_id``, ``_cls`` and ``None`` values are
            dropped).

    Returns:
        the ``fo.Detection``.
    """
    import fiftyone as fo

    return fo.Detection(**{k: v for k, v in doc.items() if k not in ("_id", "_cls") and v is not None})


def labels_from_update(update) -> "fo.Detections":
    """The ``fo.Detections`` of an ``Update`` whose ``value`` was built with an ``ArrayMaskStore``.

    Args:
        update: a sample ``Update`` of a ``Detections`` document.

    Returns:
        the ``fo.Detections``.
    """
    import fiftyone as fo

    return fo.Detections(detections=[doc_to_detection(d) for d in update.value["detections"]])
