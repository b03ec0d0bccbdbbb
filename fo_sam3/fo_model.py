"""FiftyOne ``Model`` for ``dataset.apply_model(model, label_field, prompt_field=...)``.

A thin shell: prompts, inference and conversion are the same ``Job`` objects
that ``fo_sam3.segment`` runs (which is the faster, pipelined path).
"""

from __future__ import annotations

import fiftyone as fo
import fiftyone.core.models as fom
import numpy as np
from PIL import Image

from .concept.job import ConceptJob
from .concept.predictor import ConceptPredictor
from .config import PROMPT_MODES as MODES, SegmentConfig
from .engine.data import ImageBatch, prepare
from .engine.images import to_rgb
from .errors import NoPromptError
from .model.cache import get_model
from .prompts.spec import PromptSpec
from .write.masks import ArrayMaskStore, labels_from_update


class SAM3Model(fom.Model, fom.SamplesMixin):
    """SAM3 as a FiftyOne model (image media; concept or instance mode).

    With ``prompt_field`` (passed to ``apply_model``), a ``Detections`` field
    gives box exemplars in concept mode (boxes to mask in instance mode), and
    a string/list/``Classification(s)`` field gives text. Without a prompt
    field, ``text`` is used for every image.
    """

    def __init__(self, mode="concept", text=None, model=None, checkpoint=None, variant=None,
                 device=None, text_hint=True, prompt_field=None, **kwargs):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}; got {mode!r}")
        fom.SamplesMixin.__init__(self)
        self.mode = mode
        self.text = text
        self.text_hint = text_hint
        self.seg_config, extra = SegmentConfig.from_kwargs(**kwargs)
        if mode == "concept" and extra:
            raise TypeError(f"unexpected arguments for concept mode: {', '.join(sorted(extra))}")
        self.extra = extra
        self.sam3 = get_model(model, checkpoint, variant, device, instance_interactive=(mode == "instance"))
        self._default_prompt_field = prompt_field
        self._jobs: dict = {}

    # FiftyOne Model interface
    media_type = "image"
    has_logits = False
    has_embeddings = False
    ragged_batches = True
    transforms = None

    @property
    def preprocess(self):
        return False

    @preprocess.setter
    def preprocess(self, value):
        pass

    @property
    def needs_fields(self):
        """A ``prompt_field`` given at load time is needed too: ``apply_model``
        (and the App's zoo operator) loads only these fields."""
        fields = dict(self._fields)
        defaults = {"prompt_field": getattr(self, "_default_prompt_field", None),
                    "point_field": getattr(self, "extra", {}).get("point_field")}
        for key, value in defaults.items():
            if value and key not in fields:
                fields[key] = value
        return fields

    @needs_fields.setter
    def needs_fields(self, fields):
        self._fields = fields

    @property
    def prompt_field(self):
        return self.needs_fields.get("prompt_field", self._default_prompt_field)

    def _job(self, sample):
        field = self.prompt_field
        point_field = self.needs_fields.get("point_field")
        if (field, point_field) in self._jobs:
            return self._jobs[(field, point_field)]
        if self.mode == "instance":
            from .instance.job import make_instance_job

            options = {k: v for k, v in self.extra.items() if k != "point_field"}
            job = make_instance_job(self.sam3, self.seg_config, field, point_field=point_field, **options)
        else:
            is_boxes = field is not None and isinstance(
                sample._dataset.get_field(field), fo.EmbeddedDocumentField
            ) and sample._dataset.get_field(field).document_type is fo.Detections
            spec = PromptSpec(
                text=None if field else self.text,
                text_field=None if is_boxes or not field else field,
                box_field=field if is_boxes else None,
                text_hint=self.text_hint,
            )
            job = ConceptJob(ConceptPredictor(self.sam3, self.seg_config), spec)
        self._jobs[(field, point_field)] = job
        return job

    def predict(self, arg, sample=None):
        """Segment one image (FiftyOne ``Model`` API).

        Args:
            arg: the image, an (H, W[, C]) array or a PIL image.
            sample: the image's sample, whose prompt field is read.

        Returns:
            the ``Detections`` (empty when the sample has no prompt).
        """
        return self.predict_all([arg], samples=[sample])[0]

    def predict_all(self, args, samples=None):
        """Segment a batch of images in one forward pass (FiftyOne ``Model`` API).

        Args:
            args: the images, as for ``predict``.
            samples: their samples, in the same order (required).

        Returns:
            one ``Detections`` per image (empty where a sample has no prompt).
        """
        if samples is None:
            raise ValueError("SAM3Model needs samples; use dataset.apply_model(model, ...)")
        items, slots = [], []
        out = [fo.Detections() for _ in args]
        for k, (arg, sample) in enumerate(zip(args, samples)):
            job = self._job(sample)
            try:
                task = job.task(sample)
            except NoPromptError:
                continue
            image = to_rgb(Image.fromarray(np.asarray(arg)))
            items.append(prepare(task, image=image))
            slots.append(k)
        if items:
            job = self._job(samples[0])
            results = job.predict(ImageBatch(items, []))
            store = ArrayMaskStore(self.seg_config.mask_threshold, self.seg_config.output_dir)
            for k, item, result in zip(slots, items, results):
                out[k] = labels_from_update(job.encode(item, result, store))
        return out


def load_model(**kwargs) -> SAM3Model:
    """Build a ``SAM3Model``; see its docstring and ``SegmentConfig`` for options.

    Args:
        **kwargs: the ``SAM3Model`` arguments and ``SegmentConfig`` settings.

    Returns:
        the ``SAM3Model``.
    """
    return SAM3Model(**kwargs)
