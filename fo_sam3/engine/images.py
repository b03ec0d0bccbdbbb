"""Image decoding that survives odd files (EXIF, 16-bit, CMYK, palette, ...).

Boxes and masks are in the coordinates of the image as FiftyOne displays it,
i.e. after applying the EXIF orientation.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps


def load_rgb(path: str) -> Image.Image:
    """Decode an image file as FiftyOne displays it.

    Args:
        path: the image file.

    Returns:
        an upright (EXIF orientation applied) 8-bit RGB ``PIL.Image``; raises
        on unreadable files.
    """
    with Image.open(path) as im:
        im.load()
        im = ImageOps.exif_transpose(im)
        return to_rgb(im)


def to_rgb(im: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB.

    16/32-bit grayscale is scaled to 8 bits; transparency is composited on
    black.

    Args:
        im: a ``PIL.Image`` of any mode.

    Returns:
        an RGB ``PIL.Image``.
    """
    if im.mode.startswith("I") or im.mode == "F":  # 16/32-bit grayscale
        arr = np.asarray(im, dtype=np.float64)
        if arr.size and arr.max() > 255:
            arr = arr / 257.0  # 16-bit range to 8-bit
        im = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), mode="L")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (0, 0, 0, 255))
        im = Image.alpha_composite(background, im)
    return im.convert("RGB")
