"""Odd files, odd boxes and odd prompts: each works or is skipped with a reason."""

import fiftyone as fo
import numpy as np
import pytest
import skimage.data
from PIL import Image

import fo_sam3
from fo_sam3.convert.labels import full_mask
from fo_sam3.engine.data import prepare
from fo_sam3.errors import SampleError
from fo_sam3.prompts import ImageTask, text_queries

ARGS = dict(text=["cat"], confidence=0.1, num_workers=0)


def _write_images(d):
    cat = Image.fromarray(skimage.data.chelsea())
    files = {}
    files["gray"] = d / "gray.png"
    cat.convert("L").save(files["gray"])
    files["rgba"] = d / "rgba.png"
    cat.convert("RGBA").save(files["rgba"])
    files["palette"] = d / "palette.png"
    cat.convert("P").save(files["palette"])
    files["gray16"] = d / "gray16.png"
    Image.fromarray((np.asarray(cat.convert("L"), dtype=np.uint16) * 257)).save(files["gray16"])
    files["cmyk"] = d / "cmyk.jpg"
    cat.convert("CMYK").save(files["cmyk"])
    files["tiny"] = d / "one.png"
    Image.new("RGB", (1, 1), (200, 10, 10)).save(files["tiny"])
    good = d / "good.jpg"
    cat.save(good, quality=95)
    files["truncated"] = d / "truncated.jpg"
    files["truncated"].write_bytes(good.read_bytes()[:200])
    files["text"] = d / "notes.jpg"
    files["text"].write_text("not an image")
    files["missing"] = d / "missing.jpg"
    return files


def test_odd_images_work_or_fail_with_a_reason(tmp_path, tiny_model):
    files = _write_images(tmp_path)
    ds = fo.Dataset()
    try:
        ds.add_samples([fo.Sample(filepath=str(p), kind=k) for k, p in files.items()])
        summary = fo_sam3.segment(ds, "sam3", model=tiny_model, **ARGS)
        failed = {ds[sid].kind: reason for sid, _, reason in summary.failures}
        assert set(failed) == {"truncated", "text", "missing"}
        assert all("could not read image" in r for r in failed.values())
        assert summary.done == 6 and summary.failed == 3
        for sample in ds.match(fo.ViewField("kind").is_in(list(failed)) == False):  # noqa: E712
            w, h = Image.open(sample.filepath).size
            dets = sample.sam3.detections
            assert dets, sample.kind
            assert all(d.mask is not None and full_mask(d, w, h).shape == (h, w) for d in dets)
            if sample.kind != "tiny":
                assert any(full_mask(d, w, h).any() for d in dets)
        assert all(ds[sid].sam3 is None for sid, _, _ in summary.failures)
    finally:
        ds.delete()


def test_grayscale_variants_feed_the_same_pixels(tmp_path):
    files = _write_images(tmp_path)
    q = tuple(text_queries(["x"]))
    px = {k: prepare(ImageTask("s", str(files[k]), q)).pixels for k in ("gray", "gray16", "palette", "rgba")}
    assert px["gray"].shape == (3, 1008, 1008)
    assert (px["gray"].int() - px["gray16"].int()).abs().max() <= 1
    assert (px["rgba"].int() - px["palette"].int()).abs().float().mean() < 16  # 256-colour palette


def test_exif_rotated_jpeg_is_upright(tmp_path, tiny_model):
    upright = Image.fromarray(skimage.data.chelsea())  # 451 x 300
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated; displayed after a 90 degree turn
    path = tmp_path / "exif.jpg"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, exif=exif.tobytes(), quality=95)
    ds = fo.Dataset()
    try:
        ds.add_sample(fo.Sample(filepath=str(path)))
        ds.compute_metadata()
        sample = ds.first()
        assert (sample.metadata.width, sample.metadata.height) == (451, 300)
        sample["gt"] = fo.Detections(detections=[fo.Detection(label="cat", bounding_box=[0.3, 0.1, 0.4, 0.5])])
        sample.save()
        item = prepare(ImageTask(sample.id, str(path), tuple(text_queries(["cat"]))))
        assert (item.width, item.height) == (451, 300)
        ref = Image.open(tmp_path / "exif.jpg").transpose(Image.Transpose.ROTATE_270)
        ref_item = prepare(ImageTask("r", str(path), ()), image=ref.convert("RGB"))
        assert (item.pixels.int() - ref_item.pixels.int()).abs().float().mean() < 1
        fo_sam3.segment(ds, "sam3", box_field="gt", model=tiny_model, confidence=0.1, num_workers=0)
        for det in ds.first().sam3.detections:
            x, y, w, h = det.bounding_box
            assert det.mask.shape == (round((y + h) * 300) - round(y * 300), round((x + w) * 451) - round(x * 451))
    finally:
        ds.delete()


def test_bad_boxes_are_dropped_and_prompts_survive(dataset, tiny_model):
    sample = dataset.first()
    sample["gt"] = fo.Detections(detections=[
        fo.Detection(label="a", bounding_box=[0.2, 0.2, 0.0, 0.3]),  # zero area
        fo.Detection(label="a", bounding_box=[0.5, 0.5, -0.2, 0.3]),  # negative
        fo.Detection(label="b", bounding_box=[1.2, 1.2, 0.3, 0.3]),  # outside
        fo.Detection(label="c", bounding_box=[0.8, -0.1, 0.5, 0.4]),  # partly outside: clipped
        fo.Detection(label="d", bounding_box=[float("nan"), 0.1, 0.2, 0.2]),
    ])
    sample.save()
    summary = fo_sam3.segment(dataset.limit(1), "sam3", box_field="gt", model=tiny_model, confidence=0.0,
                              topk_per_query=1, num_workers=0)
    assert summary.done == 1
    assert {d.label for d in dataset.first().sam3.detections} == {"c"}


def test_odd_and_many_text_prompts(dataset, tiny_model):
    prompts = ["", "  ", "日本 の 猫", "x" * 5000] + [f"thing {i}" for i in range(100)]
    summary = fo_sam3.segment(dataset.limit(1), "sam3", text=prompts, model=tiny_model, confidence=0.0,
                              topk_per_query=1, max_queries=16, num_workers=0)
    labels = {d.label for d in dataset.first().sam3.detections}
    assert summary.done == 1 and len(labels) == 102
    assert "日本 の 猫" in labels and "x" * 5000 in labels  # kept whole, with a warning (issue 19)


def test_skip_failures_false_names_the_sample(tmp_path, tiny_model):
    ds = fo.Dataset()
    try:
        ds.add_sample(fo.Sample(filepath=str(tmp_path / "missing.jpg")))
        with pytest.raises(SampleError, match=ds.first().id):
            fo_sam3.segment(ds, "sam3", model=tiny_model, skip_failures=False, **ARGS)
    finally:
        ds.delete()
