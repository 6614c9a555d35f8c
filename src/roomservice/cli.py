"""The ``roomservice`` command: ``serve``, ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from roomservice import heap
from roomservice.config import Settings, SettingsError


def _server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy async URL (default: SQLite file in --data-dir)")
    parser.add_argument("--data-dir", type=Path, help="folder for the SQLite file (default ./data)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roomservice",
        description="A server for multiplayer rooms.",
        epilog="The benchmarks run from a checkout of the repository: python -m bench (docs/performance.md).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument(
        "--redis-url",
        help="one node of several sharing rooms through this Redis (needs a PostgreSQL --database-url)",
    )
    serve.add_argument("--node-id", help="this node's name in the cluster (default hostname:port)")
    serve.add_argument("--dev", action="store_true", default=None, help="enable test-only options")
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate the database on start")
    serve.add_argument(
        "--forwarded-allow-ips",
        help="proxies trusted for X-Forwarded-For/-Proto, comma-separated, '*' for any "
        "(default $FORWARDED_ALLOW_IPS or 127.0.0.1,::1)",
    )
    serve.add_argument(
        "--log-level", help="debug, info, warning or error (default $ROOMSERVICE_LOG_LEVEL, else info)"
    )
    _server_args(serve)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--revision", default="head")
    _server_args(migrate)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {
        key: getattr(args, key, None)
        for key in (
            "host",
            "port",
            "database_url",
            "redis_url",
            "node_id",
            "data_dir",
            "dev",
            "forwarded_allow_ips",
            "log_level",
        )
    }
    settings = Settings.from_env(**overrides)
    if getattr(args, "no_migrate", False):
        settings.migrate_on_start = False
    return settings


def open_files_limit() -> int:
    """Lift this process's soft limit of open files to its hard limit (every socket is a file; many
    systems start processes at 1,024 whatever the hard limit allows); the limit now in force. The
    hard limit is the operator's: ``ulimit -Hn`` or systemd's ``LimitNOFILE`` (docs/deployment.md)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft
        return hard
    return soft


def serve(settings: Settings) -> int:
    """Serve until stopped, holding the database's serving lock (``store.nodelock``) the whole time
    (one node alone; nodes of a cluster share the database). Settings that cannot run, or a database
    another live process serves alone: one line on stderr, exit 1."""
    try:
        settings.check()
    except SettingsError as exc:
        print(f"roomservice serve: {exc}.", file=sys.stderr)
        return 1

    import uvicorn

    from roomservice.store import nodelock
    from roomservice.web.app import create_app
    from roomservice.web.server import uvicorn_config

    class Server(uvicorn.Server):
        lock: nodelock.NodeLock | None = None

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # Let the lock go once the app has closed, before uvicorn re-raises a stop signal.
            await super().shutdown(sockets)
            if self.lock is not None:
                await self.lock.release()

    from roomservice.logs import logging_config

    open_files_limit()
    level = settings.log_level.lower()
    config = uvicorn_config(
        create_app(settings), settings, level, log_config=logging_config(level, settings.log_format)
    )
    server = Server(config)

    async def run() -> int:
        try:
            # Several nodes (Redis) share the database on purpose: leases and fences keep them apart.
            lock = server.lock = (
                nodelock.NoLock()
                if settings.redis_url
                else await nodelock.acquire(settings.effective_database_url)
            )
        except nodelock.NodeBusy as exc:
            print(
                f"roomservice serve: {exc}; to serve one database from several nodes, give each a "
                "Redis URL (--redis-url).",
                file=sys.stderr,
            )
            return 1
        try:
            heap.settle_for_serving()
            await server.serve()
        finally:
            await lock.release()
        return 0

    # The lock is taken on the server's own event loop: a PostgreSQL lock lives on a connection of it.
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        try:
            return runner.run(run())
        except KeyboardInterrupt:
            # Ctrl+C: uvicorn has shut down gracefully and raised the signal again; it ends here, as
            # uvicorn's own command ends it, without a traceback.
            return 0


async def migrate(settings: Settings, revision: str) -> None:
    from roomservice.store.database import Database
    from roomservice.store.migrate import upgrade

    db = Database(settings.effective_database_url)
    try:
        await upgrade(db, revision)
    finally:
        await db.close()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    if args.command == "serve":
        return serve(settings)
    elif args.command == "migrate":
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        asyncio.run(migrate(settings, args.revision))
        print(f"database at {args.revision}: {settings.effective_database_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
