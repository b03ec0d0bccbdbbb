"""The form that FiftyOne's "apply zoo model" operator shows for our zoo models.

Its values arrive as ``load_model`` keyword arguments (via ``remote_params``
and ``fo_sam3.zoo.parse_parameters``).
"""

from __future__ import annotations

import fiftyone as fo
import fiftyone.operators.types as types

from ..config import DEFAULT_CONFIDENCE, PROMPT_MODES
from . import checks, forms
from .image_ops import TEXT_TYPES
from .params import str_param, text_param

PARAMS_KEY = "remote_params"  # where the zoo operator nests this form's values
PROMPT_TYPES = {"concept": TEXT_TYPES, "instance": (fo.Detections, fo.Keypoints)}
MODE_CHOICES = dict(concept=("Concept", "Every instance of text or box exemplars"),
                    instance=("Instance", "One mask per box or keypoint object"))


def zoo_model_form(model_name: str, ctx):
    """The form of FiftyOne's "apply zoo model" operator for one of our models.

    Args:
        model_name: ``fo-sam3-image`` or ``fo-sam3-video``.
        ctx: the ``ExecutionContext``.

    Returns:
        a ``types.Property``.
    """
    inputs = types.Object()
    if model_name.endswith("video"):
        prop = inputs.view("video", types.Notice(label=(
            "fo-sam3-video tracks whole videos: use the @fo-sam3/sam3/track_video operator, "
            "or foz.load_zoo_model('fo-sam3-video').track(dataset, label_field, text=...)"
        )))
        forms.flag(prop, "fo-sam3-video is not applied per sample")
        return types.Property(inputs)
    params = ctx.params.get(PARAMS_KEY) or {}
    forms.add_radio(inputs, "mode", [(m, *MODE_CHOICES[m]) for m in PROMPT_MODES], "Mode")
    mode = params.get("mode") or "concept"
    text_prop = None
    if mode == "concept":
        text_prop = inputs.str("text", required=False, label="Text prompts",
                               description="Comma-separated; used when no prompt field is chosen")
    choices = types.DropdownView()
    for field in checks.fields_of_type(ctx.dataset, PROMPT_TYPES[mode]):
        choices.add_choice(field, label=field)
    field_prop = inputs.str("prompt_field", required=mode == "instance", label="Prompt field",
                            description="Boxes, keypoints (instance) or text labels (concept) per sample",
                            view=choices)
    inputs.float("confidence", min=0.0, max=1.0, default=DEFAULT_CONFIDENCE, label="Threshold")
    field = str_param(params, "prompt_field")
    if field:
        forms.flag(field_prop, checks.prompt_field_error(ctx.dataset, field, PROMPT_TYPES[mode]))
    elif text_prop is not None and PARAMS_KEY in ctx.params:
        forms.flag(text_prop, checks.text_error(text_param(params.get("text"))))
    return types.Property(inputs)
