"""The image operators in a real App, driven in headless Chromium as a person would."""

import pytest
from app_helpers import (
    PLUGIN, RUN_S, browse_operations, close_dropdown, dropdown_options, execute_button, field_box, fill,
    open_dataset, open_operator, sidebar_field, wait_for_done,
)



def test_segment_from_text_on_the_current_view(page, app_server, dataset):
    """Operator browser -> form (defaults: the trial model) -> immediate run on a view of 3 samples."""
    import fiftyone as fo

    ds = dataset
    ds.save_view("three", ds.limit(3))
    three = ds.limit(3).values("id")

    open_dataset(page, app_server, ds.name, view="three")
    entries = browse_operations(page, "SAM3")
    entries.first.wait_for()
    assert "SAM3: segment from text" in entries.all_inner_texts()
    page.get_by_text("SAM3: segment from text", exact=True).first.click()

    page.get_by_text("3 samples in the current view will be labeled").wait_for()
    page.get_by_text("Trial model: the masks will be meaningless").wait_for()
    assert "Tiny test model" in field_box(page, "Model").inner_text()
    fill(page, "Text prompts", "cat,person")
    fill(page, "Output field", "sam")
    page.get_by_text("Required property").first.wait_for(state="detached")
    page.shots(page, "form")

    execute_button(page).click()
    page.get_by_text("Segmenting 3 samples with the tiny test model…").wait_for()
    page.shots(page, "running")
    summary = wait_for_done(page)
    assert summary.startswith("Done in") and "3 samples labeled, field 'sam'" in summary
    page.shots(page, "summary")
    page.get_by_role("button", name="Done", exact=True).click()
    page.mouse.move(640, 790)  # no hover highlight on the grid

    sidebar_field(page, "sam").wait_for()  # the App reloaded the dataset
    page.wait_for_timeout(2_000)  # let the grid draw the masks
    page.shots(page, "grid")

    ds.reload()
    assert sorted(ds.exists("sam").values("id")) == sorted(three)  # the view's samples only
    for value in ds.select(three).values("sam"):
        assert isinstance(value, fo.Detections) and value.detections
        assert all(d.mask is not None and d.label in ("cat", "person") for d in value.detections)


@pytest.fixture
def labeled(dataset):
    """The photos with prompt and output fields of several types."""
    import fiftyone as fo
    import numpy as np

    for sample in dataset.iter_samples(autosave=True):
        sample["boxes"] = fo.Detections(detections=[fo.Detection(label="thing", bounding_box=[0.1, 0.1, 0.4, 0.5])])
        sample["old_masks"] = fo.Detections(detections=[fo.Detection(label="old", bounding_box=[0.5, 0.5, 0.2, 0.2])])
        sample["kp"] = fo.Keypoints(keypoints=[fo.Keypoint(label="thing", points=[[0.3, 0.3]], sam_labels=[1])])
        sample["tag_label"] = fo.Classification(label="cat")
        sample["seg"] = fo.Segmentation(mask=np.zeros((4, 4), np.uint8))  # an image-like field
    return dataset


def test_forms_offer_only_usable_fields_and_refuse_bad_choices(page, app_server, labeled, tmp_path):
    ds = labeled
    before = {f: ds.count_values(f"{f}.detections.label") for f in ("boxes", "old_masks")}
    open_dataset(page, app_server, ds.name)

    open_operator(page, "SAM3: segment from boxes")
    page.get_by_text("Instance", exact=True).click()
    assert dropdown_options(page, "Box field") == ["boxes", "old_masks"]  # Detections only
    page.get_by_role("option", name="boxes").click()
    fill(page, "Output field", "tag_label")
    page.get_by_text("output field 'tag_label' exists as Classification, not Detections").wait_for()
    assert execute_button(page).is_disabled()
    fill(page, "Output field", "old_masks")
    page.get_by_text("output field 'old_masks' already exists").wait_for()
    assert execute_button(page).is_disabled()
    page.shots(page, "existing-output-field")
    page.get_by_text("Overwrite", exact=True).click()
    page.get_by_text("output field 'old_masks' already exists").wait_for(state="detached")
    assert execute_button(page).is_enabled()
    page.get_by_role("button", name="Cancel").click()

    open_operator(page, "SAM3: segment from points")
    assert dropdown_options(page, "Point field") == ["kp"]  # Keypoints only
    close_dropdown(page)
    page.get_by_role("button", name="Cancel").click()

    open_operator(page, "SAM3: track in videos")
    page.get_by_text(f"'{ds.name}' holds image samples; this operator needs videos").first.wait_for()
    assert field_box(page, "Output field").count() == 0  # nothing to fill in
    assert execute_button(page).is_disabled()
    page.shots(page, "video-operator-on-images")
    page.get_by_role("button", name="Cancel").click()

    corrupt = tmp_path / "sam3.pt"
    corrupt.write_text("not a checkpoint")
    open_operator(page, "SAM3: segment from text")
    fill(page, "Text prompts", "cat")
    fill(page, "Output field", "never")
    fill(page, "Checkpoint", str(corrupt))
    page.get_by_text("Required property").first.wait_for(state="detached")
    execute_button(page).click()  # passes the form's checks, fails when the model loads
    page.get_by_text("SAM3: segment from text failed").wait_for(timeout=RUN_S * 1000)
    page.get_by_text(f"CorruptCheckpointError: checkpoint {corrupt} is corrupt").wait_for()
    page.shots(page, "run-error")
    page.get_by_role("button", name="Done", exact=True).click()

    ds.reload()
    assert not ds.has_field("trk") and not ds.has_field("never")
    assert {f: ds.count_values(f"{f}.detections.label") for f in before} == before  # nothing ran
    assert page.locator(f'[data-item-id="{PLUGIN}/track_video"]').count() == 0  # no Track button here
