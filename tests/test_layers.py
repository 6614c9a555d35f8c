"""Imports point inward: an AST walk over every module of ``src/roomservice`` checks the layering rules.

Every import counts, wherever it is written: at the top, inside a function, under ``if TYPE_CHECKING:``.
``from roomservice.x import y`` is an import of ``roomservice.x`` and, when ``y`` is a submodule, of
``roomservice.x.y`` too. Each failure names the file, the line and the import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "roomservice"

#: What never runs in the sans-I/O core.
IO_FRAMEWORKS = ("asyncio", "sqlalchemy", "starlette", "fastapi", "uvicorn")
WEB_FRAMEWORKS = ("fastapi", "starlette", "uvicorn")


@dataclass(frozen=True)
class Import:
    """One imported module name, where it was written."""

    module: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.relative_to(SRC.parent)}:{self.line} imports {self.module}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


MODULES = _modules()


def _resolve(importer: str, path: Path, level: int, module: str | None) -> str:
    """The absolute name of a (possibly relative) ``from`` import's module."""
    if level == 0:
        return module or ""
    package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _imports(name: str, path: Path, source: str | None = None) -> Iterator[Import]:
    tree = ast.parse(path.read_text() if source is None else source, str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, path, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, path, node.level, node.module)
            yield Import(base, path, node.lineno)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in MODULES:
                    yield Import(sub, path, node.lineno)


IMPORTS: dict[str, list[Import]] = {name: list(_imports(name, path)) for name, path in MODULES.items()}


def _within(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _violations(importers: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    forbidden = tuple(forbidden)
    return [str(imp) for importer in importers for imp in IMPORTS[importer] if _within(imp.module, forbidden)]


def _under(*packages: str) -> list[str]:
    prefixes = [f"{PACKAGE}.{p}" for p in packages]
    return [m for m in MODULES if _within(m, prefixes)]


def _report(what: str, found: list[str]) -> str:
    return f"{what}:\n  " + "\n  ".join(found)


def test_the_walk_sees_every_kind_of_import() -> None:
    """The walk itself: imports inside functions, under TYPE_CHECKING, relative ones, and submodules
    named by a ``from`` import are all found."""
    assert len(MODULES) > 50
    source = """
from typing import TYPE_CHECKING
from . import cards
from ..base import Game
if TYPE_CHECKING:
    from roomservice.rooms.service import RoomService
def later():
    import sqlalchemy.ext.asyncio
    from roomservice.store import chat, nothing_here
"""
    path = MODULES[f"{PACKAGE}.games.cabo.flow"]
    found = {imp.module for imp in _imports(f"{PACKAGE}.games.cabo.flow", path, source)}
    assert found == {
        "typing",
        f"{PACKAGE}.games.cabo",
        f"{PACKAGE}.games.cabo.cards",
        f"{PACKAGE}.games.base",
        f"{PACKAGE}.rooms.service",
        "sqlalchemy.ext.asyncio",
        f"{PACKAGE}.store",
        f"{PACKAGE}.store.chat",
    }


def test_games_and_protocol_do_no_io() -> None:
    found = _violations(_under("games", "protocol", "workshop"), IO_FRAMEWORKS)
    assert not found, _report("games/, protocol/ and workshop/ import I/O frameworks", found)


def test_the_workshop_rules_import_only_the_protocol() -> None:
    inner = (f"{PACKAGE}.workshop", f"{PACKAGE}.protocol")
    found = [
        str(imp)
        for importer in _under("workshop")
        for imp in IMPORTS[importer]
        if imp.module.startswith(PACKAGE + ".") and not _within(imp.module, inner)
    ]
    assert not found, _report("workshop/ imports more than the protocol", found)


def test_store_imports_nothing_above_it() -> None:
    above = [f"{PACKAGE}.{p}" for p in ("rooms", "realtime", "engine", "web")]
    found = _violations(_under("store"), above)
    assert not found, _report("store/ imports from a layer above it", found)


def test_realtime_knows_neither_the_store_nor_the_room_service() -> None:
    found = _violations(_under("realtime"), [f"{PACKAGE}.store", f"{PACKAGE}.rooms.service"])
    assert not found, _report("realtime/ imports the store or the concrete room service", found)


def test_matchmaking_reaches_the_hub_and_the_engine_only_through_its_protocols() -> None:
    above = [f"{PACKAGE}.{p}" for p in ("realtime", "engine", "web")]
    found = _violations(_under("matchmaking"), above)
    assert not found, _report("matchmaking/ imports the socket layer, the engine or the web", found)


def test_projects_know_neither_the_web_nor_the_games() -> None:
    above = [f"{PACKAGE}.{p}" for p in ("web", "engine", "rooms", "games")]
    found = _violations(_under("projects"), above)
    assert not found, _report("projects/ imports the web, the engine, the rooms or the games", found)


def test_leaderboards_know_neither_sockets_nor_the_engine() -> None:
    above = [f"{PACKAGE}.{p}" for p in ("realtime", "engine", "web")]
    found = _violations(_under("leaderboards"), above)
    assert not found, _report("leaderboards/ imports the socket layer, the engine or the web", found)


def test_only_web_and_the_cli_import_web_frameworks() -> None:
    allowed = {*_under("web"), f"{PACKAGE}.cli"}
    found = _violations([m for m in MODULES if m not in allowed], WEB_FRAMEWORKS)
    assert not found, _report(
        "only roomservice.web and roomservice.cli may import FastAPI/Starlette/uvicorn", found
    )


def test_the_cli_does_not_import_bench() -> None:
    found = _violations([f"{PACKAGE}.cli"], ["bench"])
    assert not found, _report("roomservice.cli imports the bench package, which is not installed", found)


def _cycles() -> list[list[str]]:
    """Strongly connected components of the module graph with more than one module or a self-import
    (Tarjan's algorithm, iterative)."""
    graph = {m: sorted({i.module for i in IMPORTS[m] if i.module in MODULES}) for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = graph[node]
            if i < len(edges):
                work.append((node, i + 1))
                nxt = edges[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_cycle_finder_finds_a_circle() -> None:
    """The finder on its own: a tiny graph with one circle."""
    saved = {m: IMPORTS[m] for m in list(IMPORTS)}
    a, b = f"{PACKAGE}.types", f"{PACKAGE}.errors"
    try:
        for m in IMPORTS:
            IMPORTS[m] = []
        IMPORTS[a] = [Import(b, MODULES[a], 1)]
        IMPORTS[b] = [Import(a, MODULES[b], 1)]
        assert _cycles() == [sorted([a, b])]
    finally:
        IMPORTS.update(saved)


def test_no_import_cycles() -> None:
    messages = []
    for component in _cycles():
        members = set(component)
        edges = [str(i) for m in component for i in IMPORTS[m] if i.module in members]
        messages.append(f"circle among {', '.join(component)}:\n    " + "\n    ".join(edges))
    assert not messages, "import circles in src/:\n  " + "\n  ".join(messages)
