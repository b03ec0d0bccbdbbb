"""``fo-sam3 label``: text and box queries on a real dataset, summaries and exit codes."""

import json

from cli_support import TINY

# random weights score about alike: keep every candidate, two per query
ANY2 = ("--confidence", "0", "--topk", "2")


def test_text_labels_limited_samples_and_prints_summary(cli, dataset):
    r = cli("label", dataset.name, "--text", "cat, person", "--field", "sam3", "--limit", "2", *ANY2, *TINY)
    assert r.rc == 0, r.err
    assert "sam3: 2 samples done, 0 skipped, 0 failed; 8 labels written" in r.out
    assert "img/s" in r.out
    values = dataset.values("sam3")
    assert [len(v.detections) for v in values[:2]] == [4, 4]
    assert values[2:] == [None, None, None]
    labels = {d.label for d in values[0].detections}
    assert labels == {"cat", "person"}
    assert all(d.mask is not None and d.mask.any() for d in values[0].detections)


def test_existing_field_needs_overwrite_or_skip_existing(cli, dataset):
    base = ("label", dataset.name, "--text", "cat", "--field", "sam3", *ANY2, *TINY)
    assert cli(*base, "--limit", "1").rc == 0
    first = dataset.first().sam3.detections[0].id

    r = cli(*base)
    assert r.rc == 2
    assert "already exists" in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert dataset.first().sam3.detections[0].id == first  # untouched

    r = cli(*base, "--skip-existing", "--limit", "2", "--json")
    assert r.rc == 0, r.err
    summary = json.loads(r.out)
    assert (summary["done"], summary["skipped"], summary["detections"]) == (1, 1, 2)
    assert dataset.first().sam3.detections[0].id == first

    r = cli(*base, "--overwrite", "--limit", "1", "--json")
    assert r.rc == 0 and json.loads(r.out)["done"] == 1
    assert dataset.first().sam3.detections[0].id != first


def test_box_field_with_tags_and_mask_files(cli, gt_dataset, tmp_path):
    ds = gt_dataset
    picked = ds.skip(1).limit(2)
    picked.tag_samples("pick")
    out_dir = tmp_path / "masks"
    r = cli("label", ds.name, "--box-field", "gt", "--tags", "pick", "--field", "ex",
            "--output-dir", out_dir, "--batch-size", "2", *ANY2, *TINY)
    assert r.rc == 0, r.err
    assert "ex: 2 samples done" in r.out
    assert ds.match_tags("pick").count("ex.detections") > 0
    assert ds.match_tags("pick", bool=False).count("ex") == 0
    dets = [d for v in picked.values("ex") for d in v.detections]
    assert all(d.mask is None and d.mask_path.startswith(str(out_dir)) for d in dets)
    assert {d.query for d in dets} <= {f"{d.label} [text+boxes]" for d in dets}


def test_saved_view(cli, dataset):
    dataset.save_view("first-one", dataset.limit(1))
    r = cli("label", dataset.name, "--view", "first-one", "--text", "cat", *ANY2, *TINY, "--json")
    assert r.rc == 0, r.err
    assert json.loads(r.out)["done"] == 1
    assert dataset.count("sam3") == 1

    r = cli("label", dataset.name, "--view", "nope", "--text", "cat", *TINY)
    assert r.rc == 2 and "no saved view 'nope'" in r.err and "first-one" in r.err


def test_unreadable_image_fails_that_sample_with_exit_code_1(cli, dataset, tmp_path):
    import fiftyone as fo

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    dataset.add_sample(fo.Sample(filepath=str(broken), tags=["mixed"]))
    first = dataset.first()
    first.tags.append("mixed")
    first.save()
    r = cli("label", dataset.name, "--tags", "mixed", "--text", "cat", *ANY2, *TINY)
    assert r.rc == 1
    assert "1 samples done, 0 skipped, 1 failed" in r.out
    assert "broken.jpg" in r.out


def test_usage_errors_exit_2_with_one_line(cli, dataset):
    cases = [
        (("label", dataset.name, *TINY), "give --text, --text-field, --box-field or --exemplars-view"),
        (("label", "no-such-dataset-xyz", "--text", "cat"), "dataset 'no-such-dataset-xyz' does not exist"),
        (("label", dataset.name, "--box-field", "missing", *TINY), "field 'missing' does not exist"),
        (("label", dataset.name, "--text", "cat", "--confidence", "2", *TINY), "confidence must be in [0, 1]"),
        (("label", dataset.name, "--text", "cat", "--limit", "0"), "--limit must be a positive integer"),
    ]
    for argv, message in cases:
        r = cli(*argv)
        assert r.rc == 2, (argv, r.err)
        assert message in r.err and "Traceback" not in r.err, r.err
        assert r.err.count("error:") == 1
    assert not dataset.has_field("sam3")

    r = cli("label", dataset.name, "--text", "cat", "--overwrite", "--skip-existing")
    assert r.rc == 2 and "not allowed with argument" in r.err  # argparse


def test_debug_shows_the_traceback(cli, dataset):
    r = cli("label", dataset.name, "--box-field", "missing", "--debug", *TINY)
    assert r.rc == 2
    assert "Traceback" in r.err and "field 'missing' does not exist" in r.err


def test_random_weights_note_in_text_and_json(cli, dataset):
    r = cli("label", dataset.name, "--text", "cat", "--limit", "1", "--json", *TINY)
    assert r.rc == 0, r.err
    notes = json.loads(r.out)["notes"]
    assert len(notes) == 1 and "meaningless" in notes[0] and "--confidence 0" in notes[0]
    r = cli("label", dataset.name, "--text", "cat", "--limit", "1", "--field", "other", *ANY2, *TINY)
    assert r.rc == 0 and "note: random weights" in r.out and "--confidence 0" not in r.out


def test_exemplars_view_and_everything_mode(cli, dataset):
    import fiftyone as fo

    ref = dataset.first()
    ref["examples"] = fo.Detections(detections=[fo.Detection(label="cat", bounding_box=[0.2, 0.2, 0.4, 0.4])])
    ref.save()
    dataset.save_view("refs", dataset.select(ref.id))
    r = cli("label", dataset.name, "--exemplars-view", "refs", "--exemplar-field", "examples", "--field", "like",
            "--confidence", "0", "--limit", "2", *TINY)
    assert r.rc == 0, r.err
    assert dataset.count("like.detections") > 0 and set(dataset.distinct("like.detections.label")) == {"cat"}
    r = cli("label", dataset.name, "--exemplars-view", "nope", "--exemplar-field", "examples", *TINY)
    assert r.rc == 2 and "no saved view 'nope'" in r.err
    r = cli("label", dataset.name, "--mode", "everything", "--text", "cat", *TINY)
    assert r.rc == 2 and "takes no prompts" in r.err
