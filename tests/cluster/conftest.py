"""nginx must be there: the tests fail (under CI) or are skipped (elsewhere) without it."""

from __future__ import annotations

import pytest

from tests.cluster.harness import NGINX, nginx_available
from tests.conftest import unavailable


@pytest.fixture(scope="session")
def nginx_installed() -> None:
    if not nginx_available():
        unavailable(f"nginx at {NGINX}", "not installed (apt-get install nginx)")
