"""Image operators: text prompts, box prompts and point prompts to masks."""

from __future__ import annotations

import fiftyone as fo
import fiftyone.operators.types as types

from .. import segment
from ..config import PROMPT_MODES
from ..prompts.text import TEXT_FIELD_TYPES as _TEXT_LABELS
from . import checks, forms
from .base import Sam3Operator
from .params import str_param, text_param

TEXT_TYPES = _TEXT_LABELS + (str, list)  # as PromptSpec.validate accepts
INSTANCE_THRESHOLD = ("Keep masks whose predicted quality (SAM's IoU estimate, stored as sam_score) "
                      "is at least this (0 to 1)")
BOX_TYPES = (fo.Detections,)
POINT_TYPES = (fo.Keypoints,)
TEXT_SOURCES = (("text", "Text", "The same prompts for every sample"),
                ("field", "Field", "Each sample's labels or strings are its prompts"))
BOX_MODES = dict(concept=("Concept (exemplars)", "Find every object like each label's boxes"),
                 instance=("Instance", "One mask per box"))


class SegmentText(Sam3Operator):
    """Finds and segments every instance of each text prompt."""

    NAME = "segment_text"
    LABEL = "SAM3: segment from text"
    DESCRIPTION = "Auto-label the target samples with masks of every instance of your text prompts"
    BUTTON = ("SAM3: segment", "auto_fix_high")

    def prompt_inputs(self, ctx, inputs):
        """Fixed text prompts, or a field of them (``Sam3Operator.prompt_inputs``).

        Args:
            ctx: the operator's execution context.
            inputs: the form, to which the prompt source and text (or field
                picker) are added.

        Returns:
            ``[text_field]`` when prompts come from a field, else ``[]``.
        """
        if forms.add_prompt_source(inputs, ctx, TEXT_SOURCES, ("text_field",)) == "field":
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
        """``fo_sam3.segment`` in concept mode (``Sam3Operator.run``).

        Args:
            ctx: the operator's execution context (``text`` or ``text_field``).
            view: the samples to label.
            run_params: the output field and segment settings.
            progress: FiftyOne's progress callback, or ``None``.

        Returns:
            the ``RunSummary`` of the text run.
        """
        params = ctx.params
        if forms.prompt_source(params, TEXT_SOURCES, ("text_field",)) == "field":
            prompts = dict(text_field=str_param(params, "text_field"))
        else:
            prompts = dict(text=text_param(params.get("text")))
        return segment(view, run_params.label_field, progress=progress, **prompts,
                       **run_params.segment_kwargs())


class FieldPromptOperator(Sam3Operator):
    """An image operator prompted by one label field: ``PROMPT_FIELD`` is
    ``(parameter, label, description, label types)`` of its field picker."""

    PROMPT_FIELD = ("box_field", "Box field", "", BOX_TYPES)

    def prompt_inputs(self, ctx, inputs):
        """The prompt field picker.

        Args:
            ctx: the ``ExecutionContext``.
            inputs: the form's ``types.Object``.

        Returns:
            ``[the chosen field]``.
        """
        return [forms.add_field_picker(inputs, ctx, *self.PROMPT_FIELD)]


class SegmentBoxes(FieldPromptOperator):
    """Box field to masks: exemplars of a concept, or one mask per box."""

    NAME = "segment_boxes"
    LABEL = "SAM3: segment from boxes"
    DESCRIPTION = "Turn a Detections field into masks (concept exemplars or one mask per box)"
    PROMPT_FIELD = ("box_field", "Box field", "Detections prompts; a detection with sam_label=0 is a negative box",
                    BOX_TYPES)

    def prompt_inputs(self, ctx, inputs):
        """The box field, the mode and, in concept mode, exemplars from the selection.

        Args:
            ctx: the operator's execution context (its ``selected`` samples).
            inputs: the form to extend.

        Returns:
            ``[box_field]``.
        """
        fields = super().prompt_inputs(ctx, inputs)
        forms.add_radio(inputs, "mode", [(m, *BOX_MODES[m]) for m in PROMPT_MODES], "Mode")
        if (ctx.params.get("mode") or "concept") == "concept":
            inputs.bool("selected_as_exemplars", default=False, label="Exemplars from the selected samples",
                        description="Use the boxes of the selected samples as exemplars for the whole view "
                                    "(new; quality with the real weights is yet to be measured)")
            if ctx.params.get("selected_as_exemplars"):
                inputs.list("exemplar_ids", types.String(), default=list(ctx.selected or []),
                            view=types.HiddenView())  # survives delegation
                inputs.str("exemplar_label", label="Label",
                           description="One label for all exemplar boxes (default: one query per box label)")
        return fields

    def threshold_help(self, ctx):
        """SAM's predicted IoU in instance mode (``Sam3Operator.threshold_help``).

        Args:
            ctx: the operator's execution context (its ``mode`` parameter).

        Returns:
            the help text for the chosen mode.
        """
        if (ctx.params.get("mode") or "concept") == "instance":
            return INSTANCE_THRESHOLD
        return super().threshold_help(ctx)

    def run(self, ctx, view, run_params, progress):
        """``fo_sam3.segment`` with the boxes, or with exemplars (``Sam3Operator.run``).

        Args:
            ctx: the operator's execution context (``mode``, ``box_field``,
                exemplar choices).
            view: the images to segment.
            run_params: where the masks go, and how they are made.
            progress: a progress callback, or ``None``.

        Returns:
            the run's ``RunSummary``.

        Raises:
            ValueError: exemplars from the selection, but nothing selected.
        """
        mode = ctx.params.get("mode") or "concept"
        box_field = str_param(ctx.params, "box_field")
        if mode == "concept" and ctx.params.get("selected_as_exemplars"):
            ids = ctx.params.get("exemplar_ids") or list(ctx.selected or [])
            if not ids:
                raise ValueError("select the samples whose boxes are the exemplars")
            return segment(view, run_params.label_field, exemplars=ctx.dataset.select(ids),
                           exemplar_field=box_field, label=str_param(ctx.params, "exemplar_label"),
                           progress=progress, **run_params.segment_kwargs())
        return segment(view, run_params.label_field, box_field=box_field,
                       mode=mode, progress=progress, **run_params.segment_kwargs())


