"""notebooks/curation.ipynb runs top to bottom (tiny random model), so it cannot rot."""

import json
import uuid
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "curation.ipynb"
MAX_COMMITTED_BYTES = 20_000


def _stdout(cells) -> str:
    return "".join(
        out.get("text", "") for cell in cells if cell.cell_type == "code"
        for out in cell.get("outputs", []) if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )


def test_curation_notebook_executes(tmp_path):
    import fiftyone as fo
    import nbformat
    from nbclient import NotebookClient

    assert NOTEBOOK.stat().st_size < MAX_COMMITTED_BYTES  # committed outputs stay small
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    name = f"fo-sam3-curation-test-{uuid.uuid4().hex[:8]}"
    export, plot = tmp_path / "coco", tmp_path / "pr.png"
    params[0].source = (f'CHECKPOINT = "random"\nDATASET = "{name}"\n'
                        f'PHOTO_DIR = r"{tmp_path / "photos"}"\nEXPORT_DIR = r"{export}"\nPLOT_PATH = r"{plot}"\n')
    try:
        NotebookClient(nb, kernel_name="python3", timeout=900,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        if fo.dataset_exists(name):
            fo.delete_dataset(name)
    text = _stdout(nb.cells)
    assert "RANDOM weights" in text
    # clean-up on, and a per-prompt threshold that no cup reaches: 5 prompts x top 2 x 6 photos, less the cups
    assert "sam3: 6 samples done, 0 skipped, 0 failed; 48 labels written" in text
    labeled = _stdout([c for c in nb.cells if 'count_values("sam3.detections.label")' in c.source])
    assert "'person': 12" in labeled and "cup" not in labeled
    assert "{'bad': " in text and "\n{}\n" in text  # tagged, then replaced by the re-run
    assert "sam3_gt: 6 samples done, 0 skipped, 0 failed; 10 labels written" in text
    assert "sam3_gt vs gt (mask IoU" in text and "sam3 vs gt (mask IoU" in text
    assert "class                        AP precision recall support" in text and "\nmAP " in text
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert any("image/png" in out.get("data", {}) for c in nb.cells for out in c.get("outputs", []))
    coco = json.loads((export / "labels.json").read_text())
    assert len(coco["images"]) == 6 and len(coco["annotations"]) == 10
    assert all(a["segmentation"]["counts"] for a in coco["annotations"])  # RLE masks
