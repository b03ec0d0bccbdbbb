"""DataLoader pieces: decode and resize in workers (module-level, picklable).

Every mode's model input is the same: the upright RGB image stretched to a
square of ``RESOLUTION`` pixels, as uint8 (3, R, R); prompts stay in the
original image's coordinates, with its (height, width) alongside.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.data import Dataset
from torchvision.transforms.v2 import functional as TF

from ..prompts.types import ImageTask
from .images import load_rgb

RESOLUTION = 1008


@dataclass
class LoadedImage:
    """A decoded image and the task it was decoded for.

    Args:
        task: the ``ImageTask``.
        height: the original (upright) image height in pixels.
        width: the original (upright) image width in pixels.
        pixels: uint8 (3, R, R): the image stretched to the model's input.
    """

    task: ImageTask
    height: int
    width: int
    pixels: torch.Tensor


@dataclass
class LoadFailure:
    """A task whose image could not be read.

    Args:
        task: the ``ImageTask``.
        reason: why, as ``Type: message``.
    """

    task: ImageTask
    reason: str


@dataclass
class ImageBatch:
    """Decoded images and the tasks that failed to load.

    ``pixels`` stacks the items' pixels (uint8, B x 3 x R x R); ``collate``
    builds it in the worker, and ``pin_memory`` lets the DataLoader pin it.
    ``sizes`` and ``prompts`` are the other two arguments of the predictors'
    ``predict``.

    Args:
        items: the decoded images.
        failures: the tasks that failed to load.
        stacked: the stacked pixels, if already built.
    """

    items: list[LoadedImage]
    failures: list[LoadFailure]
    stacked: torch.Tensor | None = None

    @property
    def pixels(self) -> torch.Tensor:
        """uint8 (B, 3, R, R) pixels of the items (B may be 0)."""
        if self.stacked is None:
            stack = [it.pixels for it in self.items]
            empty = torch.zeros((0, 3, RESOLUTION, RESOLUTION), dtype=torch.uint8)
            self.stacked = torch.stack(stack) if stack else empty
        return self.stacked

    @property
    def sizes(self) -> list[tuple[int, int]]:
        """The original ``(height, width)`` of each item."""
        return [(it.height, it.width) for it in self.items]

    @property
    def prompts(self) -> list[tuple]:
        """The prompt records of each item's task."""
        return [it.task.prompts for it in self.items]

    def pin_memory(self) -> "ImageBatch":
        """Pins the stacked pixels (called by the DataLoader).

        Returns:
            this batch.
        """
        if self.items:
            self.stacked = self.pixels.pin_memory()
        return self


def image_pixels(image, resolution: int = RESOLUTION) -> torch.Tensor:
    """The model input of one image.

    Args:
        image: an upright RGB ``PIL.Image`` (see ``images.load_rgb``).
        resolution: the model's input size.

    Returns:
        uint8 (3, resolution, resolution): the image stretched to a square.
    """
    return TF.resize(TF.to_image(image), [resolution, resolution])


def read_image(path: str, resolution: int = RESOLUTION) -> tuple[torch.Tensor, tuple[int, int]]:
    """Decode one image file as the predictors take it.

    Args:
        path: the image file.
        resolution: the model's input size.

    Returns:
        ``(pixels, (height, width))``: uint8 (3, R, R) pixels
        (``image_pixels``) and the original upright size.
    """
    image = load_rgb(path)
    return image_pixels(image, resolution), (image.height, image.width)


def prepare(task: ImageTask, resolution: int = RESOLUTION, image=None) -> LoadedImage:
    """Decode one task's image.

    Args:
        task: the ``ImageTask``.
        resolution: the model's input size.
        image: the decoded image, if already at hand (else read from
            ``task.filepath``).

    Returns:
        the ``LoadedImage``.
    """
    image = load_rgb(task.filepath) if image is None else image
    width, height = image.size
    return LoadedImage(task, height, width, image_pixels(image, resolution))


class TaskDataset(Dataset):
    """Map-style dataset over ``ImageTask``s; unreadable images become ``LoadFailure``s.

    Args:
        tasks: the tasks.
        resolution: the model's input size.
    """

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
    """Module-level collate function (picklable for spawn-mode workers).

    Args:
        items: ``LoadedImage``s and ``LoadFailure``s.

    Returns:
        the ``ImageBatch``, its pixels stacked.
    """
    batch = ImageBatch(
        items=[it for it in items if isinstance(it, LoadedImage)],
        failures=[it for it in items if isinstance(it, LoadFailure)],
    )
    if batch.items:  # stack in the worker, not in the main thread
        batch.stacked = torch.stack([it.pixels for it in batch.items])
    return batch
