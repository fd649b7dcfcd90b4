"""Shared fixtures for the c2c_sim test suite.

``tiny_params`` / ``tiny_config`` describe a world small enough to simulate a
year in a fraction of a second: two partnerships (one Dutch-Moroccan, one
Dutch-Turkish), one unpartnered municipality per country, four staff per
municipality and six migrants per partnered Dutch city.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # the Mesa oracle (mesa_reference)

from c2c_sim import make_config
from c2c_sim.config import Config

TINY_WORLD = {
    "world_partnerships_morocco": 1,
    "world_partnerships_turkey": 1,
    "world_unpartnered_north": 1,
    "world_unpartnered_south": 1,
    "world_staff_per_municipality": 4,
    "world_migrants_per_city": 6,
}
"""Flat parameter names of the tiny world (usable with make_config, C2CModel, run)."""

TINY_RUN = {"months": 12, "replications": 4}


@pytest.fixture(scope="session")
def tiny_world() -> dict:
    """The flat world parameters of the tiny world (a fresh copy per session; do not mutate)."""
    return dict(TINY_WORLD)


@pytest.fixture(scope="session")
def tiny_params() -> dict:
    """Flat parameters of the tiny config: the tiny world, 12 months, 4 replications."""
    return {**TINY_RUN, **TINY_WORLD}


@pytest.fixture
def tiny_config(tiny_params) -> Config:
    """A validated tiny Config (months=12, replications=4, 2 partnerships, 4 staff per municipality)."""
    return make_config(tiny_params)


@pytest.fixture
def make_tiny(tiny_params):
    """Factory: ``make_tiny(**overrides)`` -> a validated tiny Config with overrides (flat names or presets)."""

    def factory(**overrides) -> Config:
        return make_config({**tiny_params, **overrides})

    return factory


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator for hand-made states and pre-drawn random numbers."""
    return np.random.default_rng(12345)
