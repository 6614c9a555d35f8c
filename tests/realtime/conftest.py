"""Every socket test runs on both transports: frames written directly, and the plain ASGI path."""

from __future__ import annotations

import pytest

from roomservice.config import Settings


@pytest.fixture(params=["direct", "asgi"])
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    settings.ws_transport = request.param
    return settings
