"""The video CPU workarounds are scoped, restored, and equivalent to what they replace."""

from __future__ import annotations

import torch

from fo_sam3.model.compat import cpu_video, quiet_sam3_progress, sam3_fixes, state_offload
from fo_sam3.video import build_sam3_video
from fo_sam3.video.session import tracker_backbone


def _targets():
    from sam3.model import sam3_video_inference as vi
    from sam3.model.sam3_image import Sam3ImageOnVideoMultiGPU
    from sam3.model.sam3_tracker_base import Sam3TrackerBase
    from sam3.perflib import connected_components as cc

    return {
        "cuda": (torch.Tensor, "cuda"),
        "pin": (torch.Tensor, "pin_memory"),
        "cc": (cc, "connected_components"),
        "gather": (Sam3ImageOnVideoMultiGPU, "_gather_tensor"),
        "tqdm": (vi, "tqdm"),
        "track_step": (Sam3TrackerBase, "track_step"),
    }


def test_patches_are_scoped_and_restored(video_model):
    before = {k: vars(o).get(n) for k, (o, n) in _targets().items()}
    tracker = video_model.tracker
    with (
        cpu_video("cpu"),  # the model's device decides, on any machine
        sam3_fixes(),
        quiet_sam3_progress(),
        state_offload(tracker, False, "cpu"),
        tracker_backbone(video_model),
    ):
        with cpu_video("cpu"):  # nested use is reference-counted
            pass
        inside = {k: vars(o).get(n) for k, (o, n) in _targets().items()}
        assert all(inside[k] is not before[k] for k in ("cuda", "pin", "cc", "gather"))
        assert torch.zeros(2).cuda().device.type == "cpu"
        assert inside["tqdm"] is not before["tqdm"] and inside["track_step"] is not before["track_step"]
        assert tracker.backbone is video_model.detector.backbone
        assert tracker.init_state(video_height=8, video_width=8, num_frames=1)["storage_device"].type == "cpu"
    after = {k: vars(o).get(n) for k, (o, n) in _targets().items()}
    assert after == before
    assert "init_state" not in vars(tracker) and tracker.backbone is None
    assert not any(k.startswith("tracker.backbone") for k in video_model.state_dict())


def test_connected_components_handle_empty_batches_like_sam3():
    from sam3.perflib.connected_components import connected_components_cpu

    gen = torch.Generator().manual_seed(0)
    masks = (torch.rand(3, 1, 40, 50, generator=gen) > 0.6).to(torch.uint8)
    with cpu_video("cpu"):
        from sam3.perflib.connected_components import connected_components

        labels, counts = connected_components(masks)
        empty = connected_components(torch.zeros(0, 1, 40, 50, dtype=torch.uint8))
    ref_labels, ref_counts = connected_components_cpu(masks)
    assert torch.equal(labels, ref_labels) and torch.equal(counts, ref_counts)
    assert counts.max() > 1
    assert empty[0].shape == empty[1].shape == (0, 1, 40, 50)


def test_builder_mirrors_sam3_video_model(video_model):
    from sam3.model.sam3_image import Sam3ImageOnVideoMultiGPU
    from sam3.model.sam3_tracking_predictor import Sam3TrackerPredictor
    from sam3.model.sam3_video_inference import Sam3VideoInferenceWithInstanceInteractivity

    assert isinstance(video_model, Sam3VideoInferenceWithInstanceInteractivity)
    assert isinstance(video_model.detector, Sam3ImageOnVideoMultiGPU)
    assert isinstance(video_model.tracker, Sam3TrackerPredictor)
    assert video_model.tracker.use_memory_selection and video_model.hotstart_delay == 15
    keys = video_model.state_dict().keys()
    assert {k.split(".")[0] for k in keys} == {"detector", "tracker"}  # sam3.pt's layout
    assert all(torch.isfinite(p).all() for p in video_model.parameters())
    assert not torch.is_autocast_enabled("cuda")  # the tracker's global autocast was released
    again = build_sam3_video("tiny", seed=0, device="cpu")
    ref, got = video_model.state_dict(), again.state_dict()
    assert all(torch.equal(ref[k], got[k]) for k in ref)


def test_cuda_model_runs_sam3_unchanged(video_model):
    before = {k: vars(o).get(n) for k, (o, n) in _targets().items()}
    with cpu_video("cuda"), state_offload(video_model.tracker, False, "cuda"):
        assert {k: vars(o).get(n) for k, (o, n) in _targets().items()} == before
        assert "init_state" not in vars(video_model.tracker)


def test_checkpoint_round_trip(tmp_path, video_model):
    path = tmp_path / "sam3.pt"
    torch.save({"model": video_model.state_dict()}, path)
    loaded = build_sam3_video("tiny", checkpoint=path, device="cpu")
    assert loaded.fo_sam3_checkpoint.source == "explicit"
    ref, got = video_model.state_dict(), loaded.state_dict()
    assert ref.keys() == got.keys() and all(torch.equal(ref[k], got[k]) for k in ref)
