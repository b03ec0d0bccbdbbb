import socket
import time

import pytest
import torch

from fo_sam3.model.checkpoint import (
    ENV_VAR,
    CheckpointError,
    CheckpointNotFoundError,
    CorruptCheckpointError,
    load_state,
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
        assert path.name in msg and path.parent.name in msg
    assert "HF_HUB_OFFLINE is set" in msg
    assert "facebook/sam3" in msg and "FO_SAM3_CHECKPOINT" in msg


def test_random_is_explicit():
    got = resolve_checkpoint("random")
    assert got.path is None and got.source == "random"


@pytest.fixture
def nothing_local(tmp_path, monkeypatch):
    """No checkpoint anywhere on disk, HF_HUB_OFFLINE unset, an empty Hugging Face cache."""
    import fiftyone as fo
    from huggingface_hub import constants

    for var in (ENV_VAR, "HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(fo.config, "model_zoo_dir", str(tmp_path / "zoo"))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))


@pytest.fixture
def silent_hub(monkeypatch):
    """A hub endpoint that accepts connections and never answers (a hanging network)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
    yield
    server.close()


def _time_to_error():
    start = time.monotonic()
    with pytest.raises(CheckpointNotFoundError) as err:
        resolve_checkpoint(None)
    return time.monotonic() - start, str(err.value)


def _two_lines_with_the_fixes(msg: str) -> None:
    searched, fix = msg.splitlines()
    assert "$FO_SAM3_CHECKPOINT (not set)" in searched and "the zoo dir" in searched
    assert "hub facebook/sam3" in searched
    for way in ("checkpoint='/path/to/sam3.pt'", "FO_SAM3_CHECKPOINT=", "checkpoint='random'"):
        assert way in fix


@pytest.mark.parametrize("token", [None, "hf_not_a_real_token"])
def test_no_checkpoint_fails_fast_without_network(nothing_local, monkeypatch, token):
    """This machine cannot reach huggingface.co: the error comes in under 3 s."""
    if token:
        monkeypatch.setenv("HF_TOKEN", token)
    seconds, msg = _time_to_error()
    assert seconds < 3, msg
    _two_lines_with_the_fixes(msg)
    assert ("no token" in msg) == (token is None)
    assert not token or token not in msg


def test_a_hub_that_never_answers_times_out_quickly(nothing_local, silent_hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_not_a_real_token")
    seconds, msg = _time_to_error()
    assert seconds < 3, msg
    assert "no answer from http://127.0.0.1:" in msg
    _two_lines_with_the_fixes(msg)


@pytest.mark.parametrize("content", [b"extra bytes, not a checkpoint", b"", "truncated", "list"])
def test_corrupt_checkpoint_is_a_checkpoint_error(tmp_path, content):
    path = tmp_path / "sam3.pt"
    if content == "truncated":
        torch.save({"model": {"detector.w": torch.ones(64, 64)}}, path)
        path.write_bytes(path.read_bytes()[:300])
    elif content == "list":
        torch.save([1, 2, 3], path)
    else:
        path.write_bytes(content)
    with pytest.raises(CorruptCheckpointError) as err:
        load_state(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, CheckpointError)


def test_a_good_checkpoint_loads(tmp_path):
    path = tmp_path / "sam3.pt"
    torch.save({"model": {"detector.w": torch.ones(2)}}, path)
    assert list(load_state(path)) == ["detector.w"]


def test_an_earlier_hub_download_is_used_offline(nothing_local, tmp_path, monkeypatch):
    repo = tmp_path / "hf-cache" / "models--facebook--sam3"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("abc123")
    snapshot = repo / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "sam3.pt").write_bytes(b"x")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    got = resolve_checkpoint(None)
    assert (got.source, got.path) == ("hub", snapshot / "sam3.pt")


def test_pickled_code_is_refused_without_suggesting_weights_only_false(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": {"detector.x": _Evil()}}, path)
    with pytest.raises(CorruptCheckpointError, match="pickled code") as err:
        load_state(path)
    assert "weights_only=False" not in str(err.value) and "\n" not in str(err.value)


class _Evil:
    def __reduce__(self):
        return (print, ("pwned",))
