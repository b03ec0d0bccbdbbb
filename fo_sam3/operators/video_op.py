"""``track_video``: prompt SAM3 on a frame and track through the videos."""

from __future__ import annotations

import fiftyone as fo
import fiftyone.operators.types as types

from ..config import DIRECTIONS
from . import checks, forms
from .base import Sam3Operator
from .params import str_param

SOURCES = (("text", "Text", "Every instance of a concept"),
           ("labels", "Boxes / points", "Each frame-level Detection / Keypoint on the prompt frame is an object"))
LABEL_FIELDS = ("box_field", "point_field")


class TrackVideo(Sam3Operator):
    """Text, or frame-level boxes/keypoints on a prompt frame, tracked into a frame field."""

    NAME = "track_video"
    LABEL = "SAM3: track in videos"
    DESCRIPTION = "Track every instance of a text prompt, or prompted objects, through videos"
    ACTION = "Track in"
    UNIT = ("video", "videos")
    DONE = "tracked"
    RUNNING = "Tracking"
    BUTTON = ("SAM3: track", "track_changes")
    FRAMES = True
    MASK_FILES = False  # masks are stored in the frame labels
    BATCHED = False  # one video at a time
    SUMMARY = (("done", "Videos tracked"), ("skipped", "Skipped"),
               ("failed", "Failed"), ("frames", "Frames written"), ("detections", "Masks written"))

    def resolve_input(self, ctx):
        """The form on a video dataset; only an error on others (``Sam3Operator.resolve_input``).

        Args:
            ctx: the operator's execution context.

        Returns:
            the form's ``types.Property``.
        """
        error = checks.media_error(ctx.dataset, "video") if ctx.dataset is not None else None
        if error is None:
            return super().resolve_input(ctx)
        inputs = types.Object()  # nothing else to fill in on an image dataset
        forms.flag(inputs.view("media", types.Error(label=error)), error)
        return types.Property(inputs, view=types.View(label=self.LABEL, description=self.DESCRIPTION))

    def prompt_inputs(self, ctx, inputs):
        """Text, or frame-level box/point fields; the prompt frame and direction.

        Args:
            ctx: the operator's execution context.
            inputs: the form to add the prompt inputs to.

        Returns:
            the chosen frame-level prompt fields (``[]`` for text).
        """
        used: list[str] = []
        if forms.add_prompt_source(inputs, ctx, SOURCES, LABEL_FIELDS) == "text":
            prop = inputs.str("text", required=True, label="Text prompt",
                              description="One concept, e.g. 'person'")
            if ctx.params.get("text") is not None:
                forms.flag(prop, checks.text_error([str(ctx.params.get("text"))]))
        else:
            has_points = bool(str_param(ctx.params, "point_field"))
            boxes = forms.add_field_picker(
                inputs, ctx, "box_field", "Box frame field",
                "Frame-level Detections (required unless a point field is chosen)",
                (fo.Detections,), frames=True, required=not has_points,
            )
            points = forms.add_field_picker(
                inputs, ctx, "point_field", "Point frame field",
                "Frame-level Keypoints (sam_labels: 1 positive, 0 negative)",
                (fo.Keypoints,), frames=True, required=False,
            )
            used = [f for f in (boxes, points) if f]
        inputs.int("prompt_frame", min=1, default=1, label="Prompt frame", description="1-based frame number")
        inputs.enum("direction", list(DIRECTIONS), default=DIRECTIONS[0], label="Direction",
                    view=types.DropdownView())
        return used

    def run(self, ctx, view, run_params, progress):
        """``fo_sam3.track`` (``Sam3Operator.run``).

        Args:
            ctx: the operator's execution context (prompts, ``prompt_frame``
                (1-based), ``direction``).
            view: the videos to track.
            run_params: the output frame field and run settings.
            progress: a progress callback, or ``None``.

        Returns:
            the tracking ``RunSummary`` (with ``frames``).
        """
        from .. import track

        params = ctx.params
        if forms.prompt_source(params, SOURCES, LABEL_FIELDS) == "text":
            prompts = dict(text=str_param(params, "text"))
        else:
            prompts = dict(box_field=str_param(params, "box_field"),
                           point_field=str_param(params, "point_field"))
        return track(
            view, run_params.label_field, **prompts,
            prompt_frame=int(params.get("prompt_frame") or 1),
            direction=params.get("direction") or DIRECTIONS[0],
            confidence=run_params.confidence, overwrite=run_params.overwrite,
            skip_existing=run_params.skip_existing, progress=progress,
            **run_params.model_kwargs(), **run_params.cleanup_kwargs(),
        )
