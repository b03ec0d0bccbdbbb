"""``Sam3Operator``: the shared shell of the fo_sam3 operators.

Subclasses define their prompt inputs (``prompt_inputs``) and the library
call (``run``); this class adds the view target, model and output settings,
chooses immediate vs delegated execution, reports progress and reloads the App.
"""

from __future__ import annotations

import dataclasses

import fiftyone.core.utils as fou
import fiftyone.operators as foo
import fiftyone.operators.types as types

from . import forms
from .params import RunParams

DELEGATE_ABOVE = 8  # targets with more samples default to delegated execution
PROGRESS_EVERY_S = 2.0
HUB_TOKEN_SECRET = "HF_TOKEN"  # a FiftyOne plugin secret (fiftyone.yml)


class DelegatedProgress:
    """A FiftyOne progress callback that forwards to ``ctx.set_progress``."""

    def __init__(self, ctx, label: str):
        self.ctx = ctx
        self.label = label

    def __call__(self, pb) -> None:
        total = pb.total if pb.has_total else "?"
        label = f"{self.label}: {pb.iteration}/{total} samples"
        self.ctx.set_progress(progress=pb.progress, label=label)


def progress_for(ctx, label: str):
    """``segment(progress=...)``: ``ctx.set_progress`` when delegated, else the default bar."""
    if ctx.delegated:
        return fou.report_progress(DelegatedProgress(ctx, label), dt=PROGRESS_EVERY_S)
    return None


def with_hub_checkpoint(run_params: RunParams, ctx) -> RunParams:
    """With the plugin secret ``HF_TOKEN`` set, resolve (and download) the
    checkpoint with it; the token itself never leaves this call."""
    wants_hub = run_params.variant == "full" and run_params.checkpoint != "random"
    token = ctx.secrets.get(HUB_TOKEN_SECRET) if wants_hub else None
    if not token:
        return run_params
    from ..model.checkpoint import resolve_checkpoint

    path = resolve_checkpoint(run_params.checkpoint, token=token).path
    return dataclasses.replace(run_params, checkpoint=str(path))


class Sam3Operator(foo.Operator):
    """Base operator: subclasses set the class attributes and implement
    ``prompt_inputs`` and ``run``."""

    NAME = ""
    LABEL = ""
    DESCRIPTION = ""
    ACTION = "Segment"  # the view target's verb
    FRAMES = False  # output is a frame field
    MASK_FILES = True  # offers mask storage as files
    BATCHED = True  # offers a batch size
    SUMMARY = (("done", "Samples labeled"), ("skipped", "Skipped"),
               ("failed", "Failed"), ("detections", "Masks written"))  # shown after a run

    @property
    def config(self):
        return foo.OperatorConfig(
            name=self.NAME,
            label=self.LABEL,
            description=self.DESCRIPTION,
            dynamic=True,
            allow_immediate_execution=True,
            allow_delegated_execution=True,
            default_choice_to_delegated=True,
        )

    def resolve_execution_options(self, ctx):
        """Both modes; delegated by default unless the target is a few samples."""
        from fiftyone.operators.executor import ExecutionOptions

        try:
            small = len(ctx.target_view()) <= DELEGATE_ABOVE
        except Exception:  # no dataset yet
            small = False
        return ExecutionOptions(
            allow_immediate_execution=True,
            allow_delegated_execution=True,
            default_choice_to_delegated=not small,
        )

    def resolve_input(self, ctx):
        inputs = types.Object()
        inputs.view_target(ctx, action_description=self.ACTION)
        prompt_fields = self.prompt_inputs(ctx, inputs)
        forms.add_output_inputs(
            inputs, ctx, prompt_fields=prompt_fields, frames=self.FRAMES,
            masks=self.MASK_FILES, batch=self.BATCHED,
        )
        forms.add_model_inputs(inputs, ctx)
        return types.Property(inputs, view=types.View(label=self.LABEL))

    def prompt_inputs(self, ctx, inputs) -> list[str]:
        """Define the prompt inputs; return the prompt field names in use."""
        raise NotImplementedError

    def run(self, ctx, view, run_params: RunParams, progress):
        """Call the library; return its ``RunSummary``."""
        raise NotImplementedError

    def execute(self, ctx):
        view = ctx.target_view()
        run_params = with_hub_checkpoint(RunParams.from_params(ctx.params, delegated=ctx.delegated), ctx)
        summary = self.run(ctx, view, run_params, progress_for(ctx, self.LABEL))
        if not ctx.delegated:
            ctx.trigger("reload_dataset")
        return summary.as_dict()  # a RunSummary (images or video)

    def resolve_output(self, ctx):
        outputs = types.Object()
        for name, label in self.SUMMARY:
            outputs.int(name, label=label)
        return types.Property(outputs, view=types.View(label=f"{self.LABEL}: summary"))
