"""Form pieces shared by the operators: field pickers, model and output settings.

Each ``add_*`` defines inputs on a ``types.Object`` and flags invalid values
(``prop.invalid`` + ``prop.error_message``), which FiftyOne reports as
validation errors both in the App and in ``execute_operator``.
"""

from __future__ import annotations

import fiftyone as fo
import fiftyone.operators.types as types

from ..config import DEFAULT_BATCH_SIZE, DEFAULT_CONFIDENCE, OUTPUTS, VARIANTS
from . import checks
from .params import path_param, str_param


def flag(prop, message: str | None):
    """Mark ``prop`` invalid with ``message`` (no-op when ``message`` is None).

    Args:
        prop: a ``types.Property`` of the form.
        message: what is wrong, or ``None``.

    Returns:
        ``prop``.
    """
    if message:
        prop.invalid = True
        prop.error_message = message
    return prop


def add_radio(inputs, name: str, choices, label: str, default=None):
    """A radio group whose value is one of ``choices``.

    Args:
        inputs: the form's ``types.Object``.
        name: the parameter.
        choices: ``(value, label, description)`` triples.
        label: the group's label.
        default: the value chosen by default (the first when ``None``).

    Returns:
        the ``types.Property``.
    """
    radio = types.RadioGroup()
    for value, text, description in choices:
        radio.add_choice(value, label=text, description=description)
    values = [c[0] for c in choices]
    return inputs.enum(name, values, default=values[0] if default is None else default, label=label, view=radio)


def prompt_source(params: dict, choices, fields) -> str:
    """Where an operator's prompts come from (its ``prompt_source`` parameter).

    Args:
        params: ``ctx.params``.
        choices: the ``(value, label, description)`` sources; the first is the
            default.
        fields: parameters that, when set without a ``prompt_source``, choose
            the second source (programmatic calls often name only a field).

    Returns:
        the source's value.
    """
    values = [c[0] for c in choices]
    source = params.get("prompt_source")
    if source in values:
        return source
    return values[1] if any(params.get(f) for f in fields) else values[0]


def add_prompt_source(inputs, ctx, choices, fields) -> str:
    """The "Prompts from" radio group (see ``prompt_source``).

    Args:
        inputs: the form's ``types.Object``.
        ctx: the ``ExecutionContext``.
        choices: the ``(value, label, description)`` sources.
        fields: parameters that choose the second source when set.

    Returns:
        the chosen source.
    """
    add_radio(inputs, "prompt_source", choices, "Prompts from")
    return prompt_source(ctx.params, choices, fields)


def add_field_picker(inputs, ctx, name, label, description, doc_types, frames=False, required=True):
    """A dropdown offering only fields of ``doc_types``; flags a missing/wrong field.

    Args:
        inputs: the form's ``types.Object``.
        ctx: the ``ExecutionContext``.
        name: the parameter.
        label: the dropdown's label.
        description: its help text.
        doc_types: accepted label classes.
        frames: offer frame fields.
        required: the field must be chosen.

    Returns:
        the chosen field, or ``None``.
    """
    samples = ctx.dataset
    choices = types.DropdownView()
    for field in checks.fields_of_type(samples, doc_types, frames=frames):
        choices.add_choice(field, label=field)
    prop = inputs.str(name, required=required, label=label, description=description, view=choices)
    value = str_param(ctx.params, name)
    if value is not None:
        flag(prop, checks.prompt_field_error(samples, value, doc_types, frames=frames))
    return value


TARGETS = {  # "3 samples {...} will be labeled"
    "SELECTED_SAMPLES": "selected",
    "CURRENT_VIEW": "in the current view",
    "BASE_VIEW": "in the base view",
    "DATASET": "in the dataset",
    "DATASET_VIEW": "in the dataset",
}


def target_of(ctx):
    """``(samples, "in the current view")``: what the form's view target will process.

    Before the App sends a choice it shows the most selective one (the selection,
    else the current view), so that is what is counted then.

    Args:
        ctx: the ``ExecutionContext``.

    Returns:
        ``(samples, where)``: the target and how the notice names it.
    """
    target = ctx.params.get("view_target") or ctx.request_params.get("view_target")
    view = ctx.target_view()
    if target is None:
        if ctx.selected:
            return view.select(ctx.selected), TARGETS["SELECTED_SAMPLES"]
        return view, TARGETS["CURRENT_VIEW" if ctx.has_custom_view else "DATASET"]
    return view, TARGETS.get(target, "in the target")


