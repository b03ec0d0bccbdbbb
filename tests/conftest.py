"""Shared fixtures: real FiftyOne datasets of real photos, and seeded tiny models."""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path

os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")
os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore", message=".*CUDA is not available.*")

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "motorcycle_left")


def photo_array(name: str) -> np.ndarray:
    import skimage.data

    if name == "motorcycle_left":
        return skimage.data.stereo_motorcycle()[0]
    return getattr(skimage.data, name)()


@pytest.fixture(scope="session")
def photo_dir(tmp_path_factory):
    """Real photos that scikit-image ships, written as JPEG files."""
    root = tmp_path_factory.mktemp("photos")
    for name in PHOTOS:
        Image.fromarray(photo_array(name)).convert("RGB").save(root / f"{name}.jpg", quality=95)
    return root


@pytest.fixture(scope="session")
def photo_paths(photo_dir):
    return [str(photo_dir / f"{name}.jpg") for name in PHOTOS]


@pytest.fixture
def dataset(photo_paths):
    """A fresh, non-persistent dataset of the real photos (deleted afterwards)."""
    import fiftyone as fo

    ds = fo.Dataset(f"fo-sam3-test-{uuid.uuid4().hex[:10]}")
    ds.add_samples([fo.Sample(filepath=p) for p in photo_paths])
    ds.compute_metadata()
    yield ds
    if fo.dataset_exists(ds.name):
        ds.delete()


@pytest.fixture(scope="session")
def tiny_model():
    from fo_sam3.model import build_sam3

    return build_sam3("tiny", seed=0, device="cpu")


@pytest.fixture(scope="session")
def tiny_inst_model():
    from fo_sam3.model import build_sam3

    return build_sam3("tiny", seed=0, device="cpu", instance_interactive=True)


@pytest.fixture
def cli(capsys):
    """``cli(*argv)`` runs ``fo-sam3 argv`` in this process; returns ``Result(rc, out, err)``."""
    from cli_support import Result
    from fo_sam3.cli import main

    def run(*argv) -> Result:
        capsys.readouterr()
        rc = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return Result(rc, out, err)

    return run


@pytest.fixture
def cuda_machine(monkeypatch):
    """A machine that reports CUDA (sam3's tracker asks for bf16 support when built there)."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)


@pytest.fixture(scope="session")
def plugins_dir(tmp_path_factory):
    """FiftyOne's plugins dir holding a symlink to this repository (a development install)."""
    import fiftyone as fo

    root = tmp_path_factory.mktemp("plugins")
    os.symlink(REPO, root / "fo-sam3")
    old = fo.config.plugins_dir
    fo.config.plugins_dir = str(root)
    yield root
    fo.config.plugins_dir = old