class SegmentPoints(FieldPromptOperator):
    """Keypoints to masks: one mask per ``Keypoint`` (instance mode)."""

    NAME = "segment_points"
    LABEL = "SAM3: segment from points"
    DESCRIPTION = "Turn a Keypoints field into masks, one per Keypoint (sam_labels: 1 positive, 0 negative)"
    PROMPT_FIELD = ("point_field", "Point field",
                    "Keypoints prompts; a per-point sam_labels attribute marks positive (1) and negative (0) points",
                    POINT_TYPES)

    def threshold_help(self, ctx):
        """SAM's predicted IoU (``Sam3Operator.threshold_help``).

        Args:
            ctx: the operator's execution context (unused).

        Returns:
            ``INSTANCE_THRESHOLD``.
        """
        return INSTANCE_THRESHOLD

    def run(self, ctx, view, run_params, progress):
        """``fo_sam3.segment`` in instance mode (``Sam3Operator.run``).

        Args:
            ctx: the operator's execution context (``point_field``).
            view: the images whose keypoints are segmented.
            run_params: the output field and settings of the run.
            progress: reports progress to the App, or ``None``.

        Returns:
            the ``RunSummary`` of the point run.
        """
        return segment(view, run_params.label_field, point_field=str_param(ctx.params, "point_field"),
                       mode="instance", progress=progress, **run_params.segment_kwargs())


class RefineMasks(Sam3Operator):
    """Re-segments each detection that has linked clicks, in place (``fo_sam3.refine``)."""

    NAME = "refine_masks"
    LABEL = "SAM3: refine masks with clicks"
    DESCRIPTION = "Fix masks with more clicks: each detection with linked Keypoints (same index) is re-segmented"
    ACTION = "Refine"
    DONE = "refined"
    RUNNING = "Refining"

    def resolve_input(self, ctx):
        """The masks and clicks to refine, in place: no output-field form (``Sam3Operator.resolve_input``).

        Args:
            ctx: the operator's execution context.

        Returns:
            the form, a ``types.Property``.
        """
        inputs = types.Object()
        inputs.view_target(ctx, action_description=self.ACTION)
        forms.add_target_notice(inputs, ctx, self.UNIT, self.DONE)
        forms.add_trial_warning(inputs, ctx)
        forms.add_field_picker(inputs, ctx, "label_field", "Masks to refine",
                               "A Detections field; each detection with linked clicks is refined in place", BOX_TYPES)
        forms.add_field_picker(inputs, ctx, "point_field", "Clicks",
                               "Keypoints with sam_labels (1 positive, 0 negative), linked by index", POINT_TYPES)
        forms.add_model_inputs(inputs, ctx)
        forms.add_mask_storage(inputs, ctx)
        return types.Property(inputs, view=types.View(label=self.LABEL, description=self.DESCRIPTION))

    def run(self, ctx, view, run_params, progress):
        """``fo_sam3.refine`` (``Sam3Operator.run``).

        Args:
            ctx: the operator's execution context (``point_field``).
            view: the images whose masks are refined.
            run_params: the masks' field (``label_field``) and the model
                settings (overwrite/skip settings and the threshold are dropped).
            progress: the progress callback, or ``None``.

        Returns:
            the ``RunSummary`` of the refinement.
        """
        from .. import refine

        kw = run_params.segment_kwargs()
        for k in ("overwrite", "skip_existing"):
            kw.pop(k)
        kw["confidence"] = None  # no threshold form here: keep every refined mask
        return refine(view, run_params.label_field, str_param(ctx.params, "point_field"), progress=progress, **kw)
