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
