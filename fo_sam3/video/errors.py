"""Video tracking errors; messages name the field and, where it applies, the sample."""

from ..errors import FoSam3Error


class VideoTrackError(FoSam3Error):
    """Base class for fo_sam3 video tracking errors."""


class VideoPromptError(VideoTrackError, ValueError):
    """A prompt is missing on the chosen frame(s), malformed, or of the wrong type."""


class VideoFieldError(VideoTrackError, ValueError):
    """The output or prompt field is unusable (exists, wrong type, not frame-level)."""


class VideoSampleError(VideoTrackError):
    """One sample failed; names the sample and the field."""

    def __init__(self, sample_id: str, filepath: str, field: str, reason: str):
        super().__init__(f"sample {sample_id} ({filepath}), field {field!r}: {reason}")
        self.sample_id = sample_id
        self.filepath = filepath
        self.field = field
        self.reason = reason
