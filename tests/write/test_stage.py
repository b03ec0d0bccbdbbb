"""The output stage: nothing stuck, nothing lost (write failures, 16 MB documents, byte budgets)."""

import os
import threading

import fiftyone as fo
import numpy as np
import pytest
from bson import ObjectId

import fo_sam3
from fo_sam3.write import OutputStage, Update
from fo_sam3.write.encode import detection_doc, detections_doc, mask_bytes

ARGS = dict(text=["person", "cat"], confidence=0.0, topk_per_query=2, num_workers=0, progress=False)


def _run_in_thread(fn, timeout=300):
    """Run ``fn`` and return (result, error); fail if it does not end (a hang)."""
    out = {}

    def target():
        try:
            out["result"] = fn()
        except BaseException as e:  # noqa: BLE001
            out["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), "the run hung"
    return out.get("result"), out.get("error")


@pytest.mark.parametrize("bad_batch", ["first", "last"])
def test_a_failing_bulk_write_ends_the_run_with_its_reason(dataset, tiny_model, bad_batch):
    calls = []

    def hook(ops):
        calls.append(len(ops))
        if (bad_batch == "first" and len(calls) == 1) or (bad_batch == "last" and len(calls) == 3):
            raise RuntimeError("injected write failure")

    def run():
        return fo_sam3.segment(dataset.limit(3), "sam3", model=tiny_model, write_batch=1, **ARGS,
                               _before_write=hook)

    _, error = _run_in_thread(run)
    assert isinstance(error, RuntimeError) and "injected write failure" in str(error)


def test_a_document_pushed_over_16mb_gets_mask_files_and_the_others_are_written(
        dataset, tiny_model, tmp_path, monkeypatch):
    monkeypatch.setattr(fo.config, "default_dataset_dir", str(tmp_path))
    big = dataset.first()
    room = 3000  # bytes left under MongoDB's limit: enough for labels, not for their masks
    n = 16_700_000
    for _ in range(2):
        big["blob"] = np.random.default_rng(0).integers(0, 255, n, dtype=np.uint8)  # incompressible
        big.save()
        size = next(dataset._sample_collection.aggregate(
            [{"$match": {"_id": ObjectId(big.id)}}, {"$project": {"n": {"$bsonSize": "$$ROOT"}}}]))["n"]
        n += 16 * 1024 * 1024 - room - size
    summary, error = _run_in_thread(
        lambda: fo_sam3.segment(dataset.limit(3), "sam3", model=tiny_model, write_batch=2, **ARGS))
    assert error is None, error
    assert (summary.done, summary.failed) == (3, 0)
    assert any("16 MB" in note and str(tmp_path) in note for note in summary.notes)
    dataset.reload()
    dets = dataset.first().sam3.detections
    assert len(dets) == 4 and all(d.mask is None and os.path.isfile(d.mask_path) for d in dets)
    assert all(d.mask is not None for s in dataset.limit(3).skip(1) for d in s.sam3.detections)


def _noise_update(sample_id: str, n: int, size: int = 3000) -> tuple[Update, list[np.ndarray]]:
    rng = np.random.default_rng(1)
    masks = [rng.random((size, size)) > 0.5 for _ in range(n)]  # incompressible: ~1.1 MB each
    docs = [detection_doc([0, 0, 1, 1], label="noise", mask=mask_bytes(m)) for m in masks]
    return Update(sample_id, value=detections_doc(docs), count=n), masks


@pytest.mark.parametrize("mask_dir", [True, False])
def test_labels_over_16mb_move_to_png_files_or_fail_that_sample(dataset, tmp_path, mask_dir):
    ids = dataset.values("id")[:2]
    big, masks = _noise_update(ids[0], 16)
    small = Update(ids[1], value=detections_doc([detection_doc([0.1, 0.1, 0.2, 0.2], label="ok")]), count=1)
    done, failed, notes = [], [], []
    stage = OutputStage(dataset, "out", lambda u: u, done.append, failed.append, workers=2, write_batch=8,
                        write_bytes=1 << 30, mask_dir=str(tmp_path) if mask_dir else None, on_note=notes.append)
    dataset.add_sample_field("out", fo.EmbeddedDocumentField, embedded_doc_type=fo.Detections)
    stage.submit(ids[0], "big.jpg", big)
    stage.submit(ids[1], "small.jpg", small)
    stage.close()
    assert [u.sample_id for u in done] == ([ids[0], ids[1]] if mask_dir else [ids[1]])
    dataset.reload()
    stored = dataset[ids[0]].out
    if mask_dir:
        assert len(notes) == 1 and str(tmp_path) in notes[0]
        for det, mask in zip(stored.detections, masks):
            assert det.mask is None and os.path.isfile(det.mask_path)
            assert (det.get_mask() > 0).tolist() == mask.tolist()
    else:
        assert stored is None and failed[0].reason.startswith("labels exceed MongoDB's 16 MB document limit")
    assert dataset[ids[1]].out.detections[0].label == "ok"


def test_write_batches_flush_by_bytes(dataset, tiny_model):
    sizes = []
    summary = fo_sam3.segment(dataset, "sam3", model=tiny_model, write_batch=64, write_bytes=1, **ARGS,
                              _before_write=lambda ops: sizes.append(len(ops)))
    assert summary.done == len(dataset) and sizes == [1] * len(dataset)


def test_an_unwritable_output_dir_fails_each_sample_with_its_reason(dataset, tiny_model, tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    summary = fo_sam3.segment(dataset.limit(2), "sam3", model=tiny_model, output_dir=str(blocked), **ARGS)
    assert summary.done == 0 and summary.failed == 2
    assert all("Error" in reason for _, _, reason in summary.failures)
    dataset.reload()
    assert "sam3" not in dataset.get_field_schema()  # nothing written: no field left behind


def test_one_update_per_sample_in_place(dataset, tiny_inst_model):
    for sample in dataset.limit(3):
        sample["gt"] = fo.Detections(detections=[
            fo.Detection(label="a", bounding_box=[0.1234, 0.2345, 0.4321, 0.3456]),
            fo.Detection(label="b", bounding_box=[0.6, 0.5, 0.7, 0.2]),  # reaches past the edge
        ])
        sample.save()
    view = dataset.limit(3)
    written = []

    def kill_after_first(ops):
        written.append(ops)
        assert all(len(op._doc["$set"]) == 1 + 2 * 3 + 1 for op in ops)  # 2 masks, paths, scores; 1 box; time
        if len(written) == 2:
            raise KeyboardInterrupt  # a kill between samples

    _, error = _run_in_thread(lambda: fo_sam3.segment(
        view, "gt", mode="instance", box_field="gt", model=tiny_inst_model, write_batch=1, num_workers=0,
        progress=False, _before_write=kill_after_first))
    assert isinstance(error, KeyboardInterrupt)
    dataset.reload()
    states = [[(d.mask is not None, d.has_field("sam_score")) for d in s.gt.detections] for s in view]
    assert states[0] == [(True, True), (True, True)]
    assert states[1] == states[2] == [(False, False), (False, False)]  # untouched, not half-written
    fo_sam3.segment(view, "gt", mode="instance", box_field="gt", model=tiny_inst_model, num_workers=0,
                    progress=False)
    for sample in view:
        w, h = sample.metadata.width, sample.metadata.height
        for det in sample.gt.detections:
            seg = det.to_segmentation(frame_size=(w, h), target=1).mask > 0
            assert det.sam_score is not None and seg.sum() == det.mask.sum()
        assert sample.gt.detections[1].bounding_box[0] + sample.gt.detections[1].bounding_box[2] <= 1 + 1e-9


def test_stage_refuses_after_writer_error_instead_of_blocking(dataset):
    ids = dataset.values("id")

    def boom(ops):
        raise RuntimeError("database gone")

    stage = OutputStage(dataset, "out", lambda u: u, lambda u: None, lambda f: None, workers=1, write_batch=1,
                        write_bytes=1 << 20, mask_dir=None, before_write=boom)
    with pytest.raises(RuntimeError, match="database gone"):
        for i in range(50):  # more than the queue holds: a stuck writer would block here
            stage.submit(ids[i % len(ids)], "x.jpg", Update(ids[i % len(ids)], value=detections_doc([])))
        stage.close()
    stage.close(abort=True)
    assert ObjectId.is_valid(ids[0])


def test_progress_counts_written_samples_not_predicted_ones(dataset, tiny_model):
    """The bar reaches its end only when the last sample is written (no silent minutes at 100%)."""
    seen, at_write = [], []

    def progress(pb):
        seen.append(pb.complete if hasattr(pb, "complete") else pb.progress)

    def slow_write(ops):
        import time

        at_write.append(len(seen) and seen[-1])
        time.sleep(0.3)

    summary = fo_sam3.segment(dataset.limit(4), "sam3", model=tiny_model, write_batch=1, batch_size=4,
                              text=["cat"], confidence=0.0, topk_per_query=1, num_workers=0,
                              progress=progress, _before_write=slow_write)
    assert summary.done == 4 and len(at_write) == 4
    final = seen[-1]
    assert all(v < final for v in at_write)  # every write started before the bar was full
