"""Settings that cannot run are refused where they are read, not accepted and ignored."""

from __future__ import annotations

import pytest

from roomservice.config import Settings, SettingsError
from roomservice.web.app import create_app


def test_a_redis_url_is_refused_until_several_nodes_exist() -> None:
    settings = Settings.from_env({"ROOMSERVICE_REDIS_URL": "redis://127.0.0.1:6379/15"})
    with pytest.raises(SettingsError, match="Redis is not available yet"):
        settings.check()
    with pytest.raises(SettingsError, match="Redis is not available yet"):
        create_app(settings)
    Settings.from_env({}).check()


def test_matchmaking_times_are_read_and_checked() -> None:
    settings = Settings.from_env({"ROOMSERVICE_MATCH_COUNTDOWN": "2.5", "ROOMSERVICE_MATCH_TIMEOUT": "30"})
    assert (settings.match_countdown, settings.match_timeout) == (2.5, 30.0)
    settings.check()
    with pytest.raises(SettingsError, match="MATCH_COUNTDOWN"):
        Settings.from_env({"ROOMSERVICE_MATCH_COUNTDOWN": "-1"}).check()
    with pytest.raises(SettingsError, match="MATCH_TIMEOUT"):
        Settings.from_env({"ROOMSERVICE_MATCH_TIMEOUT": "0"}).check()
