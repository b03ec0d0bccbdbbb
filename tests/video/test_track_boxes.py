"""Box/point prompts on video frames, tracked with the tiny model on real mp4 files."""

from __future__ import annotations

import uuid

import fiftyone as fo
import numpy as np
import pytest
import torch
from video_clips import SHAPES_FRAMES, SHAPES_SIZE, add_boxes, frame_count, shapes_box

from fo_sam3.video import TrackConfig, collect_prompts, track, track_video
from fo_sam3.video.frames import FrameSource
from fo_sam3.video.instance import Group, InstanceSession, schedule
from fo_sam3.video.memory import trim_state
from fo_sam3.video.prompts import ObjectPrompt
from fo_sam3.video.session import running


def _ids(frame, field):
    dets = frame[field]
    assert isinstance(dets, fo.Detections), f"frame {frame.frame_number} lacks {field}"
    ids = [d.index for d in dets.detections]
    assert len(ids) == len(set(ids)), "a track appears twice on one frame"
    return set(ids)


def _full_mask(det, height, width) -> np.ndarray:
    x, y, w, h = det.bounding_box
    x0, y0 = round(x * width), round(y * height)
    assert det.mask.shape == (round(h * height), round(w * width))
    full = np.zeros((height, width), bool)
    full[y0 : y0 + det.mask.shape[0], x0 : x0 + det.mask.shape[1]] = det.mask
    return full


@pytest.fixture(scope="module")
def boxes_run(shapes_mp4, video_model):
    """Square (index 7) boxed on frames 1 and 4, disc boxed on frame 1, a point-only object."""
    ds = fo.Dataset(f"fo-sam3-video-test-{uuid.uuid4().hex[:10]}")
    ds.add_sample(fo.Sample(filepath=str(shapes_mp4)))
    sample = ds.first()
    sq1, disc1 = shapes_box(0)
    sq4, _ = shapes_box(3)
    add_boxes(sample, 1, "gt", [sq1, disc1], ["square", "disc"], [7, None])
    add_boxes(sample, 4, "gt", [sq4], ["square"], [7])
    sample.frames[1]["kp"] = fo.Keypoints(
        keypoints=[fo.Keypoint(label="pt", points=[(0.05, 0.9), (0.5, 0.5)], sam_labels=[1, 0])]
    )
    sample.save()
    summary = track(
        ds, "trk", box_field="frames.gt", point_field="kp", prompt_frame=None,
        model=video_model, progress=False,
    )
    yield ds, summary
    ds.delete()


def test_every_frame_gets_the_prompted_tracks(boxes_run):
    ds, summary = boxes_run
    sample = ds.first()
    assert summary.done == 1 and summary.failed == 0
    assert summary.frames == SHAPES_FRAMES
    frames = dict(sample.frames.items())
    assert sorted(frames) == list(range(1, SHAPES_FRAMES + 1))
    # ids: 7 from the index, 8 and 9 assigned above it; stable on every frame
    assert _ids(frames[1], "trk") == {7, 8, 9}  # box prompts on frame k give their ids on k
    assert _ids(frames[4], "trk") >= {7}
    for frame in frames.values():
        assert _ids(frame, "trk") == {7, 8, 9}
    assert summary.detections == 3 * SHAPES_FRAMES
    labels = {d.index: d.label for f in frames.values() for d in f["trk"].detections}
    assert labels == {7: "square", 8: "disc", 9: "pt"}
    h, w = SHAPES_SIZE
    for frame in frames.values():
        for det in frame["trk"].detections:
            assert 0 < det.confidence <= 1
            assert det.mask.dtype == bool and det.mask.any()
            full = _full_mask(det, h, w)
            x, y, bw, bh = det.bounding_box
            assert 0 <= x and 0 <= y and x + bw <= 1 + 1e-9 and y + bh <= 1 + 1e-9
            assert full.sum() == det.mask.sum()  # the box is the mask's tight box
            assert det.mask[0].any() and det.mask[-1].any() and det.mask[:, 0].any()


def test_masks_equal_sam3_full_resolution_output(boxes_run, shapes_mp4, video_model):
    """The low-res + exact upsampling path equals sam3's video-resolution masks."""
    ds, _ = boxes_run
    sample = ds.first()
    cfg = TrackConfig(box_field="gt", point_field="kp", prompt_frames=None)
    prompts = [p for p in collect_prompts(sample, None, "gt", "kp") if p.frame_idx == 0]
    h, w = SHAPES_SIZE
    tracker = video_model.tracker
    with FrameSource(shapes_mp4) as frames, running(video_model, cfg):
        state = tracker.init_state(video_height=h, video_width=w, num_frames=len(frames))
        state["images"] = frames
        for p in prompts:
            box = None if p.box is None else torch.tensor([p.box])
            pts = torch.tensor(p.points).reshape(-1, 2) if p.points else None
            labs = torch.tensor(p.point_labels, dtype=torch.int32) if p.points else None
            _, ids, _, masks = tracker.add_new_points_or_box(
                state, 0, p.obj_id, points=pts, labels=labs, box=box
            )
    # frame 1 has only frame-1 prompts in the reference; compare objects 8 and 9
    ours = {d.index: _full_mask(d, h, w) for d in sample.frames[1]["trk"].detections}
    for i, obj_id in enumerate(ids):
        if obj_id == 7:
            continue  # conditioned on frame 4 too in the tracked run
        ref = (masks[i, 0] > 0).numpy()
        assert ref.any()
        assert (ours[obj_id] != ref).mean() < 1e-3


def _rel_xyxy(xywh):
    x, y, w, h = xywh
    return (x, y, x + w, y + h)


