"""Box prompts reach the model as normalised CxCyWH of the original box."""

import fiftyone as fo
import numpy as np

import fo_sam3


def test_boxes_reach_model_normalised_for_mixed_sizes(dataset, tiny_model):
    view = dataset.limit(3)  # astronaut 512x512, chelsea 451x300, coffee 600x400
    rel = {}
    for k, sample in enumerate(view):
        box = [0.1 + 0.05 * k, 0.2, 0.3, 0.4 - 0.1 * k]
        rel[sample.id] = box
        sample["gt"] = fo.Detections(detections=[fo.Detection(label=f"obj{k}", bounding_box=box)])
        sample.save()
    seen = []

    def grab(module, args, kwargs):
        prompt = kwargs["geo_prompt"]
        seen.append((prompt.box_embeddings.detach().clone(), prompt.box_mask.clone()))

    handle = tiny_model.geometry_encoder.register_forward_pre_hook(grab, with_kwargs=True)
    try:
        fo_sam3.segment(view, "sam3", box_field="gt", model=tiny_model, batch_size=3, max_queries=8, num_workers=0)
    finally:
        handle.remove()
    assert len(seen) == 1  # one forward for all three images and queries
    boxes, pad = seen[0]
    assert boxes.shape == (1, 3, 4) and not pad.any()
    for k, sample in enumerate(view):
        x, y, w, h = rel[sample.id]
        expected = [x + w / 2, y + h / 2, w, h]  # independent of the image size
        np.testing.assert_allclose(boxes[0, k].numpy(), expected, atol=1e-6)


def test_text_features_are_cached_across_batches(dataset, tiny_model):
    from fo_sam3.concept.predictor import ConceptPredictor
    from fo_sam3.config import SegmentConfig
    from fo_sam3.engine.data import read_image
    from fo_sam3.prompts import text_queries

    pred = ConceptPredictor(tiny_model, SegmentConfig(confidence=0.0))
    queries = text_queries(["person", "cat", "person"])
    images = [read_image(s.filepath) for s in dataset.limit(2)]
    pixels, size = images[0]
    pred.predict(pixels[None], [size], [queries])
    assert pred.text_cache.encoded == 2
    pixels, size = images[1]
    pred.predict(pixels[None], [size], [queries])
    assert pred.text_cache.encoded == 2  # nothing re-encoded


def test_backbone_runs_once_per_image(dataset, tiny_model):
    calls = []
    handle = tiny_model.backbone.vision_backbone.trunk.register_forward_hook(
        lambda m, args, out: calls.append(args[0].shape[0])
    )
    try:
        fo_sam3.segment(dataset.limit(2), "sam3", text=["a", "b", "c", "d"], model=tiny_model,
                        batch_size=2, max_queries=3, num_workers=0)
    finally:
        handle.remove()
    assert calls == [2]
    assert isinstance(dataset.first()["sam3"], fo.Detections)
