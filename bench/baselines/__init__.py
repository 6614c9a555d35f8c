"""The servers roomservice is measured against, run on exactly the uvicorn settings roomservice uses."""

from __future__ import annotations

import argparse
from typing import Any, cast

import uvicorn
from fastapi import FastAPI

from roomservice.config import Settings
from roomservice.web.server import uvicorn_config


def serve(app: Any, argv: list[str] | None = None) -> None:
    """Run an ASGI app as ``roomservice serve`` runs its own: uvloop, httptools, the sans-I/O websockets
    implementation, no per-message compression, the same frame cap and heartbeat."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    settings = Settings(port=args.port)
    uvicorn.Server(uvicorn_config(cast(FastAPI, app), settings, args.log_level)).run()
