"""Missing prompts, existing fields and bad inputs: clear errors or recorded skips, never crashes."""

from __future__ import annotations

import fiftyone as fo
import pytest
from video_clips import add_boxes, shapes_box

from fo_sam3.video import VideoFieldError, VideoSampleError, track


def _fake(index):
    return fo.Detections(detections=[fo.Detection(label="old", bounding_box=[0, 0, 0.5, 0.5], index=index)])


def test_sample_without_prompt_on_the_chosen_frame_is_skipped(short_mp4, video_model, make_video_dataset):
    ds = make_video_dataset(short_mp4, short_mp4)
    late, bare = ds.head(2)
    add_boxes(late, 2, "gt", [shapes_box(1)[0]])  # prompts on frame 2, but frame 1 is asked for
    summary = track(ds, "trk", box_field="gt", prompt_frame=1, model=video_model, progress=False)
    assert (summary.done, summary.failed, summary.frames) == (0, 2, 0)
    assert set(summary.reasons) == {late.id, bare.id}
    assert "no prompt labels in 'gt' on frame(s) [1]" in summary.reasons[late.id]
    assert "trk" not in ds.get_frame_field_schema()  # nothing written
    with pytest.raises(VideoSampleError, match=f"sample {late.id}.*'trk'.*no prompt labels"):
        track(ds, "trk", box_field="gt", model=video_model, progress=False, skip_failures=False)


def test_prompt_frame_beyond_the_video_and_unreadable_video(
    short_mp4, tmp_path, video_model, make_video_dataset
):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    ds = make_video_dataset(short_mp4, broken)
    ok, bad = ds.head(2)
    add_boxes(ok, 7, "gt", [shapes_box(1)[0]])
    add_boxes(bad, 1, "gt", [shapes_box(1)[0]])
    summary = track(ds, "trk", box_field="gt", prompt_frame=None, model=video_model, progress=False)
    assert summary.failed == 2
    assert "beyond the video's 3 frames" in summary.reasons[ok.id]
    assert "OSError" in summary.reasons[bad.id] and "broken.mp4" in summary.reasons[bad.id]


def test_existing_field_overwrite_and_skip(short_mp4, video_model, make_video_dataset):
    ds = make_video_dataset(short_mp4)
    sample = ds.first()
    for fn in (1, 2, 3):
        sample.frames[fn]["trk"] = _fake(99)
    sample.save()
    add_boxes(sample, 2, "gt", [shapes_box(1)[0]], ["square"], [4])
    with pytest.raises(VideoFieldError, match="frames.trk.*already exists"):
        track(ds, "trk", box_field="gt", model=video_model, progress=False)
    skipped = track(ds, "trk", box_field="gt", skip_existing=True, model=video_model, progress=False)
    assert (skipped.skipped, skipped.done) == (1, 0)
    assert ds.first().frames[1]["trk"].detections[0].label == "old"
    summary = track(
        ds, "trk", box_field="gt", prompt_frame=2, direction="forward", overwrite=True,
        model=video_model, progress=False,
    )
    assert summary.done == 1 and summary.frames == 2
    frames = dict(ds.first().frames.items())
    assert frames[1]["trk"] is None  # not reached by a forward pass: stale labels removed
    for fn in (2, 3):
        assert [(d.index, d.label) for d in frames[fn]["trk"].detections] == [(4, "square")]


def test_invalid_requests_are_named(short_mp4, photo_paths, make_video_dataset):
    ds = make_video_dataset(short_mp4)
    sample = ds.first()
    sample.frames[1]["kp"] = fo.Keypoints(keypoints=[fo.Keypoint(points=[(0.5, 0.5)])])
    sample.save()
    with pytest.raises(ValueError, match="exactly one kind of prompt"):
        track(ds, "trk", text="cat", box_field="kp", progress=False)
    with pytest.raises(VideoFieldError, match="box field 'frames.kp' must hold Detections"):
        track(ds, "trk", box_field="kp", progress=False)
    with pytest.raises(VideoFieldError, match="'frames.missing' does not exist"):
        track(ds, "trk", point_field="missing", progress=False)
    with pytest.raises(VideoFieldError, match="also a prompt field"):
        track(ds, "kp", point_field="kp", progress=False)
    images = fo.Dataset()
    try:
        images.add_sample(fo.Sample(filepath=photo_paths[0]))
        with pytest.raises(VideoFieldError, match="video collection"):
            track(images, "trk", text="cat", progress=False)
    finally:
        images.delete()


def test_the_output_field_follows_the_image_rules(short_mp4, make_video_dataset):
    from fo_sam3.write.fields import output_field_problem

    ds = make_video_dataset(short_mp4)
    with pytest.raises(VideoFieldError, match="invalid output field name 'frames.a.b'"):
        track(ds, "a.b", text="cat", progress=False)
    sample = ds.first()
    sample.frames[1]["cls"] = fo.Classification(label="x")
    sample.save()
    message = output_field_problem(ds, "frames.cls", True, False, frames=True)
    assert message == "output field 'frames.cls' exists as Classification, not Detections"
    with pytest.raises(VideoFieldError, match=message):
        track(ds, "frames.cls", text="cat", overwrite=True, progress=False)
