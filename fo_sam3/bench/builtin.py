"""FiftyOne's built-in SAM3 model class, run on the benchmark's own model.

FiftyOne loads a model through an entry point it imports by name, so the
benchmark hands its model over through ``shared_model`` in ``ENTRYPOINT_MODULE``.
"""

from __future__ import annotations

import importlib

from .inputs import drop_field
from .methods import warm_up
from .timing import Timed

ENTRYPOINT_MODULE = "fo_sam3.bench.builtin"
_SHARED = None


def share_model(model) -> None:
    """Makes ``shared_model`` return ``model``.

    The model goes to ``ENTRYPOINT_MODULE`` as FiftyOne imports it, which is
    not this module when this one is a second copy (loaded from its file).

    Args:
        model: the model to hand to FiftyOne
    """
    importlib.import_module(ENTRYPOINT_MODULE)._SHARED = model


def shared_model(**_kwargs):
    """Entry point that hands FiftyOne's built-in wrapper the benchmark's model.

    Args:
        **_kwargs: the entry point arguments FiftyOne passes (unused)

    Returns:
        the model given to ``share_model``
    """
    if _SHARED is None:
        raise RuntimeError("no model to share: bench_builtin sets it before FiftyOne loads this entry point")
    return _SHARED


def bench_builtin(model, dataset, prompts, batch_size, workers, device, warmup: int = 1) -> Timed:
    """FiftyOne's ``segment-anything-3-image-torch`` model class, on the same weights.

    Args:
        model: a sam3 ``Sam3Image``
        dataset: the benchmark's dataset
        prompts: the text prompts (the model's classes)
        batch_size: images per forward pass
        workers: ``apply_model`` data-loader workers of the timed runs
        device: the model's torch device
        warmup: (1) the number of samples of the warm-up run

    Returns:
        a ``Timed``
    """
    import fiftyone.utils.sam3 as fosam3

    from fo_sam3.model import cpu_forward
    from fo_sam3.model.vocab import find_vocab

    share_model(model)
    config = fosam3.SegmentAnything3ImageModelConfig({
        "entrypoint_fcn": f"{ENTRYPOINT_MODULE}.shared_model",
        "entrypoint_args": {"bpe_path": str(find_vocab()), "checkpoint_path": "unused"},
        "confidence_thresh": 0.5,
        "classes": list(prompts),
        "operation_mode": "concept",
        "device": str(device),
    })
    builtin = fosam3.SegmentAnything3ImageModel(config)

    def apply(samples, field, **kwargs):
        with cpu_forward(device):
            samples.apply_model(builtin, field, batch_size=batch_size, progress=False, **kwargs)

    warm_up(apply, dataset, warmup)
    return Timed(len(dataset), lambda: apply(dataset, "bench_builtin", num_workers=workers),
                 after=lambda: drop_field(dataset, "bench_builtin"))
