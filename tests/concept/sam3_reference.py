"""sam3's own documented APIs, used as references in parity tests."""

from __future__ import annotations

import numpy as np
import torch
from torchvision.transforms.v2 import functional as TF

from fo_sam3.model import cpu_forward


def processor_text(model, image, text: str, threshold: float):
    """``Sam3Processor.set_text_prompt``: (scores, boxes_xyxy, full-res bool masks)."""
    from sam3.model.sam3_image_processor import Sam3Processor

    proc = Sam3Processor(model, device="cpu", confidence_threshold=threshold)
    with cpu_forward():
        state = proc.set_image(image)
        out = proc.set_text_prompt(text, state)
    return out["scores"].numpy(), out["boxes"].numpy(), out["masks"][:, 0].numpy()


def datapoint_boxes(model, image, queries, threshold: float):
    """The batched Datapoint API + ``PostProcessImage`` for box queries on one image.

    ``queries``: list of (text, boxes_xyxy (N, 4) in original pixels, positive (N,)).
    Returns one (scores, boxes_xyxy, masks) triple per query.
    """
    from sam3.eval.postprocessors import PostProcessImage
    from sam3.train.data.collator import collate_fn_api
    from sam3.train.data.sam3_image_dataset import (
        Datapoint,
        FindQueryLoaded,
        InferenceMetadata,
    )
    from sam3.train.data.sam3_image_dataset import Image as SAMImage
    from sam3.train.transforms.basic_for_api import (
        ComposeAPI,
        NormalizeAPI,
        RandomResizeAPI,
    )

    w, h = image.size
    dp = Datapoint(find_queries=[], images=[SAMImage(data=TF.to_image(image), objects=[], size=[h, w])])
    for k, (text, boxes, positive) in enumerate(queries):
        dp.find_queries.append(
            FindQueryLoaded(
                query_text=text,
                image_id=0,
                object_ids_output=[],
                is_exhaustive=True,
                query_processing_order=0,
                input_bbox=torch.tensor(np.asarray(boxes), dtype=torch.float32),
                input_bbox_label=torch.tensor(np.asarray(positive), dtype=torch.bool),
                inference_metadata=InferenceMetadata(
                    coco_image_id=k + 1,
                    original_image_id=k + 1,
                    original_category_id=1,
                    original_size=[h, w],
                    object_id=0,
                    frame_index=0,
                ),
            )
        )
    transform = ComposeAPI(
        transforms=[
            RandomResizeAPI(sizes=1008, max_size=1009, square=True, consistent_transform=False, v2=True),
            NormalizeAPI(mean=[0.5] * 3, std=[0.5] * 3, v2=True),
        ]
    )
    batch = collate_fn_api([transform(dp)], dict_key="x")["x"]
    post = PostProcessImage(
        max_dets_per_img=-1,
        iou_type="segm",
        use_original_sizes_box=True,
        use_original_sizes_mask=True,
        convert_mask_to_rle=False,
        always_interpolate_masks_on_gpu=False,
        detection_threshold=threshold,
        to_cpu=True,
    )
    with cpu_forward(), torch.inference_mode():
        results = post.process_results(model(batch), batch.find_metadatas)
    out = []
    for k in range(len(queries)):
        r = results[k + 1]
        out.append((r["scores"].numpy(), r["boxes"].numpy(), r["masks"][:, 0].numpy()))
    return out
