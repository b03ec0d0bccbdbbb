"""The image operators run on a real dataset with the tiny model and write masks."""

import os

import numpy as np
from plugin_helpers import PLUGIN, TINY, masks_of

FEW = 2  # samples per run: the tiny model takes about a second per image on CPU


def test_segment_text_writes_masks_and_reuses_the_model(run_op, dataset):
    from fo_sam3.model import cache

    view = dataset.limit(FEW)
    result = run_op("segment_text", dataset, view=view, text="cat, person", label_field="sam",
                    confidence=0.0, batch_size=2, **TINY)
    assert result.result["done"] == FEW and result.result["failed"] == 0
    dets = masks_of(view, "sam")
    assert len(dets) == result.result["detections"] > 0
    assert {d.label for d in dets} <= {"cat", "person"}
    assert len(dataset.exists("sam")) == FEW  # only the target view was labeled

    models = dict(cache._models)
    again = run_op("segment_text", dataset, view=view, text=["cat"], label_field="sam",
                   overwrite=True, confidence=0.0, **TINY)
    assert again.result["done"] == FEW
    assert {d.label for d in masks_of(view, "sam")} == {"cat"}
    assert cache._models.keys() == models.keys()  # no new model was built
    assert all(cache._models[k] is models[k] for k in models)


def test_segment_text_from_a_field_and_selected_samples(run_op, boxes_dataset):
    import fiftyone.operators as foo

    ds = boxes_dataset
    chosen = ds.values("id")[1:3]
    result = foo.execute_operator(f"{PLUGIN}/segment_text", ctx=dict(
        dataset=ds, selected=chosen,
        params=dict(prompt_source="field", text_field="tag_label", label_field="sam",
                    confidence=0.0, view_target="SELECTED_SAMPLES", **TINY),
    ))
    assert result.result["done"] == 2
    assert sorted(ds.exists("sam").values("id")) == sorted(chosen)
    assert {d.label for d in masks_of(ds, "sam")} == {"cat"}


def test_segment_boxes_concept_mode_with_mask_files(run_op, boxes_dataset, tmp_path):
    view = boxes_dataset.limit(FEW)
    out = tmp_path / "masks"
    result = run_op("segment_boxes", boxes_dataset, view=view, box_field="boxes", mode="concept",
                    label_field="sam", confidence=0.0, mask_storage="files", output_dir=str(out), **TINY)
    assert result.result["done"] == FEW
    dets = masks_of(view, "sam")
    assert dets and all(d.mask is None and os.path.isfile(d.mask_path) for d in dets)
    assert all(str(d.mask_path).startswith(str(out)) for d in dets)


def test_segment_boxes_instance_mode_gives_one_mask_per_box(run_op, boxes_dataset):
    view = boxes_dataset.limit(FEW)
    result = run_op("segment_boxes", boxes_dataset, view=view, box_field="boxes", mode="instance",
                    label_field="sam", confidence=0.0, **TINY)
    assert result.result["done"] == FEW
    for value in view.values("sam"):
        assert len(value.detections) == 2
        assert all(np.asarray(d.mask).any() for d in value.detections)


def test_segment_points_gives_masks(run_op, dataset):
    import fiftyone as fo

    view = dataset.limit(FEW)
    for sample in view.iter_samples(autosave=True):
        sample["points"] = fo.Keypoints(keypoints=[
            fo.Keypoint(label="thing", points=[[0.3, 0.3], [0.9, 0.9]], sam_labels=[1, 0]),
        ])
    result = run_op("segment_points", dataset, view=view, point_field="points", label_field="sam",
                    confidence=0.0, **TINY)
    assert result.result["done"] == FEW
    for value in view.values("sam"):
        assert len(value.detections) == 1 and value.detections[0].mask is not None


def test_refine_masks_operator_refines_in_place(run_op, dataset):
    import fiftyone as fo

    sample = dataset.first()
    sample["gt"] = fo.Detections(detections=[fo.Detection(label="a", bounding_box=[0.2, 0.2, 0.5, 0.5], index=1),
                                             fo.Detection(label="b", bounding_box=[0.6, 0.6, 0.3, 0.3])])
    sample["fixes"] = fo.Keypoints(keypoints=[fo.Keypoint(points=[[0.4, 0.4]], sam_labels=[1], index=1)])
    sample.save()
    result = run_op("refine_masks", dataset, view=dataset.limit(1), label_field="gt", point_field="fixes",
                    variant="tiny", checkpoint="random")
    assert result.result["done"] == 1
    dets = dataset.first().gt.detections
    assert dets[0].refined is True and dets[0].mask is not None
    assert dets[1].mask is None and not dets[1].has_field("refined")  # no clicks: untouched


def test_cleanup_and_extra_outputs_from_the_form(run_op, dataset):
    result = run_op("segment_text", dataset, view=dataset.limit(2), text="cat", label_field="sam",
                    variant="tiny", checkpoint="random", confidence=0.0, largest_component=True,
                    fill_holes=True, output_segmentation=True, output_rle=True)
    assert result.result["done"] == 2
    sample = dataset.first()
    assert sample["sam_seg"] is not None and all(d.rle is not None for d in sample.sam.detections)
