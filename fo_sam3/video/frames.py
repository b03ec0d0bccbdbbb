"""Video frames for sam3, decoded once and served lazily with bounded memory.

sam3's own loaders hold the whole clip as a float16 (or float32) tensor of
3 x 1008 x 1008 per frame (6.1 MB / 12.2 MB per frame). ``FrameSource``
instead decodes the video once with OpenCV into a disk-backed ``uint8``
memory map and builds a model input only when sam3 asks for a frame:

- on disk: ``3 * min(h * w, size**2)`` bytes per frame for an ``h x w`` video
  (frames larger than the model input are stored resized to it), so at most
  3.05 MB per frame at 1008;
- in RAM: the OS page cache of that file (reclaimable), plus one transient
  float16 model input (6.1 MB) per access; sam3 caches features, not frames.

Model inputs are RGB, resized to ``size x size`` (bicubic, as sam3's cv2 video
loader) and normalised to [-1, 1] with mean = std = 0.5.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np
import torch


class FrameSource:
    """Indexable frames of one video: ``source[i]`` is a (3, size, size) float16 tensor.

    ``height``/``width`` are the original frame size; ``len(source)`` is the
    number of decoded frames (frame ``i`` is FiftyOne frame number ``i + 1``).
    ``progress``, if given, is called with the number of frames decoded so far.
    Use as a context manager (or call ``close``) to delete the memory map.
    """

    def __init__(self, path: str, size: int = 1008, cache_dir: str | None = None, progress=None):
        import cv2

        self.path = str(path)
        self.size = int(size)
        cap = cv2.VideoCapture(self.path)
        if not cap.isOpened():
            raise OSError(f"could not open video {self.path}")
        self._dir = tempfile.mkdtemp(prefix="fo_sam3_frames_", dir=cache_dir)
        try:
            self._decode(cap, progress)
        except BaseException:
            self.close()
            raise
        finally:
            cap.release()

    def _decode(self, cap, progress) -> None:
        import cv2

        self.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        if self.height <= 0 or self.width <= 0:
            raise OSError(f"video {self.path} has no readable frame size")
        # Store at the original size unless it has more pixels than the model
        # input; either way a model input is one resize of the original.
        small = self.height * self.width <= self.size**2
        self._store_hw = (self.height, self.width) if small else (self.size, self.size)
        expected = max(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 1)
        capacity, count = expected, 0
        store = self._open_store(capacity)
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            if count == capacity:  # the container's frame count was too low
                capacity *= 2
                store = self._grow(store, count, capacity)
            store[count] = self._to_store(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            count += 1
            if progress is not None:
                progress(count)
        if count == 0:
            raise OSError(f"video {self.path} has no decodable frames")
        store.flush()
        self._frames = store[:count]
        self._count = count

    def _open_store(self, capacity: int, name: str = "frames.u8") -> np.memmap:
        h, w = self._store_hw
        path = os.path.join(self._dir, name)
        return np.memmap(path, dtype=np.uint8, mode="w+", shape=(capacity, h, w, 3))

    def _grow(self, store: np.memmap, count: int, capacity: int) -> np.memmap:
        bigger = self._open_store(capacity, f"frames{capacity}.u8")
        bigger[:count] = store[:count]
        old = store.filename
        del store
        os.remove(old)
        return bigger

    def _to_store(self, rgb: np.ndarray) -> np.ndarray:
        import cv2

        h, w = self._store_hw
        if rgb.shape[:2] == (h, w):
            return rgb
        return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_CUBIC)

    def __len__(self) -> int:
        return self._count

    def rgb(self, index: int) -> np.ndarray:
        """The stored uint8 RGB frame: original size, or ``size x size`` for large videos.

        Args:
            index: the 0-based frame index.

        Returns:
            an ``(h, w, 3)`` uint8 array.
        """
        return np.asarray(self._frames[index])

    def __getitem__(self, index: int) -> torch.Tensor:
        import cv2

        index = int(index)
        if not -self._count <= index < self._count:
            raise IndexError(f"frame {index} out of range for {self._count} frames")
        rgb = self.rgb(index)
        if rgb.shape[:2] != (self.size, self.size):
            rgb = cv2.resize(rgb, (self.size, self.size), interpolation=cv2.INTER_CUBIC)
        x = torch.from_numpy(rgb).permute(2, 0, 1).to(torch.float16)
        return x.div_(127.5).sub_(1.0)  # (x / 255 - 0.5) / 0.5

    def close(self) -> None:
        """Delete the decoded frames (the memory map and its folder).

        Returns:
            None.
        """
        self._frames = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        if getattr(self, "_dir", None) and os.path.isdir(self._dir):
            shutil.rmtree(self._dir, ignore_errors=True)
