"""Settings that cannot run are refused where they are read, not accepted and ignored."""

from __future__ import annotations

import pytest

from roomservice.config import Settings, SettingsError
from roomservice.web.app import create_app


def test_a_redis_url_needs_a_postgresql_database() -> None:
    settings = Settings.from_env({"ROOMSERVICE_REDIS_URL": "redis://127.0.0.1:6379/15"})
    with pytest.raises(SettingsError, match=r"the database is SQLite.*PostgreSQL --database-url"):
        settings.check()
    with pytest.raises(SettingsError, match="the database is SQLite"):
        create_app(settings)
    Settings.from_env({}).check()
    cluster = Settings.from_env(
        {
            "ROOMSERVICE_REDIS_URL": "redis://127.0.0.1:6379/15",
            "ROOMSERVICE_DATABASE_URL": "postgresql+asyncpg://u@db/rs",
            "ROOMSERVICE_NODE_ID": "node-7",
            "ROOMSERVICE_LEASE_TTL": "2.5",
        }
    )
    cluster.check()
    assert (cluster.effective_node_id, cluster.lease_ttl) == ("node-7", 2.5)
    assert Settings(port=8123).effective_node_id.endswith(":8123")
    with pytest.raises(SettingsError, match="NODE_ID"):
        Settings(node_id="a|b").check()


def test_matchmaking_times_are_read_and_checked() -> None:
    settings = Settings.from_env({"ROOMSERVICE_MATCH_COUNTDOWN": "2.5", "ROOMSERVICE_MATCH_TIMEOUT": "30"})
    assert (settings.match_countdown, settings.match_timeout) == (2.5, 30.0)
    settings.check()
    with pytest.raises(SettingsError, match="MATCH_COUNTDOWN"):
        Settings.from_env({"ROOMSERVICE_MATCH_COUNTDOWN": "-1"}).check()
    with pytest.raises(SettingsError, match="MATCH_TIMEOUT"):
        Settings.from_env({"ROOMSERVICE_MATCH_TIMEOUT": "0"}).check()
