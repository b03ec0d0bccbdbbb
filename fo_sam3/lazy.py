"""Package attributes imported on first use (keeps ``import fo_sam3.cli`` light)."""

from __future__ import annotations

import importlib


def lazy_getattr(package: str, names: dict[str, str], namespace: dict):
    """A module ``__getattr__`` that imports ``names[name]`` (a submodule) on first use.

    Args:
        package: the package's ``__name__``.
        names: attribute name -> relative submodule that defines it.
        namespace: the package's ``globals()``, where the value is cached.

    Returns:
        the ``__getattr__`` function.
    """

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(names[name], package), name)
        namespace[name] = value
        return value

    return __getattr__
