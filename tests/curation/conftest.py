"""One labeled dataset for the curation tests: real photos, tiny random models, every output."""

from __future__ import annotations

import uuid

import pytest
from curation_helpers import CONCEPT, OUTPUTS, PHOTOS, RUN


@pytest.fixture(scope="session")
def curated(photo_dir, tiny_model, tiny_inst_model):
    """3 photos with hand-drawn ``gt`` boxes, labeled into:

    - ``sam3``: concept mode, cleaned, with ``sam3_seg``, ``sam3_polylines`` and ``rle``;
    - ``inst``: instance mode on ``gt``, largest piece with holes filled, same outputs;
    - ``inst_raw``: instance mode without clean-up.
    """
    import fiftyone as fo

    import fo_sam3
    from fo_sam3.demo.photos import detections

    ds = fo.Dataset(f"fo-sam3-curation-{uuid.uuid4().hex[:10]}")
    ds.add_samples([fo.Sample(filepath=str(photo_dir / f"{n}.jpg"), photo=n, gt=detections(n)) for n in PHOTOS])
    ds.compute_metadata()
    summaries = {
        "sam3": fo_sam3.segment(ds, "sam3", model=tiny_model, output=OUTPUTS, **CONCEPT, **RUN),
        "inst": fo_sam3.segment(ds, "inst", mode="instance", box_field="gt", model=tiny_inst_model,
                                largest_component=True, fill_holes=True, output=OUTPUTS, **RUN),
        "inst_raw": fo_sam3.segment(ds, "inst_raw", mode="instance", box_field="gt", model=tiny_inst_model,
                                    **RUN),
    }
    ds.info["summaries"] = {k: s.as_dict() for k, s in summaries.items()}
    ds.save()
    yield ds
    if fo.dataset_exists(ds.name):
        ds.delete()

