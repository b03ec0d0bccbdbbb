"""``fo-sam3 doctor``, ``demo``, ``bench`` and the console script itself."""

import json
import os
import shutil
import subprocess
import sys
import uuid

from cli_helpers import REPO

DOCTOR_ROWS = ("python", "torch", "sam3", "database", "bpe vocab", "ffmpeg", "checkpoint")


def test_doctor_reports_every_check(cli):
    r = cli("doctor")
    assert r.rc == 0, r.out
    rows = {line.split()[1] if not line.split()[1] == "bpe" else "bpe vocab": line
            for line in r.out.splitlines() if line.startswith("  ")}
    assert set(DOCTOR_ROWS) <= set(rows)
    assert "MongoDB" in rows["database"] and rows["database"].split()[0] == "ok"
    assert rows["bpe vocab"].split()[0] == "ok" and ".txt.gz" in rows["bpe vocab"]
    assert "fo-sam3 doctor: ready" in r.out


def test_doctor_without_checkpoint_says_none_found(cli, monkeypatch, tmp_path):
    import fiftyone as fo

    monkeypatch.delenv("FO_SAM3_CHECKPOINT", raising=False)
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path))
    r = cli("doctor")
    assert r.rc == 0
    line = next(line for line in r.out.splitlines() if " checkpoint " in line)
    assert line.split()[0] == "warn" and "none found" in line and "FO_SAM3_CHECKPOINT" in line

    fake = tmp_path / "sam3.pt"
    fake.write_bytes(b"")
    r = cli("doctor")
    line = next(line for line in r.out.splitlines() if " checkpoint " in line)
    assert line.split()[0] == "ok" and str(fake) in line


def test_doctor_checks_the_hub_quickly_when_a_token_is_set(monkeypatch, tmp_path):
    import socket
    import time

    import fiftyone as fo
    from huggingface_hub import constants

    from fo_sam3.doctor import check_checkpoint

    server = socket.socket()  # accepts connections, never answers
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    monkeypatch.delenv("FO_SAM3_CHECKPOINT", raising=False)
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_real_token")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
    start = time.monotonic()
    check = check_checkpoint()
    server.close()
    assert time.monotonic() - start < 3
    assert check.status == "warn" and "cannot be downloaded now (no answer from" in check.detail


def test_demo_model_choice(monkeypatch, tmp_path):
    import fiftyone as fo

    from fo_sam3.demo import choose_model

    monkeypatch.delenv("FO_SAM3_CHECKPOINT", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path))
    none = choose_model()
    assert (none.variant, none.checkpoint, none.random) == ("tiny", "random", True)
    assert "No SAM3 checkpoint was found" in none.note and "FO_SAM3_CHECKPOINT" in none.note
    forced = choose_model("random", variant="full")
    assert (forced.variant, forced.random) == ("full", True) and "No SAM3" not in forced.note

    (tmp_path / "sam3.pt").write_bytes(b"")
    found = choose_model(device="cpu")
    assert (found.variant, found.checkpoint, found.device, found.random) == ("full", str(tmp_path / "sam3.pt"), "cpu", False)


def test_doctor_fails_when_the_database_is_unreachable():
    """Also runs the installed ``fo-sam3`` console script, in a fresh process."""
    env = dict(os.environ, FIFTYONE_DATABASE_URI="mongodb://127.0.0.1:9/")
    script = os.path.join(os.path.dirname(sys.executable), "fo-sam3")
    proc = subprocess.run([script, "doctor"], capture_output=True, text=True, env=env, cwd=REPO, timeout=180)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "fail  database" in proc.stdout and "cannot reach" in proc.stdout
    assert "1 problem(s): database" in proc.stdout


def test_demo_on_random_weights_completes(cli, tmp_path):
    import fiftyone as fo

    name = f"fo-sam3-demo-test-{uuid.uuid4().hex[:8]}"
    try:
        r = cli("demo", "--checkpoint", "random", "--name", name, "--dir", tmp_path / "photos")
        assert r.rc == 0, r.err
        assert "RANDOM weights" in r.out and "meaningless" in r.out
        assert "sam3_text: 6 samples done, 0 skipped, 0 failed; 60 labels written" in r.out
        ds = fo.load_dataset(name)
        assert ds.persistent and len(ds) == 6
        n_boxes = ds.count("boxes.detections")
        assert f"sam3_boxes: 6 samples done, 0 skipped, 0 failed; {n_boxes} labels written" in r.out
        assert ds.count("sam3_boxes.detections") == n_boxes
        assert "note: random weights: masks and scores are meaningless" in r.out
        _next_steps_work_as_printed(r.out, name)

        r = cli("demo", "--checkpoint", "random", "--name", name, "--dir", tmp_path / "photos", "--json")
        assert r.rc == 0, r.err
        notes = [s["notes"] for s in json.loads(r.out)]
        assert all(any("random weights" in n for n in ns) for ns in notes), notes
    finally:
        if fo.dataset_exists(name):
            fo.delete_dataset(name)


def _next_steps_work_as_printed(out: str, name: str) -> None:
    """The printed commands run from this directory without an activated venv."""
    bin_dir = os.path.dirname(sys.executable)
    lines = out.splitlines()
    launch = next(line.split() for line in lines if f" app launch {name}" in line)
    assert os.path.samefile(shutil.which(launch[0]), os.path.join(bin_dir, "fiftyone"))
    label = next(line.strip() for line in lines if f" label {name} " in line)
    assert os.path.samefile(shutil.which(label.split()[0]), os.path.join(bin_dir, "fo-sam3"))
    assert "--confidence 0" in label and "--checkpoint random" in label
    env = {k: v for k, v in os.environ.items() if k != "PATH"} | {"PATH": "/usr/bin:/bin"}
    proc = subprocess.run(label + " --no-progress", shell=True, capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "mine: 6 samples done" in proc.stdout and " 0 labels written" not in proc.stdout
    assert any(line.strip().startswith("ln -s ") and "plugins_dir" in line for line in lines)


def test_bench_hands_its_arguments_to_fo_sam3_bench(cli):
    r = cli("bench", "--help")
    assert r.rc == 0 and "fo-sam3 bench" in r.out and "--images" in r.out
    r = cli("bench", "--variant", "huge")
    assert r.rc == 2 and "invalid choice" in r.err


def test_version_and_usage(cli):
    from fo_sam3 import __version__

    r = cli("--version")
    assert r.rc == 0 and r.out.strip() == f"fo-sam3 {__version__}"
    r = cli()
    assert r.rc == 2 and "label" in r.err and "doctor" in r.err
    r = cli("nope")
    assert r.rc == 2 and "invalid choice" in r.err
