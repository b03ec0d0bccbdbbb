"""``mode="everything"``: a click grid, filtered and de-duplicated, against sam3's own ``predict_inst``."""

import itertools

import numpy as np
import pytest
import torch

import fo_sam3
from fo_sam3.convert.labels import full_mask
from fo_sam3.engine.data import read_image
from fo_sam3.engine.images import load_rgb
from fo_sam3.instance.everything import EverythingOptions, EverythingPredictor, point_grid, stability
from fo_sam3.model import cpu_forward

from prompting_helpers import RUN, iou

# random weights: predicted IoUs sit near 0.48-0.54 and logits near 0, hence the small offset
FILTERS = dict(points_per_side=4, stability_thresh=0.3, stability_offset=0.02)
CONFIDENCE, NMS = 0.486, 0.8


def _expected(model, path: str) -> tuple[int, list[tuple[int, int, float]]]:
    """Per grid click, sam3's ``predict_inst`` (3 candidates), filtered, then greedy mask NMS.

    Returns the number of candidates that pass the filters and the kept
    ``(point, candidate, score)``, best first.
    """
    from sam3.model.sam3_image_processor import Sam3Processor

    image = load_rgb(path)
    w, h = image.size
    fill = model.inst_interactive_predictor._transforms.postprocess_masks  # sam3's hole filling
    passed = []
    with cpu_forward(), torch.inference_mode():
        state = Sam3Processor(model, device="cpu").set_image(image)
        for k, (x, y) in enumerate(point_grid(FILTERS["points_per_side"])):
            _, scores, low = model.predict_inst(state, point_coords=np.array([[x * w, y * h]], np.float32),
                                                point_labels=np.array([1]), multimask_output=True)
            low = fill(torch.from_numpy(low)[None], low.shape[-2:])[0]
            stab = stability(low, FILTERS["stability_offset"])
            for c in range(3):
                if scores[c] >= CONFIDENCE and stab[c] >= FILTERS["stability_thresh"]:
                    passed.append((k, c, float(scores[c]), (low[c] > 0).numpy()))
    kept = []
    for cand in sorted(passed, key=lambda p: -p[2]):
        if all(iou(cand[3], other[3]) <= NMS for other in kept):
            kept.append(cand)
    return len(passed), [(k, c, s) for k, c, s, _ in kept]


@pytest.fixture(scope="module")
def expected(photo_paths, tiny_inst_model):
    return _expected(tiny_inst_model, photo_paths[1])


def test_point_grid_is_cell_centres():
    np.testing.assert_allclose(point_grid(2), [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]])
    assert point_grid(32).shape == (1024, 2)


def test_grid_filters_and_nms_equal_sam3(dataset, tiny_inst_model, expected):
    view = dataset.skip(1).limit(1)  # chelsea, 451 x 300
    sample = view.first()
    passed, kept = expected
    assert 16 * 3 > passed > len(kept) > 1  # the filters and NMS each removed something
    config = fo_sam3.SegmentConfig(confidence=CONFIDENCE, nms_iou=NMS, max_queries=5)
    predictor = EverythingPredictor(tiny_inst_model, config, EverythingOptions(**FILTERS))
    pixels, size = read_image(sample.filepath)
    found = predictor.predict(pixels[None], [size])[0]
    assert [(m.prompt, m.candidate) for m in found] == [(k, c) for k, c, _ in kept]
    np.testing.assert_allclose([m.score for m in found], [s for _, _, s in kept], atol=1e-4)
    low = [(m.logits > 0).numpy() for m in found]  # the masks NMS judges
    assert max(iou(a, b) for a, b in itertools.combinations(low, 2)) <= NMS

    summary = fo_sam3.segment(view, "objects", mode="everything", model=tiny_inst_model, confidence=CONFIDENCE,
                              nms_iou=NMS, **FILTERS, **RUN)
    sample.reload()
    dets = sample.objects.detections
    assert summary.detections == len(dets) == len(kept)
    assert {d.label for d in dets} == {"object"}
    np.testing.assert_allclose(sorted(d.sam_score for d in dets), sorted(s for _, _, s in kept), atol=1e-4)
    w, h = sample.metadata.width, sample.metadata.height
    assert all(full_mask(d, w, h).any() for d in dets)


def test_max_masks_keeps_the_best(dataset, tiny_inst_model, expected):
    view = dataset.skip(1).limit(1)
    fo_sam3.segment(view, "top", mode="everything", model=tiny_inst_model, confidence=CONFIDENCE,
                    nms_iou=NMS, max_masks=3, label="thing", **FILTERS, **RUN)
    _, kept = expected
    assert len(kept) > 3
    dets = view.first().top.detections
    assert [d.label for d in dets] == ["thing"] * 3
    np.testing.assert_allclose([d.sam_score for d in dets], [s for _, _, s in kept[:3]], atol=1e-4)


def test_clean_up_applies(dataset, tiny_inst_model):
    view = dataset.skip(1).limit(1)
    summary = fo_sam3.segment(view, "gone", mode="everything", model=tiny_inst_model, confidence=CONFIDENCE,
                              nms_iou=NMS, max_masks=2, min_area=10**7, **FILTERS, **RUN)
    assert summary.done == 1 and summary.detections == 0


def test_everything_arguments_are_checked(dataset, tiny_inst_model):
    with pytest.raises(ValueError, match="takes no prompts"):
        fo_sam3.segment(dataset, "x", mode="everything", text=["a"], model=tiny_inst_model)
    with pytest.raises(ValueError, match="a dict"):
        fo_sam3.segment(dataset, "x", mode="everything", confidence={"a": 0.5}, model=tiny_inst_model)
    with pytest.raises(ValueError, match="topk_per_image"):
        fo_sam3.segment(dataset, "x", mode="everything", topk_per_image=3, model=tiny_inst_model)
    with pytest.raises(TypeError, match="unexpected arguments"):
        fo_sam3.segment(dataset, "x", mode="everything", points_per_sid=3, model=tiny_inst_model)
    with pytest.raises(ValueError, match="points_per_side"):
        fo_sam3.segment(dataset, "x", mode="everything", points_per_side=0, model=tiny_inst_model)
    assert "x" not in dataset.get_field_schema()
