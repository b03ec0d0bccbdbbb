"""One failure policy for every mode, and a failed run leaves the dataset as it was."""

import fiftyone as fo
import numpy as np
import pytest
from PIL import Image

import fo_sam3
from fo_sam3.errors import FoSam3Error, SampleError

ARGS = dict(text=["cat"], confidence=0.0, topk_per_query=1, num_workers=0, progress=False)


def _black_image_fails(tiny_model, error):
    """A hook on sam3's image trunk that raises ``error`` when an all-black image is in the batch.

    SAM3 normalises pixels to [-1, 1], so a black image is all -1.
    """

    def hook(module, args):
        pixels = args[0]
        if bool(((pixels + 1).abs().flatten(1).max(dim=1).values < 1e-6).any()):
            raise error

    return tiny_model.backbone.vision_backbone.trunk.register_forward_pre_hook(hook)


@pytest.fixture
def with_black(dataset, tmp_path):
    path = tmp_path / "black.png"
    Image.fromarray(np.zeros((50, 80, 3), np.uint8)).save(path)
    sample = fo.Sample(filepath=str(path))
    dataset.add_sample(sample)
    return dataset, sample


def test_any_error_of_one_sample_is_recorded_and_the_run_goes_on(with_black, tiny_model):
    ds, black = with_black
    handle = _black_image_fails(tiny_model, ValueError("torch rejects this image"))
    try:
        summary = fo_sam3.segment(ds, "sam3", model=tiny_model, batch_size=3, **ARGS)
        with pytest.raises(SampleError, match="ValueError: torch rejects this image"):
            fo_sam3.segment(ds, "sam4", model=tiny_model, batch_size=3, skip_failures=False, **ARGS)
    finally:
        handle.remove()
    assert summary.done == len(ds) - 1 and summary.failed == 1
    assert summary.failures == [(black.id, black.filepath, "ValueError: torch rejects this image")]
    assert ds[black.id].sam3 is None


def test_errors_that_are_not_the_samples_fault_stop_the_run(with_black, tiny_model):
    ds, _ = with_black
    handle = _black_image_fails(tiny_model, RuntimeError("CUDA error: an illegal memory access was encountered"))
    try:
        with pytest.raises(RuntimeError, match="illegal memory access"):
            fo_sam3.segment(ds.skip(3), "sam3", model=tiny_model, batch_size=1, **ARGS)
    finally:
        handle.remove()


def _schema(ds):
    ds.reload()
    return sorted(ds.get_field_schema())


@pytest.mark.parametrize("bad", ["missing", "corrupt", "device", "offline"])
def test_a_run_that_cannot_start_leaves_no_field(dataset, tmp_path, monkeypatch, bad):
    before = _schema(dataset)
    kwargs = dict(checkpoint=str(tmp_path / "nope.pt"))
    if bad == "corrupt":
        (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
        kwargs = dict(checkpoint=str(tmp_path / "bad.pt"))
    elif bad == "device":
        kwargs = dict(checkpoint="random", variant="tiny", device="cuda:7")
    elif bad == "offline":
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setenv("FO_SAM3_CHECKPOINT", "")
        monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path))
        kwargs = dict(checkpoint=None)
    with pytest.raises(FoSam3Error):
        fo_sam3.segment(dataset, "sam3", text=["cat"], num_workers=0, progress=False, **kwargs)
    assert _schema(dataset) == before
    summary = fo_sam3.segment(dataset.limit(1), "sam3", text=["cat"], checkpoint="random", variant="tiny",
                              device="cpu", num_workers=0, progress=False)  # the corrected command works
    assert summary.done == 1 and "sam3" in _schema(dataset)


def test_an_empty_target_says_so_and_leaves_no_field(dataset, tiny_model, tiny_inst_model):
    before = _schema(dataset)
    empty = dataset.match_tags("no-such-tag")
    summary = fo_sam3.segment(empty, "sam3", model=tiny_model, **ARGS)
    assert summary.done == 0 and any("no samples" in n for n in summary.notes)
    assert _schema(dataset) == before


def test_instance_mode_applies_confidence_and_refuses_concept_settings(dataset, tiny_inst_model):
    view = dataset.limit(2)
    for sample in view:
        sample["gt"] = fo.Detections(detections=[fo.Detection(label="a", bounding_box=[0.1, 0.1, 0.3, 0.3]),
                                                 fo.Detection(label="b", bounding_box=[0.5, 0.4, 0.4, 0.5])])
        sample.save()
    run = dict(mode="instance", box_field="gt", model=tiny_inst_model, num_workers=0, progress=False)
    every = fo_sam3.segment(view, "all", **run)
    scores = sorted(d.sam_score for s in view for d in s["all"].detections)
    assert every.detections == 4
    cut = (scores[1] + scores[2]) / 2
    some = fo_sam3.segment(view, "some", confidence=cut, **run)
    assert some.detections == 2 and all(d.sam_score >= cut for s in view for d in s["some"].detections)
    assert any("below confidence" in n for n in some.notes)
    for bad in (dict(nms_iou=0.5), dict(topk_per_image=3), dict(box_source="model")):
        with pytest.raises(ValueError, match="only apply to concept mode"):
            fo_sam3.segment(view, "x", **run, **bad)
