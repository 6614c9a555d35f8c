"""The ``roomservice`` command: ``serve``, ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from roomservice.config import Settings


def _server_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy async URL (default: SQLite file in --data-dir)")
    parser.add_argument("--data-dir", type=Path, help="folder for the SQLite file (default ./data)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roomservice", description="A server for multiplayer rooms.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--redis-url", help="redis:// URL to share rooms between nodes")
    serve.add_argument("--dev", action="store_true", default=None, help="enable test-only options")
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate the database on start")
    serve.add_argument(
        "--forwarded-allow-ips",
        help="proxies trusted for X-Forwarded-For/-Proto, comma-separated, '*' for any "
        "(default $FORWARDED_ALLOW_IPS or 127.0.0.1,::1)",
    )
    serve.add_argument("--log-level", default="info")
    _server_args(serve)

    sub.add_parser(
        "bench",
        help="measure against the baselines: roomservice bench WORKLOAD [--smoke] (docs/performance.md)",
        add_help=False,
    )

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--revision", default="head")
    _server_args(migrate)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {
        key: getattr(args, key, None)
        for key in ("host", "port", "database_url", "redis_url", "data_dir", "dev", "forwarded_allow_ips")
    }
    settings = Settings.from_env(**overrides)
    if getattr(args, "no_migrate", False):
        settings.migrate_on_start = False
    return settings


def serve(settings: Settings, log_level: str) -> None:
    import uvicorn

    from roomservice.web.app import create_app
    from roomservice.web.server import uvicorn_config

    server = uvicorn.Server(uvicorn_config(create_app(settings), settings, log_level))
    # Everything imported so far lives as long as the process: keep it out of the garbage
    # collector's full passes, which otherwise stall every room for tens of milliseconds.
    gc.collect()
    gc.freeze()
    server.run()


async def migrate(settings: Settings, revision: str) -> None:
    from roomservice.store.database import Database
    from roomservice.store.migrate import upgrade

    db = Database(settings.effective_database_url)
    try:
        await upgrade(db, revision)
    finally:
        await db.close()


def bench(argv: list[str]) -> int:
    """Run the repository's ``bench`` package (``python -m bench``), which is not part of the wheel."""
    if Path("bench", "cli.py").is_file() and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        from bench.cli import main as bench_main  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        print(
            "roomservice bench needs the bench/ package of the roomservice repository: run it from a "
            "checkout's root after `pip install -e '.[bench]'` (or run `python -m bench` there).",
            file=sys.stderr,
        )
        return 2
    result: int = bench_main(argv)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        return bench(argv[1:])
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    if args.command == "serve":
        serve(settings, args.log_level)
    elif args.command == "migrate":
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        asyncio.run(migrate(settings, args.revision))
        print(f"database at {args.revision}: {settings.effective_database_url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
