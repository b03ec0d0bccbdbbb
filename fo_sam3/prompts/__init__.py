"""Prompts: sample fields to SAM3 queries, and the one home of prompt rules
(boxes, points, polarity, text) that images and video share."""

from .boxes import box_queries, clip_rel_box, is_positive
from .points import click_problem, keypoint_points, points_outside, polarity, rel_points_to_pixels
from .spec import PromptSpec, check_field
from .text import clean_texts, split_prompt_text, text_queries, texts_from_value, warn_long_texts
from .types import VISUAL, ImageTask, Query

__all__ = [
    "PromptSpec",
    "Query",
    "ImageTask",
    "VISUAL",
    "box_queries",
    "clip_rel_box",
    "is_positive",
    "click_problem",
    "keypoint_points",
    "points_outside",
    "polarity",
    "rel_points_to_pixels",
    "check_field",
    "clean_texts",
    "split_prompt_text",
    "text_queries",
    "texts_from_value",
    "warn_long_texts",
]
