"""Invalid operator params are validation errors that say what is wrong (no model is built)."""

import pytest
from fiftyone.operators.executor import ExecutionError
from plugin_helpers import TINY


def _error(run_op, name, dataset, **params) -> str:
    with pytest.raises(ExecutionError) as err:
        run_op(name, dataset, **params)
    msg = str(err.value)
    assert msg.startswith("Validation error")
    return msg


def test_missing_prompt_field(run_op, dataset):
    msg = _error(run_op, "segment_boxes", dataset, box_field="nope", label_field="out", **TINY)
    assert "Path: box_field" in msg and "field 'nope' does not exist" in msg


def test_prompt_field_of_the_wrong_type(run_op, boxes_dataset):
    msg = _error(run_op, "segment_boxes", boxes_dataset, box_field="tag_label", label_field="out", **TINY)
    assert "field 'tag_label'" in msg and "expected Detections" in msg
    msg = _error(run_op, "segment_points", boxes_dataset, point_field="boxes", label_field="out", **TINY)
    assert "field 'boxes'" in msg and "expected Keypoints" in msg


def test_existing_output_field_needs_overwrite(run_op, boxes_dataset):
    msg = _error(run_op, "segment_text", boxes_dataset, text="cat", label_field="boxes", **TINY)
    assert "Path: label_field" in msg and "'boxes' already exists" in msg
    msg = _error(run_op, "segment_text", boxes_dataset, text="cat", label_field="tag_label",
                 overwrite=True, **TINY)
    assert "exists as Classification, not Detections" in msg
    msg = _error(run_op, "segment_boxes", boxes_dataset, box_field="boxes", label_field="boxes",
                 overwrite=True, **TINY)
    assert "also a prompt field" in msg
    assert not boxes_dataset.has_field("out")  # nothing was written


def test_bad_values(run_op, dataset, tmp_path):
    assert "at least one text prompt" in _error(run_op, "segment_text", dataset, text=" , ",
                                                 label_field="out", **TINY)
    assert "Path: confidence" in _error(run_op, "segment_text", dataset, text="cat", label_field="out",
                                        confidence=1.5, **TINY)
    assert "Path: batch_size" in _error(run_op, "segment_text", dataset, text="cat", label_field="out",
                                        batch_size=0, **TINY)
    assert "Path: output_dir" in _error(run_op, "segment_text", dataset, text="cat", label_field="out",
                                        mask_storage="files", **TINY)
    msg = _error(run_op, "segment_text", dataset, text="cat", label_field="out", variant="tiny",
                 checkpoint=str(tmp_path / "missing.pt"))
    assert "missing.pt does not exist" in msg


def test_unknown_mode(run_op, boxes_dataset):
    assert "Path: mode" in _error(run_op, "segment_boxes", boxes_dataset, box_field="boxes", mode="other",
                                  label_field="out", **TINY)


def test_track_video_needs_a_video_dataset(run_op, dataset):
    msg = _error(run_op, "track_video", dataset, text="cat", label_field="out", **TINY)
    assert "needs videos" in msg


def test_forms_render_for_the_app(plugins_dir, boxes_dataset):
    """Every form resolves and serialises, empty or filled in (what the App asks for)."""
    import fiftyone.operators as foo
    from fiftyone.operators.executor import ExecutionContext
    from plugin_helpers import PLUGIN

    filled = dict(prompt_source="field", text_field="tag_label", box_field="boxes", mode="instance",
                  label_field="out", mask_storage="files", output_dir={"absolute_path": "/tmp/m"})
    for name in ("segment_text", "segment_boxes", "segment_points"):
        op = foo.get_operator(f"{PLUGIN}/{name}")
        for params in ({}, filled):
            ctx = ExecutionContext(request_params=dict(dataset_name=boxes_dataset.name, params=params))
            form = op.resolve_type(ctx, "inputs")
            names = list(form.to_json()["type"]["properties"])
            assert names[:2] == ["view_target", "target_count"] and "label_field" in names and "variant" in names
    box_choices = foo.get_operator(f"{PLUGIN}/segment_boxes").resolve_type(ctx, "inputs")
    assert [c.value for c in box_choices.type.properties["box_field"].view.choices] == ["boxes"]
    ctx = ExecutionContext(request_params=dict(dataset_name=boxes_dataset.name, params={}))
    video_form = foo.get_operator(f"{PLUGIN}/track_video").resolve_type(ctx, "inputs")
    assert list(video_form.type.properties) == ["media"]  # on images: only the error, nothing to fill in
    assert video_form.type.properties["media"].invalid
