"""FiftyOne App operators of the ``@fo-sam3/sam3`` plugin (thin shells over the library)."""

from .image_ops import RefineMasks, SegmentBoxes, SegmentPoints, SegmentText
from .video_op import TrackVideo

OPERATORS = (SegmentText, SegmentBoxes, SegmentPoints, RefineMasks, TrackVideo)


def register(plugin) -> None:
    """Register every operator on a FiftyOne ``PluginContext``.

    Args:
        plugin: the ``PluginContext`` of the plugin's ``register``.

    Returns:
        None.
    """
    for operator in OPERATORS:
        plugin.register(operator)


__all__ = ["OPERATORS", "register", "SegmentText", "SegmentBoxes", "SegmentPoints", "RefineMasks", "TrackVideo"]
