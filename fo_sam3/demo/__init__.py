"""A one-command demo on real photos that installed packages ship."""

from .photos import BOXES, PHOTOS, TEXT_PROMPTS, build_dataset, detections, grabcut_mask, photo, write_photos
from .run import DEMO_NAME, ModelChoice, choose_model, run_demo

__all__ = [
    "BOXES",
    "PHOTOS",
    "TEXT_PROMPTS",
    "DEMO_NAME",
    "ModelChoice",
    "build_dataset",
    "choose_model",
    "detections",
    "grabcut_mask",
    "photo",
    "run_demo",
    "write_photos",
]
