"""fo_sam3: SAM3 segmentation for FiftyOne datasets.

Data flow: ``prompts`` (sample fields to SAM3 queries) -> ``engine`` (batched
inference) -> ``convert`` (SAM3 outputs to FiftyOne labels) -> ``write``.
"""

from .api import segment
from .config import SegmentConfig
from .engine.summary import RunSummary
from .errors import FieldExistsError, FoSam3Error, PromptError, SampleError
from .model import build_sam3, resolve_checkpoint, save_checkpoint

__version__ = "0.1.0"


def load_model(**kwargs):
    """A FiftyOne model for ``dataset.apply_model(model, label_field, prompt_field=...)``."""
    from .fo_model import load_model as _load

    return _load(**kwargs)


def track(*args, **kwargs):
    """Track objects through videos into a frame field (see ``fo_sam3.video.track``)."""
    from .video import track as _track

    return _track(*args, **kwargs)


__all__ = [
    "segment",
    "track",
    "load_model",
    "build_sam3",
    "resolve_checkpoint",
    "save_checkpoint",
    "SegmentConfig",
    "RunSummary",
    "FoSam3Error",
    "PromptError",
    "FieldExistsError",
    "SampleError",
]
