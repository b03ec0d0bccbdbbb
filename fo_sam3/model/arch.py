"""SAM3 architectures built from sam3's own classes.

``FULL`` mirrors ``sam3.model_builder`` exactly; ``TINY`` is the same graph
with small widths and depths (random weights, for tests and CPU demos).
``ArchConfig`` holds the sizes, grouped by sub-model; every other setting is
sam3's own, written where each module is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn


@dataclass(frozen=True)
class ViTConfig:
    """The image encoder: sam3's ViTDet trunk.

    Args:
        dim: the embedding width
        depth: the number of blocks
        heads: attention heads per block
        mlp_ratio: the MLP's hidden width over ``dim``
        global_blocks: the blocks with global attention (the others attend
            within windows)
    """

    dim: int = 1024
    depth: int = 32
    heads: int = 16
    mlp_ratio: float = 4.625
    global_blocks: tuple[int, ...] = (7, 15, 23, 31)

    def __post_init__(self):
        if self.dim % self.heads:
            raise ValueError("vit.dim must be divisible by vit.heads")
        if any(b >= self.depth for b in self.global_blocks):
            raise ValueError("vit.global_blocks must index ViT blocks")


@dataclass(frozen=True)
class TextConfig:
    """The text encoder.

    Args:
        width: the transformer's width
        heads: attention heads per layer
        layers: the number of layers
    """

    width: int = 1024
    heads: int = 16
    layers: int = 24

    def __post_init__(self):
        if self.width % self.heads:
            raise ValueError("text.width must be divisible by text.heads")


@dataclass(frozen=True)
class GroundingConfig:
    """The detector's depths.

    Args:
        enc_layers: layers of the encoder fusing image and prompt features
        dec_layers: layers of the DETR-style decoder
        geo_layers: layers of the geometry encoder (box and point prompts)
        num_queries: the decoder's object queries
    """

    enc_layers: int = 6
    dec_layers: int = 6
    geo_layers: int = 3
    num_queries: int = 200


@dataclass(frozen=True)
class TrackerConfig:
    """The SAM2-style tracker (instance prompts and video).

    Args:
        layers: memory-attention layers
        mem_dim: the width of its memory features
    """

    layers: int = 4
    mem_dim: int = 64


@dataclass(frozen=True)
class ArchConfig:
    """Widths and depths of a SAM3 model, grouped by sub-model.

    Every module built here takes its sizes from one; the other settings are sam3's.

    Args:
        d_model: the width of every transformer but the ViT and the text encoder
        heads: their attention heads
        ffn_dim: their feed-forward width
        vit: the image encoder
        text: the text encoder
        grounding: the detector's depths
        tracker: the tracker
        resolution: the input size (sam3's is fixed at 1008)
        patch_size: the ViT's patch size, the stride of its features
    """

    d_model: int = 256
    heads: int = 8
    ffn_dim: int = 2048
    vit: ViTConfig = field(default_factory=ViTConfig)
    text: TextConfig = field(default_factory=TextConfig)
    grounding: GroundingConfig = field(default_factory=GroundingConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    resolution: int = 1008
    patch_size: int = 14

    def __post_init__(self):
        if self.d_model % self.heads:
            raise ValueError("d_model must be divisible by heads")

    @property
    def vit_dim(self) -> int:
        """The ViT width, which tells the variants' checkpoints apart."""
        return self.vit.dim


FULL = ArchConfig()
TINY = ArchConfig(
    d_model=64, heads=2, ffn_dim=128,
    vit=ViTConfig(dim=64, depth=2, heads=2, mlp_ratio=2.0, global_blocks=(1,)),
    text=TextConfig(width=64, heads=2, layers=2),
    grounding=GroundingConfig(enc_layers=1, dec_layers=2, geo_layers=1, num_queries=32),
    tracker=TrackerConfig(layers=1, mem_dim=16),
)
VARIANTS = {"full": FULL, "tiny": TINY}


def _mha(cfg: ArchConfig, dropout=0.1, batch_first=None):
    from sam3.model.model_misc import MultiheadAttentionWrapper

    kw = {} if batch_first is None else {"batch_first": batch_first}
    return MultiheadAttentionWrapper(
        num_heads=cfg.heads, dropout=dropout, embed_dim=cfg.d_model, **kw
    )


def pos_enc(cfg: ArchConfig, precompute=True, dim=None):
    """sam3's sine position encoding.

    Args:
        cfg: the architecture (``d_model``, ``resolution``)
        precompute: (True) precompute it for ``cfg.resolution``
        dim: (None) its width, if not ``cfg.d_model``

    Returns:
        a ``PositionEmbeddingSine``
    """
    from sam3.model.position_encoding import PositionEmbeddingSine

    return PositionEmbeddingSine(
        num_pos_feats=dim or cfg.d_model,
        normalize=True,
        scale=None,
        temperature=10000,
        precompute_resolution=cfg.resolution if precompute else None,
    )


def layer_settings(cfg: ArchConfig, **settings) -> dict:
    """Settings sam3 gives every transformer layer: ReLU, dropout 0.1, ``cfg``'s widths.

    Args:
        cfg: the architecture (``d_model``, ``ffn_dim``)
        **settings: the layer's other settings

    Returns:
        a dict of keyword arguments
    """
    return dict(activation="relu", d_model=cfg.d_model, dim_feedforward=cfg.ffn_dim, dropout=0.1, **settings)


def cross_layer_settings(cfg: ArchConfig, pos_at_attn: bool, keys: bool) -> dict:
    """``layer_settings`` of a pre-norm layer with self and cross attention.

    Args:
        cfg: as for ``layer_settings``
        pos_at_attn: add the position encoding at self attention
        keys: add it to the cross-attention keys (never to the queries)

    Returns:
        a dict of keyword arguments
    """
    return layer_settings(cfg, pre_norm=True, pos_enc_at_attn=pos_at_attn, pos_enc_at_cross_attn_keys=keys,
                          pos_enc_at_cross_attn_queries=False)


def vision_backbone(cfg: ArchConfig, inst_interactivity: bool):
    """The ViT trunk and its neck (with the SAM2 neck the tracker reads, if asked).

    Args:
        cfg: the architecture (``vit``, ``d_model``, ``resolution``, ``patch_size``)
        inst_interactivity: add the SAM2 neck (instance prompts and video)

    Returns:
        a ``Sam3DualViTDetNeck``
    """
    from sam3.model.necks import Sam3DualViTDetNeck
    from sam3.model.vitdet import ViT

    vit = ViT(
        img_size=cfg.resolution,
        pretrain_img_size=336,
        patch_size=cfg.patch_size,
        embed_dim=cfg.vit.dim,
        depth=cfg.vit.depth,
        num_heads=cfg.vit.heads,
        mlp_ratio=cfg.vit.mlp_ratio,
        norm_layer="LayerNorm",
        drop_path_rate=0.1,
        qkv_bias=True,
        use_abs_pos=True,
        tile_abs_pos=True,
        global_att_blocks=cfg.vit.global_blocks,
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
        position_encoding=pos_enc(cfg),
        d_model=cfg.d_model,
        scale_factors=[4.0, 2.0, 1.0, 0.5],
        trunk=vit,
        add_sam2_neck=inst_interactivity,
    )


def text_encoder(cfg: ArchConfig, bpe_path: str):
    """sam3's text encoder and its tokenizer.

    Args:
        cfg: the architecture (``text``, ``d_model``)
        bpe_path: sam3's BPE vocabulary file

    Returns:
        a ``VETextEncoder``
    """
    from sam3.model.text_encoder_ve import VETextEncoder
    from sam3.model.tokenizer_ve import SimpleTokenizer

    return VETextEncoder(
        tokenizer=SimpleTokenizer(bpe_path=bpe_path),
        d_model=cfg.d_model,
        width=cfg.text.width,
        heads=cfg.text.heads,
        layers=cfg.text.layers,
    )


def _enc_layer(cfg: ArchConfig, batch_first: bool, pos_at_attn: bool, keys: bool):
    from sam3.model.encoder import TransformerEncoderLayer

    return TransformerEncoderLayer(
        **cross_layer_settings(cfg, pos_at_attn, keys),
        self_attention=_mha(cfg, batch_first=batch_first),
        cross_attention=_mha(cfg, batch_first=batch_first),
    )


def grounding_transformer(cfg: ArchConfig):
    """The fusion encoder (image and prompt) and the DETR-style decoder.

    Args:
        cfg: the architecture (``d_model``, ``heads``, ``ffn_dim``, ``grounding``)

    Returns:
        a ``TransformerWrapper``
    """
    from sam3.model.decoder import TransformerDecoder, TransformerDecoderLayer
    from sam3.model.encoder import TransformerEncoderFusion
    from sam3.model.model_misc import TransformerWrapper

    shared = dict(d_model=cfg.d_model, frozen=False, use_act_checkpoint=True)  # by encoder and decoder
    encoder = TransformerEncoderFusion(
        layer=_enc_layer(cfg, batch_first=True, pos_at_attn=True, keys=False),
        num_layers=cfg.grounding.enc_layers,
        num_feature_levels=1,
        add_pooled_text_to_img_feat=False,
        pool_text_with_mask=True,
        **shared,
    )
    decoder_layer = TransformerDecoderLayer(
        **layer_settings(cfg, cross_attention=_mha(cfg), n_heads=cfg.heads, use_text_cross_attention=True),
    )
    decoder = TransformerDecoder(
        layer=decoder_layer,
        num_layers=cfg.grounding.dec_layers,
        num_queries=cfg.grounding.num_queries,
        return_intermediate=True,
        box_refine=True,
        num_o2m_queries=0,
        dac=True,
        boxRPB="log",
        interaction_layer=None,
        dac_use_selfatt_ln=True,
        resolution=cfg.resolution,
        stride=cfg.patch_size,
        presence_token=True,
        **shared,
    )
    return TransformerWrapper(encoder=encoder, decoder=decoder, d_model=cfg.d_model)


def dot_product_scoring(cfg: ArchConfig):
    """The scorer of each decoder query against the prompt.

    Args:
        cfg: the architecture (``d_model``, ``ffn_dim``)

    Returns:
        a ``DotProductScoring``
    """
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
    """The mask head: pixel decoder and per-query masks.

    Args:
        cfg: the architecture (``d_model``, ``heads``)

    Returns:
        a ``UniversalSegmentationHead``
    """
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
    """The encoder of box and point prompts (both projected, pooled and position-encoded).

    Args:
        cfg: the architecture (``d_model``, ``heads``, ``ffn_dim``, ``grounding.geo_layers``)

    Returns:
        a ``SequenceGeometryEncoder``
    """
    from sam3.model.geometry_encoders import SequenceGeometryEncoder

    # points_direct_project, points_pool, points_pos_enc and the same for boxes: all on
    both = {f"{kind}_{part}": True for kind in ("points", "boxes") for part in ("direct_project", "pool", "pos_enc")}
    return SequenceGeometryEncoder(
        **both,
        pos_enc=pos_enc(cfg, precompute=False),
        encode_boxes_as_points=False,
        d_model=cfg.d_model,
        num_layers=cfg.grounding.geo_layers,
        layer=_enc_layer(cfg, batch_first=False, pos_at_attn=False, keys=True),
        use_act_ckpt=True,
        add_cls=True,
        add_post_encode_proj=True,
    )
