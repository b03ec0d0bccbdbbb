"""Model loading: architectures, checkpoints, CPU compatibility."""

from .builder import build_sam3, default_device, init_empty_parameters
from .checkpoint import CheckpointNotFoundError, resolve_checkpoint, save_checkpoint
from .compat import cpu_forward, cuda_free_construction, import_sam3_quietly

import_sam3_quietly()

__all__ = [
    "build_sam3",
    "default_device",
    "init_empty_parameters",
    "CheckpointNotFoundError",
    "resolve_checkpoint",
    "save_checkpoint",
    "cpu_forward",
    "cuda_free_construction",
]
