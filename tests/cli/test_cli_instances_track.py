"""``fo-sam3 instances`` (boxes, points) and ``fo-sam3 track`` (video) with the tiny model."""

import json

from cli_support import TINY


def test_instances_one_mask_per_box(cli, gt_dataset):
    ds = gt_dataset
    view = ds.limit(3)
    n_boxes = view.count("gt.detections")
    r = cli("instances", ds.name, "--box-field", "gt", "--field", "inst", "--limit", "3", *TINY)
    assert r.rc == 0, r.err
    assert f"inst: 3 samples done, 0 skipped, 0 failed; {n_boxes} labels written" in r.out
    for gt, inst in zip(view.values("gt"), view.values("inst")):
        assert [d.label for d in inst.detections] == [d.label for d in gt.detections]
        assert all(d.mask is not None for d in inst.detections)
    assert ds.skip(3).count("inst") == 0


def test_instances_from_points_json_summary(cli, gt_dataset):
    ds = gt_dataset
    r = cli("instances", ds.name, "--point-field", "kp", "--field", "from_points", "--limit", "2", "--json", *TINY)
    assert r.rc == 0, r.err
    summary = json.loads(r.out)
    expected = ds.limit(2).count("kp.keypoints")
    assert (summary["done"], summary["failed"], summary["detections"]) == (2, 0, expected)
    assert summary["field"] == "from_points" and summary["seconds"] > 0


def test_instances_usage_errors(cli, gt_dataset):
    r = cli("instances", gt_dataset.name, *TINY)
    assert r.rc == 2 and "--box-field and/or --point-field" in r.err
    r = cli("instances", gt_dataset.name, "--point-field", "gt", *TINY)
    assert r.rc == 2 and "'gt'" in r.err and "Keypoints" in r.err


def test_track_boxes_through_a_video(cli, video_dataset):
    ds = video_dataset
    r = cli("track", ds.name, "--box-field", "prompt", "--frame", "1", "--field", "trk",
            "--confidence", "0", *TINY)
    assert r.rc == 0, r.err
    assert "frames.trk: 1 videos done, 0 skipped, 0 failed; 4 frames, 4 labels written" in r.out
    frames = ds.first().frames
    assert [len(frames[i].trk.detections) for i in range(1, 5)] == [1, 1, 1, 1]

    r = cli("track", ds.name, "--box-field", "prompt", "--field", "trk", *TINY)
    assert r.rc == 2 and "already exists" in r.err


def test_track_usage_errors(cli, video_dataset, dataset):
    r = cli("track", video_dataset.name, "--text", "cat,dog", *TINY)
    assert r.rc == 2 and "one non-empty text concept" in r.err
    r = cli("track", video_dataset.name, "--text", "cat", "--frame", "0", *TINY)
    assert r.rc == 2 and "1-based" in r.err
    r = cli("track", dataset.name, "--text", "cat", *TINY)  # an image dataset
    assert r.rc == 2 and "video" in r.err
