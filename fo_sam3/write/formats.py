"""Extra output formats, derived from a written ``Detections`` field with FiftyOne's converters.

A post-pass over the labeled samples adds, per ``output``:

- ``"segmentation"``: ``<field>_seg``, a semantic ``Segmentation``
  (``Detections.to_segmentation``; ``mask_targets`` saved on the dataset);
- ``"polylines"``: ``<field>_polylines``, ``Polylines`` traced from the
  masks (``Detection.to_polyline`` at ``tolerance`` pixels);
- ``"rle"``: an ``rle`` attribute on each masked detection: the COCO RLE
  (``pycocotools.mask.encode``) of its full-image mask, ``{"size": [h, w],
  "counts": str}``.

``"detections"`` (the field itself) is always written.
"""

from __future__ import annotations

import os

import fiftyone as fo
import numpy as np
from fiftyone import ViewField as F

from .fields import declare_field, prepare_output_field

from ..config import OUTPUTS  # noqa: F401 (re-exported)
SUFFIXES = {"segmentation": "_seg", "polylines": "_polylines"}
FIELD_TYPES = {"segmentation": fo.Segmentation, "polylines": fo.Polylines}
RLE_ATTR = "rle"
DEFAULT_TOLERANCE = 2  # pixels, as FiftyOne's converters and exporters


def parse_outputs(output, tolerance=None) -> tuple[tuple[str, ...], float]:
    """Validate ``output`` (a name or list of names) and ``tolerance``.

    Args:
        output: one of ``OUTPUTS`` or a list of them.
        tolerance: polyline tolerance in pixels (only with ``"polylines"``).

    Returns:
        ``(outputs, tolerance)``: the names in ``OUTPUTS`` order, always with
        ``"detections"``, and the tolerance to use.
    """
    names = [output] if isinstance(output, str) else list(output or ())
    bad = [n for n in names if n not in OUTPUTS]
    if bad or not names:
        raise ValueError(f"output must be one or a list of {OUTPUTS}, got {output!r}")
    outputs = tuple(n for n in OUTPUTS if n in names or n == "detections")
    if tolerance is not None:
        if "polylines" not in outputs:
            raise ValueError("tolerance applies to output='polylines' only")
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1e6:
            raise ValueError(f"tolerance must be a number of pixels >= 0, got {tolerance!r}")
    return outputs, DEFAULT_TOLERANCE if tolerance is None else tolerance


def output_fields(field: str, outputs) -> dict[str, str]:
    """``{output: field name}`` of the derived fields (``<field>_seg``, ``<field>_polylines``).

    Args:
        field: the ``Detections`` field the outputs derive from.
        outputs: output names (those without a field of their own are left out).

    Returns:
        the derived field of each output that has one.
    """
    return {name: field + SUFFIXES[name] for name in outputs if name in SUFFIXES}


def check_outputs(samples, field: str, outputs, overwrite: bool, skip_existing: bool) -> None:
    """Refuse (before a run) derived fields that exist with another type, or without overwrite/skip_existing.

    Args:
        samples: the run's samples.
        field: the run's ``Detections`` field.
        outputs: the output names (see ``parse_outputs``).
        overwrite / skip_existing: the run's settings, as for ``field``.
    """
    for name, out in output_fields(field, outputs).items():
        prepare_output_field(samples, out, overwrite, skip_existing, FIELD_TYPES[name])


def has_mask():
    """A label filter: detections with a ``mask`` or a ``mask_path``.

    Returns:
        a ``ViewExpression`` for ``filter_labels``.
    """
    return (F("mask") != None) | (F("mask_path") != None)  # noqa: E711


def mask_targets_for(samples, field: str, out_field: str) -> dict[int, str]:
    """The dataset's targets of ``out_field`` plus a new value (from 1) for each new label.

    Args:
        samples: the samples whose labels need a value.
        field: the ``Detections`` field whose labels are read.
        out_field: the ``Segmentation`` field whose ``mask_targets`` are extended.

    Returns:
        ``{pixel value: label}``; existing values are kept, new labels get
        values above the largest one.
    """
    dataset = samples._dataset
    targets = {int(k): v for k, v in (dataset.mask_targets.get(out_field) or {}).items()}
    known = set(targets.values())
    labels = [lab for lab in samples.distinct(f"{field}.detections.label") if lab not in known]
    start = max(targets, default=0) + 1
    targets.update({start + i: lab for i, lab in enumerate(labels)})
    return targets


