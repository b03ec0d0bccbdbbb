"""Video fixtures: real mp4 files made with ffmpeg, FiftyOne video datasets, a tiny video model."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from PIL import Image
from video_clips import SHAPES_FRAMES, ffmpeg, shapes_frame, write_mp4


@pytest.fixture(scope="session")
def shapes_mp4(tmp_path_factory) -> Path:
    """A synthetic clip of moving shapes (5 frames, 128 x 96)."""
    root = tmp_path_factory.mktemp("shapes")
    for t in range(SHAPES_FRAMES):
        Image.fromarray(shapes_frame(t)).save(root / f"{t:03d}.png")
    return write_mp4(root, root / "shapes.mp4")


@pytest.fixture(scope="session")
def short_mp4(tmp_path_factory) -> Path:
    """The first 3 frames of the shapes clip."""
    root = tmp_path_factory.mktemp("short")
    for t in range(3):
        Image.fromarray(shapes_frame(t)).save(root / f"{t:03d}.png")
    return write_mp4(root, root / "short.mp4")


@pytest.fixture(scope="session")
def gif_mp4(tmp_path_factory) -> Path:
    """scikit-image's animated GIF (a real clip) as mp4: every other frame (12), x4 upscaled."""
    import skimage.data

    gif = Path(skimage.data.__file__).parent / "no_time_for_that_tiny.gif"
    out = tmp_path_factory.mktemp("gif") / "no_time_for_that.mp4"
    ffmpeg("-i", str(gif), "-vf", "select=not(mod(n\\,2)),scale=trunc(iw*2)*2:trunc(ih*2)*2:flags=neighbor",
           "-vsync", "vfr",
           "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out))
    return out


@pytest.fixture
def make_video_dataset():
    """Factory: a fresh non-persistent video dataset of the given files (deleted afterwards)."""
    import fiftyone as fo

    made = []

    def make(*paths):
        ds = fo.Dataset(f"fo-sam3-video-test-{uuid.uuid4().hex[:10]}")
        ds.add_samples([fo.Sample(filepath=str(p)) for p in paths])
        ds.compute_metadata(progress=False)
        made.append(ds)
        return ds

    yield make
    for ds in made:
        if fo.dataset_exists(ds.name):
            ds.delete()


@pytest.fixture(scope="session")
def video_model():
    from fo_sam3.video import build_sam3_video

    return build_sam3_video("tiny", seed=0, device="cpu")
