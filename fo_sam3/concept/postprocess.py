"""Score, filter and de-duplicate SAM3 detections (vectorised, on device)."""

from __future__ import annotations

import torch
from torchvision.ops import batched_nms


def joint_scores(pred_logits: torch.Tensor, presence_logits: torch.Tensor) -> torch.Tensor:
    """SAM3's joint score of each query's candidates.

    Args:
        pred_logits: (Q, N, 1) detection logits.
        presence_logits: (Q, 1) presence logits.

    Returns:
        (Q, N) ``sigmoid(logit) * sigmoid(presence)``.
    """
    return pred_logits.float().sigmoid()[..., 0] * presence_logits.float().sigmoid().view(-1, 1)


def keep_per_query(scores: torch.Tensor, threshold: float | torch.Tensor, topk: int | None) -> torch.Tensor:
    """Which candidates to keep.

    Args:
        scores: (Q, N) joint scores.
        threshold: a float, or a (Q, 1) tensor (one threshold per query).
        topk: keep at most this many per query (``None``: no limit).

    Returns:
        boolean (Q, N): score > threshold, and among its query's top-k.
    """
    keep = scores > threshold
    if topk is not None and topk < scores.shape[1]:
        top = torch.zeros_like(keep)
        top.scatter_(1, scores.topk(topk, dim=1).indices, True)
        keep &= top
    return keep


def mask_iou(masks: torch.Tensor) -> torch.Tensor:
    """Pairwise IoU of masks.

    Args:
        masks: (K, H, W) bool.

    Returns:
        (K, K) float IoU (0 where both are empty).
    """
    flat = masks.flatten(1).float()
    inter = flat @ flat.T
    area = flat.sum(1)
    union = area[:, None] + area[None, :] - inter
    return torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(inter))


def classwise_nms(
    scores: torch.Tensor,
    groups: torch.Tensor,
    iou: float,
    boxes: torch.Tensor | None = None,
    masks: torch.Tensor | None = None,
) -> torch.Tensor:
    """Greedy class-wise NMS: suppression happens only within a group.

    Args:
        scores: (K,) scores.
        groups: (K,) integer class ids.
        iou: suppress a lower-scored item of the same group above this IoU.
        boxes: (K, 4) XYXY boxes, for box IoU.
        masks: (K, H, W) bool masks, for mask IoU (when ``boxes`` is None).

    Returns:
        the kept indices, highest score first.
    """
    if scores.numel() == 0:
        return torch.zeros(0, dtype=torch.long, device=scores.device)
    if boxes is not None:
        return batched_nms(boxes.float(), scores.float(), groups, iou)
    order = scores.argsort(descending=True)
    ious = mask_iou(masks[order])
    same = groups[order][:, None] == groups[order][None, :]
    suppress = (ious > iou) & same
    keep = torch.ones(len(order), dtype=torch.bool, device=scores.device)
    for i in range(len(order)):
        if keep[i]:
            keep[i + 1 :] &= ~suppress[i, i + 1 :]
    return order[keep]
