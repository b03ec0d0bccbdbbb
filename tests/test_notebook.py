"""notebooks/curation.ipynb runs top to bottom (tiny random model), so it cannot rot."""

import json
import uuid
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "curation.ipynb"
MAX_COMMITTED_BYTES = 20_000


def _stdout(nb) -> str:
    return "".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
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
    export = tmp_path / "coco"
    params[0].source = (f'CHECKPOINT = "random"\nDATASET = "{name}"\n'
                        f'PHOTO_DIR = r"{tmp_path / "photos"}"\nEXPORT_DIR = r"{export}"\n')
    try:
        NotebookClient(nb, kernel_name="python3", timeout=900,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        if fo.dataset_exists(name):
            fo.delete_dataset(name)
    text = _stdout(nb)
    assert "RANDOM weights" in text
    assert "sam3: 6 samples done, 0 skipped, 0 failed; 60 labels written" in text
    assert "{'bad': " in text and "\n{}\n" in text  # tagged, then replaced by the re-run
    assert "sam3_gt: 6 samples done, 0 skipped, 0 failed; 10 labels written" in text
    assert "instance masks mAP" in text and "micro avg" in text
    coco = json.loads((export / "labels.json").read_text())
    assert len(coco["images"]) == 6 and len(coco["annotations"]) == 10
    assert all(a["segmentation"] for a in coco["annotations"])
