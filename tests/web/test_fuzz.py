"""Generated requests at every endpoint: no 5xx, a coded error body on every 4xx, every answer as the
OpenAPI schema describes it (status, content type, body), nothing unhandled in the server's log.
Quick under ``make test``; ``make fuzz`` (``ROOMSERVICE_FUZZ_EXAMPLES``) runs long.

schemathesis generates requests from the app's own OpenAPI schema; the hypothesis test sends what no
schema describes: bodies nested deep, numbers out of range, lone surrogates, NUL, wrong content types.
Both go to a real uvicorn server (SQLite, or PostgreSQL with ``ROOMSERVICE_FUZZ_DATABASE=postgresql``;
HTTP rate limits off so that every route is reached).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from roomservice.config import Settings
from roomservice.web.app import create_app
from roomservice.web.server import uvicorn_config
from tests.conftest import POSTGRES_URL, _reset_postgres, unavailable

EXAMPLES = int(os.environ.get("ROOMSERVICE_FUZZ_EXAMPLES", "8"))
#: ``sqlite`` (default) or ``postgresql`` (``ROOMSERVICE_TEST_POSTGRES_URL``; its tables are reset).
DATABASE = os.environ.get("ROOMSERVICE_FUZZ_DATABASE", "sqlite")
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    derandomize=EXAMPLES <= 20,  # the quick run is the same every time
)

schema = schemathesis.openapi.from_dict(create_app(Settings(secret_key="schema")).openapi())
#: What every answer to a generated request must agree with the schema on.
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]


class _Errors(logging.Handler):
    """Every record at ERROR or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Live:
    def __init__(self, url: str, token: str, room_code: str, errors: _Errors) -> None:
        self.url = url
        self.token = token
        self.room_code = room_code
        self.errors = errors
        self.http = httpx.Client(base_url=url, timeout=10)
        #: An account's session and a project it owns: the workshop's routes need an account to get
        #: past 403 ``account_required``.
        self.member_token = ""
        self.project_id = ""

    def auth(self, path: str = "") -> dict[str, str]:
        token = self.member_token if path.startswith("/api/projects") else self.token
        return {"Authorization": f"Bearer {token}"}

    def own_session(self) -> dict[str, str]:
        """A session of its own, for a request that may end the one it is sent with."""
        token = self.http.post("/api/session", json={"username": "leaver"}).json()["token"]
        return {"Authorization": f"Bearer {token}"}


#: Operations that end the caller's session: each gets one of its own, so the others keep theirs.
ENDS_SESSION = {("POST", "/api/logout")}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data: Path = tmp_path_factory.mktemp("fuzz")
    database_url = f"sqlite+aiosqlite:///{data / 'fuzz.db'}"
    if DATABASE == "postgresql":
        try:
            asyncio.run(asyncio.wait_for(_reset_postgres(), 10))
        except Exception as exc:
            unavailable("PostgreSQL at " + POSTGRES_URL, exc)
        database_url = POSTGRES_URL
    config = Settings(
        port=0,
        database_url=database_url,
        data_dir=data,
        secret_key="fuzz",
        http_rate_sessions=0,
        http_rate_rooms=0,
        http_rate_passwords=0,
        http_rate_room_passwords=0,
        http_rate_accounts=0,
        ws_heartbeat=0,
    )
    app = create_app(config)
    server = uvicorn.Server(uvicorn_config(app, config, log_level="warning"))
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addHandler(errors)
    thread = threading.Thread(target=server.run, name="fuzz-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    session = httpx.post(f"{url}/api/session", json={"username": "fuzzer"}).json()
    host = httpx.post(f"{url}/api/session", json={"username": "host"}).json()
    room = httpx.post(
        f"{url}/api/rooms",
        json={"name": "fuzz", "game": "tictactoe", "password": "pw"},
        headers={"Authorization": f"Bearer {host['token']}"},
    ).json()
    live = Live(url, session["token"], room["room_code"], errors)
    maker = httpx.post(f"{url}/api/session", json={"username": "maker"}).json()
    live.member_token = maker["token"]
    signed_up = live.http.post(
        "/api/accounts",
        json={"username": "maker", "password": "fuzz the maker"},
        headers=live.auth("/api/projects"),
    )
    assert signed_up.status_code == 201, signed_up.text
    project = live.http.post(
        "/api/projects", json={"name": "fuzz"}, headers=live.auth("/api/projects")
    ).json()
    live.project_id = project["id"]
    yield live
    live.http.close()
    server.should_exit = True
    thread.join(15)
    logging.getLogger().removeHandler(errors)
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).removeHandler(errors)
    unhandled = [r.getMessage() for r in errors.records]
    assert not unhandled, unhandled


def check(status: int, content: bytes, what: object) -> None:
    assert status < 500, (status, content[:300], what)
    if status >= 400:
        body = json.loads(content)
        assert isinstance(body, dict) and set(body) == {"error"}, (content[:300], what)
        assert isinstance(body["error"]["code"], str) and body["error"]["code"], what
        assert isinstance(body["error"]["message"], str), what


