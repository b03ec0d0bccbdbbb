"""A one-command demo on real photos that installed packages ship.

Names load on first use: ``fo-sam3 --help`` reads ``DEMO_NAME`` without numpy or torch.
"""

from __future__ import annotations

import importlib

DEMO_NAME = "fo-sam3-demo"
_PHOTOS = ("BOXES", "PHOTOS", "TEXT_PROMPTS", "build_dataset", "detections", "grabcut_mask", "photo",
           "write_photos")
_RUN = ("ModelChoice", "choose_model", "run_demo", "next_steps")


def __getattr__(name: str):
    module = ".photos" if name in _PHOTOS else ".run" if name in _RUN else None
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


__all__ = ["DEMO_NAME", *_PHOTOS, *_RUN]
