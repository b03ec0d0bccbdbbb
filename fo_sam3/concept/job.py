"""Concept mode as a ``Job`` for the runner: queries in, ``Detections`` out."""

from __future__ import annotations

from bson import ObjectId

from ..config import SegmentConfig
from ..convert.labels import box_and_mask
from ..engine.data import ImageBatch, LoadedImage
from ..prompts.spec import PromptSpec
from ..prompts.types import ImageTask, Query
from ..write.encode import detection_doc, detections_doc
from ..write.masks import MaskStore
from ..write.updates import Update
from .predictor import ConceptPredictor, Instance

CLEANED_NOTE = "masks smaller than min_area were removed entirely by clean-up and not written"


def instance_docs(item: LoadedImage, found: list[Instance], store: MaskStore, box_source: str,
                  config: SegmentConfig | None = None) -> list[dict]:
    """The ``Detection`` documents of one image's instances, in ``found`` order.

    Masks are cropped on the logits' device, all instances at once, cleaned
    (``config.cleanup``), and each is encoded (or written as a PNG) as soon
    as it reaches the host. Labels follow ``config.classes``. Instances that
    clean-up removes entirely are left out.

    Args:
        item: the image (its task's prompts are the ``Query``s that
            ``Instance.query`` indexes).
        found: its instances, as ``ConceptPredictor.predict`` returns them.
        store: where masks go (in the document, or PNG files).
        box_source: ``"mask"`` (the mask's tight box) or ``"model"`` (SAM3's box).
        config: the run's settings (defaults if ``None``).

    Returns:
        the ``Detection`` documents.
    """
    if not found:
        return []
    config = config or SegmentConfig()
    cleanup = config.cleanup
    sid, docs = item.task.sample_id, [None] * len(found)
    for k, cropped in store.crops([f.logits for f in found], item.height, item.width):
        inst, _id = found[k], ObjectId()
        query = item.task.prompts[inst.query]
        placed = box_and_mask(cropped, inst.box_xyxy, item.width, item.height, box_source)
        placed = store.clean(*placed, item.width, item.height, cleanup, tighten=box_source == "mask")
        if placed is None:
            continue
        box, mask = placed
        docs[k] = detection_doc(box, label=config.label_for(query.label), _id=_id, confidence=float(inst.score),
                                query=query.name, **store.store(mask, sid, _id))
    return [d for d in docs if d is not None]


class ConceptJob:
    """Concept mode for ``engine.runner.run``: a ``PromptSpec``'s queries per sample,
    ``ConceptPredictor`` on each batch, ``Detections`` per sample.

    Args:
        predictor: the ``ConceptPredictor`` (or ``ExemplarPredictor``).
        spec: which sample fields (or fixed texts) become queries.
    """

    def __init__(self, predictor: ConceptPredictor, spec: PromptSpec):
        self.predictor = predictor
        self.spec = spec
        self.fields = spec.fields

    def task(self, sample) -> ImageTask[Query]:
        """The sample's ``ImageTask``.

        Args:
            sample: a ``fiftyone.core.sample.Sample``.

        Returns:
            an ``ImageTask`` whose prompts are the sample's ``Query``s.
        """
        return self.spec.task(sample)

    def predict(self, batch: ImageBatch) -> list[list[Instance]]:
        """Every ``Instance`` of a decoded batch (``ConceptPredictor.predict``).

        Args:
            batch: the ``ImageBatch``; its tasks' prompts are ``Query``s.

        Returns:
            per item, its ``Instance``s, best first.
        """
        return self.predictor.predict(batch.pixels, batch.sizes, batch.prompts)

    def encode(self, item: LoadedImage, found: list[Instance], store: MaskStore) -> Update:
        """The sample's ``Detections`` update.

        Args:
            item: the image.
            found: its instances.
            store: where masks go.

        Returns:
            the ``Update``.
        """
        cfg = self.predictor.config
        docs = instance_docs(item, found, store, cfg.box_source, cfg)
        notes = [CLEANED_NOTE] if len(docs) < len(found) else []
        return Update(item.task.sample_id, value=detections_doc(docs), count=len(docs), notes=notes)
