"""The HTTP half of the client: sessions, the game catalogue, the lobby, every room operation and
matchmaking tickets."""

from __future__ import annotations

from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from roomservice.client.errors import ApiError
from roomservice.client.models import (
    GameInfo,
    LobbyPage,
    MatchmakingStats,
    Project,
    ProjectVersion,
    Room,
    Session,
    Ticket,
)
from roomservice.client.socket import Socket

T = TypeVar("T")


class _RoomBody(msgspec.Struct):
    room: Room


class _LeaveBody(msgspec.Struct):
    room: Room | None = None


class _Cancelled(msgspec.Struct):
    status: str


class _Projects(msgspec.Struct):
    projects: list[Project]


class _Versions(msgspec.Struct):
    versions: list[ProjectVersion]


class _Games(msgspec.Struct):
    games: list[GameInfo]


class _Rooms(msgspec.Struct):
    rooms: list[Room]


class Client:
    """An async client of one server. Use it as ``async with Client(url) as client:``.

    Without a ``token``, call :meth:`create_session` first; the token it returns is kept and sent as
    ``Authorization: Bearer`` on every request and on the socket. Every error answer raises
    :class:`ApiError`.
    """

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        #: Known after :meth:`create_session` or :meth:`session`.
        self.session_id: str | None = None
        self.username: str | None = None
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)
        self._sockets: list[Socket] = []

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the sockets this client opened and its HTTP connections."""
        for socket in self._sockets:
            await socket.close()
        self._sockets.clear()
        await self._http.aclose()

    async def _call(
        self,
        method: str,
        path: str,
        type_: type[T],
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> T:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        resp = await self._http.request(method, path, json=json, params=params, headers=headers)
        # The cookie the server sets would outlive a change of token; the header is what counts.
        self._http.cookies.clear()
        if resp.is_error:
            raise _api_error(resp)
        return msgspec.json.decode(resp.content, type=type_)

    # -- session -------------------------------------------------------------------------------

    async def create_session(self, username: str) -> Session:
        """Start a guest session; its token is used from now on."""
        session = await self._call("POST", "/api/session", Session, json={"username": username})
        self._remember(session)
        self.token = session.token
        return session

    async def session(self) -> Session:
        """The current session, with the ``room_code`` it sits in."""
        session = await self._call("GET", "/api/session", Session)
        self._remember(session)
        return session

    async def rename(self, username: str) -> Session:
        session = await self._call("PATCH", "/api/session", Session, json={"username": username})
        self._remember(session)
        return session

    def _remember(self, session: Session) -> None:
        self.session_id = session.session_id
        self.username = session.username

    # -- games and lobby -----------------------------------------------------------------------

    async def games(self) -> list[GameInfo]:
        return (await self._call("GET", "/api/games", _Games)).games

    async def lobby(
        self,
        *,
        game: str | None = None,
        state: str | None = None,
        has_password: bool | None = None,
        free_seats: bool | None = None,
        q: str | None = None,
        sort: str | None = None,
        order: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> LobbyPage:
        """One page of public rooms; filters left at None are not sent (the server's defaults)."""
        filters = {
            "game": game,
            "state": state,
            "has_password": has_password,
            "free_seats": free_seats,
            "q": q,
            "sort": sort,
            "order": order,
            "limit": limit,
            "cursor": cursor,
        }
        params = {k: v for k, v in filters.items() if v is not None}
        return await self._call("GET", "/api/rooms", LobbyPage, params=params)

    # -- rooms ---------------------------------------------------------------------------------

    async def create_room(
        self,
        name: str,
        game: str,
        password: str | None = None,
        private: bool = False,
        config: dict[str, Any] | None = None,
    ) -> Room:
        """Create a room; the caller sits in it as host."""
        body = {"name": name, "game": game, "password": password, "private": private, "config": config}
        return (await self._call("POST", "/api/rooms", _RoomBody, json=body)).room

    async def room(self, code: str) -> Room:
        return (await self._call("GET", f"/api/rooms/{_code(code)}", _RoomBody)).room

    async def join(self, code: str, password: str | None = None, spectator: bool = False) -> Room:
        body = {"password": password, "spectator": spectator}
        return (await self._call("POST", f"/api/rooms/{_code(code)}/join", _RoomBody, json=body)).room

    async def leave(self, code: str) -> Room | None:
        """Give up the seat; None when that emptied and deleted the room."""
        return (await self._call("POST", f"/api/rooms/{_code(code)}/leave", _LeaveBody)).room

    async def start(self, code: str, options: dict[str, Any] | None = None) -> Room:
        """Host: start the game (again, from FINISHED) with optional game ``options``."""
        body = {"options": options} if options is not None else None
        return (await self._call("POST", f"/api/rooms/{_code(code)}/start", _RoomBody, json=body)).room

    async def configure(self, code: str, **patch: Any) -> Room:
        """Host: change config fields (``max_players=4``, ``allow_spectators=True``, …)."""
        path = f"/api/rooms/{_code(code)}/config"
        return (await self._call("PATCH", path, _RoomBody, json=patch)).room

    async def end(self, code: str) -> Room:
        """Host: end the running game (FINISHED, ``result.abandoned``)."""
        return (await self._call("POST", f"/api/rooms/{_code(code)}/end", _RoomBody)).room

    async def kick(self, code: str, session_id: str) -> Room:
        body = {"session_id": session_id}
        return (await self._call("POST", f"/api/rooms/{_code(code)}/kick", _RoomBody, json=body)).room

    async def delete(self, code: str) -> None:
        """Host: close the room for everyone."""
        await self._call("DELETE", f"/api/rooms/{_code(code)}", dict)

    async def my_rooms(self) -> list[Room]:
        """Rooms this session created."""
        return (await self._call("GET", "/api/rooms/mine", _Rooms)).rooms

    # -- workshop projects (docs/workshop.md): an account's session only -----------------------

    async def create_project(
        self, name: str, description: str = "", content: dict[str, Any] | None = None
    ) -> Project:
        body: dict[str, Any] = {"name": name, "description": description}
        if content is not None:
            body["content"] = content
        return await self._call("POST", "/api/projects", Project, json=body)

    async def projects(self) -> list[Project]:
        """The account's projects and those shared with it (without content)."""
        return (await self._call("GET", "/api/projects", _Projects)).projects

    async def project(self, project_id: str) -> Project:
        """A project as last saved, with its content."""
        return await self._call("GET", f"/api/projects/{_id(project_id)}", Project)

    async def update_project(self, project_id: str, **patch: Any) -> Project:
        """``name``, ``description`` or ``owner`` (a username; the owner only)."""
        return await self._call("PATCH", f"/api/projects/{_id(project_id)}", Project, json=patch)

    async def delete_project(self, project_id: str) -> None:
        await self._call("DELETE", f"/api/projects/{_id(project_id)}", dict)

    async def add_collaborator(self, project_id: str, username: str) -> Project:
        path = f"/api/projects/{_id(project_id)}/collaborators/{_id(username)}"
        return await self._call("PUT", path, Project)

    async def remove_collaborator(self, project_id: str, username: str) -> Project:
        path = f"/api/projects/{_id(project_id)}/collaborators/{_id(username)}"
        return await self._call("DELETE", path, Project)

    async def versions(self, project_id: str) -> list[ProjectVersion]:
        """Every saved version, newest first (without content)."""
        return (await self._call("GET", f"/api/projects/{_id(project_id)}/versions", _Versions)).versions

    async def version(self, project_id: str, version: int) -> ProjectVersion:
        path = f"/api/projects/{_id(project_id)}/versions/{int(version)}"
        return await self._call("GET", path, ProjectVersion)

    # -- matchmaking ---------------------------------------------------------------------------

    async def queue(self, game: str, options: dict[str, Any] | None = None) -> Ticket:
        """Queue for ``game``: a searching ticket. The socket then gets ``MatchFound`` (the session is
        seated), ``MatchCountdown`` and ``MatchTimeout``."""
        body = {"options": options} if options is not None else None
        return await self._call("POST", f"/api/matchmaking/{quote(game, safe='')}/tickets", Ticket, json=body)

    async def ticket(self, ticket_id: str) -> Ticket:
        return await self._call("GET", f"/api/matchmaking/tickets/{quote(ticket_id, safe='')}", Ticket)

    async def cancel(self, ticket_id: str) -> str:
        """Cancel a searching ticket; its status afterwards (``cancelled``, or ``expired``). A matched
        ticket raises ``ApiError`` ``already_matched``: leave the room instead."""
        path = f"/api/matchmaking/tickets/{quote(ticket_id, safe='')}"
        return (await self._call("DELETE", path, _Cancelled)).status

    async def matchmaking(self, game: str) -> MatchmakingStats:
        """How busy ``game``'s queue is."""
        return await self._call("GET", f"/api/matchmaking/{quote(game, safe='')}", MatchmakingStats)

    async def connect(self, **options: Any) -> Socket:
        """Open the session's socket (see :class:`Socket` for ``options``). A socket opened
        elsewhere for the same session is replaced by this one."""
        if not self.token:
            raise RuntimeError("No session: call create_session() or pass a token first.")
        if self.session_id is None:
            await self.session()
        scheme, rest = self.base_url.split("://", 1)
        url = f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws"
        socket = Socket(url, self.token, self.session_id, **options)
        await socket.start()
        self._sockets = [s for s in self._sockets if s.stopped is None]
        self._sockets.append(socket)
        return socket


def _id(value: str) -> str:
    return quote(value, safe="")


def _code(code: str) -> str:
    # Room codes are letters and digits; quoting keeps anything else from changing the path.
    return quote(code.strip(), safe="")


def _api_error(resp: httpx.Response) -> ApiError:
    try:
        body = resp.json()
        error = dict(body["error"])
        code, message = str(error.pop("code")), str(error.pop("message", ""))
    except (ValueError, KeyError, TypeError):
        return ApiError(resp.status_code, "http_error", resp.text[:200] or resp.reason_phrase)
    return ApiError(resp.status_code, code, message, error)
