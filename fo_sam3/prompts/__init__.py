"""Prompts: sample fields to SAM3 queries."""

from .boxes import box_queries, clip_rel_box, is_positive
from .points import keypoint_points, rel_points_to_pixels
from .spec import PromptSpec, check_field
from .text import clean_texts, text_queries, texts_from_value
from .types import VISUAL, ImageTask, Query

__all__ = [
    "PromptSpec",
    "Query",
    "ImageTask",
    "VISUAL",
    "box_queries",
    "clip_rel_box",
    "is_positive",
    "keypoint_points",
    "rel_points_to_pixels",
    "check_field",
    "clean_texts",
    "text_queries",
    "texts_from_value",
]
