"""Peak-RSS probes run in fresh processes (run as a script; prints JSON)."""

import json
import os
import resource
import sys

os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def large_image(out_dir: str) -> dict:
    """150 instances on a 12000 x 6000 image, converted and written as mask PNGs."""
    import numpy as np
    import torch

    from fo_sam3.concept.predictor import Instance
    from fo_sam3.concept.job import instance_docs
    from fo_sam3.write import MaskStore
    from fo_sam3.engine.data import LoadedImage
    from fo_sam3.prompts import ImageTask, text_queries

    H, W, K = 6000, 12000, 150
    rng = np.random.default_rng(0)
    task = ImageTask("big", "big.jpg", tuple(text_queries(["thing"])))
    item = LoadedImage(task, H, W, torch.zeros((3, 8, 8), dtype=torch.uint8))
    found = []
    for _ in range(K):
        logits = torch.full((288, 288), -4.0)
        y, x = rng.integers(0, 250, 2)
        h, w = rng.integers(8, 38, 2)
        logits[y : y + h, x : x + w] = 4.0
        found.append(Instance(0, 0.9, np.array([0, 0, 10, 10.0]), logits))
    base = peak_mb()
    docs = instance_docs(item, found, MaskStore(output_dir=out_dir), "mask")
    pixels = sum(int(np.prod(np.asarray(d["bounding_box"][2:]) * [W, H])) for d in docs)
    return {"base_mb": base, "peak_mb": peak_mb(), "detections": len(docs),
            "mask_pixels": pixels, "files": sum(len(f) for _, _, f in os.walk(out_dir))}


def run_samples(name: str, n: int) -> dict:
    """Label the first ``n`` samples of dataset ``name`` with the tiny model."""
    import fiftyone as fo

    import fo_sam3

    view = fo.load_dataset(name).limit(n)
    model = fo_sam3.build_sam3("tiny", seed=0, device="cpu")
    fo_sam3.segment(view.limit(2), f"warm{n}", text=["cat"], model=model, num_workers=0, progress=False)
    base = peak_mb()
    summary = fo_sam3.segment(view, f"run{n}", text=["cat"], model=model, confidence=0.0, topk_per_query=2,
                              batch_size=4, num_workers=1, progress=False)
    return {"base_mb": base, "peak_mb": peak_mb(), "done": summary.done}


if __name__ == "__main__":
    kind = sys.argv[1]
    result = large_image(sys.argv[2]) if kind == "large" else run_samples(sys.argv[2], int(sys.argv[3]))
    print("RESULT " + json.dumps(result), flush=True)
