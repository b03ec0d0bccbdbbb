"""Masks to the bytes FiftyOne stores: its ``mask`` format, or PNG files for ``mask_path``.

Both encoders release the GIL while compressing, so the output stage runs
them on a thread pool.
"""

from __future__ import annotations

import functools
import io
import os
import zlib

import numpy as np
from bson import Binary, ObjectId

# zlib level 1 with run-length matching: many times faster than FiftyOne's default
# (level 6) on masks and about as small; any zlib stream reads back the same. Run-length
# matching needs no large hash table (memory level 4: within 1% of the size, ~10% faster).
ZLIB_LEVEL = 1
_ZLIB_MEMORY = 4


def mask_bytes(mask: np.ndarray) -> Binary:
    """``mask`` as FiftyOne stores a ``Detection.mask``: ``np.save`` then zlib.

    Reads back with ``fiftyone.core.utils.deserialize_numpy_array`` (as
    FiftyOne does for every ``ArrayField``); only the compression level differs
    from ``serialize_numpy_array``.

    Args:
        mask: the mask array (any dtype and shape).

    Returns:
        the compressed ``.npy`` bytes, as BSON binary.
    """
    mask = np.asarray(mask)
    if not mask.flags.c_contiguous:
        mask = np.ascontiguousarray(mask)
    z = zlib.compressobj(ZLIB_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, _ZLIB_MEMORY, zlib.Z_RLE)
    head = z.compress(_npy_header(mask.dtype.str, mask.shape))
    return Binary(head + z.compress(mask.reshape(-1).view(np.uint8)) + z.flush())


@functools.lru_cache(maxsize=4096)
def _npy_header(descr: str, shape: tuple[int, ...]) -> bytes:
    """The ``.npy`` header ``np.save`` writes for a C-ordered array (numpy's own writer, cached)."""
    with io.BytesIO() as f:
        np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
        return f.getvalue()


def write_png(mask: np.ndarray, path: str) -> str:
    """Write a boolean mask as a 0/255 PNG at ``path`` atomically.

    Args:
        mask: a 2D bool array.
        path: the file to write (its folders are created).

    Returns:
        ``path``.
    """
    import cv2

    ok, png = cv2.imencode(".png", np.asarray(mask, dtype=np.uint8) * 255)
    if not ok:
        raise ValueError(f"could not encode a {mask.shape} mask as PNG")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(png.tobytes())
    os.replace(tmp, path)  # a reader never sees half a file
    return path


def mask_file(output_dir: str, sample_id: str, label_id) -> str:
    """Where a label's mask PNG goes: ``output_dir/<sample_id>/<label_id>.png``.

    Args:
        output_dir: the run's mask folder.
        sample_id: the sample's id.
        label_id: the label's id.

    Returns:
        the file path.
    """
    return os.path.join(output_dir, sample_id, f"{label_id}.png")


def detection_doc(bounding_box, label=None, mask=None, mask_path=None, _id=None, **attrs) -> dict:
    """The database document of a ``fo.Detection`` (as ``Detection.to_mongo()`` makes it).

    ``mask`` is already encoded (``mask_bytes``). Attributes that are ``None``
    are left out, as FiftyOne does.

    Args:
        bounding_box: relative ``[x, y, w, h]``.
        label: the label, or ``None``.
        mask: the encoded mask, or ``None``.
        mask_path: the mask's PNG file, or ``None``.
        _id: the label id (default: a new one).
        **attrs: other attributes (``confidence``, ``query``, ...).

    Returns:
        the document, a dict.
    """
    doc = {"_id": _id or ObjectId(), "_cls": "Detection", "attributes": {}, "tags": []}
    if label is not None:
        doc["label"] = label
    doc["bounding_box"] = [float(v) for v in bounding_box]
    if mask is not None:
        doc["mask"] = mask
    if mask_path is not None:
        doc["mask_path"] = mask_path
    doc.update((k, v) for k, v in attrs.items() if v is not None)
    return doc


def detections_doc(dets: list[dict]) -> dict:
    """The database document of a ``fo.Detections`` holding ``dets``.

    Args:
        dets: ``Detection`` documents (``detection_doc``).

    Returns:
        the document, a dict.
    """
    return {"_cls": "Detections", "detections": dets}