def add_target_notice(inputs, ctx, unit=("sample", "samples"), done: str = "labeled", background_above=None):
    """A line saying how many samples (or videos) the run will process; an error if none.

    Args:
        inputs: the form's ``types.Object``.
        ctx: the ``ExecutionContext``.
        unit: ``(singular, plural)`` of what is counted.
        done: what happens to them ("labeled").
        background_above: above this many, also say how to run in the background.

    Returns:
        the notice's ``types.Property``, or ``None`` before a dataset is open.
    """
    try:
        samples, where = target_of(ctx)
        count = len(samples)
    except Exception:  # no dataset yet (the App asks before one is open)
        return None
    if count == 0:
        message = f"No {_counted(unit[1], where)}: nothing to do"
        return flag(inputs.view("target_count", types.Error(label=message)), message)
    noun = unit[0] if count == 1 else unit[1]
    text = f"{count} {_counted(noun, where)} will be {done}"
    hint = None
    if background_above is not None and count > background_above:
        hint = "Large runs belong in the background: choose Schedule next to Execute, and start a worker with " \
               "`fiftyone delegated launch`."
        if not fo.config.allow_legacy_orchestrators:
            hint += " (Schedule needs the App started with FIFTYONE_ALLOW_LEGACY_ORCHESTRATORS=true.)"
    return inputs.view("target_count", types.Notice(label=text, description=hint))


def _counted(noun: str, where: str) -> str:
    return f"selected {noun}" if where == "selected" else f"{noun} {where}"


MODEL_CHOICES = (
    ("full", "SAM3 (full)", "The released model; needs sam3.pt"),
    ("tiny", "Tiny test model", "A small model for trying things out; random weights unless a checkpoint is given"),
)


TRIAL_CONFIDENCE = 0.34  # the trial model scores about 0.25 to 0.37: 0.5 would show no mask at all


def checkpoint_status(ctx) -> tuple[str | None, str | None]:
    """Where the full model's checkpoint would come from; looks only on this machine.

    No network while a form renders; memoized on ``ctx``.

    Args:
        ctx: the ``ExecutionContext``.

    Returns:
        ``(where the default checkpoint comes from, None)``, or ``(None, why the
        full model cannot run)``.
    """
    status = getattr(ctx, "_fo_sam3_checkpoint_status", None)
    if status is None:
        status = _checkpoint_status(ctx)
        ctx._fo_sam3_checkpoint_status = status
    return status


def _checkpoint_status(ctx) -> tuple[str | None, str | None]:
    from ..model import hub
    from ..model.checkpoint import CheckpointError, resolve_checkpoint

    try:
        found = resolve_checkpoint(None, hub=False)
    except CheckpointError:
        found = None
    if found is not None:
        where = {"env": "$FO_SAM3_CHECKPOINT", "zoo": "the model zoo dir", "hub": "the Hugging Face cache"}
        return f"{found.path} (from {where.get(found.source, found.source)})", None
    token = ctx.secrets.get("HF_TOKEN") if ctx.secrets else None
    if not token:
        try:
            from huggingface_hub import get_token

            token = get_token()
        except Exception:  # huggingface_hub missing or unconfigured
            token = None
    if token and not hub._offline():
        return f"a download of {hub.CKPT_NAME} from Hugging Face ({hub.HUB_REPO}) on the first run", None
    return None, (
        "No SAM3 checkpoint was found on this machine ($FO_SAM3_CHECKPOINT, the model zoo dir, "
        "the Hugging Face cache) and there is no Hugging Face token"
    )


def add_trial_warning(inputs, ctx):
    """Near the top of a form: a warning when the run would use the tiny random model.

    That is when no SAM3 checkpoint exists here (see ``add_model_inputs``).

    Args:
        inputs: the form's ``types.Object``.
        ctx: the ``ExecutionContext``.

    Returns:
        the warning's ``types.Property``, or ``None``.
    """
    _, missing = checkpoint_status(ctx)
    variant = ctx.params.get("variant") or ("tiny" if missing else "full")
    if not (missing and variant == "tiny" and str_param(ctx.params, "checkpoint") in (None, checks.RANDOM)):
        return None
    return inputs.view("model_warning", types.Warning(
        label="Trial model: the masks will be meaningless",
        description="There is no SAM3 checkpoint on this machine, so the tiny model with random weights "
        "is selected below. For real masks, set FO_SAM3_CHECKPOINT=/path/to/sam3.pt (or put sam3.pt in "
        "the model zoo dir) and restart the App, or set the plugin secret HF_TOKEN.",
    ))


