"""Form pieces shared by the operators: field pickers, model and output settings.

Each ``add_*`` defines inputs on a ``types.Object`` and flags invalid values
(``prop.invalid`` + ``prop.error_message``), which FiftyOne reports as
validation errors both in the App and in ``execute_operator``.
"""

from __future__ import annotations

import fiftyone as fo
import fiftyone.operators.types as types

from . import checks
from .params import DEFAULT_BATCH_SIZE, DEFAULT_CONFIDENCE, STORAGE, VARIANTS, path_param, str_param


def flag(prop, message: str | None):
    """Mark ``prop`` invalid with ``message`` (no-op when ``message`` is None)."""
    if message:
        prop.invalid = True
        prop.error_message = message
    return prop


def add_field_picker(inputs, ctx, name, label, description, doc_types, frames=False, required=True):
    """A dropdown offering only fields of ``doc_types``; flags a missing/wrong field."""
    samples = ctx.dataset
    choices = types.DropdownView()
    for field in checks.fields_of_type(samples, doc_types, frames=frames):
        choices.add_choice(field, label=field)
    prop = inputs.str(name, required=required, label=label, description=description, view=choices)
    value = str_param(ctx.params, name)
    if value is not None:
        flag(prop, checks.prompt_field_error(samples, value, doc_types, frames=frames))
    return value


def add_model_inputs(inputs, ctx):
    """Variant and checkpoint (default: ``$FO_SAM3_CHECKPOINT``, zoo dir, then the hub)."""
    inputs.enum(
        "variant", list(VARIANTS), default="full", label="Model variant",
        description="'full' is SAM3 as released; 'tiny' is a small random model for trying things out",
        view=types.DropdownView(),
    )
    prop = inputs.str(
        "checkpoint", required=False, label="Checkpoint",
        description="Path to sam3.pt. Empty: $FO_SAM3_CHECKPOINT, the model zoo dir, then the "
        "Hugging Face hub. 'random': random weights",
    )
    flag(prop, checks.checkpoint_error(str_param(ctx.params, "checkpoint")))


def add_output_inputs(inputs, ctx, prompt_fields=(), frames=False, masks=True, batch=True):
    """Output field (+ overwrite/skip existing), threshold, batch size, mask storage."""
    samples = ctx.dataset
    choices = types.AutocompleteView()
    for field in checks.fields_of_type(samples, (fo.Detections,), frames=frames):
        choices.add_choice(field, label=field)
    where = "frame field" if frames else "field"
    prop = inputs.str(
        "label_field", required=True, label="Output field",
        description=f"New or existing Detections {where} for the masks", view=choices,
    )
    inputs.bool("overwrite", default=False, label="Overwrite",
                description="Replace the output field's existing labels")
    inputs.bool("skip_existing", default=False, label="Skip existing",
                description="Only label samples whose output field is empty")
    params = ctx.params
    field = str_param(params, "label_field")
    if field is not None:
        flag(prop, checks.output_field_error(
            samples, field, bool(params.get("overwrite")), bool(params.get("skip_existing")),
            prompt_fields=prompt_fields, frames=frames,
        ))
    inputs.float("confidence", min=0.0, max=1.0, default=DEFAULT_CONFIDENCE, label="Threshold",
                 description="Keep objects scoring at least this (0 to 1): the concept score, or in "
                 "instance mode SAM's predicted IoU (sam_score)")
    if batch:
        inputs.int("batch_size", min=1, default=DEFAULT_BATCH_SIZE, label="Batch size",
                   description="Images per forward pass")
    if masks:
        add_mask_storage(inputs, ctx)


def add_mask_storage(inputs, ctx):
    """Masks in the sample documents, or as PNGs under a directory (``mask_path``)."""
    radio = types.RadioGroup()
    radio.add_choice("document", label="In the dataset", description="Store masks in the labels")
    radio.add_choice("files", label="As files", description="Write PNGs and set each label's mask_path")
    inputs.enum("mask_storage", list(STORAGE), default="document", label="Mask storage", view=radio)
    if (ctx.params.get("mask_storage") or "document") != "files":
        return
    value = ctx.params.get("output_dir")
    kwargs = dict(required=True, label="Mask directory", description="Directory for the mask PNGs")
    if isinstance(value, str):  # programmatic calls may pass a plain path
        prop = inputs.str("output_dir", **kwargs)
    else:
        view = types.FileExplorerView(choose_dir=True, button_label="Choose a directory...")
        prop = inputs.file("output_dir", view=view, **kwargs)
    if value is not None and path_param(value) is None:
        flag(prop, "choose a directory for the mask files")
