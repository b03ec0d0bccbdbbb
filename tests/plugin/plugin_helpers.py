"""Constants and checks shared by the plugin tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN = "@fo-sam3/sam3"
TINY = dict(variant="tiny", checkpoint="random")


def masks_of(dataset, field: str) -> list:
    """Every Detection of ``field`` (sorted by sample), failing on a missing mask."""
    dets = []
    for value in dataset.values(field):
        for det in (value.detections if value is not None else []):
            assert det.mask is not None or det.mask_path is not None, f"{field}: a detection without a mask"
            dets.append(det)
    return dets


def write_clip(folder: Path, frames: int = 3) -> Path:
    """A short mp4 (moving red square on grey, 128 x 96), encoded with ffmpeg."""
    import shutil
    import subprocess

    import numpy as np
    from PIL import Image

    for t in range(frames):
        img = np.full((96, 128, 3), 40, np.uint8)
        img[20:50, 10 + 8 * t : 40 + 8 * t] = (220, 40, 40)
        Image.fromarray(img).save(folder / f"{t:03d}.png")
    out = folder / "clip.mp4"
    exe = shutil.which("ffmpeg")
    assert exe, "ffmpeg is required (make system installs it)"
    subprocess.run([exe, "-y", "-loglevel", "error", "-framerate", "10", "-i", str(folder / "%03d.png"),
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out
