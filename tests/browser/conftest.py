"""One real server (in a thread, SQLite, dev mode) and one headless Debian chromium for the module.

Playwright's sync API drives the browser from plain tests; each test opens its own browser contexts
(one per person), so cookies and sessions never leak between tests. Screenshots go to
``tests/browser/artifacts/``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from roomservice.config import Settings

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Playwright's own waits, milliseconds: pages here answer in well under a second.
TIMEOUT_MS = 8000
#: The server's admin console opens with this token.
ADMIN_TOKEN = "browser-admin-token-0123456789"


class LiveServer:
    """uvicorn on 127.0.0.1 in a thread of its own, so the sync browser API can run in the test's."""

    def __init__(self, settings: Settings) -> None:
        import uvicorn

        from roomservice.web.app import create_app
        from roomservice.web.server import uvicorn_config

        self.app = create_app(settings)
        self.server = uvicorn.Server(uvicorn_config(self.app, settings, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="live-server", daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("browser-server")
    settings = Settings(
        port=0,
        database_url=f"sqlite+aiosqlite:///{data / 'web.db'}",
        data_dir=data,
        secret_key="browser-tests",
        dev=True,
        ws_heartbeat=5,
        ws_rate_limit=0,
        admin_token=ADMIN_TOKEN,
    )
    server = LiveServer(settings)
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
    yield instance
    instance.close()


class People:
    """Opens one browser context per person; each one's page fails the test on a script error."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def context(self, width: int = 1100, height: int = 800) -> BrowserContext:
        ctx = self.browser.new_context(base_url=self.base_url, viewport={"width": width, "height": height})
        ctx.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(ctx)
        return ctx

    def page(self, ctx: BrowserContext) -> Page:
        page = ctx.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        return page

    def arrive(self, name: str, path: str = "/", width: int = 1100, height: int = 800) -> Page:
        """A new person opens ``path`` and picks a name: a room's page asks at once; home and the lobby
        ask only when needed, so there they use the nav bar's "Pick a name"."""
        page = self.page(self.context(width, height))
        page.goto(path)
        if not path.startswith("/r/"):
            page.get_by_role("button", name="Pick a name").click()
        dialog = page.get_by_role("dialog", name="Welcome! Pick a name")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Your name").fill(name)
        dialog.get_by_role("button", name="Save").click()
        expect(page.locator("#me")).to_have_text(name)
        return page

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def people(browser: Browser, base_url: str) -> Iterator[People]:
    crowd = People(browser, base_url)
    yield crowd
    crowd.close()
    assert not crowd.errors, crowd.errors


def shot(page: Page, name: str) -> None:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def api(page: Page, method: str, path: str, body: Any = None) -> Any:
    """Call the HTTP API as the person behind ``page`` (their session cookie)."""
    response = page.request.fetch(
        path,
        method=method,
        data=json.dumps(body) if body is not None else None,
        headers={"content-type": "application/json"},
    )
    assert response.ok, f"{method} {path}: {response.status} {response.text()}"
    return response.json()


def http_json(base_url: str, path: str) -> Any:
    with urllib.request.urlopen(base_url + path, timeout=5) as response:
        return json.loads(response.read())


class Guest:
    """Someone using the HTTP API directly (no browser), to set the scene quickly."""

    def __init__(self, base_url: str, name: str) -> None:
        self.base_url = base_url
        self.token = ""
        session = self.call("POST", "/api/session", {"username": name})
        self.token = session["token"]
        self.session_id = session["session_id"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())