@schema.parametrize()
@FUZZ
def test_schemathesis(case: Case, live: Live) -> None:
    ends = (case.method.upper(), case.path) in ENDS_SESSION
    auth = live.own_session() if ends else live.auth(case.path)
    kwargs = case.as_transport_kwargs(base_url=live.url, headers=auth)
    headers = dict(kwargs.get("headers") or {})
    if kwargs.get("cookies"):
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items())
    response = live.http.request(
        kwargs["method"],
        kwargs["url"],
        headers=headers,
        params=kwargs.get("params"),
        content=_content(kwargs),
    )
    check(response.status_code, response.content, (case.method, case.formatted_path))
    # The answer is one the schema describes: a documented status, its content type and body schema.
    case.validate_response(response, checks=CONFORMANCE)


def _content(kwargs: dict[str, Any]) -> bytes | None:
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data")
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    return data if isinstance(data, bytes) else None


# -- bodies and paths no schema describes -------------------------------------------------------

ROUTES = [
    ("POST", "/api/session"),
    ("GET", "/api/session"),
    ("PATCH", "/api/session"),
    ("POST", "/api/session/ticket"),
    ("POST", "/api/accounts"),
    ("POST", "/api/login"),
    ("GET", "/api/account"),
    ("DELETE", "/api/account/sessions"),
    ("GET", "/api/games"),
    ("GET", "/api/rooms"),
    ("POST", "/api/rooms"),
    ("POST", "/api/rooms/create"),
    ("GET", "/api/rooms/mine"),
    ("GET", "/api/rooms/{code}"),
    ("GET", "/r/{code}"),
    ("POST", "/api/rooms/{code}/join"),
    ("POST", "/api/rooms/{code}/leave"),
    ("POST", "/api/rooms/{code}/start"),
    ("PATCH", "/api/rooms/{code}/config"),
    ("POST", "/api/rooms/{code}/kick"),
    ("DELETE", "/api/rooms/{code}"),
    ("GET", "/healthz"),
    ("POST", "/api/projects"),
    ("GET", "/api/projects"),
    ("GET", "/api/projects/{project}"),
    ("PATCH", "/api/projects/{project}"),
    ("PUT", "/api/projects/{project}/collaborators/{code}"),
    ("DELETE", "/api/projects/{project}/collaborators/{code}"),
    ("GET", "/api/projects/{project}/versions"),
    ("GET", "/api/projects/{project}/versions/0"),
    ("DELETE", "/api/projects/{project}"),
]

FIELDS = ["username", "name", "game", "password", "private", "config", "spectator", "options", "session_id"]
FIELDS += ["max_players", "min_players", "timeout_seconds", "allow_spectators", "keep_when_empty"]

_text = st.text(st.characters(codec=None, min_codepoint=0), max_size=30)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELDS) | _text, inner, max_size=4)
    ),
    max_leaves=12,
)


#: Bodies that once gave a 500 somewhere: each is sent to every endpoint on every run.
HOSTILE = [
    b"[" * 3000 + b"]" * 3000,
    b'{"password": ' + b"[" * 1500 + b"]" * 1500 + b"}",
    b'{"username": "\\ud800"}',
    b'{"name": "R\\udfff", "game": "tictactoe"}',
    b'{"name": "R", "game": "tictactoe", "password": "\\ud800"}',
    b'{"password": "\\ud800"}',
    b'{"password": 1e400}',
    b'{"max_players": -1e999}',
    b'{"max_players": NaN}',
    b'{"max_players": 100000000000000000000000}',
    b'{"name": "a\\u0000b", "game": "tictactoe"}',
    b"[oops",
    b"123abc",
    b"",
]


def _encode(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


_bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), _values, max_size=5).map(_encode),
    _values.map(_encode),
    st.integers(min_value=1, max_value=3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=1, max_value=200).map(lambda n: b'{"password": ' + b"[" * n + b"]" * n + b"}"),
    st.sampled_from(HOSTILE),
    st.binary(max_size=64),
)
_content_types = st.sampled_from(
    [None, "application/json", "text/plain", "application/x-www-form-urlencoded"]
)
_codes = st.one_of(st.just("ROOM"), st.text(max_size=12), st.sampled_from(["%00", "..", "%ED%A0%80", "a/b"]))
_queries = st.dictionaries(
    st.sampled_from(["sort", "order", "limit", "cursor", "q", "state", "game", "has_password", "token"]),
    st.one_of(_text, st.integers().map(str), st.sampled_from(["name", "desc", "WAITING", "true", "%00"])),
    max_size=4,
)


def _hostile_examples(test: Any) -> Any:
    for body in HOSTILE:
        test = example(body=body, content_type="application/json", code="ROOM", query={}, authenticated=True)(
            test
        )
    return test


@given(
    body=_bodies,
    content_type=_content_types,
    code=_codes,
    query=_queries,
    authenticated=st.booleans() | st.just(True),
)
@FUZZ
@_hostile_examples
def test_any_body_at_every_endpoint(
    live: Live, body: bytes, content_type: str | None, code: str, query: dict[str, str], authenticated: bool
) -> None:
    project = live.project_id if code == "ROOM" else quote(code, safe="%/.")
    query = {k: v.encode("utf-8", "replace").decode() for k, v in query.items()}
    room = live.room_code if code == "ROOM" else quote(code, safe="%/.")
    for method, template in ROUTES:
        path = template.replace("{code}", room).replace("{project}", project)
        headers = live.auth(path) if authenticated else {}
        if content_type:
            headers["content-type"] = content_type
        response = live.http.request(method, path, content=body, headers=headers, params=query)
        check(response.status_code, response.content, (method, path, body[:100], query))
