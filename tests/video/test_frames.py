"""FrameSource: every decoded frame, exact model inputs, bounded storage."""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import torch

from fo_sam3.video.frames import FrameSource

from video_clips import SHAPES_FRAMES, SHAPES_SIZE, frame_count, shapes_frame


def _decode_all(path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return frames


def test_frames_match_the_decoded_video(shapes_mp4):
    with FrameSource(shapes_mp4, size=1008) as frames:
        assert len(frames) == SHAPES_FRAMES == frame_count(shapes_mp4)
        assert (frames.height, frames.width) == SHAPES_SIZE
        ref = _decode_all(shapes_mp4)
        for i in (0, len(frames) - 1, -1):
            x = frames[i]
            assert x.shape == (3, 1008, 1008) and x.dtype == torch.float16
            want = cv2.resize(ref[i], (1008, 1008), interpolation=cv2.INTER_CUBIC)
            want = torch.from_numpy(want).permute(2, 0, 1).float() / 127.5 - 1
            assert torch.allclose(x.float(), want, atol=1e-2)
        # the content is the clip's: the red square is red, the background grey
        rgb = frames.rgb(0)
        assert rgb[35, 20, 0] > 150 and rgb[35, 20, 1] < 100
        assert np.abs(rgb.astype(int) - shapes_frame(0)).mean() < 8
        with pytest.raises(IndexError):
            frames[len(frames)]


def test_small_videos_are_stored_at_their_size_and_large_ones_capped(shapes_mp4, tmp_path):
    with FrameSource(shapes_mp4, size=1008, cache_dir=str(tmp_path)) as frames:
        assert frames.rgb(0).shape == (*SHAPES_SIZE, 3)
        stored = [f for f in os.listdir(frames._dir)]
        size = sum(os.path.getsize(os.path.join(frames._dir, f)) for f in stored)
        assert size == SHAPES_FRAMES * SHAPES_SIZE[0] * SHAPES_SIZE[1] * 3
    # a model input smaller than the video: frames are stored at the model size
    with FrameSource(shapes_mp4, size=64, cache_dir=str(tmp_path)) as frames:
        assert frames.rgb(0).shape == (64, 64, 3)
        assert frames[0].shape == (3, 64, 64)
        assert (frames.height, frames.width) == SHAPES_SIZE
    assert os.listdir(tmp_path) == []  # the memory map is deleted on close


def test_unreadable_video_is_a_clear_error(tmp_path):
    bad = tmp_path / "not_a_video.mp4"
    bad.write_bytes(b"\x00" * 100)
    with pytest.raises(OSError, match="not_a_video.mp4"):
        FrameSource(bad, cache_dir=str(tmp_path))
    assert os.listdir(tmp_path) == ["not_a_video.mp4"]
