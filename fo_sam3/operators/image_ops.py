"""Image operators: text prompts, box prompts and point prompts to masks."""

from __future__ import annotations

import fiftyone as fo
import fiftyone.operators.types as types

from .. import segment
from ..prompts.text import TEXT_FIELD_TYPES as _TEXT_LABELS
from . import checks, forms
from .base import Sam3Operator
from .params import str_param, text_param

MODES = ("concept", "instance")
TEXT_TYPES = _TEXT_LABELS + (str, list)  # as PromptSpec.validate accepts
BOX_TYPES = (fo.Detections,)
POINT_TYPES = (fo.Keypoints,)


class SegmentText(Sam3Operator):
    """Finds and segments every instance of each text prompt."""

    NAME = "segment_text"
    LABEL = "SAM3: segment from text"
    DESCRIPTION = "Auto-label the target samples with masks of every instance of your text prompts"

    def prompt_inputs(self, ctx, inputs):
        radio = types.RadioGroup()
        radio.add_choice("text", label="Text", description="The same prompts for every sample")
        radio.add_choice("field", label="Field",
                         description="Each sample's labels or strings are its prompts")
        inputs.enum("prompt_source", ["text", "field"], default="text", label="Prompts from", view=radio)
        if _source(ctx.params) == "field":
            field = forms.add_field_picker(
                inputs, ctx, "text_field", "Text field",
                "A string, list of strings, Classification(s) or Detections field",
                TEXT_TYPES, required=True,
            )
            return [field]
        value = ctx.params.get("text")
        kwargs = dict(required=True, label="Text prompts",
                      description="Comma-separated, e.g. 'person, red car, dog'")
        if isinstance(value, list):  # programmatic calls may pass a list
            prop = inputs.list("text", types.String(), **kwargs)
        else:
            prop = inputs.str("text", **kwargs)
        if value is not None:
            forms.flag(prop, checks.text_error(text_param(value)))
        return []

    def run(self, ctx, view, run_params, progress):
        params = ctx.params
        if _source(params) == "field":
            prompts = dict(text_field=str_param(params, "text_field"))
        else:
            prompts = dict(text=text_param(params.get("text")))
        return segment(view, run_params.label_field, progress=progress, **prompts,
                       **run_params.segment_kwargs())


class SegmentBoxes(Sam3Operator):
    """Box field to masks: exemplars of a concept, or one mask per box."""

    NAME = "segment_boxes"
    LABEL = "SAM3: segment from boxes"
    DESCRIPTION = "Turn a Detections field into masks (concept exemplars or one mask per box)"

    def prompt_inputs(self, ctx, inputs):
        field = forms.add_field_picker(
            inputs, ctx, "box_field", "Box field",
            "Detections prompts; a detection with sam_label=0 is a negative box", BOX_TYPES,
        )
        radio = types.RadioGroup()
        radio.add_choice("concept", label="Concept (exemplars)",
                         description="Find every object like each label's boxes")
        radio.add_choice("instance", label="Instance", description="One mask per box")
        inputs.enum("mode", list(MODES), default="concept", label="Mode", view=radio)
        return [field]

    def run(self, ctx, view, run_params, progress):
        mode = ctx.params.get("mode") or "concept"
        return segment(view, run_params.label_field, box_field=str_param(ctx.params, "box_field"),
                       mode=mode, progress=progress, **run_params.segment_kwargs())


class SegmentPoints(Sam3Operator):
    """Keypoints to masks: one mask per ``Keypoint`` (instance mode)."""

    NAME = "segment_points"
    LABEL = "SAM3: segment from points"
    DESCRIPTION = "Turn a Keypoints field into masks, one per Keypoint (sam_labels: 1 positive, 0 negative)"

    def prompt_inputs(self, ctx, inputs):
        field = forms.add_field_picker(
            inputs, ctx, "point_field", "Point field",
            "Keypoints prompts; a per-point sam_labels attribute marks positive (1) and negative (0) points",
            POINT_TYPES,
        )
        return [field]

    def run(self, ctx, view, run_params, progress):
        return segment(view, run_params.label_field, point_field=str_param(ctx.params, "point_field"),
                       mode="instance", progress=progress, **run_params.segment_kwargs())


def _source(params) -> str:
    source = params.get("prompt_source")
    if source in ("text", "field"):
        return source
    return "field" if params.get("text_field") else "text"
