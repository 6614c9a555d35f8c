"""What the OpenAPI schema says of errors: the one body every failure has, and the statuses a route
can answer with, so that the schema lists what the server really sends (never FastAPI's default
``{"detail": [...]}`` for 422, which this server does not send)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

#: What each status means, whichever route answers it (docs/protocol.md lists every code).
MEANING = {
    400: "`bad_request`: a body the route could not read.",
    401: "No session, or a bad, expired or signed-out token: `unauthorized`, `invalid_token`, "
    "`session_expired`; `invalid_credentials` for a wrong username or password (an operator endpoint: "
    "no `Authorization: Bearer` token).",
    403: "Refused: `cross_origin` (a state-changing call from another site without a bearer token), "
    "or the route's own refusals (`not_host`, `wrong_password`, `spectators_not_allowed`, "
    "`account_required`, `not_owner`, `not_collaborator`; an operator endpoint: `invalid_token`).",
    404: "Not found: `room_not_found`, `game_not_found`, `ticket_not_found`, `not_in_room`, "
    "`project_not_found`, `account_not_found`, `version_not_found` (an operator endpoint that is not "
    "configured: `not_found`).",
    409: "Conflicts with the current state: `already_in_room`, `room_full`, `game_in_progress`, "
    "`username_taken`, `already_signed_in`, …",
    413: "`payload_too_large`: a body over the configured limit.",
    422: "`validation_error` (`fields` lists each problem), `invalid_json`, or the route's own "
    "`invalid_*` codes.",
    429: "`rate_limited`: too many from one address; `too_many_attempts`: too many wrong passwords "
    "for an account or from an address. `Retry-After` says when to try again.",
    503: "Unavailable for now (`code_exhausted`: try again).",
}

#: Every route can answer these: the body guard refuses a body too large (413), malformed JSON or a
#: NUL in the path or query (422) before any route runs, and a body a route cannot parse is 400.
ALWAYS = (400, 413, 422)


class ErrorDetail(BaseModel):
    """``code`` is stable, ``message`` is for people; some codes add fields (``fields``, ``room``, …)."""

    model_config = ConfigDict(extra="allow")

    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error the server sends over HTTP."""

    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that can fail with ``statuses`` (besides :data:`ALWAYS`)."""
    return {
        status: {"model": ErrorBody, "description": MEANING[status]}
        for status in sorted({*statuses, *ALWAYS})
    }


def body(model: type[BaseModel], status: int = 200, description: str = "") -> dict[int | str, dict[str, Any]]:
    """``responses=`` entry documenting a success body."""
    return {status: {"model": model, "description": description or "Success"}}
