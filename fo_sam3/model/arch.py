"""SAM3 architectures built from sam3's own classes.

``FULL`` mirrors ``sam3.model_builder`` exactly; ``TINY`` is the same graph
with small widths and depths (random weights, for tests and CPU demos).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class ArchConfig:
    """Widths and depths of a SAM3 image model (resolution is fixed at 1008)."""

    d_model: int = 256
    vit_dim: int = 1024
    vit_depth: int = 32
    vit_heads: int = 16
    vit_mlp_ratio: float = 4.625
    vit_global_blocks: tuple[int, ...] = (7, 15, 23, 31)
    text_width: int = 1024
    text_heads: int = 16
    text_layers: int = 24
    heads: int = 8
    ffn_dim: int = 2048
    enc_layers: int = 6
    dec_layers: int = 6
    geo_layers: int = 3
    num_queries: int = 200
    tracker_layers: int = 4
    mem_dim: int = 64
    resolution: int = 1008
    patch_size: int = 14

    def __post_init__(self):
        if self.d_model % self.heads or self.vit_dim % self.vit_heads:
            raise ValueError("widths must be divisible by their head counts")
        if any(b >= self.vit_depth for b in self.vit_global_blocks):
            raise ValueError("vit_global_blocks must index ViT blocks")


FULL = ArchConfig()
TINY = ArchConfig(
    d_model=64,
    vit_dim=64,
    vit_depth=2,
    vit_heads=2,
    vit_mlp_ratio=2.0,
    vit_global_blocks=(1,),
    text_width=64,
    text_heads=2,
    text_layers=2,
    heads=2,
    ffn_dim=128,
    enc_layers=1,
    dec_layers=2,
    geo_layers=1,
    num_queries=32,
    tracker_layers=1,
    mem_dim=16,
)
VARIANTS = {"full": FULL, "tiny": TINY}


def _mha(cfg: ArchConfig, dropout=0.1, batch_first=None):
    from sam3.model.model_misc import MultiheadAttentionWrapper

    kw = {} if batch_first is None else {"batch_first": batch_first}
    return MultiheadAttentionWrapper(
        num_heads=cfg.heads, dropout=dropout, embed_dim=cfg.d_model, **kw
    )


def _pos_enc(cfg: ArchConfig, precompute=True, dim=None):
    from sam3.model.position_encoding import PositionEmbeddingSine

    return PositionEmbeddingSine(
        num_pos_feats=dim or cfg.d_model,
        normalize=True,
        scale=None,
        temperature=10000,
        precompute_resolution=cfg.resolution if precompute else None,
    )


def vision_backbone(cfg: ArchConfig, inst_interactivity: bool):
    from sam3.model.necks import Sam3DualViTDetNeck
    from sam3.model.vitdet import ViT

    vit = ViT(
        img_size=cfg.resolution,
        pretrain_img_size=336,
        patch_size=cfg.patch_size,
        embed_dim=cfg.vit_dim,
        depth=cfg.vit_depth,
        num_heads=cfg.vit_heads,
        mlp_ratio=cfg.vit_mlp_ratio,
        norm_layer="LayerNorm",
        drop_path_rate=0.1,
        qkv_bias=True,
        use_abs_pos=True,
        tile_abs_pos=True,
        global_att_blocks=cfg.vit_global_blocks,
        rel_pos_blocks=(),
        use_rope=True,
        use_interp_rope=True,
        window_size=24,
        pretrain_use_cls_token=True,
        retain_cls_token=False,
        ln_pre=True,
        ln_post=False,
        return_interm_layers=False,
        bias_patch_embed=False,
    )
    return Sam3DualViTDetNeck(
        position_encoding=_pos_enc(cfg),
        d_model=cfg.d_model,
        scale_factors=[4.0, 2.0, 1.0, 0.5],
        trunk=vit,
        add_sam2_neck=inst_interactivity,
    )


def text_encoder(cfg: ArchConfig, bpe_path: str):
    from sam3.model.text_encoder_ve import VETextEncoder
    from sam3.model.tokenizer_ve import SimpleTokenizer

    return VETextEncoder(
        tokenizer=SimpleTokenizer(bpe_path=bpe_path),
        d_model=cfg.d_model,
        width=cfg.text_width,
        heads=cfg.text_heads,
        layers=cfg.text_layers,
    )


def _enc_layer(cfg: ArchConfig, batch_first: bool, pos_at_attn: bool, keys: bool):
    from sam3.model.encoder import TransformerEncoderLayer

    return TransformerEncoderLayer(
        activation="relu",
        d_model=cfg.d_model,
        dim_feedforward=cfg.ffn_dim,
        dropout=0.1,
        pos_enc_at_attn=pos_at_attn,
        pos_enc_at_cross_attn_keys=keys,
        pos_enc_at_cross_attn_queries=False,
        pre_norm=True,
        self_attention=_mha(cfg, batch_first=batch_first),
        cross_attention=_mha(cfg, batch_first=batch_first),
    )


def grounding_transformer(cfg: ArchConfig):
    from sam3.model.decoder import TransformerDecoder, TransformerDecoderLayer
    from sam3.model.encoder import TransformerEncoderFusion
    from sam3.model.model_misc import TransformerWrapper

    encoder = TransformerEncoderFusion(
        layer=_enc_layer(cfg, batch_first=True, pos_at_attn=True, keys=False),
        num_layers=cfg.enc_layers,
        d_model=cfg.d_model,
        num_feature_levels=1,
        frozen=False,
        use_act_checkpoint=True,
        add_pooled_text_to_img_feat=False,
        pool_text_with_mask=True,
    )
    decoder_layer = TransformerDecoderLayer(
        activation="relu",
        d_model=cfg.d_model,
        dim_feedforward=cfg.ffn_dim,
        dropout=0.1,
        cross_attention=_mha(cfg),
        n_heads=cfg.heads,
        use_text_cross_attention=True,
    )
    decoder = TransformerDecoder(
        layer=decoder_layer,
        num_layers=cfg.dec_layers,
        num_queries=cfg.num_queries,
        return_intermediate=True,
        box_refine=True,
        num_o2m_queries=0,
        dac=True,
        boxRPB="log",
        d_model=cfg.d_model,
        frozen=False,
        interaction_layer=None,
        dac_use_selfatt_ln=True,
        resolution=cfg.resolution,
        stride=cfg.patch_size,
        use_act_checkpoint=True,
        presence_token=True,
    )
    return TransformerWrapper(encoder=encoder, decoder=decoder, d_model=cfg.d_model)


def dot_product_scoring(cfg: ArchConfig):
    from sam3.model.model_misc import MLP, DotProductScoring

    prompt_mlp = MLP(
        input_dim=cfg.d_model,
        hidden_dim=cfg.ffn_dim,
        output_dim=cfg.d_model,
        num_layers=2,
        dropout=0.1,
        residual=True,
        out_norm=nn.LayerNorm(cfg.d_model),
    )
    return DotProductScoring(d_model=cfg.d_model, d_proj=cfg.d_model, prompt_mlp=prompt_mlp)


def segmentation_head(cfg: ArchConfig):
    from sam3.model.maskformer_segmentation import (
        PixelDecoder,
        UniversalSegmentationHead,
    )

    return UniversalSegmentationHead(
        hidden_dim=cfg.d_model,
        upsampling_stages=3,
        aux_masks=False,
        presence_head=False,
        dot_product_scorer=None,
        act_ckpt=True,
        cross_attend_prompt=_mha(cfg, dropout=0),
        pixel_decoder=PixelDecoder(
            num_upsampling_stages=3,
            interpolation_mode="nearest",
            hidden_dim=cfg.d_model,
        ),
    )


def geometry_encoder(cfg: ArchConfig):
    from sam3.model.geometry_encoders import SequenceGeometryEncoder

    return SequenceGeometryEncoder(
        pos_enc=_pos_enc(cfg, precompute=False),
        encode_boxes_as_points=False,
        points_direct_project=True,
        points_pool=True,
        points_pos_enc=True,
        boxes_direct_project=True,
        boxes_pool=True,
        boxes_pos_enc=True,
        d_model=cfg.d_model,
        num_layers=cfg.geo_layers,
        layer=_enc_layer(cfg, batch_first=False, pos_at_attn=False, keys=True),
        use_act_ckpt=True,
        add_cls=True,
        add_post_encode_proj=True,
    )
