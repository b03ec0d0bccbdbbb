"""Helpers for the video tests: clips made with ffmpeg, prompt labels."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

SHAPES_SIZE = (96, 128)  # (height, width)
SHAPES_FRAMES = 5


def ffmpeg(*args: str) -> None:
    exe = shutil.which("ffmpeg")
    assert exe, "ffmpeg is required (make system installs it)"
    subprocess.run([exe, "-y", "-loglevel", "error", *args], check=True)


def shapes_frame(t: int) -> np.ndarray:
    """A red square moving right and a green disc moving up, on grey."""
    h, w = SHAPES_SIZE
    img = np.full((h, w, 3), 40, np.uint8)
    x = 10 + 8 * t
    img[20:50, x : x + 30] = (220, 40, 40)
    yy, xx = np.ogrid[:h, :w]
    cy = 70 - 5 * t
    img[(yy - cy) ** 2 + (xx - 95) ** 2 < 14**2] = (40, 200, 60)
    return img


def shapes_box(t: int) -> tuple[list[float], list[float]]:
    """Relative [x, y, w, h] of the square and the disc on frame index ``t``."""
    h, w = SHAPES_SIZE
    square = [(10 + 8 * t) / w, 20 / h, 30 / w, 30 / h]
    disc = [(95 - 14) / w, (70 - 5 * t - 14) / h, 28 / w, 28 / h]
    return square, disc


def write_mp4(frames_dir: Path, out: Path, fps: int = 10) -> Path:
    ffmpeg("-framerate", str(fps), "-i", str(frames_dir / "%03d.png"),
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out))
    return out


def frame_count(path: Path) -> int:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, text=True,
    )
    return int(probe.stdout.strip())


def add_boxes(sample, frame_number: int, field: str, boxes, labels=None, indexes=None) -> None:
    """Write a frame-level ``Detections`` prompt field."""
    import fiftyone as fo

    dets = []
    for i, box in enumerate(boxes):
        dets.append(
            fo.Detection(
                label=None if labels is None else labels[i],
                bounding_box=list(box),
                index=None if indexes is None else indexes[i],
            )
        )
    sample.frames[frame_number][field] = fo.Detections(detections=dets)
    sample.save()
