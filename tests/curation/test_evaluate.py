"""evaluate: perfect and shuffled ground truth, two runs compared, the table format, the PR plot."""

from __future__ import annotations

import re

import pytest

from fo_sam3.curation import CurationError, evaluate
from fo_sam3.curation.evaluate import HEADER

ROW = re.compile(r"^\S.{0,23}\s+(\d\.\d{3}|-)\s+\d\.\d{3}\s+\d\.\d{3}\s+\d+$")


@pytest.fixture(scope="module")
def runs(curated):
    """A clone with ``truth`` = a copy of ``sam3`` and ``shuffled`` = ``sam3`` with labels rotated."""
    ds = curated.select_fields(["sam3", "gt"]).clone()
    ds.clone_sample_field("sam3", "truth")
    ds.clone_sample_field("sam3", "shuffled")
    labels = ["person", "cat", "cup"]
    for sample in ds.iter_samples(autosave=True):
        for i, det in enumerate(sample.shuffled.detections):
            det.label = labels[(labels.index(det.label) + 1 + i % 2) % 3]
    yield ds
    ds.delete()


def test_copy_of_predictions_scores_one(runs):
    report = evaluate(runs, "sam3", "truth")
    assert report.mAP == pytest.approx(1.0)
    assert [c.label for c in report["sam3"].classes] == ["cat", "cup", "person"]
    for c in report["sam3"].classes:
        assert (c.ap, c.precision, c.recall, c.support) == (pytest.approx(1.0), 1.0, 1.0, 6)


def test_shuffled_labels_score_lower_and_runs_compare(runs, tmp_path):
    png = tmp_path / "pr.png"
    report = evaluate(runs, ["sam3", "shuffled"], "truth", plot=str(png))
    assert [r.pred_field for r in report.runs] == ["sam3", "shuffled"]
    # the random model's masks overlap a lot, so wrong labels still match some same-label mask
    assert report["sam3"].mAP == pytest.approx(1.0) and report["shuffled"].mAP < 0.95
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert report.as_dict()["runs"][1]["pred_field"] == "shuffled"


def test_table_format_is_stable(runs):
    lines = evaluate(runs, "sam3", "truth").table().splitlines()
    assert lines[0] == ("sam3 vs truth (mask IoU; AP over IoU 0.50:0.95, precision/recall at IoU 0.50)")
    assert lines[1] == HEADER == "class                        AP precision recall support"
    assert lines[2] == "cat                       1.000     1.000  1.000       6"
    assert all(ROW.match(line) for line in lines[2:-1])
    assert lines[-1] == "mAP                       1.000"


def test_boxes_and_bad_requests(runs):
    assert evaluate(runs, "sam3", "truth", use_masks=False).table().startswith("sam3 vs truth (box IoU")
    with pytest.raises(CurationError, match="has no masks"):
        evaluate(runs, "sam3", "gt")
    with pytest.raises(CurationError, match="does not exist"):
        evaluate(runs, "nope", "truth")
    with pytest.raises(CurationError, match="both"):
        evaluate(runs, "truth", "truth")
    with pytest.raises(CurationError, match="iou"):
        evaluate(runs, "sam3", "truth", iou=1.5)
