"""Video: prompt SAM3 on a frame, track through the video, write a frame field.

``track`` is the public entry point (exported as ``fo_sam3.track``);
``track_video`` is the same pipeline for one video file, without a dataset.
"""

from ..errors import NotAVideoModelError, VideoFieldError, VideoPromptError, VideoSampleError, VideoTrackError
from ..model.cache import get_video_model
from .builder import build_sam3_video
from .config import TrackConfig
from .frames import FrameSource
from .prompts import ObjectPrompt, collect_prompts
from .session import track_video
from .track import track

__all__ = [
    "build_sam3_video",
    "get_video_model",
    "TrackConfig",
    "NotAVideoModelError",
    "VideoFieldError",
    "VideoPromptError",
    "VideoSampleError",
    "VideoTrackError",
    "FrameSource",
    "ObjectPrompt",
    "collect_prompts",
    "track_video",
    "track",
]
