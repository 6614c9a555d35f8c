"""The OpenAPI schema tells the truth about errors: the server's own error body for every status a
route can answer with, 401 wherever a session is needed, and never FastAPI's ``{detail: [...]}``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from roomservice.config import Settings
from roomservice.web.app import create_app

SPEC: dict[str, Any] = create_app(Settings(secret_key="schema")).openapi()
OPERATIONS = [(method, path, op) for path, ops in SPEC["paths"].items() for method, op in ops.items()]
ERROR_REF = "#/components/schemas/ErrorBody"


def _schema(op: dict[str, Any], status: str) -> dict[str, Any]:
    return op["responses"][status]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def test_the_error_body_is_the_one_the_server_sends() -> None:
    assert "HTTPValidationError" not in SPEC["components"]["schemas"]
    body = SPEC["components"]["schemas"]["ErrorBody"]
    assert body["required"] == ["error"]
    detail = SPEC["components"]["schemas"]["ErrorDetail"]
    assert detail["required"] == ["code", "message"] and detail["additionalProperties"] is True


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_error_status_has_the_error_body(method: str, path: str, op: dict[str, Any]) -> None:
    statuses = [s for s in op["responses"] if s.startswith("4") or s.startswith("5")]
    assert "422" in statuses and "413" in statuses
    for status in statuses:
        if path == "/healthz" and status == "503":
            continue  # the health body itself, saying what is down
        assert _schema(op, status) == {"$ref": ERROR_REF}, (method, path, status)


async def test_every_route_that_needs_a_session_documents_401(api: Any) -> None:
    """Each operation answers 401 without a session exactly when its schema says it can."""
    client: httpx.AsyncClient = api.client()
    for method, path, op in OPERATIONS:
        url = path.replace("{code}", "ABCDEF").replace("{game_id}", "cabo").replace("{game}", "cabo")
        url = url.replace("{ticket_id}", "t")
        response = await client.request(method.upper(), url, json={} if method != "get" else None)
        if response.status_code == 401:
            assert "401" in op["responses"], (method, path)
        assert response.status_code < 500
