"""Text (concept) tracking with the tiny detector + tracker video model."""

from __future__ import annotations

import fiftyone as fo
import numpy as np
from video_clips import SHAPES_SIZE

from fo_sam3.video import track


def test_text_from_a_middle_frame_writes_every_frame(short_mp4, video_model, make_video_dataset):
    ds = make_video_dataset(short_mp4)
    summary = track(
        ds, "frames.txt", text="red square", prompt_frame=2, model=video_model, progress=False,
        # random weights score about 0.2: lower sam3's thresholds so tracks start
        confidence=0.0, detection_threshold=0.1, new_track_threshold=0.1,
    )
    # sam3's own thresholds are restored afterwards
    assert (video_model.score_threshold_detection, video_model.new_det_thresh) == (0.5, 0.7)
    assert summary.done == 1 and summary.failed == 0
    assert summary.frames == 3
    frames = dict(ds.first().frames.items())
    assert sorted(frames) == [1, 2, 3]  # before and after frame 2
    h, w = SHAPES_SIZE
    total = 0
    for fn, frame in frames.items():
        dets = frame["txt"]
        assert isinstance(dets, fo.Detections), fn
        ids = [d.index for d in dets.detections]
        assert len(ids) == len(set(ids)), f"duplicate track on frame {fn}"
        for det in dets.detections:
            total += 1
            assert det.label == "red square" and isinstance(det.index, int)
            assert 0.0 <= det.confidence <= 1.0
            x, y, bw, bh = det.bounding_box
            assert det.mask.shape == (round(bh * h), round(bw * w)) and det.mask.any()
            assert det.mask[0].any() and det.mask[:, 0].any()  # tight box
            assert np.isclose(x * w, round(x * w)) and np.isclose(y * h, round(y * h))
    assert total == summary.detections > 0
    assert ds.get_frame_field_schema()["txt"].document_type is fo.Detections
