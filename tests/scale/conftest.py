"""Scale-out fixtures: a standalone mongod (FiftyOne's binary) and the subprocess environment."""

from __future__ import annotations

import os

import pytest

from scale_helpers import Db, env_for, script


@pytest.fixture(scope="module")
def mongo(tmp_path_factory):
    """A fresh ``mongod`` on a free localhost port, data in a temp dir."""
    from fo_sam3.scale.local_db import LocalMongo

    with LocalMongo(tmp_path_factory.mktemp("mongo")) as db:
        yield db


@pytest.fixture(scope="module")
def shared(mongo, tmp_path_factory):
    """Environment for processes sharing ``mongo`` (this plugin installed), and a pymongo reader."""
    from scale_helpers import HERE

    plugins = tmp_path_factory.mktemp("plugins")
    os.symlink(HERE.parents[1], plugins / "fo-sam3")
    env = env_for(mongo.uri, plugins)
    yield env, Db(mongo.uri)


@pytest.fixture(scope="module")
def datasets(shared, photo_dir):
    """Persistent datasets of real photos (the 5 scikit-image photos, repeated), made in a subprocess:
    ``photos60`` (60 samples) and ``race4`` (4)."""
    env, _ = shared
    r = script(env, "scale_script.py", "make", photo_dir, "photos60:60", "race4:4")
    assert r.rc == 0, r.err
    return "photos60", "race4"
