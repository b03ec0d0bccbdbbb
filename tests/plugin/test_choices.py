"""Defaults and choices come from ``fo_sam3.config``: the library, the forms and the CLI agree."""

import pytest


def test_variants_and_directions_are_the_configs():
    from fo_sam3 import config
    from fo_sam3.model import arch
    from fo_sam3.operators import params
    from fo_sam3.video import TrackConfig

    assert tuple(arch.VARIANTS) == config.VARIANTS
    assert TrackConfig.direction in config.DIRECTIONS
    for direction in config.DIRECTIONS:
        TrackConfig(box_field="gt", direction=direction)
    with pytest.raises(ValueError, match="variant"):
        params.RunParams(label_field="out", variant="huge")
    defaults = params.RunParams(label_field="out")
    assert (defaults.confidence, defaults.batch_size) == (config.DEFAULT_CONFIDENCE, config.SegmentConfig.batch_size)


def test_the_track_form_offers_the_config_directions(plugins_dir, tmp_path):
    import uuid

    import fiftyone as fo
    import fiftyone.operators as foo
    from fiftyone.operators.executor import ExecutionContext
    from plugin_helpers import PLUGIN, write_clip

    from fo_sam3.config import DIRECTIONS

    ds = fo.Dataset(f"fo-sam3-test-{uuid.uuid4().hex[:10]}")
    try:
        ds.add_sample(fo.Sample(filepath=str(write_clip(tmp_path, 2))))
        ctx = ExecutionContext(request_params=dict(dataset_name=ds.name, params={}))
        form = foo.get_operator(f"{PLUGIN}/track_video").resolve_type(ctx, "inputs")
        assert tuple(form.type.properties["direction"].type.values) == DIRECTIONS
    finally:
        ds.delete()
