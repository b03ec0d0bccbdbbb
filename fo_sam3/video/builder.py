"""``build_sam3_video``: sam3's dense video tracker from sam3's own classes.

Mirrors ``sam3.model_builder.build_sam3_video_model`` (detector
``Sam3ImageOnVideoMultiGPU`` + SAM2-style tracker wrapped in
``Sam3VideoInferenceWithInstanceInteractivity``) for any ``ArchConfig``, so the
tiny variant runs the same graph as the released model.
"""

from __future__ import annotations

import os

import torch

from ..errors import NotAVideoModelError
from ..model import arch, tracker_arch
from ..model.builder import assemble
from ..model.compat import import_sam3_quietly, release_global_autocast

import_sam3_quietly()

# The heuristics of sam3's ``apply_temporal_disambiguation=True`` build.
VIDEO_HEURISTICS = dict(
    score_threshold_detection=0.5,
    assoc_iou_thresh=0.1,
    det_nms_thresh=0.1,
    new_det_thresh=0.7,
    hotstart_delay=15,
    hotstart_unmatch_thresh=8,
    hotstart_dup_thresh=8,
    suppress_unmatched_only_within_hotstart=True,
    min_trk_keep_alive=-1,
    max_trk_keep_alive=30,
    init_trk_keep_alive=30,
    suppress_overlapping_based_on_recent_occlusion_threshold=0.7,
    suppress_det_close_to_boundary=False,
    fill_hole_area=16,
    recondition_every_nth_frame=16,
    masklet_confirmation_enable=False,
    decrease_trk_keep_alive_for_empty_masklets=False,
)


def _detector(cfg: arch.ArchConfig, bpe_path: str):
    from sam3.model.sam3_image import Sam3ImageOnVideoMultiGPU
    from sam3.model.vl_combiner import SAM3VLBackbone

    backbone = SAM3VLBackbone(
        scalp=1,
        visual=arch.vision_backbone(cfg, inst_interactivity=True),  # SAM2 neck for the tracker
        text=arch.text_encoder(cfg, bpe_path),
    )
    return Sam3ImageOnVideoMultiGPU(
        num_feature_levels=1,
        backbone=backbone,
        transformer=arch.grounding_transformer(cfg),
        segmentation_head=arch.segmentation_head(cfg),
        semantic_segmentation_head=None,
        input_geometry_encoder=arch.geometry_encoder(cfg),
        use_early_fusion=True,
        use_dot_prod_scoring=True,
        dot_prod_scoring=arch.dot_product_scoring(cfg),
        supervise_joint_box_scores=True,
    )


def _build_graph(cfg: arch.ArchConfig, bpe_path: str):
    from sam3.model.sam3_video_inference import Sam3VideoInferenceWithInstanceInteractivity

    tracker = tracker_arch.tracker(cfg, temporal_disambiguation=True)
    release_global_autocast(tracker)
    return Sam3VideoInferenceWithInstanceInteractivity(
        detector=_detector(cfg, bpe_path),
        tracker=tracker,
        image_size=cfg.resolution,
        image_mean=(0.5, 0.5, 0.5),
        image_std=(0.5, 0.5, 0.5),
        compile_model=False,
        **VIDEO_HEURISTICS,
    )


def build_sam3_video(
    variant: str = "full",
    checkpoint: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
    seed: int | None = None,
    bpe_path: str | os.PathLike | None = None,
):
    """Build sam3's video model (``Sam3VideoInferenceWithInstanceInteractivity``) in eval mode.

    Args:
        variant: ``"full"`` (the released architecture) or ``"tiny"`` (same
            graph, small widths; random weights for tests and CPU demos).
        checkpoint: a sam3.pt path (keys ``detector.*`` / ``tracker.*``),
            ``"random"``, or ``None`` to resolve ``$FO_SAM3_CHECKPOINT``, the
            zoo dir, then the gated hub. ``"tiny"`` defaults to ``"random"``.
        device: defaults to CUDA when available, else CPU.
        seed: seeds the random init, so two builds are identical.
        bpe_path: sam3's BPE vocabulary (found or fetched when ``None``).

    Returns:
        a ``Sam3VideoInferenceWithInstanceInteractivity`` on ``device``.

    Raises:
        CheckpointMismatchError: the checkpoint's keys or shapes do not match.
    """
    return assemble(variant, checkpoint, device, seed, bpe_path, make_graph=_build_graph)


def check_video_model(model) -> None:
    """Raise at once when ``model`` cannot track videos (e.g. a ``build_sam3`` image model).

    Args:
        model: the model given to ``track`` / ``track_video``.

    Returns:
        None.

    Raises:
        NotAVideoModelError: ``model`` is not a ``Sam3VideoInferenceWithInstanceInteractivity``.
    """
    from sam3.model.sam3_video_inference import Sam3VideoInferenceWithInstanceInteractivity

    if not isinstance(model, Sam3VideoInferenceWithInstanceInteractivity):
        raise NotAVideoModelError(
            f"tracking needs a video model from fo_sam3.video.build_sam3_video (or "
            f"get_video_model), not a {type(model).__name__}"
            + (" (an image model from build_sam3)" if hasattr(model, "inst_interactive_predictor") else "")
        )
