"""Memory stays bounded; GPU out-of-memory retries with smaller batches."""

import json
import os
import subprocess
import sys
import uuid

import fiftyone as fo
import numpy as np
import pytest
import torch
from PIL import Image

import fo_sam3
from fo_sam3.config import SegmentConfig
from fo_sam3.concept.predictor import ConceptPredictor
from fo_sam3.concept.job import ConceptJob
from fo_sam3.engine.runner import run
from fo_sam3.prompts import PromptSpec

PROBE = os.path.join(os.path.dirname(__file__), "memory_probe.py")


def _probe(*args) -> dict:
    out = subprocess.run([sys.executable, PROBE, *args], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


@pytest.mark.memory
def test_150_instances_on_12000x6000_stay_within_bound(tmp_path):
    r = _probe("large", str(tmp_path))
    assert r["detections"] == 150 and r["files"] == 150
    # A K x H x W float would be 150 * 72e6 * 4 B = 43 GB; the documented bound is
    # one full-resolution crop plus row-chunk temporaries (well under 1 GB).
    assert r["peak_mb"] - r["base_mb"] < 1024, r


def test_very_large_image_end_to_end(tmp_path, tiny_model):
    path = tmp_path / "big.jpg"
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (60, 120, 3), dtype=np.uint8)
    Image.fromarray(small).resize((12000, 6000), Image.NEAREST).save(path, quality=80)
    ds = fo.Dataset()
    try:
        ds.add_sample(fo.Sample(filepath=str(path)))
        summary = fo_sam3.segment(ds, "sam3", text=["thing"], model=tiny_model, confidence=0.0,
                                  topk_per_image=2, output_dir=str(tmp_path / "masks"), num_workers=0)
        assert summary.done == 1 and summary.detections == 2
        for det in ds.first().sam3.detections:
            x, y, w, h = det.bounding_box
            assert 0 <= x and x + w <= 1 + 1e-9 and os.path.isfile(det.mask_path)
    finally:
        ds.delete()


@pytest.mark.memory
def test_host_memory_is_flat_as_the_dataset_grows(photo_paths):
    ds = fo.Dataset(f"fo-sam3-mem-{uuid.uuid4().hex[:8]}", persistent=True)
    try:
        ds.add_samples([fo.Sample(filepath=photo_paths[i % len(photo_paths)]) for i in range(120)])
        small, large = _probe("samples", ds.name, "20"), _probe("samples", ds.name, "120")
        assert small["done"] == 20 and large["done"] == 120
        growth_small = small["peak_mb"] - small["base_mb"]
        growth_large = large["peak_mb"] - large["base_mb"]
        assert growth_large - growth_small < 150, (small, large)
    finally:
        ds.delete()


class _LimitedGpuJob(ConceptJob):
    """The real concept job on a device that fits at most two images per forward."""

    calls: list

    def predict(self, batch):
        self.calls.append(len(batch.items))
        if len(batch.items) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return super().predict(batch)


def test_out_of_memory_retries_with_smaller_batches(dataset, tiny_model):
    config = SegmentConfig(batch_size=4, confidence=0.2, num_workers=0)
    job = _LimitedGpuJob(ConceptPredictor(tiny_model, config), PromptSpec(text=["cat"]))
    job.calls = []
    dataset.add_sample_field("sam3", fo.EmbeddedDocumentField, embedded_doc_type=fo.Detections)
    summary = run(dataset, "sam3", job, config)
    assert summary.done == len(dataset) and summary.failed == 0
    assert job.calls[:3] == [4, 2, 2] and max(job.calls[3:]) <= 2
    assert len(summary.notes) == 1 and "batch size 2" in summary.notes[0]
    fo_sam3.segment(dataset, "ref", text=["cat"], model=tiny_model, confidence=0.2, num_workers=0)
    for sample in dataset:
        a = sorted(d.confidence for d in sample.sam3.detections)
        b = sorted(d.confidence for d in sample.ref.detections)
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_hub_token_is_never_logged(monkeypatch, caplog, tmp_path):
    from fo_sam3.model.checkpoint import CheckpointNotFoundError, resolve_checkpoint

    secret = "hf_SECRETtoken1234567890"
    monkeypatch.setenv("HF_TOKEN", secret)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("FO_SAM3_CHECKPOINT", raising=False)
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path))
    with caplog.at_level("DEBUG"), pytest.raises(CheckpointNotFoundError) as err:
        resolve_checkpoint(None)
    assert "hub facebook/sam3" in str(err.value)
    assert secret not in str(err.value) and secret not in caplog.text


class _HugeImageJob(ConceptJob):
    """The real concept job on a device where one particular image never fits."""

    too_big: str

    def predict(self, batch):
        if any(it.task.sample_id == self.too_big for it in batch.items):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 40.00 GiB")
        return super().predict(batch)


def test_an_image_that_never_fits_fails_with_a_reason(dataset, tiny_model):
    config = SegmentConfig(batch_size=4, confidence=0.2, num_workers=0)
    job = _HugeImageJob(ConceptPredictor(tiny_model, config), PromptSpec(text=["cat"]))
    job.too_big = dataset.skip(1).first().id
    dataset.add_sample_field("sam3", fo.EmbeddedDocumentField, embedded_doc_type=fo.Detections)
    summary = run(dataset, "sam3", job, config)
    assert summary.done == len(dataset) - 1 and summary.failed == 1
    sid, _, reason = summary.failures[0]
    assert sid == job.too_big and "out of memory" in reason
    assert dataset[job.too_big].sam3 is None
    assert all(s.sam3 is not None for s in dataset if s.id != job.too_big)
