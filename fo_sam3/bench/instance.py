"""The instance-mode methods compared: sam3's ``predict_inst`` loop and
``fo_sam3.segment(mode="instance")``, on the same seeded boxes."""

from __future__ import annotations

from .inputs import BOX_FIELD
from .methods import sam3_scope, timed_segment
from .timing import Timed


def bench_instance_loop(model, paths, boxes, device, warmup: int = 1) -> Timed:
    """A per-image ``set_image`` + ``predict_inst`` loop over each image's boxes.

    Args:
        model: a sam3 ``Sam3Image`` built with ``instance_interactive=True``
        paths: the image paths
        boxes: one array of XYXY pixel boxes per image
        device: the model's torch device
        warmup: (1) the number of images of the warm-up run

    Returns:
        a ``Timed``
    """
    from PIL import Image
    from sam3.model.sam3_image_processor import Sam3Processor

    proc = Sam3Processor(model, device=str(device))

    def loop(images, image_boxes):
        with sam3_scope(device):
            for p, b in zip(images, image_boxes):
                state = proc.set_image(Image.open(p).convert("RGB"))
                model.predict_inst(state, box=b, multimask_output=False)

    loop(paths[:warmup], boxes[:warmup])
    return Timed(len(paths), lambda: loop(paths, boxes))


def bench_instance_fo_sam3(model, dataset, batch_size, workers, warmup: int = 1) -> Timed:
    """``fo_sam3.segment(mode="instance")`` on the ``BOX_FIELD`` boxes, end to end.

    Args:
        model: a sam3 ``Sam3Image`` built with ``instance_interactive=True``
        dataset: the benchmark's dataset, with boxes (see ``inputs.add_boxes``)
        batch_size: images per forward pass
        workers: image-decoding workers
        warmup: (1) the number of samples of the warm-up run

    Returns:
        a ``Timed`` whose result adds the number of detections
    """
    return timed_segment(dataset, "bench_inst", workers, warmup, lambda s: {"detections": s.detections},
                         mode="instance", box_field=BOX_FIELD, model=model, batch_size=batch_size,
                         progress=False)
