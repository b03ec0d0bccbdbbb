"""fo_sam3 as a FiftyOne plugin (``@fo-sam3/sam3``) and a remote zoo model source.

FiftyOne imports this file by path, so it only forwards to the installed
``fo_sam3`` package (``fo_sam3.operators``, ``fo_sam3.zoo``), which is imported
lazily: importing this file stays cheap. If ``fo_sam3`` is not installed, the
copy next to this file is used. To use a local clone as the zoo source (FiftyOne
registers only URLs), run ``fo_sam3.zoo.register_local()``.
"""

import importlib
import importlib.util
import os
import sys


def _lib(module):
    if importlib.util.find_spec("fo_sam3") is None:  # a downloaded source, not pip-installed
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    return importlib.import_module(f"fo_sam3.{module}")


def download_model(model_name, model_path):
    """Links or copies sam3.pt to ``model_path`` ($FO_SAM3_CHECKPOINT, zoo dir, else the gated hub);
    nothing when ``load_zoo_model`` was given ``checkpoint=`` (e.g. ``"random"``)."""
    _lib("zoo").download_model(model_name, model_path)


def load_model(model_name, model_path, **kwargs):
    """The zoo model; ``kwargs``: mode, text, prompt_field, confidence, ... (see ``fo_sam3.zoo``)."""
    return _lib("zoo").load_model(model_name, model_path, **kwargs)


def resolve_input(model_name, ctx):
    """Our options in the App's "apply zoo model" form."""
    return _lib("zoo").resolve_input(model_name, ctx)


def parse_parameters(model_name, ctx, params):
    _lib("zoo").parse_parameters(model_name, ctx, params)


def register(p):
    """Registers the plugin's operators."""
    _lib("operators").register(p)
