"""fo_sam3: SAM3 segmentation for FiftyOne datasets.

Data flow: ``prompts`` (sample fields to SAM3 prompts) -> ``engine`` (the
runner, shared by every mode) driving a mode's predictor (``concept``,
``instance``, ``video``) -> ``convert`` (SAM3 outputs to FiftyOne labels) ->
``write`` (the output stage). The README's "Layout" section lists the packages.

Names are imported on first use, so ``import fo_sam3.cli`` (``fo-sam3 --help``)
does not load torch, FiftyOne or sam3.
"""

from __future__ import annotations

from .lazy import lazy_getattr
from .errors import (FieldExistsError, FoSam3Error, NotAVideoModelError, PromptError, SampleError, VideoFieldError,
                     VideoPromptError, VideoSampleError, VideoTrackError)

__version__ = "0.1.0"

_LAZY = {  # name -> submodule that defines it
    "segment": ".api",
    "refine": ".api",
    "SegmentConfig": ".config",
    "RunSummary": ".engine.summary",
    "build_sam3": ".model",
    "resolve_checkpoint": ".model",
    "save_checkpoint": ".model",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def load_model(**kwargs):
    """A FiftyOne model for ``dataset.apply_model(model, label_field, prompt_field=...)``.

    Args:
        **kwargs: see ``fo_sam3.fo_model.load_model``.

    Returns:
        a ``SAM3Model``.
    """
    from .fo_model import load_model as _load

    return _load(**kwargs)


def track(*args, **kwargs):
    """Track objects through videos into a frame field (see ``fo_sam3.video.track``).

    Args:
        *args / **kwargs: the arguments of ``fo_sam3.video.track``.

    Returns:
        the ``RunSummary``.
    """
    from .video import track as _track

    return _track(*args, **kwargs)


__all__ = ["segment", "refine", "track", "load_model", "build_sam3", "resolve_checkpoint",
           "save_checkpoint", "SegmentConfig", "RunSummary", "FoSam3Error", "PromptError",
           "FieldExistsError", "SampleError", "VideoTrackError", "VideoPromptError", "VideoFieldError",
           "VideoSampleError", "NotAVideoModelError"]
