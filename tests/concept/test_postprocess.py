import numpy as np
import torch

import fo_sam3
from fo_sam3.convert.labels import full_mask
from fo_sam3.concept.postprocess import classwise_nms, joint_scores, keep_per_query, mask_iou


def test_joint_scores_and_topk():
    logits = torch.tensor([[[0.0], [2.0], [-1.0]]])
    presence = torch.tensor([[1.0]])
    s = joint_scores(logits, presence)
    np.testing.assert_allclose(s[0].numpy(), torch.sigmoid(torch.tensor([0.0, 2.0, -1.0])).numpy() * torch.sigmoid(torch.tensor(1.0)).item())
    assert keep_per_query(s, 0.15, None).tolist() == [[True, True, True]]
    assert keep_per_query(s, 0.15, 1).tolist() == [[False, True, False]]
    assert keep_per_query(s, 0.5, None).tolist() == [[False, True, False]]


def test_classwise_nms_box_and_mask():
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [50, 50, 60, 60]], dtype=torch.float)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
    groups = torch.tensor([0, 0, 1, 0])  # box 2 overlaps box 0 but is another class
    assert sorted(classwise_nms(scores, groups, 0.5, boxes=boxes).tolist()) == [0, 2, 3]
    masks = torch.zeros((4, 64, 64), dtype=torch.bool)
    for k, (x0, y0, x1, y1) in enumerate(boxes.int().tolist()):
        masks[k, y0:y1, x0:x1] = True
    assert mask_iou(masks)[0, 1] > 0.5
    assert sorted(classwise_nms(scores, groups, 0.5, masks=masks).tolist()) == [0, 2, 3]


def test_nms_and_topk_per_image_on_real_runs(dataset, tiny_model):
    view = dataset.limit(2)
    args = dict(text=["cat", "dog"], model=tiny_model, confidence=0.1, num_workers=0)
    fo_sam3.segment(view, "plain", **args)
    fo_sam3.segment(view, "nms", nms_iou=0.5, **args)
    fo_sam3.segment(view, "top", topk_per_image=5, **args)
    for sample in view:
        w, h = sample.metadata.width, sample.metadata.height
        assert len(sample.nms.detections) < len(sample.plain.detections)
        dets = sample.nms.detections
        for i in range(len(dets)):
            for j in range(i + 1, len(dets)):
                if dets[i].label == dets[j].label:
                    a, b = full_mask(dets[i], w, h), full_mask(dets[j], w, h)
                    assert (a & b).sum() / max((a | b).sum(), 1) <= 0.5 + 1e-6
        top = sorted(d.confidence for d in sample.top.detections)
        assert len(top) == 5
        assert top == sorted(d.confidence for d in sample.plain.detections)[-5:]


def test_queries_per_pass_defaults_by_device():
    from fo_sam3.config import SegmentConfig

    assert SegmentConfig().queries_per_pass("cuda:0") == 32
    assert SegmentConfig().queries_per_pass("cpu") == 1
    assert SegmentConfig(max_queries=5).queries_per_pass("cpu") == 5
