"""The SAM2-style tracker (instance prompts and video memory), sized by ``ArchConfig.tracker``."""

from __future__ import annotations

from .arch import ArchConfig, cross_layer_settings, pos_enc


def _maskmem_backbone(cfg: ArchConfig):
    from sam3.model.memory import (
        CXBlock,
        SimpleFuser,
        SimpleMaskDownSampler,
        SimpleMaskEncoder,
    )

    cx = CXBlock(
        dim=cfg.d_model,
        kernel_size=7,
        padding=3,
        layer_scale_init_value=1.0e-06,
        use_dwconv=True,
    )
    return SimpleMaskEncoder(
        out_dim=cfg.tracker.mem_dim,
        in_dim=cfg.d_model,
        position_encoding=pos_enc(cfg, dim=cfg.tracker.mem_dim),
        mask_downsampler=SimpleMaskDownSampler(
            embed_dim=cfg.d_model,
            kernel_size=3,
            stride=2,
            padding=1,
            interpol_size=[1152, 1152],
        ),
        fuser=SimpleFuser(layer=cx, num_layers=2),
    )


def _memory_transformer(cfg: ArchConfig):
    from sam3.model.decoder import (
        TransformerDecoderLayerv2,
        TransformerEncoderCrossAttention,
    )
    from sam3.model.model_misc import TransformerWrapper
    from sam3.sam.transformer import RoPEAttention

    feat = cfg.resolution // cfg.patch_size
    rope = dict(
        embedding_dim=cfg.d_model,
        num_heads=1,
        downsample_rate=1,
        dropout=0.1,
        rope_theta=10000.0,
        feat_sizes=[feat, feat],
        use_fa3=False,
        use_rope_real=False,
    )
    layer = TransformerDecoderLayerv2(
        **cross_layer_settings(cfg, pos_at_attn=False, keys=True),
        cross_attention_first=False,
        self_attention=RoPEAttention(**rope),
        cross_attention=RoPEAttention(**rope, kv_in_dim=cfg.tracker.mem_dim, rope_k_repeat=True),
    )
    encoder = TransformerEncoderCrossAttention(
        remove_cross_attention_layers=[],
        batch_first=True,
        d_model=cfg.d_model,
        frozen=False,
        pos_enc_at_input=True,
        layer=layer,
        num_layers=cfg.tracker.layers,
        use_act_checkpoint=False,
    )
    return TransformerWrapper(encoder=encoder, decoder=None, d_model=cfg.d_model)


def tracker(cfg: ArchConfig, temporal_disambiguation: bool = False, backbone=None):
    """The tracker, with the settings of ``sam3.model_builder.build_tracker``.

    Args:
        cfg: the architecture (``d_model``, ``ffn_dim``, ``tracker``, ``resolution``)
        temporal_disambiguation: (False) select memories as sam3's
            ``apply_temporal_disambiguation=True`` video build does
        backbone: (None) the image backbone; ``None`` for a tracker that is
            handed backbone features (instance head, video)

    Returns:
        a ``Sam3TrackerPredictor``
    """
    from sam3.model.sam3_tracking_predictor import Sam3TrackerPredictor

    return Sam3TrackerPredictor(
        image_size=cfg.resolution,
        num_maskmem=7,
        backbone=backbone,
        backbone_stride=cfg.patch_size,
        transformer=_memory_transformer(cfg),
        maskmem_backbone=_maskmem_backbone(cfg),
        multimask_output_in_sam=True,
        forward_backbone_per_frame_for_eval=True,
        trim_past_non_cond_mem_for_eval=False,
        multimask_output_for_tracking=True,
        multimask_min_pt_num=0,
        multimask_max_pt_num=1,
        always_start_from_first_ann_frame=False,
        non_overlap_masks_for_mem_enc=False,
        non_overlap_masks_for_output=False,
        max_cond_frames_in_attn=4,
        offload_output_to_cpu_for_eval=False,
        sam_mask_decoder_extra_args={
            "dynamic_multimask_via_stability": True,
            "dynamic_multimask_stability_delta": 0.05,
            "dynamic_multimask_stability_thresh": 0.98,
        },
        clear_non_cond_mem_around_input=True,
        fill_hole_area=0,
        use_memory_selection=temporal_disambiguation,
    )
