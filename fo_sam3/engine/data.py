"""DataLoader pieces: decode and resize in workers (module-level, picklable)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch.utils.data import Dataset
from torchvision.transforms.v2 import functional as TF

from ..convert.boxes import rel_xywh_to_xyxy, xyxy_to_norm_cxcywh
from ..prompts.types import ImageTask
from .images import load_rgb

RESOLUTION = 1008


@dataclass
class LoadedImage:
    """A decoded image: ``pixels`` is uint8 (3, R, R); sizes are the original (upright) ones.

    ``boxes_xyxy[q]`` holds query q's exemplars in absolute pixels of the
    original image; ``boxes_cxcywh[q]`` the same normalised, as SAM3 reads them.
    """

    task: ImageTask
    height: int
    width: int
    pixels: torch.Tensor
    boxes_xyxy: list[np.ndarray] = field(default_factory=list)
    boxes_cxcywh: list[np.ndarray] = field(default_factory=list)


@dataclass
class LoadFailure:
    task: ImageTask
    reason: str


@dataclass
class ImageBatch:
    """Decoded images and the tasks that failed to load.

    ``pixels`` stacks the items' pixels (uint8, B x 3 x R x R); ``collate``
    builds it in the worker, and ``pin_memory`` lets the DataLoader pin it.
    """

    items: list[LoadedImage]
    failures: list[LoadFailure]
    stacked: torch.Tensor | None = None

    @property
    def pixels(self) -> torch.Tensor:
        if self.stacked is None:
            self.stacked = torch.stack([it.pixels for it in self.items])
        return self.stacked

    def pin_memory(self) -> "ImageBatch":
        if self.items:
            self.stacked = self.pixels.pin_memory()
        return self


def prepare(task: ImageTask, resolution: int = RESOLUTION, image=None) -> LoadedImage:
    """Decode one task's image (unless ``image`` is given) and put its box prompts
    in model coordinates."""
    image = load_rgb(task.filepath) if image is None else image
    width, height = image.size
    pixels = TF.resize(TF.to_image(image), [resolution, resolution])
    xyxy = [rel_xywh_to_xyxy(q.rel_boxes, width, height) for q in task.queries]
    cxcywh = [xyxy_to_norm_cxcywh(b, width, height) for b in xyxy]
    return LoadedImage(task, height, width, pixels, xyxy, cxcywh)


class TaskDataset(Dataset):
    """Map-style dataset over ``ImageTask``s; unreadable images become ``LoadFailure``s."""

    def __init__(self, tasks: list[ImageTask], resolution: int = RESOLUTION):
        self.tasks = tasks
        self.resolution = resolution

    def __len__(self) -> int:
        return len(self.tasks)

    def __getitem__(self, i: int):
        task = self.tasks[i]
        try:
            return prepare(task, self.resolution)
        except Exception as e:  # unreadable/corrupt/non-image: reported per sample
            return LoadFailure(task, f"could not read image: {type(e).__name__}: {e}")


def collate(items: list) -> ImageBatch:
    """Module-level collate function (picklable for spawn-mode workers)."""
    batch = ImageBatch(
        items=[it for it in items if isinstance(it, LoadedImage)],
        failures=[it for it in items if isinstance(it, LoadFailure)],
    )
    if batch.items:  # stack in the worker, not in the main thread
        batch.stacked = torch.stack([it.pixels for it in batch.items])
    return batch
