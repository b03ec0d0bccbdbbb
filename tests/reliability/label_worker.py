"""A labeling process for the kill/resume and concurrency tests (run as a script).

``label_worker.py DATASET FIELD [TAG] [--hold-after N]``: with ``--hold-after``,
once N samples are written the worker prints ``WRITTEN N`` and stops writing
(it waits in the output stage's write hook, before the next write) until it is
killed, so a test can kill it at a known point whatever the machine's speed.
"""

import argparse
import os
import threading

os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")
HOLD_S = 600  # a held worker that nobody kills exits after this long


def hold_after(n: int):
    """A ``_before_write`` hook: signal and wait for good once ``n`` samples are written."""
    written = 0

    def hook(ops):
        nonlocal written
        if written >= n:  # the ops of earlier calls are written (this stage writes one op per sample)
            print("WRITTEN", written, flush=True)
            threading.Event().wait(HOLD_S)
            os._exit(3)
        written += len(ops)

    return hook


def main(name: str, field: str, tag: str | None, hold: int | None) -> None:
    import fiftyone as fo

    import fo_sam3

    view = fo.load_dataset(name)
    if tag:
        view = view.match_tags(tag)
    model = fo_sam3.build_sam3("tiny", seed=0, device="cpu")
    summary = fo_sam3.segment(view, field, text=["cat", "person"], model=model, confidence=0.0,
                              topk_per_query=2, batch_size=1, write_batch=1, num_workers=0,
                              skip_existing=True, progress=False,
                              _before_write=None if hold is None else hold_after(hold))
    print("SUMMARY", summary.done, summary.skipped, summary.failed, flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("field")
    parser.add_argument("tag", nargs="?")
    parser.add_argument("--hold-after", type=int)
    args = parser.parse_args()
    main(args.name, args.field, args.tag, args.hold_after)
