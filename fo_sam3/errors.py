"""Errors with messages that name the field and, where it applies, the sample."""


class FoSam3Error(Exception):
    """Base class for fo_sam3's user-facing errors."""


class PromptError(FoSam3Error, ValueError):
    """A prompt field is missing, of the wrong type, or unusable for a sample."""


class FieldExistsError(FoSam3Error, ValueError):
    """The output field exists and neither overwrite nor skip_existing was given."""


class SampleError(FoSam3Error):
    """A sample failed (unreadable image, bad prompt, ...); names the sample."""

    def __init__(self, sample_id: str, filepath: str, reason: str):
        super().__init__(f"sample {sample_id} ({filepath}): {reason}")
        self.sample_id = sample_id
        self.filepath = filepath
        self.reason = reason


class NoPromptError(PromptError):
    """A sample has nothing to prompt with (empty field): it is skipped, not failed."""


class VideoTrackError(FoSam3Error):
    """Base class for fo_sam3's video tracking errors."""


class VideoPromptError(VideoTrackError, PromptError):
    """A video prompt is missing on the chosen frame(s), malformed, or of the wrong type."""


class VideoFieldError(VideoTrackError, ValueError):
    """The output or a prompt frame field is unusable (exists, wrong type, not frame-level)."""


class NotAVideoModelError(VideoTrackError, TypeError):
    """Tracking was given a model that is not sam3's video model."""


class VideoSampleError(VideoTrackError):
    """One video failed; names the sample and the field."""

    def __init__(self, sample_id: str, filepath: str, field: str, reason: str):
        super().__init__(f"sample {sample_id} ({filepath}), field {field!r}: {reason}")
        self.sample_id = sample_id
        self.filepath = filepath
        self.field = field
        self.reason = reason


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is an out-of-memory error (GPU or host).

    Args:
        exc: the exception raised while processing a sample.

    Returns:
        True for ``torch.OutOfMemoryError``, ``MemoryError`` and messages
        that say the memory ran out.
    """
    import torch

    text = str(exc).lower()
    return isinstance(exc, (torch.OutOfMemoryError, MemoryError)) or "out of memory" in text \
        or "can't allocate memory" in text


def is_fatal(exc: BaseException) -> bool:
    """Whether ``exc`` is not one sample's fault and must stop the run.

    A lost or closed database connection, and CUDA errors other than out of
    memory (after one, the device is unusable). Everything else is recorded
    against the sample when ``skip_failures=True``.

    Args:
        exc: the exception raised while processing a sample.

    Returns:
        True when the run must stop.
    """
    if not isinstance(exc, Exception):
        return True  # KeyboardInterrupt, SystemExit
    from pymongo.errors import ConnectionFailure, InvalidOperation

    if isinstance(exc, (ConnectionFailure, InvalidOperation)):
        return True
    text = str(exc)
    return ("CUDA" in text or "cuda" in text or "cuDNN" in text) and not is_oom(exc)
