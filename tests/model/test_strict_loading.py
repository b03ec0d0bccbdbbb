"""A checkpoint whose keys drift from the architecture is an error, not a partly random model."""

from __future__ import annotations

import pytest
import torch

from fo_sam3.errors import FoSam3Error
from fo_sam3.model import CheckpointMismatchError, build_sam3, save_checkpoint
from fo_sam3.video import build_sam3_video


@pytest.fixture(scope="module")
def full_layout(tmp_path_factory, tiny_inst_model):
    """A tiny checkpoint in sam3.pt's complete layout (detector with SAM2 neck, tracker)."""
    return save_checkpoint(tiny_inst_model, tmp_path_factory.mktemp("ckpt") / "sam3.pt")


def _edited(path, tmp_path, edit) -> str:
    state = torch.load(path, weights_only=True)["model"]
    edit(state)
    out = tmp_path / "edited.pt"
    torch.save({"model": state}, out)
    return str(out)


def test_one_layout_loads_into_every_model(full_layout, tiny_inst_model):
    ref = tiny_inst_model.state_dict()
    image = build_sam3("tiny", checkpoint=full_layout, device="cpu")  # drops neck and tracker
    assert all(torch.equal(v, ref[k]) for k, v in image.state_dict().items())
    video = build_sam3_video("tiny", checkpoint=full_layout, device="cpu")
    tracker = video.tracker.state_dict()
    assert all(torch.equal(v, ref["inst_interactive_predictor.model." + k]) for k, v in tracker.items())


def test_missing_and_unexpected_keys_are_named(full_layout, tmp_path):
    def edit(state):
        del state["detector.transformer.decoder.query_embed.weight"]
        state["detector.renamed.weight"] = torch.zeros(1)

    path = _edited(full_layout, tmp_path, edit)
    with pytest.raises(CheckpointMismatchError) as err:
        build_sam3("tiny", checkpoint=path, device="cpu")
    msg = str(err.value)
    assert isinstance(err.value, FoSam3Error) and path in msg
    assert "1 missing keys (transformer.decoder.query_embed.weight)" in msg
    assert "1 unexpected keys (renamed.weight)" in msg


def test_shape_mismatch_is_named(full_layout, tmp_path):
    def edit(state):
        state["tracker.no_mem_embed"] = torch.zeros(1, 1, 3)

    path = _edited(full_layout, tmp_path, edit)
    with pytest.raises(CheckpointMismatchError, match=r"no_mem_embed \(1, 1, 3\) vs \(1, 1, 64\)"):
        build_sam3_video("tiny", checkpoint=path, device="cpu")


def test_image_only_checkpoint_cannot_feed_the_instance_head(tiny_model, tmp_path):
    path = save_checkpoint(tiny_model, tmp_path / "image_only.pt")
    assert build_sam3("tiny", checkpoint=path, device="cpu") is not None  # same head: fine
    with pytest.raises(CheckpointMismatchError, match=r"missing keys \(backbone\.vision_backbone\.sam2_convs"):
        build_sam3("tiny", checkpoint=path, device="cpu", instance_interactive=True)
