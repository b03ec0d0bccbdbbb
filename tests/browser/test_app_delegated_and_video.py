"""A scheduled (delegated) run done by a worker process, and track_video on a video dataset."""

import subprocess
import sys
import uuid

import pytest
from app_helpers import (
    PLUGIN, RUN_S, dropdown_options, execute_button, fill, open_dataset, schedule, sidebar_field,
    wait_for_done,
)

# A worker for this dataset's queued operations only (`fiftyone delegated launch` would also
# run other sessions' queued operations on a shared database).
WORKER = (
    "import sys\n"
    "from fiftyone.operators.delegated import DelegatedOperationService\n"
    "done = DelegatedOperationService().execute_queued_operations(dataset_name=sys.argv[1])\n"
    "print('ran', len(done), 'errors', [r.error for r in done if r.error])\n"
)


def test_scheduled_run_appears_after_a_worker_ran_it(page, app_server, dataset):
    from fiftyone.operators.delegated import DelegatedOperationService
    from fiftyone.operators.executor import ExecutionRunState

    ds = dataset
    open_dataset(page, app_server, ds.name)
    assert page.locator(f'[data-item-id="{PLUGIN}/track_video"]').count() == 0  # images: no Track button
    page.locator(f'[data-item-id="{PLUGIN}/segment_text"]').click()  # the grid's "SAM3: segment" button
    page.get_by_text("5 samples in the dataset will be labeled").wait_for()
    fill(page, "Text prompts", "cat")
    fill(page, "Output field", "later")
    page.get_by_text("Required property").first.wait_for(state="detached")
    schedule(page)
    page.get_by_text("Operation successfully scheduled").wait_for()
    page.shots(page, "scheduled")

    service = DelegatedOperationService()
    [queued] = service.list_operations(dataset_name=ds.name)
    assert queued.run_state == ExecutionRunState.QUEUED
    assert queued.label == "SAM3: segment from text → later"  # the runs list's name, not segment_text
    ds.reload()
    assert not ds.has_field("later")

    out = subprocess.run([sys.executable, "-c", WORKER, ds.name], env=app_server.env, capture_output=True,
                         text=True, timeout=RUN_S + 60)
    assert out.returncode == 0 and "ran 1 errors []" in out.stdout, out.stdout[-2000:] + out.stderr[-4000:]
    doc = service.get(queued.id)
    assert doc.run_state == ExecutionRunState.COMPLETED
    assert doc.result.result["done"] == len(ds)

    service.delete_operation(doc.id)

    page.reload()
    sidebar_field(page, "later").wait_for()
    page.shots(page, "after-refresh")


@pytest.fixture
def video_dataset(tmp_path):
    """One real mp4 (moving shapes, 5 frames) with a box on the square in frame 1."""
    import fiftyone as fo
    from PIL import Image
    from video_clips import SHAPES_FRAMES, shapes_box, shapes_frame, write_mp4

    for t in range(SHAPES_FRAMES):
        Image.fromarray(shapes_frame(t)).save(tmp_path / f"{t:03d}.png")
    ds = fo.Dataset(f"fo-sam3-test-{uuid.uuid4().hex[:10]}")
    ds.add_sample(fo.Sample(filepath=str(write_mp4(tmp_path, tmp_path / "shapes.mp4"))))
    ds.compute_metadata()
    sample = ds.first()
    sample.frames[1]["gt"] = fo.Detections(detections=[fo.Detection(label="square", bounding_box=shapes_box(0)[0])])
    sample.save()
    yield ds
    ds.delete()


def test_track_video_from_the_grid_button(page, app_server, video_dataset):
    ds = video_dataset
    open_dataset(page, app_server, ds.name)
    assert page.locator(f'[data-item-id="{PLUGIN}/segment_text"]').count() == 0  # videos: no Segment button
    page.locator(f'[data-item-id="{PLUGIN}/track_video"]').click()
    page.get_by_text("1 video in the dataset will be tracked").wait_for()
    page.get_by_text("Boxes / points", exact=True).click()
    assert dropdown_options(page, "Box frame field") == ["gt"]
    page.get_by_role("option", name="gt").click()
    fill(page, "Output field", "trk")
    page.get_by_text("Required property").first.wait_for(state="detached")
    page.shots(page, "track-form")

    execute_button(page).click()
    summary = wait_for_done(page)
    assert "1 video tracked" in summary, summary
    page.shots(page, "track-summary")

    frames = ds.first().frames
    for fn in range(1, len(frames) + 1):
        dets = frames[fn]["trk"].detections
        assert [d.label for d in dets] == ["square"] and dets[0].mask is not None
