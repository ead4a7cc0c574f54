"""Shared fixtures and the Hypothesis profiles.

Profiles (pick with HYPOTHESIS_PROFILE=name; CI=true picks ``ci``):
- ``ci``: derandomized, no deadline, modest example counts: fast and deterministic.
- ``dev`` (default locally): random, no deadline.
- ``thorough``: many more examples, for a long local run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from policyrules import Engine
from policyrules.packs.loader import bundled_rules_dir

# The atlas's hostile pack and site, shared by the atlas tests and its browser tests.
from .atlas_helpers import hostile_pack, hostile_site  # noqa: F401 - fixtures

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=100)
settings.register_profile("thorough", deadline=None, max_examples=2000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def rules_dir() -> Path:
    return bundled_rules_dir()


@pytest.fixture(scope="session")
def durable_engine() -> Engine:
    return Engine.load(backend="durable")


@pytest.fixture(scope="session")
def compiled_engine() -> Engine:
    return Engine.load(backend="compiled")


@pytest.fixture(scope="session", params=["durable", "compiled"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """The bundled pack, once per backend: tests using it run on both."""
    return Engine.load(backend=request.param)


@pytest.fixture
def pack_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled pack, in a directory called ``rules``."""
    root = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), root)
    return root
