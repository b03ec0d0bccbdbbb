"""The remote zoo source: a local copy under the model zoo dir and a random tiny checkpoint."""

import os
import shutil

import pytest
from plugin_helpers import REPO, masks_of

FEW = 2


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    from fo_sam3 import build_sam3, save_checkpoint

    path = tmp_path_factory.mktemp("ckpt") / "sam3.pt"
    return save_checkpoint(build_sam3("tiny", seed=0, device="cpu", instance_interactive=True), path)


@pytest.fixture
def zoo(tmp_path, monkeypatch):
    """An empty model zoo dir holding this repository's source as ``fo-sam3/``."""
    import fiftyone as fo
    import fiftyone.zoo.models as fozm

    zoo_dir = tmp_path / "zoo"
    source = zoo_dir / "fo-sam3"
    source.mkdir(parents=True)
    for name in ("manifest.json", "__init__.py"):
        shutil.copy(REPO / name, source / name)
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(zoo_dir))
    monkeypatch.delenv("FO_SAM3_CHECKPOINT", raising=False)
    fozm._MODELS.clear()
    yield source
    fozm._MODELS.clear()


def test_download_links_the_checkpoint_once(zoo, tiny_checkpoint, monkeypatch):
    import fiftyone.zoo as foz

    monkeypatch.setenv("FO_SAM3_CHECKPOINT", str(tiny_checkpoint))
    assert {"fo-sam3-image", "fo-sam3-video"} <= set(foz.list_zoo_models())
    _, path = foz.download_zoo_model("fo-sam3-image")
    assert path == str(zoo / "sam3.pt") and os.path.samefile(path, tiny_checkpoint)
    assert foz.is_zoo_model_downloaded("fo-sam3-image")
    monkeypatch.delenv("FO_SAM3_CHECKPOINT")
    _, video = foz.download_zoo_model("fo-sam3-video")  # reuses the image model's file
    assert os.path.samefile(video, tiny_checkpoint)
    stat = os.stat(path)
    tracker = foz.load_zoo_model("fo-sam3-video", text="square")  # downloaded: not fetched again
    assert os.stat(path).st_mtime_ns == stat.st_mtime_ns
    assert (tracker.variant, tracker.checkpoint, tracker.defaults) == ("tiny", video, {"text": "square"})


def test_download_from_a_given_path(zoo, tiny_checkpoint):
    import fiftyone.zoo as foz

    from fo_sam3 import zoo as fo_zoo

    path = fo_zoo.download_model("fo-sam3-image", checkpoint=tiny_checkpoint)
    assert path == zoo / "sam3.pt" and os.path.samefile(path, tiny_checkpoint)
    assert foz.is_zoo_model_downloaded("fo-sam3-image")


def test_missing_checkpoint_says_how_to_provide_it(zoo):
    import fiftyone.zoo as foz

    from fo_sam3.model import CheckpointNotFoundError

    with pytest.raises(CheckpointNotFoundError) as err:
        foz.download_zoo_model("fo-sam3-image")
    assert "FO_SAM3_CHECKPOINT" in str(err.value) and "facebook/sam3" in str(err.value)
    assert not (zoo / "sam3.pt").exists()


def test_load_zoo_model_and_apply(zoo, tiny_checkpoint, monkeypatch, dataset):
    import fiftyone as fo
    import fiftyone.zoo as foz

    monkeypatch.setenv("FO_SAM3_CHECKPOINT", str(tiny_checkpoint))
    model = foz.load_zoo_model("fo-sam3-image", text=["cat"], confidence=0.0)  # downloads first
    assert model.sam3.fo_sam3_variant == "tiny"  # detected from the checkpoint's shapes
    view = dataset.limit(FEW)
    view.apply_model(model, label_field="zoo_text")
    assert {d.label for d in masks_of(view, "zoo_text")} == {"cat"}

    for sample in view.iter_samples(autosave=True):
        box = fo.Detection(label="box", bounding_box=[0.2, 0.2, 0.5, 0.5])
        sample["boxes"] = fo.Detections(detections=[box])
    inst = foz.load_zoo_model("fo-sam3-image", mode="instance")
    view.apply_model(inst, label_field="zoo_boxes", prompt_field="boxes")
    for value in view.values("zoo_boxes"):
        assert len(value.detections) == 1 and value.detections[0].mask is not None

    # the App's zoo operator passes the prompt field at load time, not to apply_model
    exemplars = foz.load_zoo_model("fo-sam3-image", prompt_field="boxes", confidence=0.0)
    view.apply_model(exemplars, label_field="zoo_exemplars")
    assert {d.label for d in masks_of(view, "zoo_exemplars")} == {"box"}


def test_zoo_form_offers_our_options(zoo, boxes_dataset):
    import fiftyone.zoo as foz
    from fiftyone.operators.executor import ExecutionContext

    def form(**params):
        ctx = ExecutionContext(request_params=dict(dataset_name=boxes_dataset.name,
                                                   params={"remote_params": params}))
        return foz.get_zoo_model("fo-sam3-image").resolve_input(ctx).type.properties

    concept = form()
    assert {"mode", "text", "prompt_field", "confidence"} <= set(concept)
    assert {c.value for c in concept["prompt_field"].view.choices} == {"boxes", "tag_label"}
    instance = form(mode="instance")
    assert "text" not in instance and instance["prompt_field"].required
    assert {c.value for c in instance["prompt_field"].view.choices} == {"boxes"}
    assert form(mode="instance", prompt_field="tag_label")["prompt_field"].invalid

    params = {"text": "cat, dog", "prompt_field": "", "mode": "concept"}
    foz.get_zoo_model("fo-sam3-image").parse_parameters(None, params)
    assert params == {"text": ["cat", "dog"], "mode": "concept"}


def test_load_zoo_model_with_random_weights_needs_no_checkpoint(zoo, dataset):
    """What the no-checkpoint error recommends works as written."""
    import fiftyone.zoo as foz

    model = foz.load_zoo_model("fo-sam3-image", checkpoint="random", text=["cat"], confidence=0.0)
    assert model.sam3.fo_sam3_variant == "tiny"
    view = dataset.limit(1)
    view.apply_model(model, label_field="zoo_random")
    assert {d.label for d in masks_of(view, "zoo_random")} == {"cat"}
    tracker = foz.load_zoo_model("fo-sam3-video", checkpoint="random")
    assert (tracker.checkpoint, tracker.variant) == ("random", "tiny")
    assert not (zoo / "sam3.pt").exists() and not (zoo / "sam3-video.pt").exists()


def test_register_local_clone(tmp_path, monkeypatch, tiny_checkpoint):
    """FiftyOne registers only URLs: ``register_local`` puts the clone's source in the zoo dir."""
    import fiftyone as fo
    import fiftyone.zoo as foz
    import fiftyone.zoo.models as fozm

    from fo_sam3.zoo import download_model, register_local

    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path / "zoo"))
    fozm._MODELS.clear()
    assert "fo-sam3-image" not in foz.list_zoo_models()
    source = register_local()
    assert source == tmp_path / "zoo" / "fo-sam3"
    assert {"fo-sam3-image", "fo-sam3-video"} <= set(foz.list_zoo_models())
    assert (source / "__init__.py").read_bytes() == (REPO / "__init__.py").read_bytes()
    path = download_model("fo-sam3-image", checkpoint=tiny_checkpoint)
    assert register_local() == source and os.path.samefile(path, tiny_checkpoint)  # kept on re-register
    with pytest.raises(FileNotFoundError, match="not a clone of fo-sam3"):
        register_local(tmp_path)
    fozm._MODELS.clear()

