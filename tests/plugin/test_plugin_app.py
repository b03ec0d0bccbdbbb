"""What the App gets from the operators: streamed progress, placements, run names, form defaults."""

import asyncio
import uuid

import pytest
from plugin_helpers import PLUGIN, TINY, write_clip

FEW = 2


def _app_request(name, dataset, view=None, **params):
    """Run an operator as the App does (the request body names the operator); the messages it streams."""
    from fiftyone.operators.executor import execute_or_delegate_operator

    uri = f"{PLUGIN}/{name}"
    request = dict(operator_uri=uri, dataset_name=dataset.name, params=params,
                   view=(view if view is not None else dataset.view())._serialize())
    result = asyncio.run(execute_or_delegate_operator(uri, request))
    assert result.error is None, result.error
    assert result.is_generator
    return [m.to_json()["body"] for m in result.result]


def _form(name, dataset, **request):
    import fiftyone.operators as foo
    from fiftyone.operators.executor import ExecutionContext

    request.setdefault("params", {})
    ctx = ExecutionContext(request_params=dict(dataset_name=dataset.name, **request))
    return foo.get_operator(f"{PLUGIN}/{name}").resolve_type(ctx, "inputs").type.properties


def test_an_app_run_streams_progress_then_the_summary(plugins_dir, dataset):
    view = dataset.limit(FEW)
    bodies = _app_request("segment_text", dataset, view, text="cat", label_field="sam", confidence=0.0, **TINY)
    uris = [b["operator_uri"] for b in bodies]
    assert uris[0] == "set_progress" and uris[-2:] == ["reload_dataset", "show_output"]
    assert bodies[0]["params"]["label"] == f"Segmenting {FEW} samples with the tiny test model…"
    assert bodies[-3]["params"] == dict(label=f"Segmenting: {FEW} of {FEW} samples labeled", progress=1.0)
    summary = bodies[-1]["params"]["results"]
    assert summary["done"] == FEW and summary["detections"] > 0 and summary["field"] == "sam"
    headline = bodies[-1]["params"]["outputs"]["type"]["properties"]["headline"]["view"]
    assert headline["name"] == "Success" and headline["label"].endswith(f"{FEW} samples labeled, field 'sam'")
    assert len(dataset.exists("sam")) == FEW


def test_an_app_run_that_fails_shows_the_error(plugins_dir, dataset, tmp_path):
    corrupt = tmp_path / "sam3.pt"
    corrupt.write_text("not a checkpoint")
    bodies = _app_request("segment_text", dataset, text="cat", label_field="sam", variant="tiny",
                          checkpoint=str(corrupt))
    assert bodies[-1]["operator_uri"] == "show_output"
    error = bodies[-1]["params"]["outputs"]["type"]["properties"]["error"]["view"]
    assert error["name"] == "Error" and error["label"] == "SAM3: segment from text failed"
    assert error["description"].startswith("CorruptCheckpointError: ")
    assert not dataset.has_field("sam")


def test_python_callers_get_the_summary(run_op, dataset):
    """``execute_operator`` (no operator URI in the request) is not streamed."""
    result = run_op("segment_text", dataset, view=dataset.limit(1), text="cat", label_field="sam", **TINY)
    assert result.result["done"] == 1


@pytest.fixture
def video_dataset(tmp_path):
    import fiftyone as fo

    ds = fo.Dataset(f"fo-sam3-test-{uuid.uuid4().hex[:10]}")
    ds.add_sample(fo.Sample(filepath=str(write_clip(tmp_path))))
    yield ds
    ds.delete()


def test_grid_buttons_follow_the_media_type(plugins_dir, dataset, video_dataset):
    import fiftyone.operators as foo
    from fiftyone.operators.executor import resolve_placement

    def button(name, ds):
        placement = resolve_placement(foo.get_operator(f"{PLUGIN}/{name}"), dict(dataset_name=ds.name))
        return placement and (placement.place.value, placement.view.label, placement.view.prompt)

    assert button("segment_text", dataset) == ("samples-grid-actions", "SAM3: segment", True)
    assert button("track_video", dataset) is None
    assert button("track_video", video_dataset) == ("samples-grid-actions", "SAM3: track", True)
    assert button("segment_text", video_dataset) is None
    assert all(button(n, dataset) is None for n in ("segment_boxes", "segment_points", "refine_masks"))


def test_delegated_runs_are_named_by_label_and_field(run_op, dataset):
    from fiftyone.operators.delegated import DelegatedOperationService

    queued = run_op("segment_text", dataset, delegate=True, text="cat", label_field="later", **TINY)
    doc = DelegatedOperationService().get(queued.result["id"])
    assert doc.label == "SAM3: segment from text → later"
    DelegatedOperationService().delete_operation(doc.id)


def test_the_form_says_how_many_samples(plugins_dir, dataset):
    def notice(**request):
        return _form("segment_text", dataset, **request)["target_count"].view.label

    assert notice() == "5 samples in the dataset will be labeled"
    assert notice(view=dataset.limit(3)._serialize()) == "3 samples in the current view will be labeled"
    chosen = dataset.values("id")[:2]
    assert notice(selected=chosen) == "2 selected samples will be labeled"  # the form's default target
    assert notice(selected=chosen, params=dict(view_target="DATASET")) == "5 samples in the dataset will be labeled"
    empty = _form("segment_text", dataset, view=dataset.limit(0)._serialize())["target_count"]
    assert empty.invalid and empty.error_message == "No samples in the current view: nothing to do"


def test_without_a_checkpoint_the_form_offers_the_trial_model(plugins_dir, dataset, tmp_path, monkeypatch):
    import fiftyone as fo
    from huggingface_hub import constants

    from fo_sam3.model import hub

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))  # not this machine's cache
    assert hub.cached() is None
    monkeypatch.delenv("FO_SAM3_CHECKPOINT", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path / "zoo"))
    form = _form("segment_text", dataset)
    assert form["variant"].default == "tiny" and form["confidence"].default == 0.34
    assert form["model_warning"].view.label == "Trial model: the masks will be meaningless"
    assert list(form).index("model_warning") == 2  # right below the sample count
    full = _form("segment_text", dataset, params=dict(variant="full"))
    assert "model_warning" not in full
    assert full["checkpoint"].invalid and "No SAM3 checkpoint was found" in full["checkpoint"].error_message

    ckpt = tmp_path / "sam3.pt"
    ckpt.write_bytes(b"")  # found: the form does not open it
    monkeypatch.setenv("FO_SAM3_CHECKPOINT", str(ckpt))
    form = _form("segment_text", dataset)
    assert form["variant"].default == "full" and form["confidence"].default == 0.5
    assert "model_warning" not in form and not form["checkpoint"].invalid
    assert f"Empty: uses {ckpt} (from $FO_SAM3_CHECKPOINT)" in form["checkpoint"].view.description


def test_tiny_without_a_checkpoint_is_the_seeded_random_model():
    from fo_sam3.operators.params import RunParams

    assert RunParams.from_params(dict(label_field="x", variant="tiny"), delegated=False).checkpoint == "random"
    assert RunParams.from_params(dict(label_field="x"), delegated=False).checkpoint is None
