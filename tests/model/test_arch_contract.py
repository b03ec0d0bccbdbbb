"""Our hand-built full architectures have exactly the weights of sam3's own builders.

Both sides are built on the meta device (no memory, no init). sam3's video
builder loads sam3.pt with ``strict=True``, so its state dict is sam3.pt's
key layout; sam3's image loader maps that layout (``detector.`` / ``tracker.``
prefixes) and drops the rest. Our loader must see the same, strictly.
"""

from __future__ import annotations

import pytest
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._device import _device_constructors

from fo_sam3.model import arch
from fo_sam3.model import builder as image_builder
from fo_sam3.model.compat import cuda_free_construction, release_global_autocast
from fo_sam3.model.vocab import find_vocab
from fo_sam3.video import builder as video_builder


class _Meta(TorchFunctionMode):
    """``torch.device("meta")``, except ``linspace`` (sam3's ViT calls ``.item()`` on it)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func in _device_constructors() and kwargs.get("device") is None and func is not torch.linspace:
            kwargs["device"] = "meta"
        return func(*args, **kwargs)


def _shapes(model: torch.nn.Module) -> dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.fixture(scope="module")
def built():
    """State-dict shapes of sam3's builders and ours (full size, meta device)."""
    import sam3.model_builder as mb

    bpe = str(find_vocab())
    common = dict(bpe_path=bpe, device="meta", load_from_HF=False, checkpoint_path=None)
    with _Meta(), cuda_free_construction("meta"):
        sam3_image = mb.build_sam3_image_model(**common)
        sam3_inst = mb.build_sam3_image_model(**common, enable_inst_interactivity=True)
        sam3_video = mb.build_sam3_video_model(**common)
        ours = {
            "image": image_builder._build_graph(arch.FULL, bpe, False),
            "instance": image_builder._build_graph(arch.FULL, bpe, True),
            "video": video_builder._build_graph(arch.FULL, bpe),
        }
    for tracker in (sam3_inst.inst_interactive_predictor.model, sam3_video.tracker):
        release_global_autocast(tracker)  # sam3 enters bf16 autocast for good
    sam3 = {"image": sam3_image, "instance": sam3_inst, "video": sam3_video}
    return {k: _shapes(m) for k, m in sam3.items()}, {k: _shapes(m) for k, m in ours.items()}


def _diff(got: dict, want: dict) -> list[str]:
    return sorted(set(got) ^ set(want)) + [k for k in got.keys() & want.keys() if got[k] != want[k]]


@pytest.mark.parametrize("kind", ["image", "instance", "video"])
def test_same_keys_and_shapes_as_sam3_builders(built, kind):
    sam3, ours = built
    assert len(ours[kind]) > 1000
    assert _diff(ours[kind], sam3[kind]) == []


def _sam3_image_loader(ckpt: dict, instance: bool) -> dict:
    """What ``sam3.model_builder._load_checkpoint`` hands ``load_state_dict(strict=False)``."""
    out = {k.replace("detector.", ""): v for k, v in ckpt.items() if "detector" in k}
    if instance:
        out.update({k.replace("tracker.", "inst_interactive_predictor.model."): v
                    for k, v in ckpt.items() if "tracker" in k})
    return out


@pytest.mark.parametrize("instance", [False, True])
def test_sam3_checkpoint_layout_loads_strictly(built, instance):
    sam3, ours = built
    sam3_pt = sam3["video"]  # loaded with strict=True by sam3's video builder
    kind = "instance" if instance else "image"
    mapped = image_builder.image_state(sam3_pt, instance)
    assert _diff(mapped, ours[kind]) == []
    # sam3's own loader fills every weight of its model and drops only what we drop
    theirs = _sam3_image_loader(sam3_pt, instance)
    assert set(sam3[kind]) <= set(theirs)
    assert set(theirs) - set(sam3[kind]) == set(image_builder.image_model_state(sam3_pt, instance)) - set(mapped)