def write_outputs(samples, field: str, outputs, tolerance: float = DEFAULT_TOLERANCE,
                  output_dir: str | None = None, progress=None) -> list[str]:
    """Add the derived outputs of ``field`` to every sample of ``samples`` where it is set.

    Args:
        samples: the labeled samples (a dataset or view).
        field: a ``Detections`` field with masks.
        outputs: names from ``OUTPUTS`` (see ``parse_outputs``).
        tolerance: polyline tolerance in pixels.
        output_dir: write ``Segmentation`` masks as PNGs under
            ``output_dir/<field>_seg/`` (``mask_path``) instead of the database.
        progress: FiftyOne's ``progress`` argument.

    Returns:
        one line per output written, for the run summary's notes.
    """
    fields = output_fields(field, outputs)
    rle = RLE_ATTR in outputs
    if not fields and not rle:
        return []
    view = samples.exists(field)
    if len(view) == 0:
        return []
    view.compute_metadata()
    dataset = samples._dataset
    for name, out in fields.items():
        declare_field(dataset, out, FIELD_TYPES[name])
    seg = fields.get("segmentation")
    masked = view.filter_labels(field, has_mask(), only_matches=False).select_fields(field)
    targets = mask_targets_for(masked, field, seg) if seg else None
    seg_dir = os.path.join(output_dir, seg) if seg and output_dir else None
    for sample in masked.iter_samples(autosave=True, progress=progress):
        dets = sample[field].detections
        size = (sample.metadata.width, sample.metadata.height)
        if seg:
            sample[seg] = segmentation(dets, size, targets, seg_dir and os.path.join(seg_dir, f"{sample.id}.png"))
        if "polylines" in fields:
            sample[fields["polylines"]] = polylines(dets, tolerance)
        if rle:
            for det in dets:
                det[RLE_ATTR] = coco_rle(det, size)
    if seg:
        dataset.mask_targets = {**dataset.mask_targets, seg: targets}
        dataset.save()
    notes = [f"wrote {out} ({FIELD_TYPES[name].__name__})" for name, out in fields.items()]
    if rle:
        notes.append(f"wrote the COCO RLE of each mask as the '{RLE_ATTR}' attribute of {field}")
    return notes


def segmentation(dets, frame_size, targets: dict[int, str], path: str | None = None) -> fo.Segmentation:
    """A semantic ``Segmentation`` of ``dets`` (higher confidence drawn on top), via FiftyOne.

    Args:
        dets: ``Detection``s with masks.
        frame_size: ``(width, height)``.
        targets: ``{pixel value: label}``.
        path: write the mask to this PNG (``mask_path``) instead of the database.

    Returns:
        the ``Segmentation``.
    """
    order = sorted(dets, key=lambda d: -1.0 if d.confidence is None else d.confidence)
    seg = fo.Detections(detections=order).to_segmentation(frame_size=frame_size, mask_targets=targets)
    if path:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        seg.export_mask(path, update=True)
    return seg


def polylines(dets, tolerance: float = DEFAULT_TOLERANCE) -> fo.Polylines:
    """Filled ``Polylines`` tracing each mask (``Detection.to_polyline``), without the ``rle`` attribute.

    Args:
        dets: ``Detection``s with masks.
        tolerance: the tracing tolerance, in pixels.

    Returns:
        the ``Polylines``, one per detection.
    """
    out = []
    for det in dets:
        poly = det.to_polyline(tolerance=tolerance, filled=True)
        if RLE_ATTR in poly:
            poly.clear_field(RLE_ATTR)
        out.append(poly)
    return fo.Polylines(polylines=out)


def coco_rle(det: fo.Detection, frame_size) -> dict:
    """The COCO RLE of a detection's full-image mask, placed as FiftyOne places it.

    Args:
        det: a ``Detection`` with a mask.
        frame_size: ``(width, height)``.

    Returns:
        ``{"size": [height, width], "counts": str}`` (decode with
        ``pycocotools.mask.decode``).
    """
    from pycocotools import mask as mask_utils

    full = det.to_segmentation(frame_size=frame_size, target=1).mask
    rle = mask_utils.encode(np.asfortranarray(full, dtype=np.uint8))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}
