"""``fo_sam3.refine``: masks fixed with more clicks, equal to sam3's ``predict_inst(mask_input=...)``."""

import fiftyone as fo
import numpy as np
import pytest
import torch

import fo_sam3
from fo_sam3.convert.boxes import pixel_box
from fo_sam3.convert.labels import full_mask
from fo_sam3.engine.images import load_rgb
from fo_sam3.instance.mask_input import MASK_LOGIT, mask_logits
from fo_sam3.model import cpu_forward

from prompting_helpers import RUN, iou

CAT_BOX = [0.1, 0.15, 0.4, 0.5]


def _ellipse(h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return ((yy - h / 2) / (h / 2)) ** 2 + ((xx - w / 2) / (w / 2)) ** 2 <= 1


def _labels(sample, clicks):
    """"cat" (masked, linked clicks), "dog" (masked, no clicks), "bird" (no mask, linked click)."""
    w, h = sample.metadata.width, sample.metadata.height
    x0, y0, x1, y1 = pixel_box(CAT_BOX, w, h)
    dets = [
        fo.Detection(label="cat", bounding_box=CAT_BOX, mask=_ellipse(y1 - y0, x1 - x0), index=1, note="keep"),
        fo.Detection(label="dog", bounding_box=[0.55, 0.3, 0.35, 0.6], mask=np.ones((5, 7), bool)),
        fo.Detection(label="bird", bounding_box=[0.6, 0.05, 0.3, 0.2], index=2),
    ]
    kps = [fo.Keypoint(points=pts, sam_labels=labs, index=1) for pts, labs in clicks]
    kps.append(fo.Keypoint(points=[[0.75, 0.15]], sam_labels=[1], index=2))
    sample["sam3"] = fo.Detections(detections=dets)
    sample["fixes"] = fo.Keypoints(keypoints=kps)
    sample.save()


def _reference(model, sample, det, points, labels, with_mask: bool):
    """sam3's own ``Sam3Processor.set_image`` + ``predict_inst`` with the same mask prompt."""
    from sam3.model.sam3_image_processor import Sam3Processor

    image = load_rgb(sample.filepath)
    w, h = image.size
    x, y, bw, bh = det.bounding_box
    kw = {}
    if with_mask:
        size = tuple(model.inst_interactive_predictor.model.sam_prompt_encoder.mask_input_size)
        kw["mask_input"] = mask_logits(det.mask, det.bounding_box, w, h, size)[None]
    with cpu_forward(), torch.inference_mode():
        state = Sam3Processor(model, device="cpu").set_image(image)
        masks, scores, _ = model.predict_inst(
            state, box=np.array([x * w, y * h, (x + bw) * w, (y + bh) * h], np.float32),
            point_coords=np.asarray(points, np.float32) * np.array([w, h], np.float32),
            point_labels=np.asarray(labels), multimask_output=False, **kw)
    return masks[0].astype(bool), float(scores[0])


def test_refine_equals_predict_inst_with_mask_input(dataset, tiny_inst_model):
    view = dataset.skip(1).limit(1)  # chelsea, 451 x 300
    sample = view.first()
    clicks = [([[0.3, 0.4], [0.2, 0.3]], [1, 0])]
    _labels(sample, clicks)
    before = {d.label: d for d in sample.sam3.detections}
    summary = fo_sam3.refine(view, "sam3", point_field="fixes", model=tiny_inst_model, **RUN)
    assert (summary.done, summary.detections) == (1, 2)
    assert summary.notes == ["1 detections had no linked clicks and were left as they were"]
    sample.reload()
    after = {d.label: d for d in sample.sam3.detections}
    w, h = sample.metadata.width, sample.metadata.height
    for label, points, labels, with_mask in (("cat", *clicks[0], True), ("bird", [[0.75, 0.15]], [1], False)):
        want, score = _reference(tiny_inst_model, sample, before[label], points, labels, with_mask)
        got = after[label]
        assert got.id == before[label].id and got.refined is True
        assert got.sam_score == pytest.approx(score, abs=1e-4)
        assert iou(full_mask(got, w, h), want) >= 0.99
    assert after["cat"].note == "keep" and after["cat"].index == 1
    # without clicks: untouched, to the byte
    assert after["dog"].to_dict() == before["dog"].to_dict()


def test_negative_click_inside_the_mask_changes_it(dataset, tiny_inst_model):
    view = dataset.skip(1).limit(1)
    sample = view.first()
    results = {}
    for name, clicks in (("pos", [([[0.3, 0.4]], [1])]), ("neg", [([[0.3, 0.4], [0.25, 0.35]], [1, 0])])):
        _labels(sample, clicks)
        fo_sam3.refine(view, "sam3", point_field="fixes", model=tiny_inst_model, **RUN)
        sample.reload()
        cat = next(d for d in sample.sam3.detections if d.label == "cat")
        results[name] = full_mask(cat, sample.metadata.width, sample.metadata.height)
    assert results["pos"].any()
    assert iou(results["pos"], results["neg"]) < 0.99


def test_mask_logits_area_downsampling():
    # a 576 x 576 image on a 288 grid: every cell is a 2 x 2 block of pixels
    full = np.zeros((576, 576), bool)
    full[100:301, 50:451] = True
    crop = full[100:301, 50:451]
    got = mask_logits(crop, [50 / 576, 100 / 576, 401 / 576, 201 / 576], 576, 576, (288, 288))
    want = full.reshape(288, 2, 288, 2).mean(axis=(1, 3)) * 2 - 1
    np.testing.assert_allclose(got, want * MASK_LOGIT, atol=1e-5)
    assert got.max() == MASK_LOGIT and got.min() == -MASK_LOGIT


def test_refine_arguments_are_checked(dataset, tiny_inst_model):
    with pytest.raises(ValueError, match="in place"):
        fo_sam3.refine(dataset, "sam3", "fixes", overwrite=True, model=tiny_inst_model)
    with pytest.raises(TypeError, match="all_candidates"):
        fo_sam3.refine(dataset, "sam3", "fixes", all_candidates=True, model=tiny_inst_model)
    with pytest.raises(fo_sam3.PromptError, match="does not exist"):
        fo_sam3.refine(dataset, "sam3", "fixes", model=tiny_inst_model)


def test_the_mask_prompt_is_used_also_from_a_mask_file(dataset, tiny_inst_model, tmp_path):
    view = dataset.skip(1).limit(1)
    sample = view.first()
    clicks = [([[0.3, 0.4]], [1])]
    _labels(sample, clicks)
    cat = next(d for d in sample.sam3.detections if d.label == "cat")
    with_mask = _reference(tiny_inst_model, sample, cat, *clicks[0], True)
    without = _reference(tiny_inst_model, sample, cat, *clicks[0], False)
    assert abs(with_mask[1] - without[1]) > 1e-3 or iou(with_mask[0], without[0]) < 0.99
    cat.export_mask(str(tmp_path / "cat.png"), update=True)  # mask_path instead of mask
    sample.save()
    fo_sam3.refine(view, "sam3", point_field="fixes", model=tiny_inst_model, **RUN)
    sample.reload()
    got = next(d for d in sample.sam3.detections if d.label == "cat")
    assert got.sam_score == pytest.approx(with_mask[1], abs=1e-4)
    assert got.mask is not None and got.mask_path is None
