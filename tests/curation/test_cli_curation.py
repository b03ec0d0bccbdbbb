"""``fo-sam3 evaluate`` and ``fo-sam3 export``: output, exit codes (0 ok, 2 usage error).

The commands are built here with ``fo_sam3.cli.curation``'s ``add_*`` functions
and run through the CLI's own error guard, as ``fo_sam3.cli.main`` runs them.
"""

from __future__ import annotations

import argparse
import json

import pytest

from fo_sam3.cli import _guarded
from fo_sam3.cli.common import base_parser, collection_parser
from fo_sam3.cli.curation import add_evaluate, add_export


def cli(argv) -> int:
    parser = argparse.ArgumentParser(prog="fo-sam3")
    sub = parser.add_subparsers(dest="command")
    parents = [base_parser(), collection_parser()]
    add_evaluate(sub, parents)
    add_export(sub, parents)
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return e.code
    return _guarded(lambda: args.handler(args), False)


@pytest.fixture(scope="module")
def runs(curated):
    ds = curated.select_fields(["sam3", "gt"]).clone()
    ds.clone_sample_field("sam3", "truth")
    yield ds
    ds.delete()


def test_evaluate_prints_the_table(runs, capsys, tmp_path):
    png = tmp_path / "pr.png"
    assert cli(["evaluate", runs.name, "--pred-field", "sam3", "--gt-field", "truth", "--plot", str(png)]) == 0
    out = capsys.readouterr().out.splitlines()
    start = out.index("class                        AP precision recall support")
    assert out[start - 1].startswith("sam3 vs truth (mask IoU")
    assert out[start + 1] == "cat                       1.000     1.000  1.000       6"
    assert "mAP                       1.000" in out and out[-1] == f"PR curves: {png}"
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_evaluate_json(runs, capsys):
    assert cli(["evaluate", runs.name, "--pred-field", "sam3", "--gt-field", "truth", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["runs"][0]["mAP"] == pytest.approx(1.0) and data["runs"][0]["classes"][0]["label"] == "cat"


def test_export(runs, capsys, tmp_path):
    argv = ["export", runs.name, "--field", "sam3", "--export-dir", str(tmp_path), "--rle", "--no-media"]
    assert cli(argv) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == f"exported 18 labels (18 masks) of 3 samples as coco to {tmp_path}"
    assert json.loads((tmp_path / "labels.json").read_text())["annotations"][0]["segmentation"]["counts"]


@pytest.mark.parametrize("argv", [
    ["evaluate", "no-such-dataset", "--pred-field", "sam3", "--gt-field", "truth"],
    ["evaluate", "{ds}", "--pred-field", "nope", "--gt-field", "truth"],
    ["evaluate", "{ds}", "--pred-field", "sam3", "--gt-field", "gt"],  # no masks
    ["evaluate", "{ds}", "--pred-field", "sam3"],  # argparse: --gt-field is required
    ["export", "{ds}", "--field", "sam3", "--export-dir", "{tmp}", "--format", "voc"],
    ["export", "{ds}", "--field", "sam3", "--export-dir", "{tmp}", "--format", "cvat", "--rle"],
    ["export", "{ds}", "--field", "gt", "--export-dir", "{tmp}"],
])
def test_usage_errors_exit_2(runs, tmp_path, capsys, argv):
    argv = [a.format(ds=runs.name, tmp=tmp_path) for a in argv]
    assert cli(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("fo-sam3")


def test_labeling_flags_to_keyword_arguments():
    from fo_sam3.cli.common import UsageError
    from fo_sam3.cli.curation import cleanup_parser, confidence_arg, curation_kwargs, output_parser
    from fo_sam3.config import SegmentConfig

    parser = argparse.ArgumentParser(parents=[cleanup_parser(), output_parser()])
    args = parser.parse_args(["--min-area", "0.01", "--fill-holes", "--largest-component", "--output", "rle",
                              "polylines", "--tolerance", "1", "--classes", "red car=car, blue  car=car",
                              "--nms-across-prompts"])
    config, output = curation_kwargs(args)
    assert config == dict(min_area=0.01, fill_holes=True, largest_component=True, nms_across_prompts=True,
                          classes={"red car": "car", "blue car": "car"})
    assert output == dict(output=["rle", "polylines"], tolerance=1.0)
    assert SegmentConfig(nms_iou=0.5, **config).cleanup is not None
    assert curation_kwargs(parser.parse_args(["--fill-holes", "50"]))[0] == dict(fill_holes=50)
    assert curation_kwargs(parser.parse_args([])) == ({}, {})
    with pytest.raises(UsageError, match="polylines"):
        curation_kwargs(parser.parse_args(["--tolerance", "1"]))
    assert confidence_arg("0.4") == 0.4
    assert confidence_arg("person=0.3, default=0.5") == {"person": 0.3, "default": 0.5}
    with pytest.raises(SystemExit):
        parser.parse_args(["--classes", "car"])
