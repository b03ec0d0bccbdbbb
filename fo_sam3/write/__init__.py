"""Writing labels: field checks, mask encoding, and the output stage every mode shares."""

from .fields import declare_field, prepare_output_field
from .masks import MaskStore
from .stage import OutputStage
from .updates import Update

__all__ = ["declare_field", "prepare_output_field", "MaskStore", "OutputStage", "Update"]
