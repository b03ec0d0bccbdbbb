"""Masks as PNG files (``mask_path``) for datasets whose documents would grow large."""

from __future__ import annotations

import os

import fiftyone as fo
import numpy as np
from PIL import Image


def move_mask_to_file(det: fo.Detection, output_dir: str, sample_id: str) -> None:
    """Write ``det.mask`` to ``output_dir/<sample_id>/<det.id>.png`` and set ``mask_path``."""
    if det.mask is None:
        return
    folder = os.path.join(output_dir, sample_id)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{det.id}.png")
    tmp = path + ".tmp.png"
    Image.fromarray(np.asarray(det.mask, dtype=np.uint8) * 255).save(tmp)
    os.replace(tmp, path)  # atomic: a reader never sees half a file
    det.mask = None
    det.mask_path = path
