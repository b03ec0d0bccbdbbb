"""Plugin fixtures: this repository on FIFTYONE_PLUGINS_DIR, operator runner, prompt fields."""

from __future__ import annotations


import pytest

from plugin_helpers import PLUGIN


@pytest.fixture
def run_op(plugins_dir):
    """``run_op(name, dataset, view=None, delegate=False, **params)`` -> ExecutionResult."""
    import fiftyone.operators as foo

    def run(name, dataset, view=None, delegate=False, **params):
        ctx = dict(dataset=dataset, params=params, request_delegation=delegate)
        if view is not None:
            ctx["view"] = view
        return foo.execute_operator(f"{PLUGIN}/{name}", ctx=ctx)

    return run


@pytest.fixture
def boxes_dataset(dataset):
    """The photos with a ``boxes`` Detections field (two boxes on each image)."""
    import fiftyone as fo

    for sample in dataset.iter_samples(autosave=True):
        sample["boxes"] = fo.Detections(detections=[
            fo.Detection(label="thing", bounding_box=[0.1, 0.1, 0.4, 0.5]),
            fo.Detection(label="thing", bounding_box=[0.5, 0.3, 0.3, 0.4]),
        ])
        sample["tag_label"] = fo.Classification(label="cat")
    return dataset
