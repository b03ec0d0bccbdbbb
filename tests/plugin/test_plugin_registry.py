"""The plugin loads from FIFTYONE_PLUGINS_DIR without errors and lists its operators."""

import os
import subprocess
import sys

from plugin_helpers import PLUGIN, REPO

NAMES = {"segment_text", "segment_boxes", "segment_points", "refine_masks", "track_video"}


def test_operators_are_registered_without_errors(plugins_dir):
    from fiftyone.operators.registry import OperatorRegistry

    registry = OperatorRegistry()
    ours = {op.name for op in registry.list_operators() if op.plugin_name == PLUGIN}
    assert ours == NAMES
    assert registry.list_errors() == []
    for name in NAMES:
        op = registry.get_operator(f"{PLUGIN}/{name}")
        assert op.config.allow_delegated_execution and op.config.allow_immediate_execution


def test_operators_listed_via_env_var_in_a_fresh_process(plugins_dir):
    """``FIFTYONE_PLUGINS_DIR`` as a user sets it (a new process reads it at import)."""
    code = (
        "import fiftyone.operators as foo\n"
        "from fiftyone.operators.registry import OperatorRegistry\n"
        f"ops = sorted(o.name for o in foo.list_operators() if o.plugin_name == {PLUGIN!r})\n"
        "print(ops, OperatorRegistry().list_errors())\n"
    )
    env = {**os.environ, "FIFTYONE_PLUGINS_DIR": str(plugins_dir)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=REPO.parent, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == f"{sorted(NAMES)} []"


def test_root_init_is_import_light():
    """Importing the plugin/zoo entry file must not import torch, sam3 or fo_sam3."""
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('fo_sam3_root', {str(REPO / '__init__.py')!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "print(sorted(k for k in ('torch', 'sam3', 'fo_sam3', 'fiftyone') if k in sys.modules))\n"
        "names = ('download_model', 'load_model', 'resolve_input', 'parse_parameters', 'register')\n"
        "print(all(callable(getattr(m, f)) for f in names))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["[]", "True"]
