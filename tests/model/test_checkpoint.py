import pytest

from fo_sam3.model.checkpoint import (
    ENV_VAR,
    CheckpointNotFoundError,
    resolve_checkpoint,
    zoo_candidates,
)


def test_explicit_path_wins_over_env(tmp_path, monkeypatch):
    explicit, env = tmp_path / "a.pt", tmp_path / "b.pt"
    explicit.write_bytes(b"x")
    env.write_bytes(b"x")
    monkeypatch.setenv(ENV_VAR, str(env))
    assert resolve_checkpoint(explicit).path == explicit
    assert resolve_checkpoint(None).path == env
    assert resolve_checkpoint(None).source == "env"


def test_missing_explicit_path_is_an_error(tmp_path):
    with pytest.raises(CheckpointNotFoundError, match="does not exist"):
        resolve_checkpoint(tmp_path / "nope.pt")


def test_zoo_dir_is_used_after_env(tmp_path, monkeypatch):
    import fiftyone as fo

    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path))
    (tmp_path / "sam3.pt").write_bytes(b"x")
    got = resolve_checkpoint(None, hub=False)
    assert got.source == "zoo" and got.path == tmp_path / "sam3.pt"


def test_error_lists_everything_tried(tmp_path, monkeypatch):
    import fiftyone as fo

    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.pt"))
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path / "zoo"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CheckpointNotFoundError) as err:
        resolve_checkpoint(None)
    msg = str(err.value)
    assert str(tmp_path / "missing.pt") in msg
    for path in zoo_candidates():
        assert str(path) in msg
    assert "facebook/sam3" in msg and "FO_SAM3_CHECKPOINT" in msg


def test_random_is_explicit():
    got = resolve_checkpoint("random")
    assert got.path is None and got.source == "random"
