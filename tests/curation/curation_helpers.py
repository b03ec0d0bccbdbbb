"""Constants and helpers shared by the curation tests."""

from __future__ import annotations

PHOTOS = ("astronaut", "chelsea", "coffee")
PROMPTS = ["person", "cat", "cup"]
OUTPUTS = ["segmentation", "polylines", "rle"]
# Concept: top 2 per prompt and image, cleaned (the random model's masks are speckled).
CONCEPT = dict(text=PROMPTS, confidence=0.0, topk_per_query=2, fill_holes=True, min_area=0.01)
RUN = dict(num_workers=0, progress=False)


def full(det, sample):
    """A detection's full-image boolean mask, as FiftyOne renders it."""
    size = (sample.metadata.width, sample.metadata.height)
    return det.to_segmentation(frame_size=size, target=1).mask > 0