def add_model_inputs(inputs, ctx):
    """Model and checkpoint. Without any SAM3 checkpoint here, the form defaults to the
    tiny random model (``add_trial_warning`` says so); choosing the full model then
    asks for a path. The choices are ``config.VARIANTS``.

    Args:
        inputs: the form's ``types.Object``.
        ctx: the ``ExecutionContext``.

    Returns:
        None.
    """
    source, missing = checkpoint_status(ctx)
    variant = ctx.params.get("variant") or ("tiny" if missing else "full")
    checkpoint = str_param(ctx.params, "checkpoint")
    choices = types.DropdownView()
    for value, label, description in MODEL_CHOICES:
        choices.add_choice(value, label=label, description=description)
    inputs.enum("variant", list(VARIANTS), default="tiny" if missing else "full", label="Model",
                view=choices)
    if variant == "full":
        empty = f"uses {source}" if source else "no checkpoint found, enter a path"
    else:
        empty = "random weights"
    prop = inputs.str(
        "checkpoint", required=False, label="Checkpoint",
        description=f"Path to a .pt file, or 'random' for random weights. Empty: {empty}",
    )
    error = checks.checkpoint_error(checkpoint)
    if error is None and variant == "full" and checkpoint is None and missing:
        error = f"{missing}: enter the path to sam3.pt, or choose the tiny test model"
    flag(prop, error)


def add_output_field(inputs, ctx, prompt_fields=(), frames=False):
    """Output field (+ overwrite / skip existing), flagged by the library's rules (``write.fields``).

    Args:
        inputs: the form's ``types.Object``.
        ctx: the ``ExecutionContext``.
        prompt_fields: the prompt fields in use, which the output may not be.
        frames: the output is a frame field.

    Returns:
        None.
    """
    samples = ctx.dataset
    choices = types.AutocompleteView()
    for field in checks.fields_of_type(samples, (fo.Detections,), frames=frames):
        choices.add_choice(field, label=field)
    where = "frame field" if frames else "field"
    prop = inputs.str(
        "label_field", required=True, label="Output field",
        description=f"Name of a new Detections {where} for the masks (or an existing one, with "
        "overwrite or skip existing)", view=choices,
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


def add_run_settings(inputs, ctx, threshold_help: str, masks=True, batch=True, outputs=True):
    """Threshold, batch size, mask storage, mask clean-up and extra output formats.

    Defaults are ``config.DEFAULT_CONFIDENCE`` and ``config.DEFAULT_BATCH_SIZE``.

    Args:
        inputs: the form's ``types.Object``.
        ctx: the ``ExecutionContext``.
        threshold_help: the threshold's help text.
        masks: offer mask storage as files.
        batch: offer a batch size.
        outputs: offer extra output formats.

    Returns:
        None.
    """
    trial = checkpoint_status(ctx)[1] is not None
    if trial:
        threshold_help += (f". {TRIAL_CONFIDENCE} here: the trial model's scores are low, "
                           f"and {DEFAULT_CONFIDENCE} would keep nothing")
    inputs.float("confidence", min=0.0, max=1.0, default=TRIAL_CONFIDENCE if trial else DEFAULT_CONFIDENCE,
                 label="Threshold", description=threshold_help)
    if batch:
        inputs.int("batch_size", min=1, default=DEFAULT_BATCH_SIZE, label="Batch size",
                   description="Images per forward pass (larger is faster on a GPU, if memory allows)")
    if masks:
        add_mask_storage(inputs, ctx)
    add_cleanup(inputs)
    if outputs:
        add_outputs(inputs)
    inputs.int("shards", min=1, default=1, label="Shards",
               description="Split the run into this many delegated operations over disjoint slices "
                           "of the samples (for several workers or GPUs; see `fo-sam3 worker`)")


def add_cleanup(inputs):
    """Mask clean-up, off by default (see ``fo_sam3.convert.cleanup``).

    Args:
        inputs: the form's ``types.Object``.

    Returns:
        None.
    """
    inputs.float("min_area", min=0.0, label="Drop mask pieces under (pixels)",
                 description="Below 1: a fraction of the box. Empty: keep every piece")
    inputs.bool("fill_holes", default=False, label="Fill holes in masks")
    inputs.bool("largest_component", default=False, label="Keep only the largest piece of each mask")


OUTPUT_LABELS = {"segmentation": "Also a semantic Segmentation (FIELD_seg)",
                 "polylines": "Also Polylines (FIELD_polylines)",
                 "rle": "Also COCO RLE in each detection's rle attribute"}


def add_outputs(inputs):
    """Extra output formats written next to the Detections field (``config.OUTPUTS``).

    Args:
        inputs: the form's ``types.Object``.

    Returns:
        None.
    """
    for kind in OUTPUTS[1:]:
        inputs.bool(f"output_{kind}", default=False, label=OUTPUT_LABELS[kind])


def add_mask_storage(inputs, ctx):
    """Masks in the sample documents, or as PNGs under a directory (``mask_path``).

    Args:
        inputs: the form's ``types.Object``.
        ctx: the ``ExecutionContext``.

    Returns:
        None.
    """
    add_radio(inputs, "mask_storage", (
        ("document", "In the dataset", "Store masks in the labels"),
        ("files", "As files", "Write PNGs and set each label's mask_path"),
    ), "Mask storage")
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
