"""Prompts: sample fields to SAM3 queries, and the one home of prompt rules
(boxes, points, polarity, text, the ``frames.`` prefix) that images, video,
the CLI and the App forms share."""

from .boxes import box_queries, clip_rel_box, is_positive
from .fields import FRAMES, frame_field
from .points import click_problem, keypoint_points, points_outside, polarity, rel_points_to_pixels
from .spec import PromptSpec, check_field, check_frame_field
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
    "FRAMES",
    "frame_field",
    "click_problem",
    "keypoint_points",
    "points_outside",
    "polarity",
    "rel_points_to_pixels",
    "check_field",
    "check_frame_field",
    "clean_texts",
    "split_prompt_text",
    "text_queries",
    "texts_from_value",
    "warn_long_texts",
]