def test_bidirectional_from_a_middle_frame(short_mp4, video_model):
    sq, disc = shapes_box(1)
    prompts = [ObjectPrompt(1, 1, "square", _rel_xyxy(sq)), ObjectPrompt(1, 2, "disc", _rel_xyxy(disc))]
    cfg = TrackConfig(box_field="gt", prompt_frames=(2,), confidence=0.0)
    n, both = track_video(video_model, str(short_mp4), cfg, prompts)
    assert n == 3
    assert sorted(both) == [1, 2, 3]  # the frames before and after the prompt frame
    for fn, dets in both.items():
        assert [d.index for d in dets] == [1, 2], fn
        assert [d.label for d in dets] == ["square", "disc"]


@pytest.mark.parametrize("direction, expected", [("forward", [2, 3]), ("backward", [1, 2])])
def test_one_direction_covers_one_side(short_mp4, video_model, direction, expected):
    sq, _ = shapes_box(1)
    prompts = [ObjectPrompt(1, 5, None, _rel_xyxy(sq))]
    cfg = TrackConfig(box_field="gt", direction=direction, prompt_frames=(2,), label="thing")
    n, results = track_video(video_model, str(short_mp4), cfg, prompts)
    assert n == 3 and sorted(results) == expected
    assert all([(d.index, d.label) for d in dets] == [(5, "thing")] for dets in results.values())


def test_schedule_runs_each_group_from_its_own_prompts():
    groups = [Group({"num_frames": 10}, (2,)), Group({"num_frames": 10}, (5, 7))]
    (fwd,) = schedule("forward", groups)
    assert fwd[0] is False and fwd[1] == list(range(2, 10))
    assert fwd[2] == [range(2, 10), range(5, 10)]
    fwd, bwd = schedule("both", groups)
    assert bwd[0] is True and bwd[1] == list(range(5, -1, -1))
    assert bwd[2] == [range(0, 3), range(0, 6)]
    (back,) = schedule("backward", groups)
    assert back[1] == list(range(7, -1, -1)) and back[2] == [range(0, 3), range(0, 8)]


def test_real_clip_every_frame_keeps_its_track_ids(gif_mp4, video_model, make_video_dataset):
    """scikit-image's GIF (a real clip) as mp4: every frame keeps the prompted track ids."""
    n = frame_count(gif_mp4)
    assert n == 12
    ds = make_video_dataset(gif_mp4)
    sample = ds.first()
    add_boxes(sample, 1, "gt", [[0.2, 0.1, 0.6, 0.5], [0.0, 0.5, 1.0, 0.5]], ["face", None], [3, 4])
    summary = track(ds, "trk", box_field="gt", model=video_model, memory_window=16, progress=False)
    assert summary.done == 1 and summary.frames == n
    sample.reload()
    frames = dict(sample.frames.items())
    assert sorted(frames) == list(range(1, n + 1))
    assert all(_ids(f, "trk") == {3, 4} for f in frames.values())
    labels = {d.index: d.label for f in frames.values() for d in f["trk"].detections}
    assert labels == {3: "face", 4: "object"}  # unlabeled prompts get TrackConfig.label


def test_trimming_keeps_prompt_and_recent_frames(short_mp4, video_model):
    sq, _ = shapes_box(0)
    prompts = [ObjectPrompt(0, 1, "square", _rel_xyxy(sq))]
    cfg = TrackConfig(box_field="gt")
    tracker = video_model.tracker
    with FrameSource(short_mp4) as frames, running(video_model, cfg):
        session = InstanceSession(video_model, frames, prompts)
        (group,) = session.groups
        state = group.state
        seen = [f for f, _ in session.propagate("forward", None)]
        assert seen == [0, 1, 2]
        outputs = state["output_dict"]
        assert set(outputs["non_cond_frame_outputs"]) == {1, 2}
        assert trim_state(tracker, state, current=2, anchors=[0], window=16) == 0
        assert trim_state(tracker, state, current=10, anchors=[0], window=None) == 0
        # far from every frame: all non-conditioning outputs go, the prompt frame stays
        assert trim_state(tracker, state, current=40, anchors=[], window=16) == 2
        assert outputs["non_cond_frame_outputs"] == {}
        assert set(outputs["cond_frame_outputs"]) == {0}
        for per_obj in state["output_dict_per_obj"].values():
            assert per_obj["non_cond_frame_outputs"] == {}
        # the trimmed state still tracks (backward from the prompt frame)
        again = [f for f, objs in session.propagate("backward", 16) if objs]
        assert again == [0]


def test_frame_masks_render_exactly_in_fiftyone(boxes_run, tmp_path, short_mp4, video_model, make_video_dataset):
    ds, _ = boxes_run
    sample = ds.first()
    h, w = SHAPES_SIZE
    checked = 0
    for _, frame in sample.frames.items():
        for det in frame["trk"].detections:
            seg = det.to_segmentation(frame_size=(w, h), target=1).mask > 0
            assert (seg == _full_mask(det, h, w)).all()
            checked += 1
    assert checked > 0
    # the same through PNG files (mask_path)
    files = make_video_dataset(short_mp4)
    add_boxes(files.first(), 1, "gt", [shapes_box(0)[0]], ["square"], [3])
    summary = track(files, "trk", box_field="gt", model=video_model, progress=False, output_dir=str(tmp_path))
    assert summary.done == 1 and summary.detections > 0
    files.compute_metadata()
    w, h = files.first().metadata.frame_width, files.first().metadata.frame_height
    for _, frame in files.first().frames.items():
        for det in frame["trk"].detections:
            assert det.mask is None and str(tmp_path) in det.mask_path
            seg = det.to_segmentation(frame_size=(w, h), target=1).mask > 0
            assert seg.sum() == (det.get_mask() > 0).sum() > 0
