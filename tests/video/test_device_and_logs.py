"""The video model's device decides the CPU workarounds; sam3's logs stay quiet; image models are refused."""

from __future__ import annotations

import io
import logging

import pytest
import torch
from video_clips import shapes_box

from fo_sam3.errors import NotAVideoModelError, VideoTrackError
from fo_sam3.model.compat import import_sam3_quietly
from fo_sam3.video import TrackConfig, build_sam3_video, track_video
from fo_sam3.video.builder import check_video_model
from fo_sam3.video.prompts import ObjectPrompt

LOW = dict(confidence=0.0, detection_threshold=0.1, new_track_threshold=0.1)


def _box_prompt():
    x, y, w, h = shapes_box(0)[0]
    return [ObjectPrompt(0, 1, "square", (x, y, x + w, y + h))]


def _track_boxes(model, path):
    # offload off: the device alone must keep the tracker's state off "cuda"
    cfg = TrackConfig(box_field="gt", offload_state_to_cpu=False, confidence=0.0)
    n, found = track_video(model, str(path), cfg, _box_prompt())
    assert n == 3 and sorted(found) == [1, 2, 3] and all(len(d) == 1 for d in found.values())


def test_cpu_video_model_built_and_run_on_a_cuda_machine(cuda_machine, short_mp4):
    model = build_sam3_video("tiny", seed=0, device="cpu")
    assert not torch.is_autocast_enabled("cuda")
    _track_boxes(model, short_mp4)


def test_run_time_workarounds_follow_the_model(video_model, short_mp4, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # after the build
    cfg = TrackConfig(text="red square", offload_state_to_cpu=False, **LOW)
    _, found = track_video(video_model, str(short_mp4), cfg)
    assert sorted(found) == [1, 2, 3]


@pytest.fixture
def sam3_stderr():
    """What sam3's own loggers (each with a stderr handler) write, captured."""
    out = io.StringIO()
    handlers = [h for name, log in logging.root.manager.loggerDict.items()
                if name.startswith("sam3") and isinstance(log, logging.Logger)
                for h in log.handlers if isinstance(h, logging.StreamHandler)]
    assert handlers, "sam3 no longer logs through its own handlers"
    saved = [h.stream for h in handlers]
    for h in handlers:
        h.stream = out
    yield out
    for h, stream in zip(handlers, saved):
        h.stream = stream


@pytest.fixture
def no_log_level(monkeypatch):
    """sam3 as fo_sam3 imports it without sam3's ``$LOG_LEVEL`` (which asks for sam3's logs),
    even if this session has it; sam3's logger levels are restored afterwards."""
    loggers = [log for name, log in list(logging.root.manager.loggerDict.items())
               if name.split(".")[0] == "sam3" and isinstance(log, logging.Logger)]
    levels = [log.level for log in loggers]
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    import_sam3_quietly()  # what importing fo_sam3 does when $LOG_LEVEL is unset
    yield
    for log, level in zip(loggers, levels):
        log.setLevel(level)


def test_a_video_run_prints_no_sam3_info(no_log_level, sam3_stderr, short_mp4):
    model = build_sam3_video("tiny", seed=0, device="cpu")  # sam3 logs max_num_objects at INFO
    track_video(model, str(short_mp4), TrackConfig(box_field="gt"), _box_prompt())
    assert "INFO" not in sam3_stderr.getvalue()


def test_sam3_log_level_is_kept_when_debugging(monkeypatch):
    log = logging.getLogger("sam3.model.sam3_video_base")
    monkeypatch.setattr(log, "level", logging.INFO)
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    import_sam3_quietly()
    assert log.level == logging.INFO
    monkeypatch.delenv("LOG_LEVEL")
    import_sam3_quietly()
    assert log.level == logging.WARNING


def test_an_image_model_is_refused_at_once(tiny_model, video_model, short_mp4):
    check_video_model(video_model)
    with pytest.raises(NotAVideoModelError, match="build_sam3_video.*Sam3Image") as err:
        check_video_model(tiny_model)
    assert isinstance(err.value, VideoTrackError)
    with pytest.raises(NotAVideoModelError):
        track_video(tiny_model, str(short_mp4), TrackConfig(text="square"))
