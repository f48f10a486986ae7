"""pytest configuration: hypothesis profiles and the --update-goldens flag."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# the plan cache stays out of the tests, except where a test turns it on in its own folder
os.environ.setdefault("JIXIAO_NO_CACHE", "1")

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", help="rewrite golden files from the current output"
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
