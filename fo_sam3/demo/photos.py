"""Real photos that installed packages ship, with hand-drawn boxes.

Boxes are FiftyOne-relative ``[x, y, w, h]`` in ``[0, 1]`` (top-left origin),
drawn by eye on each photo as displayed. ``gt`` masks (optional) are GrabCut
segmentations seeded by those boxes: a stand-in for human annotation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

# name -> [(label, [x, y, w, h]), ...]
BOXES: dict[str, list[tuple[str, list[float]]]] = {
    "astronaut": [("person", [0.04, 0.03, 0.68, 0.97]), ("helmet", [0.54, 0.67, 0.44, 0.33]),
                  ("rocket", [0.70, 0.00, 0.22, 0.55])],
    "chelsea": [("cat", [0.00, 0.00, 0.90, 1.00])],
    "coffee": [("cup", [0.28, 0.04, 0.42, 0.72]), ("spoon", [0.53, 0.16, 0.16, 0.66])],
    "rocket": [("rocket", [0.47, 0.29, 0.07, 0.68])],
    "motorcycle": [("motorcycle", [0.13, 0.17, 0.80, 0.73])],
    "grace_hopper": [("person", [0.02, 0.03, 0.98, 0.97]), ("hat", [0.30, 0.03, 0.43, 0.25])],
}
PHOTOS = tuple(BOXES)
TEXT_PROMPTS = ("person", "cat", "cup", "rocket", "motorcycle")


def photo(name: str) -> np.ndarray:
    """The RGB ``uint8`` array of one named photo.

    Args:
        name: one of ``PHOTOS``.

    Returns:
        an (H, W, 3) array.
    """
    if name == "grace_hopper":
        from matplotlib import cbook

        with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as im:
            return np.asarray(im.convert("RGB"))
    import skimage.data

    if name == "motorcycle":
        return skimage.data.stereo_motorcycle()[0]
    if name not in BOXES:
        raise ValueError(f"unknown photo {name!r}; choose from {', '.join(PHOTOS)}")
    return getattr(skimage.data, name)()


def write_photos(folder: str | Path, names=PHOTOS) -> list[Path]:
    """Write the photos as JPEG files into ``folder`` (kept if already there).

    Args:
        folder: the directory (created if missing).
        names: the photos to write.

    Returns:
        the ``<folder>/<name>.jpg`` paths, in ``names`` order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names:
        path = folder / f"{name}.jpg"
        if not path.is_file():
            Image.fromarray(photo(name)).convert("RGB").save(path, quality=95)
        paths.append(path)
    return paths


def grabcut_mask(image: np.ndarray, rel_box, iterations: int = 3) -> np.ndarray:
    """A boolean mask cropped to ``rel_box`` (relative xywh), by OpenCV's GrabCut.

    Args:
        image: an (H, W, 3) RGB ``uint8`` image.
        rel_box: the seed box, relative ``[x, y, w, h]``.
        iterations: GrabCut iterations (seeded, so repeatable).

    Returns:
        the foreground of the box's pixels (top-left corner floored, far
        corner rounded).
    """
    import cv2

    h, w = image.shape[:2]
    x0, y0 = int(rel_box[0] * w), int(rel_box[1] * h)
    x1 = min(w, int(round((rel_box[0] + rel_box[2]) * w)))
    y1 = min(h, int(round((rel_box[1] + rel_box[3]) * h)))
    rect = (max(x0, 1), max(y0, 1), max(1, min(x1, w - 1) - max(x0, 1)), max(1, min(y1, h - 1) - max(y0, 1)))
    labels = np.zeros((h, w), np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(image[:, :, ::-1].copy(), labels, rect, bgd, fgd, iterations, cv2.GC_INIT_WITH_RECT)
    full = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    return full[y0:y1, x0:x1]


def detections(name: str, masks: bool = False, image: np.ndarray | None = None):
    """The hand-drawn boxes of one photo as ``fo.Detections`` (GrabCut masks if asked).

    Args:
        name: one of ``PHOTOS``.
        masks: add a GrabCut mask to each box.
        image: the photo's pixels, if already loaded (for ``masks``).

    Returns:
        the ``fo.Detections``.
    """
    import fiftyone as fo

    if masks and image is None:
        image = photo(name)
    out = []
    for label, box in BOXES[name]:
        mask = grabcut_mask(image, box) if masks else None
        out.append(fo.Detection(label=label, bounding_box=list(box), mask=mask))
    return fo.Detections(detections=out)


def build_dataset(name: str, folder: str | Path, persistent: bool = True, gt_masks: bool = False,
                  boxes_field: str = "gt"):
    """(Re)create dataset ``name`` of the photos, with the hand-drawn boxes in ``boxes_field``.

    An existing dataset of that name is deleted first. ``gt_masks=True`` adds
    GrabCut masks to the boxes, making them ground truth for mask evaluation.

    Args:
        name: the dataset name.
        folder: where the JPEG files are written (see ``write_photos``).
        persistent: make the dataset persistent.
        gt_masks: add GrabCut masks to the boxes.
        boxes_field: the ``Detections`` field of the boxes.

    Returns:
        the new ``fo.Dataset`` (with metadata computed).
    """
    import fiftyone as fo

    if fo.dataset_exists(name):
        fo.delete_dataset(name)
    dataset = fo.Dataset(name, persistent=persistent)
    samples = []
    for path in write_photos(folder):
        stem = path.stem
        image = np.asarray(Image.open(path).convert("RGB")) if gt_masks else None
        samples.append(fo.Sample(filepath=str(path), photo=stem,
                                 **{boxes_field: detections(stem, gt_masks, image)}))
    dataset.add_samples(samples, progress=False)
    dataset.compute_metadata(progress=False)
    return dataset
