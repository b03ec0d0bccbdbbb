"""track_video tracks a box prompt through a real mp4 with the tiny video model."""

import uuid

import pytest
from plugin_helpers import TINY, write_clip

FRAMES = 3


@pytest.fixture
def video_dataset(tmp_path):
    import fiftyone as fo

    ds = fo.Dataset(f"fo-sam3-test-{uuid.uuid4().hex[:10]}")
    ds.add_sample(fo.Sample(filepath=str(write_clip(tmp_path, FRAMES))))
    ds.compute_metadata()
    sample = ds.first()
    sample.frames[1]["gt"] = fo.Detections(detections=[
        fo.Detection(label="square", bounding_box=[10 / 128, 20 / 96, 30 / 128, 30 / 96]),
    ])
    sample.save()
    yield ds
    ds.delete()


def test_track_video_from_boxes(run_op, video_dataset):
    ds = video_dataset
    result = run_op("track_video", ds, prompt_source="labels", box_field="gt", prompt_frame=1,
                    label_field="trk", confidence=0.0, **TINY)
    assert result.result["done"] == 1 and result.result["failed"] == 0
    frames = ds.first().frames
    assert len(frames) == FRAMES
    for fn in range(1, FRAMES + 1):
        dets = frames[fn]["trk"].detections
        assert [d.label for d in dets] == ["square"] and dets[0].mask is not None


def test_track_video_validates_frame_fields(run_op, video_dataset):
    from fiftyone.operators.executor import ExecutionError

    with pytest.raises(ExecutionError, match="frame field 'nope' does not exist"):
        run_op("track_video", video_dataset, prompt_source="labels", box_field="nope",
               label_field="trk", **TINY)
    with pytest.raises(ExecutionError, match="Path: box_field. Reason: Required"):
        run_op("track_video", video_dataset, prompt_source="labels", label_field="trk", **TINY)
    with pytest.raises(ExecutionError, match="'gt' is also a prompt field"):
        run_op("track_video", video_dataset, prompt_source="labels", box_field="gt",
               label_field="frames.gt", overwrite=True, **TINY)
