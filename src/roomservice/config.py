"""Server settings, read from ``ROOMSERVICE_*`` environment variables and CLI flags."""

from __future__ import annotations

import dataclasses
import os
import socket
from pathlib import Path
from typing import Any, Literal

DEFAULT_DATA_DIR = Path("./data")
#: Shortest admin or metrics token accepted: a guessable one would open the console.
MIN_TOKEN = 16
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


class SettingsError(ValueError):
    """Settings that cannot run. ``str()`` is a one-line message for a person."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclasses.dataclass
class Settings:
    """Every knob of the server. Durations are seconds; sizes are bytes unless named otherwise."""

    host: str = "127.0.0.1"
    port: int = 8000
    #: SQLAlchemy async URL. Empty means a SQLite file in ``data_dir``.
    database_url: str = ""
    #: PostgreSQL connections a process keeps open (as many more are opened while busier).
    database_pool_size: int = 20
    #: ``redis://`` URL for several nodes sharing rooms (with a PostgreSQL database); its database
    #: number holds this server's keys. Empty: one process alone, everything in-process.
    redis_url: str = ""
    #: This node's name in the cluster (room owners, socket locations). Empty: ``hostname:port``.
    node_id: str = ""
    #: Seconds a node's lease on a room lasts unless renewed (renewed every third of it): how long a
    #: dead node's rooms wait before another node takes them. Several nodes only.
    lease_ttl: float = 3.0
    data_dir: Path = DEFAULT_DATA_DIR
    #: Signs session tokens. Empty: generated once and kept in the database.
    secret_key: str = ""
    #: Extra games: comma-separated ``module:Class`` paths, loaded after built-ins and entry points.
    games: str = ""
    #: Development mode: enables test-only game options such as a fixed deck order.
    dev: bool = False
    #: Apply database migrations when the server starts.
    migrate_on_start: bool = True

    session_cookie: str = "roomservice_session"
    session_max_age: int = 30 * 24 * 3600

    max_rooms_per_session: int = 5
    #: Idle timeout of a WAITING room when its config does not set one.
    waiting_timeout: int = 600
    #: Idle timeout of a room in IN_GAME or FINISHED.
    game_timeout: int = 3 * 24 * 3600
    #: How often the expiry task looks for idle rooms.
    expiry_interval: float = 30.0

    #: What a second socket for the same session does: replace the first, or be refused.
    ws_session_conflict: Literal["replace", "refuse"] = "replace"
    ws_max_frame: int = 64 * 1024
    #: Frames per second per connection; 0 turns the limit off.
    ws_rate_limit: float = 20.0
    ws_rate_burst: int = 40
    #: Frames refused for rate in a row before the socket is closed with 1008.
    ws_abuse_limit: int = 200
    ws_heartbeat: float = 20.0
    #: Frames waiting for one slow socket before it is dropped.
    ws_send_queue: int = 256
    #: ``direct``: frames are framed once per broadcast and written straight to each socket, coalesced
    #: per event-loop pass; ``asgi``: every frame goes through the ASGI ``send``.
    ws_transport: Literal["direct", "asgi"] = "direct"
    reconnect_grace: int = 60
    resume_buffer: int = 512
    chat_history: int = 50

    #: Largest request body accepted, bytes; a larger one is answered 413 before it is read whole.
    max_body: int = 64 * 1024
    #: Deepest nesting of arrays and objects accepted in a JSON body (the top level is 1).
    max_json_depth: int = 32
    #: Per client address and minute: sessions created, rooms created, password attempts; and password
    #: attempts per room and minute; accounts signed up per client address and minute (each costs an
    #: Argon2 hash). ``0`` turns a limit off.
    http_rate_sessions: int = 30
    http_rate_rooms: int = 20
    http_rate_passwords: int = 10
    http_rate_room_passwords: int = 10
    http_rate_accounts: int = 10
    #: Origins (``https://host[:port]``, comma-separated) besides the server's own whose pages may send
    #: cookie-authenticated requests and open sockets with the cookie.
    allowed_origins: str = ""
    #: Proxies whose ``X-Forwarded-For``/``X-Forwarded-Proto`` are trusted (comma-separated addresses or
    #: networks, ``*`` for any). Empty: uvicorn's default, ``$FORWARDED_ALLOW_IPS`` or ``127.0.0.1,::1``.
    forwarded_allow_ips: str = ""
    #: Seconds a matchmaking room counts down, once it has its minimum of players, before it starts.
    match_countdown: float = 10.0
    #: Seconds a matchmaking ticket may search before it expires.
    match_timeout: float = 120.0
    #: Prefix of every Redis key and pub/sub channel this server uses, so that two clusters can share
    #: one Redis (the matchmaking queue's keys start with it and ``mm:``).
    redis_prefix: str = "roomservice:"

    #: Write every accepted game step to the action log (off only to measure what it costs).
    persist_games: bool = True
    #: Accepted steps between two snapshots of a game (one is also written when a game ends).
    snapshot_every: int = 50
    #: Seconds an open workshop project keeps edits unsaved at most: the first edit after a save arms
    #: a save this long after it. What a crash can lose.
    workshop_autosave: float = 10.0
    #: Argon2id cost of account passwords: passes over the memory, and KiB of memory per hash (the
    #: argon2-cffi defaults). Lower only where hashing time matters more than resisting guesses.
    password_time_cost: int = 3
    password_memory_kib: int = 65536

    #: Prometheus metrics at ``/metrics`` (off: the hot paths count nothing and ``/metrics`` is 404).
    metrics: bool = True
    #: When set, ``/metrics`` wants ``Authorization: Bearer <metrics_token>``.
    metrics_token: str = ""
    #: The admin console (``/admin``, ``/api/admin/*``) opens with ``Authorization: Bearer <admin_token>``;
    #: empty: there is no console (404).
    admin_token: str = ""
    #: Level of the server's own loggers and uvicorn's (``roomservice serve``): debug, info, warning, error.
    log_level: str = "info"
    #: ``text``: one readable line per record; ``json``: one JSON object per line.
    log_format: Literal["text", "json"] = "text"

    def check(self) -> None:
        """Raise :class:`SettingsError` for a setting asking for what this version cannot do."""
        if self.redis_url and self.effective_database_url.split(":", 1)[0].split("+", 1)[0] == "sqlite":
            raise SettingsError(
                "a Redis URL is set, but the database is SQLite, which only one process can serve: "
                "several nodes share a PostgreSQL database: pass a PostgreSQL --database-url "
                "(postgresql+asyncpg://user:password@host/db, or ROOMSERVICE_DATABASE_URL)"
            )
        if self.redis_url and not self.lease_ttl > 0:
            raise SettingsError("ROOMSERVICE_LEASE_TTL must be more than 0 seconds")
        if "|" in self.node_id:
            raise SettingsError("ROOMSERVICE_NODE_ID may not contain '|'")
        if not self.match_countdown >= 0:
            raise SettingsError("ROOMSERVICE_MATCH_COUNTDOWN must be 0 seconds or more")
        if not self.match_timeout > 0:
            raise SettingsError("ROOMSERVICE_MATCH_TIMEOUT must be more than 0 seconds")
        if not self.workshop_autosave > 0:
            raise SettingsError("ROOMSERVICE_WORKSHOP_AUTOSAVE must be more than 0 seconds")
        if not 1 <= self.password_time_cost <= 100:
            raise SettingsError("ROOMSERVICE_PASSWORD_TIME_COST must be from 1 to 100")
        if not 64 <= self.password_memory_kib <= 4_194_304:
            raise SettingsError("ROOMSERVICE_PASSWORD_MEMORY_KIB must be from 64 to 4194304")
        for name in ("admin_token", "metrics_token"):
            token = getattr(self, name)
            if token and (len(token) < MIN_TOKEN or not token.isprintable() or " " in token):
                raise SettingsError(
                    f"ROOMSERVICE_{name.upper()} must be at least {MIN_TOKEN} printable characters "
                    "without spaces (e.g. the output of: openssl rand -hex 32)"
                )
        if self.log_format not in ("text", "json"):
            raise SettingsError("ROOMSERVICE_LOG_FORMAT must be text or json")
        if self.log_level.lower() not in LOG_LEVELS:
            raise SettingsError("ROOMSERVICE_LOG_LEVEL must be one of " + ", ".join(LOG_LEVELS))

    @property
    def effective_node_id(self) -> str:
        """``node_id``, else this machine's name and the port it serves."""
        return self.node_id or f"{socket.gethostname()}:{self.port}"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'roomservice.db').resolve()}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``ROOMSERVICE_<FIELD>`` variables, then explicit overrides (CLI flags)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            raw = env.get(f"ROOMSERVICE_{field.name.upper()}")
            if raw is None:
                continue
            values[field.name] = _convert(field.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _convert(kind: Any, raw: str) -> Any:
    kind = str(kind)
    if kind == "bool":
        return _bool(raw)
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "Path":
        return Path(raw)
    return raw
