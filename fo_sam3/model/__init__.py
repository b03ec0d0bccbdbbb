"""Model loading: architectures, checkpoints, CPU compatibility."""

from .builder import CheckpointMismatchError, build_sam3, default_device, init_empty_parameters
from .checkpoint import CheckpointNotFoundError, resolve_checkpoint, save_checkpoint
from .compat import cpu_forward, cuda_free_construction, import_sam3_quietly, needs_cpu_patches

__all__ = [
    "build_sam3",
    "default_device",
    "init_empty_parameters",
    "CheckpointMismatchError",
    "CheckpointNotFoundError",
    "resolve_checkpoint",
    "save_checkpoint",
    "cpu_forward",
    "cuda_free_construction",
    "import_sam3_quietly",
    "needs_cpu_patches",
]
