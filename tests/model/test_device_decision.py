"""The model's device, not the machine, decides the CPU workarounds.

A CUDA machine is simulated (``torch.cuda.is_available`` says True; sam3's
tracker asks for bfloat16 support when built there) while the model is built
for and run on the CPU, as with ``device="cpu"`` next to a busy GPU.
"""

from __future__ import annotations

import torch
from PIL import Image

from fo_sam3.model import build_sam3, cpu_forward, needs_cpu_patches


def test_decision_follows_the_device(cuda_machine):
    assert needs_cpu_patches("cpu") and needs_cpu_patches(torch.device("meta"))
    assert not needs_cpu_patches("cuda") and not needs_cpu_patches("cuda:1")
    assert not needs_cpu_patches()  # no device given: the machine decides


def test_cpu_model_on_a_cuda_machine_builds_and_runs(cuda_machine, photo_paths):
    from sam3.model.sam3_image_processor import Sam3Processor

    model = build_sam3("tiny", seed=0, device="cpu", instance_interactive=True)
    assert not torch.is_autocast_enabled("cuda")
    proc = Sam3Processor(model, device="cpu", confidence_threshold=0.0)
    with cpu_forward(next(model.parameters()).device), torch.inference_mode():
        state = proc.set_image(Image.open(photo_paths[0]))
        out = proc.set_text_prompt("person", state)
        assert torch.isfinite(out["scores"]).all()
        out = proc.add_geometric_prompt([0.5, 0.5, 0.2, 0.3], True, state)  # pin_memory
        assert torch.isfinite(out["scores"]).all()
        masks, scores, _ = model.predict_inst(state, box=[40, 40, 300, 300], multimask_output=False)
    assert masks.shape[0] == 1 and scores.shape == (1,)
