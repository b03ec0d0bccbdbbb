"""``Sam3Operator``: the shared shell of the fo_sam3 operators.

Subclasses define their prompt inputs (``prompt_inputs``) and the library
call (``run``); this class adds the view target, model and output settings,
chooses immediate vs delegated execution, reports progress and reloads the App.

Progress: a delegated run reports through ``ctx.set_progress`` (the runs
list shows it). An immediate run started from the App streams: ``execute``
returns a generator that runs the library call in a thread and yields the
App's ``set_progress`` messages, then the summary. An immediate run started
from Python (``execute_operator``) returns the summary dict directly.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import traceback

import fiftyone.core.utils as fou
import fiftyone.operators as foo
import fiftyone.operators.types as types

from ..scale.split import JOB
from . import forms
from .params import RunParams, str_param

logger = logging.getLogger(__name__)

DELEGATE_ABOVE = 8  # targets with more samples default to delegated execution
PROGRESS_EVERY_S = 2.0
STREAM_EVERY_S = 0.5  # how often an App run's progress bar may move
HUB_TOKEN_SECRET = "HF_TOKEN"  # a FiftyOne plugin secret (fiftyone.yml)


class DelegatedProgress:
    """A FiftyOne progress callback that forwards to ``ctx.set_progress``."""

    def __init__(self, ctx, label: str, unit: str = "samples"):
        self.ctx = ctx
        self.label = label
        self.unit = unit

    def __call__(self, pb) -> None:
        total = pb.total if pb.has_total else "?"
        label = f"{self.label}: {pb.iteration}/{total} {self.unit}"
        self.ctx.set_progress(progress=pb.progress, label=label)


def progress_for(ctx, label: str, unit: str = "samples"):
    """``segment(progress=...)``: ``ctx.set_progress`` when delegated, else the default bar.

    Args:
        ctx: the ``ExecutionContext``.
        label: what the progress line says.
        unit: what is counted.

    Returns:
        a FiftyOne progress callback, or ``None``.
    """
    if ctx.delegated:
        return fou.report_progress(DelegatedProgress(ctx, label, unit), dt=PROGRESS_EVERY_S)
    return None


def from_app(ctx) -> bool:
    """Whether the request came over HTTP from the App.

    The App names the operator in the request body; ``execute_operator`` in
    Python passes the URI separately.

    Args:
        ctx: the ``ExecutionContext``.

    Returns:
        True for an App request.
    """
    return bool(ctx.request_params.get("operator_uri"))


def with_hub_checkpoint(run_params: RunParams, ctx) -> RunParams:
    """With the plugin secret ``HF_TOKEN`` set, resolve (and download) the checkpoint with it.

    The token itself never leaves this call.

    Args:
        run_params: the run's settings.
        ctx: the ``ExecutionContext`` (its secrets).

    Returns:
        ``run_params``, with the downloaded checkpoint's path when one was fetched.
    """
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
    UNIT = ("sample", "samples")  # what the target holds
    DONE = "labeled"  # "3 samples in the current view will be labeled"
    RUNNING = "Segmenting"  # "Segmenting 3 samples with the tiny test model…"
    FRAMES = False  # output is a frame field
    MASK_FILES = True  # offers mask storage as files
    BATCHED = True  # offers a batch size
    BUTTON = None  # (label, icon): a button in the samples grid's actions
    SUMMARY = (("done", "Samples labeled"), ("skipped", "Skipped"),
               ("failed", "Failed"), ("detections", "Masks written"))  # shown after a run

    @property
    def config(self):
        """Dynamic, both execution modes, delegated by default, streamed in the App."""
        return foo.OperatorConfig(
            name=self.NAME,
            label=self.LABEL,
            description=self.DESCRIPTION,
            dynamic=True,
            execute_as_generator=True,  # the App streams progress (see ``execute``)
            allow_immediate_execution=True,
            allow_delegated_execution=True,
            default_choice_to_delegated=True,
        )

    def resolve_placement(self, ctx):
        """A button in the samples grid's actions that opens this form.

        Args:
            ctx: the ``ExecutionContext``.

        Returns:
            a ``types.Placement``, or ``None`` (no button, or the other media type).
        """
        if self.BUTTON is None or ctx.dataset is None:
            return None
        if self.FRAMES != (ctx.dataset.media_type == "video"):
            return None  # video operators on video datasets, image ones on the others
        label, icon = self.BUTTON
        return types.Placement(
            types.Places.SAMPLES_GRID_ACTIONS,
            types.Button(label=label, icon=icon, prompt=True),
        )

    def resolve_run_name(self, ctx):
        """The name of a delegated run in the runs list: the label and the output field.

        Args:
            ctx: the ``ExecutionContext``.

        Returns:
            the name.
        """
        field = str_param(ctx.params, "label_field")
        return f"{self.LABEL} → {field}" if field else self.LABEL

    def resolve_execution_options(self, ctx):
        """Both modes; delegated by default unless the target is a few samples.

        Args:
            ctx: the ``ExecutionContext``.

        Returns:
            an ``ExecutionOptions``.
        """
        from fiftyone.operators.executor import ExecutionOptions

        try:
            small = len(forms.target_of(ctx)[0]) <= DELEGATE_ABOVE
        except Exception:  # no dataset yet
            small = False
        return ExecutionOptions(
            allow_immediate_execution=True,
            allow_delegated_execution=True,
            default_choice_to_delegated=not small,
        )

    def resolve_input(self, ctx):
        """The form: target, prompts (``prompt_inputs``), output field, model and run settings.

        Args:
            ctx: the ``ExecutionContext``.

        Returns:
            a ``types.Property``.
        """
        inputs = types.Object()
        inputs.view_target(ctx, action_description=self.ACTION)
        forms.add_target_notice(inputs, ctx, self.UNIT, self.DONE, background_above=DELEGATE_ABOVE)
        forms.add_trial_warning(inputs, ctx)
        prompt_fields = self.prompt_inputs(ctx, inputs)
        forms.add_output_field(inputs, ctx, prompt_fields=prompt_fields, frames=self.FRAMES)
        forms.add_model_inputs(inputs, ctx)
        forms.add_run_settings(inputs, ctx, self.threshold_help(ctx), masks=self.MASK_FILES,
                               batch=self.BATCHED, outputs=not self.FRAMES)
        return types.Property(inputs, view=types.View(label=self.LABEL, description=self.DESCRIPTION))

    def threshold_help(self, ctx) -> str:
        """The threshold's help text.

        Args:
            ctx: the ``ExecutionContext``.

        Returns:
            the text.
        """
        return "Keep objects scoring at least this (0 to 1; lower finds more, and more false ones)"

    def prompt_inputs(self, ctx, inputs) -> list[str]:
        """Define the prompt inputs.

        Args:
            ctx: the ``ExecutionContext``.
            inputs: the form's ``types.Object``.

        Returns:
            the prompt field names in use (the output field may not be one).
        """
        raise NotImplementedError

    def run(self, ctx, view, run_params: RunParams, progress):
        """Call the library.

        Args:
            ctx: the ``ExecutionContext``.
            view: the target samples.
            run_params: the run's settings.
            progress: a FiftyOne progress callback, or ``None``.

        Returns:
            the library's ``RunSummary``.
        """
        raise NotImplementedError

    def execute(self, ctx):
        """Run (or queue shards of) the operation.

        Args:
            ctx: the ``ExecutionContext``.

        Returns:
            the summary dict, or a generator of App messages for a streamed run.
        """
        from ..scale.claims import claim

        shards = int(ctx.params.get("shards") or 1)
        if shards > 1 and not ctx.params.get(JOB):  # split into delegated shard operations
            return self._queue_shards(ctx, shards)
        with claim(ctx) as shard:  # a sharded run: never the same shard twice at once
            if not shard.held:
                return shard.not_run()
            return self._execute(ctx)

    def _queue_shards(self, ctx, shards: int) -> dict:
        from ..scale.jobs import queue_shards

        params = {k: v for k, v in ctx.params.items() if k != "shards"}
        job = queue_shards(ctx.target_view(), self.NAME, params, shards)
        return dict(done=0, skipped=0, failed=0, detections=0,
                    notes=[f"queued job {job.job}: {len(job.op_ids)} shards of {sum(job.sizes)} samples; "
                           "run them with `fo-sam3 worker` or `fiftyone delegated launch`"])

    def _execute(self, ctx):  # noqa: D401 (one run, not sharded)
        view = ctx.target_view()
        run_params = RunParams.from_params(ctx.params, delegated=ctx.delegated)
        if not ctx.delegated and from_app(ctx):
            return self._stream(ctx, view, run_params)
        run_params = with_hub_checkpoint(run_params, ctx)
        summary = self.run(ctx, view, run_params, progress_for(ctx, self.LABEL, self.UNIT[1]))
        if not ctx.delegated:
            ctx.trigger("reload_dataset")
        return summary.as_dict()  # a RunSummary (images or video)

    def _stream(self, ctx, view, run_params):
        """Run in a thread; yield the App's progress bar while it runs, then the summary
        in the same place (``show_output``), or the error. Nothing goes to the run's
        result: the App would show its output form as well."""
        total = len(view)
        updates: queue.Queue = queue.Queue()
        outcome: dict = {}

        def report(pb):
            updates.put((pb.iteration, pb.total if pb.has_total else total))

        def work():
            try:
                params = with_hub_checkpoint(run_params, ctx)  # may download sam3.pt: not before the first message
                outcome["summary"] = self.run(ctx, view, params, fou.report_progress(report, dt=STREAM_EVERY_S))
            except Exception as e:  # reported to the App below
                outcome["error"] = e
                outcome["trace"] = traceback.format_exc()
            finally:
                updates.put(None)

        model = "SAM3" if run_params.variant == "full" else "tiny test"
        yield ctx.ops.set_progress(label=f"{self.RUNNING} {_count(total, self.UNIT)} with the {model} model…")
        thread = threading.Thread(target=work, name=f"fo-sam3-{self.NAME}", daemon=True)
        thread.start()
        finished = False
        while not finished:
            item, latest = updates.get(), None
            while True:  # coalesce: only the latest count is shown
                if item is None:
                    finished = True
                    break
                latest = item
                try:
                    item = updates.get_nowait()
                except queue.Empty:
                    break
            if latest is not None:
                done, of = latest
                yield ctx.ops.set_progress(label=f"{self.RUNNING}: {done} of {_count(of, self.UNIT)} {self.DONE}",
                                           progress=done / of if of else None)
        thread.join()
        if "error" in outcome:  # shown where the progress bar was; the trace goes to the server log
            e = outcome["error"]
            logger.error("%s failed:\n%s", self.uri, outcome["trace"])
            failed = types.Object()
            failed.view("error", types.Error(label=f"{self.LABEL} failed", description=f"{type(e).__name__}: {e}"))
            yield ctx.ops.show_output(types.Property(failed).to_json(), {})
            return
        yield ctx.trigger("reload_dataset")
        result = outcome["summary"].as_dict()
        yield ctx.ops.show_output(self.summary_view(result).to_json(), result)

    def summary_view(self, result: dict | None = None):
        """The summary of a run: a headline, the counts, and the first failures if any.

        Args:
            result: the summary dict, or ``None`` for the output form alone.

        Returns:
            a ``types.Property``.
        """
        outputs = types.Object()
        if result:
            field, seconds = result.get("field", ""), result.get("seconds", 0.0)
            headline = (f"Done in {seconds:.1f} s: {_count(result.get('done', 0), self.UNIT)} {self.DONE}"
                        + (f", field '{field}'" if field else ""))
            kind = types.Warning if result.get("failed") else types.Success
            outputs.view("headline", kind(label=headline))
        for name, label in self.SUMMARY:
            outputs.int(name, label=label)
        if result and result.get("failures"):
            lines = [f"{path}: {reason}" for _, path, reason in result["failures"][:5]]
            more = len(result["failures"]) - len(lines)
            if more > 0:
                lines.append(f"... and {more} more")
            outputs.view("first_failures", types.Error(label="Failed", description="\n".join(lines)))
        return types.Property(outputs, view=types.View(label=f"{self.LABEL}: summary"))

    def resolve_output(self, ctx):
        """The output form (``summary_view``).

        Args:
            ctx: the ``ExecutionContext``.

        Returns:
            a ``types.Property``.
        """
        return self.summary_view()


def _count(n: int, unit: tuple[str, str]) -> str:
    return f"{n} {unit[0] if n == 1 else unit[1]}"
