import pytest
import torch
from PIL import Image

from fo_sam3.model import build_sam3, cpu_forward, save_checkpoint
from fo_sam3.model.checkpoint import CorruptCheckpointError
from fo_sam3.model.compat import cuda_free_construction


def _processor(model):
    from sam3.model.sam3_image_processor import Sam3Processor

    return Sam3Processor(model, device="cpu", confidence_threshold=0.0)


def test_tiny_text_and_box_query_on_cpu(tiny_model, photo_paths):
    proc = _processor(tiny_model)
    with cpu_forward():
        state = proc.set_image(Image.open(photo_paths[0]))
        out = proc.set_text_prompt("person", state)
        assert out["scores"].numel() == tiny_model.transformer.decoder.num_queries
        assert torch.isfinite(out["scores"]).all() and torch.isfinite(out["boxes"]).all()
        assert out["masks"].shape[-2:] == (512, 512)
        out = proc.add_geometric_prompt([0.5, 0.5, 0.2, 0.3], True, state)
        assert torch.isfinite(out["scores"]).all()


def test_random_text_params_are_initialised(tiny_model):
    enc = tiny_model.backbone.language_backbone.encoder
    for p in (enc.positional_embedding, enc.text_projection):
        assert torch.isfinite(p).all() and p.abs().sum() > 0
    assert all(torch.isfinite(p).all() for p in tiny_model.parameters())


def test_seeded_builds_are_identical():
    a = build_sam3("tiny", seed=3, device="cpu")
    b = build_sam3("tiny", seed=3, device="cpu")
    c = build_sam3("tiny", seed=4, device="cpu")
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert any(not torch.equal(sa[k], sc[k]) for k in sa)


def test_checkpoint_round_trip(tmp_path, tiny_inst_model):
    path = save_checkpoint(tiny_inst_model, tmp_path / "sam3.pt")
    loaded = build_sam3("tiny", checkpoint=path, device="cpu", instance_interactive=True)
    ref = tiny_inst_model.state_dict()
    got = loaded.state_dict()
    assert ref.keys() == got.keys()
    assert all(torch.equal(ref[k], got[k]) for k in ref)
    assert loaded.fo_sam3_checkpoint.source == "explicit"


def test_checkpoint_with_pickled_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pt"
    torch.save({"model": {"detector.x": Evil()}}, path)
    with pytest.raises(CorruptCheckpointError, match="(?i)weights.only"):
        build_sam3("tiny", checkpoint=path, device="cpu")


def test_cpu_patches_are_scoped():
    original_pin = torch.Tensor.pin_memory
    from sam3.model.decoder import TransformerDecoder
    from sam3.model.position_encoding import PositionEmbeddingSine
    from sam3.sam import transformer

    init, coords = PositionEmbeddingSine.__init__, TransformerDecoder.__dict__["_get_coords"]
    rope = transformer.compute_axial_cis
    with cuda_free_construction("cpu"), cpu_forward("cpu"):  # a CPU model: on any machine
        assert torch.Tensor.pin_memory is not original_pin
        assert PositionEmbeddingSine.__init__ is not init and transformer.compute_axial_cis is not rope
    with cuda_free_construction("cuda"), cpu_forward("cuda"):  # a CUDA model: sam3 unchanged
        assert torch.Tensor.pin_memory is original_pin and PositionEmbeddingSine.__init__ is init
    assert torch.Tensor.pin_memory is original_pin
    assert "pin_memory" not in vars(torch.Tensor)
    assert PositionEmbeddingSine.__init__ is init
    assert TransformerDecoder.__dict__["_get_coords"] is coords
    assert transformer.compute_axial_cis is rope


@pytest.mark.slow
def test_full_architecture_runs_a_1008_text_query_on_cpu(photo_paths):
    model = build_sam3("full", checkpoint="random", seed=0, device="cpu")
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params > 700e6  # the released model has about 840M parameters
    proc = _processor(model)
    with cpu_forward(), torch.inference_mode():
        state = proc.set_image(Image.open(photo_paths[1]))
        assert state["backbone_out"]["backbone_fpn"][-1].shape[-2:] == (72, 72)
        out = proc.set_text_prompt("cat", state)
    assert out["scores"].shape == (200,)
    assert torch.isfinite(out["scores"]).all()
    del model
