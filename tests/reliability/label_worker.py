"""A labeling process for the kill/resume and concurrency tests (run as a script)."""

import os
import sys

os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")


def main(name: str, field: str, tag: str | None) -> None:
    import fiftyone as fo

    import fo_sam3

    view = fo.load_dataset(name)
    if tag:
        view = view.match_tags(tag)
    model = fo_sam3.build_sam3("tiny", seed=0, device="cpu")
    summary = fo_sam3.segment(view, field, text=["cat", "person"], model=model, confidence=0.0,
                              topk_per_query=2, batch_size=1, write_batch=1, num_workers=0,
                              skip_existing=True, progress=False)
    print("SUMMARY", summary.done, summary.skipped, summary.failed, flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
