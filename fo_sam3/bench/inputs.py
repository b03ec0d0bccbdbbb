"""The benchmark's inputs: real photos on disk, and seeded boxes for instance mode."""

from __future__ import annotations

import os

import numpy as np

BOXES_PER_IMAGE = 5
BOX_FIELD = "gt5"


def photos(n: int, folder: str) -> list[str]:
    """Writes ``n`` JPEG files of scikit-image's photos (cycled) to ``folder``.

    Args:
        n: the number of files
        folder: an existing directory

    Returns:
        the list of paths
    """
    import skimage.data
    from PIL import Image

    arrays = [skimage.data.astronaut(), skimage.data.chelsea(), skimage.data.coffee(),
              skimage.data.rocket(), skimage.data.stereo_motorcycle()[0]]
    paths = []
    for i in range(n):
        path = os.path.join(folder, f"img{i:04d}.jpg")
        Image.fromarray(arrays[i % len(arrays)]).save(path, quality=95)
        paths.append(path)
    return paths


def add_boxes(dataset) -> list[np.ndarray]:
    """Gives each sample ``BOXES_PER_IMAGE`` seeded boxes in the ``BOX_FIELD`` field.

    Args:
        dataset: a dataset with metadata computed

    Returns:
        a list with one ``BOXES_PER_IMAGE x 4`` array of XYXY pixel boxes per sample
    """
    import fiftyone as fo

    rng = np.random.default_rng(0)
    pixel_boxes = []
    for sample in dataset.iter_samples(autosave=True):
        rel = []
        for _ in range(BOXES_PER_IMAGE):
            x, y = rng.uniform(0, 0.6, 2)
            w, h = rng.uniform(0.1, 0.4, 2)
            rel.append([x, y, w, h])
        sample[BOX_FIELD] = fo.Detections(detections=[fo.Detection(label="obj", bounding_box=b) for b in rel])
        W, H = sample.metadata.width, sample.metadata.height
        pixel_boxes.append(np.array([[x * W, y * H, (x + w) * W, (y + h) * H] for x, y, w, h in rel]))
    return pixel_boxes


def drop_field(dataset, field: str) -> None:
    """Deletes ``field`` from ``dataset`` if it exists.

    Args:
        dataset: a dataset
        field: a sample field name
    """
    if dataset.has_sample_field(field):
        dataset.delete_sample_field(field)
