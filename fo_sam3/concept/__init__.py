"""Concept mode: every instance of a text or exemplar-box concept (sam3's ``forward_grounding``)."""

from .exemplars import ExemplarBank, ExemplarPredictor, ExemplarSource, encode_exemplars
from .job import ConceptJob, instance_docs
from .predictor import ConceptPredictor, Instance
from .text_cache import TextCache

__all__ = [
    "ConceptJob",
    "ConceptPredictor",
    "ExemplarBank",
    "ExemplarPredictor",
    "ExemplarSource",
    "Instance",
    "TextCache",
    "encode_exemplars",
    "instance_docs",
]
