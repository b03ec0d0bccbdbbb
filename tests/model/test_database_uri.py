"""FiftyOne uses its embedded MongoDB by default and honours FIFTYONE_DATABASE_URI."""

import os
import subprocess
import sys


def test_database_uri_is_honoured(dataset):
    import fiftyone.core.odm.database as fod

    host, port = fod.get_db_client().address
    env = dict(os.environ, FIFTYONE_DATABASE_URI=f"mongodb://{host}:{port}")
    code = (
        "import fiftyone as fo, fiftyone.core.odm.database as fod;"
        f"ds = fo.load_dataset({dataset.name!r});"
        "print(fo.config.database_uri, len(ds), fod.get_db_client().address[1])"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == [f"mongodb://{host}:{port}", str(len(dataset)), str(port)]


def test_embedded_database_by_default():
    import fiftyone as fo

    if not os.environ.get("FIFTYONE_DATABASE_URI"):
        assert fo.config.database_uri is None  # FiftyOne starts its own mongod
