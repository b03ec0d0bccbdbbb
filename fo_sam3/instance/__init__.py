"""Instance mode: SAM1-style masks for existing boxes and clicks (sam3's ``predict_inst``)."""

from .api import segment_instances
from .job import InstanceJob, make_instance_job
from .options import InstanceOptions
from .predictor import InstanceMask, InstancePredictor
from .prompts import InstancePrompt

__all__ = [
    "segment_instances",
    "make_instance_job",
    "InstanceJob",
    "InstanceOptions",
    "InstanceMask",
    "InstancePredictor",
    "InstancePrompt",
]
