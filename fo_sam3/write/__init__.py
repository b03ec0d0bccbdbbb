"""Writing labels to sample fields."""

from .fields import prepare_output_field
from .mask_files import move_mask_to_file
from .writer import BulkWriter

__all__ = ["prepare_output_field", "move_mask_to_file", "BulkWriter"]
