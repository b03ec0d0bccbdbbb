"""The one adapter for sam3's private API (names starting with ``_``).

sam3 has no public entry point for some steps fo_sam3 needs (exemplar tokens
from other images, batched SAM1-style prompts, a lazily decoded video), so
these small functions call its private methods and attributes. They are the
only place in ``fo_sam3`` that does; a sam3 upgrade that renames or changes
them breaks here and nowhere else.

Private sam3 names relied on (sam3 0.1.4):

- ``Sam3Image._get_img_feats``: the flattened image features, positional
  encodings and feature sizes of a backbone output (``image_features``).
- ``Sam3Image._encode_prompt``, ``Sam3Image._run_encoder``,
  ``Sam3Image._run_decoder``, ``Sam3Image._run_segmentation_heads``: the
  steps of ``forward_grounding``, run with precomputed prompt tokens
  (``ground_with_tokens``).
- ``SAM3InteractiveImagePredictor._transforms`` (a ``SAM2Transforms``; its
  public methods ``transform_coords``, ``transform_boxes`` and
  ``postprocess_masks``): prompt coordinates to model input and sam3's
  small-hole filling (``prompt_points``, ``prompt_boxes``, ``fill_holes``).
- ``Sam3VideoInference._construct_initial_input_batch``: the frame inputs of
  a video inference state (``init_frame_inputs``).

The CPU workarounds that patch sam3 internals while a CPU model runs are not
here: they live in ``model.compat``.
"""

from __future__ import annotations

import torch


def image_features(model, backbone_out: dict, img_ids: torch.Tensor) -> tuple:
    """The image features that sam3's geometry encoder reads, per prompt.

    Args:
        model: a ``Sam3Image``.
        backbone_out: the backbone output of the images.
        img_ids: (B,) long tensor: the image each prompt is on.

    Returns:
        ``(feats, pos_embeds, sizes)`` as ``Sam3Image._get_img_feats`` gives
        them (sequence-first features and positional encodings, feature map
        sizes).
    """
    _, feats, pos, sizes = model._get_img_feats(backbone_out, img_ids)
    return feats, pos, sizes


def ground_with_tokens(model, backbone_out: dict, find, prompt, visual: torch.Tensor, visual_pad: torch.Tensor,
                       hide: torch.Tensor) -> dict:
    """sam3's ``forward_grounding`` (inference) with ``visual_prompt_embed``.

    Args:
        model: a ``Sam3Image``.
        backbone_out: backbone and text features of the target images.
        find: the ``FindStage`` of the queries.
        prompt: the geometry ``Prompt`` of the queries (on the target images).
        visual: (T, B, d) precomputed prompt tokens.
        visual_pad: (B, T) bool, True where ``visual`` is padding.
        hide: (B,) bool: mask out these queries' own geometry tokens.

    Returns:
        the output dict of ``forward_grounding``.
    """
    tokens, mask, backbone_out = model._encode_prompt(
        backbone_out, find, prompt, visual_prompt_embed=visual, visual_prompt_mask=visual_pad
    )
    n_txt = backbone_out["language_mask"].shape[1]
    mask = mask.clone()
    mask[hide, n_txt : mask.shape[1] - visual.shape[0]] = True
    backbone_out, encoder_out, _ = model._run_encoder(backbone_out, find, tokens, mask)
    out = {
        "encoder_hidden_states": encoder_out["encoder_hidden_states"],
        "prev_encoder_out": {"encoder_out": encoder_out, "backbone_out": backbone_out},
    }
    out, hs = model._run_decoder(
        memory=out["encoder_hidden_states"], pos_embed=encoder_out["pos_embed"],
        src_mask=encoder_out["padding_mask"], out=out, prompt=tokens, prompt_mask=mask,
        encoder_out=encoder_out,
    )
    model._run_segmentation_heads(
        out=out, backbone_out=backbone_out, img_ids=find.img_ids,
        vis_feat_sizes=encoder_out["vis_feat_sizes"],
        encoder_hidden_states=out["encoder_hidden_states"], prompt=tokens, prompt_mask=mask, hs=hs,
    )
    return out


def prompt_points(predictor, points_xy: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Click coordinates as sam3's prompt encoder reads them (``_prep_prompts``).

    Args:
        predictor: the model's ``inst_interactive_predictor``.
        points_xy: (..., 2) float ``(x, y)`` in absolute pixels of the
            original image.
        height: original image height in pixels.
        width: original image width in pixels.

    Returns:
        the same points in model input pixels.
    """
    return predictor._transforms.transform_coords(points_xy, normalize=True, orig_hw=(height, width))


def prompt_boxes(predictor, boxes_xyxy: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Boxes as the two corner points sam3's prompt encoder reads (``_prep_prompts``).

    Args:
        predictor: the model's ``inst_interactive_predictor``.
        boxes_xyxy: (N, 4) float boxes in absolute pixels of the original
            image.
        height: original image height in pixels.
        width: original image width in pixels.

    Returns:
        (N, 2, 2) corners (top-left, bottom-right) in model input pixels.
    """
    return predictor._transforms.transform_boxes(boxes_xyxy, normalize=True, orig_hw=(height, width))


def fill_holes(predictor, low_res: torch.Tensor) -> torch.Tensor:
    """sam3's small-hole filling of mask logits, kept at their low resolution.

    Args:
        predictor: the model's ``inst_interactive_predictor``.
        low_res: (B, C, h, w) mask logits of the mask decoder.

    Returns:
        the filled logits, same shape (a same-size bilinear resize is the
        identity).
    """
    return predictor._transforms.postprocess_masks(low_res, low_res.shape[-2:])


def init_frame_inputs(model, state: dict, frames) -> None:
    """Add the frame inputs of ``frames`` to a video inference state, as ``init_state`` does.

    Args:
        model: a ``Sam3VideoInference`` (sam3's video model).
        state: the inference state being built.
        frames: the video's frames (indexable, with ``len``).

    Returns:
        None; ``state`` is updated in place.
    """
    model._construct_initial_input_batch(state, frames)
