"""The web front end's pages: small HTML shells whose ES modules under ``/static`` do the rest.

No templating and no build step: each page is a static file, served with a content security policy
that allows only this origin's scripts and styles, so text from users can never run as code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse

STATIC_DIR = Path(__file__).parent / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


@cache
def _shell(name: str) -> str:
    return (STATIC_DIR / f"{name}.html").read_text(encoding="utf-8")


def page(name: str) -> HTMLResponse:
    """One of the HTML shells (``home``, ``lobby``, ``leaderboard``, ``room``, ``account``, …)."""
    headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache", "Referrer-Policy": "same-origin"}
    return HTMLResponse(_shell(name), headers=headers)


def wants_html(request: Request) -> bool:
    """A browser navigating (``Accept: text/html``), as opposed to an API client."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept.lower()


@router.get("/")
async def home() -> HTMLResponse:
    return page("home")


@router.get("/lobby")
async def lobby() -> HTMLResponse:
    return page("lobby")


@router.get("/leaderboard")
async def leaderboard() -> HTMLResponse:
    """A game's leaderboard, ``?game=<id>``."""
    return page("leaderboard")


@router.get("/account")
async def account() -> HTMLResponse:
    """Sign up, log in, log out, and sign out other devices."""
    return page("account")


@router.get("/replay/{game_id}")
async def replay(game_id: str) -> HTMLResponse:
    """The replay player; the page fetches ``/api/replays/{game_id}`` and says when there is none."""
    return page("replay")


@router.get("/workshop")
async def workshop() -> HTMLResponse:
    """The workshop: your projects and those shared with you, and a new one."""
    return page("workshop")


@router.get("/workshop/{project_id}")
async def editor(project_id: str) -> HTMLResponse:
    """A project's editor; the page says when the project does not exist or is not yours to open."""
    return page("editor")
