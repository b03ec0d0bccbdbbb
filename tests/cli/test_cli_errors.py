"""A newcomer's first commands: fast ``--help``, quiet runs, one-line errors with exit code 2."""

import os
import subprocess
import sys
import time

import pytest

from cli_helpers import REPO
from cli_support import TINY

SCRIPT = os.path.join(os.path.dirname(sys.executable), "fo-sam3")
NOISE = ("Warning", "warnings.warn", "MongoDB")


def _script(*argv, env=None, timeout=300):
    start = time.monotonic()
    proc = subprocess.run([SCRIPT, *map(str, argv)], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=timeout)
    return proc, time.monotonic() - start


@pytest.mark.parametrize("argv", [("--help",), ("label", "--help"), ("label", "x", "--bogus")])
def test_help_and_usage_errors_are_fast_and_silent(argv):
    runs = [_script(*argv) for _ in range(3)]
    proc, _ = runs[-1]
    assert min(seconds for _, seconds in runs) < 1.0, [round(s, 2) for _, s in runs]
    if argv[-1] == "--help":
        assert proc.returncode == 0 and proc.stderr == "" and "usage: fo-sam3" in proc.stdout
    else:
        assert proc.returncode == 2 and proc.stderr.splitlines()[-1].startswith("fo-sam3")
        assert not any(word in proc.stderr for word in NOISE), proc.stderr


def test_help_imports_no_heavy_module():
    code = ("import sys; from fo_sam3.cli import main; main(['--help']); "
            "print(sorted(m for m in ('torch', 'fiftyone', 'sam3', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_a_run_prints_no_third_party_warnings_unless_debug(dataset):
    dataset.persistent = True  # seen by the subprocess; deleted by the fixture
    env = {k: v for k, v in os.environ.items() if k not in ("FIFTYONE_DATABASE_VALIDATION", "PYTHONWARNINGS")}
    base = ("label", dataset.name, "--text", "cat", "--limit", "1", *TINY)
    proc, _ = _script(*base, "--field", "quiet", env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    assert "random weights" in proc.stdout and "--confidence 0" in proc.stdout
    proc, _ = _script(*base, "--field", "loud", "--debug", env=env)
    assert proc.returncode == 0, proc.stderr
    assert "is deprecated" in proc.stderr or "CUDA is not available" in proc.stderr, proc.stderr


def _one_line_usage_error(r, *expected):
    assert r.rc == 2, r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err, r.err
    for text in expected:
        assert text in r.err, r.err


def test_checkpoint_and_device_errors_exit_2_with_one_line(cli, dataset, tmp_path):
    r = cli("label", dataset.name, "--text", "cat", "--checkpoint", tmp_path / "nope.pt")
    _one_line_usage_error(r, "does not exist", "--checkpoint random")
    corrupt = tmp_path / "sam3.pt"
    corrupt.write_bytes(b"extra bytes, not a checkpoint")
    r = cli("label", dataset.name, "--text", "cat", "--variant", "tiny", "--checkpoint", corrupt, "--no-progress")
    _one_line_usage_error(r, str(corrupt), "corrupt")
    r = cli("label", "no-such-dataset-xyz", "--text", "cat")
    _one_line_usage_error(r, "dataset 'no-such-dataset-xyz' does not exist")
    assert not dataset.has_field("sam3")


def test_cuda_without_cuda_is_a_usage_error(cli, dataset, monkeypatch):
    import torch

    # no machine has cuda:99, so the missing-device path runs wherever the tests run
    r = cli("label", dataset.name, "--text", "cat", "--device", "cuda:99", *TINY)
    if torch.cuda.is_available():
        _one_line_usage_error(r, "device 'cuda:99' does not exist", "CUDA device(s), cuda:0 to cuda:")
    else:
        _one_line_usage_error(r, "device 'cuda:99' is not available", "--device cpu", "leave out --device")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a machine without CUDA, GPU or not
    r = cli("label", dataset.name, "--text", "cat", "--device", "cuda", *TINY)
    _one_line_usage_error(r, "device 'cuda' is not available", "--device cpu", "leave out --device")
    assert not dataset.has_field("sam3")


def test_no_checkpoint_fails_fast_in_cli_words(cli, dataset, tmp_path, monkeypatch):
    import fiftyone as fo
    from huggingface_hub import constants

    for var in ("FO_SAM3_CHECKPOINT", "HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path / "zoo"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))
    start = time.monotonic()
    r = cli("label", dataset.name, "--text", "cat", "--no-progress")
    assert time.monotonic() - start < 3
    _one_line_usage_error(r, "No SAM3 checkpoint found", "--checkpoint /path/to/sam3.pt",
                          "FO_SAM3_CHECKPOINT=/path/to/sam3.pt", "--checkpoint random")
    assert "checkpoint='" not in r.err


def test_library_words_become_cli_words():
    from fo_sam3.cli.messages import cli_message

    assert cli_message("pass overwrite=True to replace it or skip_existing=True to label") == \
        "pass --overwrite to replace it or --skip-existing to label"
    assert cli_message("image samples (use fo_sam3.track for videos)") == "image samples (use fo-sam3 track for videos)"
    assert cli_message("confidence must be in [0, 1], got 2") == "--confidence must be in [0, 1], got 2"
    assert cli_message("num_workers must be >= 0") == "--workers must be >= 0"
