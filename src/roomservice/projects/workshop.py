"""The workshop: every project open on this node, each a room (room id = project id) next to the game
rooms, reached over the same socket. Nothing here reaches other nodes: with several nodes, collaborators
of one project on two nodes get two copies (docs/workshop.md, "Limits of this version").

The first collaborator to open a project loads it from the database into a :class:`LiveProject`;
later ones share that copy. Opening, and any change of a project's metadata (over the socket or over
HTTP), are done one at a time per project (a lock each), so a project is never loaded while its
metadata is being written, and every open copy learns of each change. The socket layer hands frames
in through :meth:`receive` and closed sockets through :meth:`disconnected` (``realtime.ports.ProjectDesk``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import TypeVar

import msgspec

from roomservice.config import Settings
from roomservice.errors import RoomServiceError
from roomservice.model import Session
from roomservice.projects.room import EDIT, REDO, SAVE, UNDO, Job, LiveProject
from roomservice.projects.service import Changed, Changes, ProjectService, not_collaborator, not_found
from roomservice.protocol import codes
from roomservice.protocol.frames import (
    Cursor,
    Edit,
    FrameError,
    MetaChange,
    ProjectLeave,
    ProjectOpen,
    Redo,
    Save,
    Undo,
    WorkshopFrame,
)
from roomservice.realtime.connection import Connection
from roomservice.realtime.outbox import Outbox
from roomservice.scheduling import Scheduler
from roomservice.store.projects import ProjectRecord
from roomservice.workshop.sculpture import Cell, EditError, Sculpture

log = logging.getLogger(__name__)

NOT_IN_PROJECT = "not_in_project"

_KINDS: dict[type[WorkshopFrame], str] = {Edit: EDIT, Undo: UNDO, Redo: REDO, Save: SAVE}

T = TypeVar("T")


def _given(value: T | msgspec.UnsetType) -> T | None:
    """An attribute a ``meta_change`` names, or None for one it leaves out."""
    return None if isinstance(value, msgspec.UnsetType) else value


class Workshop:
    def __init__(
        self,
        settings: Settings,
        projects: ProjectService,
        outbox: Outbox,
        scheduler: Scheduler,
    ) -> None:
        self.settings = settings
        self.projects = projects
        self.outbox = outbox
        self.broker = outbox.broker
        self.scheduler = scheduler
        #: Open projects by id.
        self.rooms: dict[str, LiveProject] = {}
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def _lock(self, project_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(project_id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[project_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[project_id]
            if users == 1:
                del self._locks[project_id]
            else:
                self._locks[project_id] = (lock, users - 1)

    # -- opening ------------------------------------------------------------------------------

    async def _room(self, project_id: str, account_id: str) -> LiveProject:
        """The open project, loaded first when nobody has it open, for one of its collaborators:
        ``project_not_found``, ``not_collaborator``. Call with the project's lock held."""
        room = self.rooms.get(project_id)
        if room is not None and room.closing:
            await asyncio.gather(room.task, return_exceptions=True)  # saved and gone: load it again
            room = self.rooms.get(project_id)
        if room is not None:
            if not room.project.can_open(account_id):
                raise not_collaborator()
            return room
        loaded = await self.projects.load(project_id)
        if loaded is None:
            raise not_found()
        project, last_save = loaded
        if not project.can_open(account_id):
            raise not_collaborator()
        assert project.content is not None
        sculpture = Sculpture.from_content(project.content)
        room_log = await self.outbox.open(project_id, f"project:{project_id[:8]}")
        room = LiveProject(
            dataclasses.replace(project, content=None),
            sculpture,
            last_save,
            service=self.projects,
            outbox=self.outbox,
            room_log=room_log,
            broker=self.broker,
            scheduler=self.scheduler,
            autosave=self.settings.workshop_autosave,
            grace=float(self.settings.reconnect_grace),
            on_closed=self._closed,
        )
        self.rooms[project_id] = room
        return room

    def _closed(self, room: LiveProject) -> None:
        if self.rooms.get(room.project_id) is room:
            del self.rooms[room.project_id]

    # -- the socket's frames (ProjectDesk) ----------------------------------------------------

    async def receive(self, conn: Connection, frame: WorkshopFrame) -> None:
        """Handle one workshop frame of a socket; refusals raise :class:`FrameError`."""
        session = conn.session
        if session.account_id is None or session.account_username is None:
            raise FrameError(
                "account_required", "Only an account can open projects: sign up or log in.", frame.ref
            )
        if isinstance(frame, ProjectOpen):
            await self._open(conn, session, frame)
            return
        room = self.rooms.get(conn.project_id) if conn.project_id else None
        if room is None or room.closing:
            conn.project_id = None
            raise FrameError(NOT_IN_PROJECT, "Open a project first (project_open).", frame.ref)
        if isinstance(frame, ProjectLeave):
            room.detach(conn, "left")
        elif isinstance(frame, Edit | Undo | Redo | Save):
            room.submit(
                Job(
                    _KINDS[type(frame)],
                    account_id=session.account_id,
                    username=session.account_username,
                    session_id=session.session_id,
                    op=frame.op if isinstance(frame, Edit) else None,
                    ref=frame.ref,
                    reply=conn.send,
                )
            )
        elif isinstance(frame, Cursor):
            room.cursor(session.account_id, self._cell(room, frame))
        elif isinstance(frame, MetaChange):
            await self._meta(session, room.project_id, frame)

    async def _open(self, conn: Connection, session: Session, frame: ProjectOpen) -> None:
        assert session.account_id is not None and session.account_username is not None
        current = self.rooms.get(conn.project_id) if conn.project_id else None
        if current is not None and current.project_id != frame.project_id:
            current.detach(conn, "left")
        try:
            async with self._lock(frame.project_id):
                room = await self._room(frame.project_id, session.account_id)
                if conn.closed:  # gone while it loaded
                    room.release_if_empty()
                    return
                room.attach(conn, session.account_id, session.account_username, frame.last_seq)
        except RoomServiceError as exc:
            raise FrameError(exc.code, exc.message, frame.ref) from None

    @staticmethod
    def _cell(room: LiveProject, frame: Cursor) -> Cell | None:
        coords = (frame.x, frame.y, frame.z)
        if all(v is None for v in coords):
            return None
        if any(v is None for v in coords):
            raise FrameError(codes.INVALID_FRAME, "A cursor is x, y and z, or none of them.", frame.ref)
        try:
            return room.document.sculpture.cell(*coords)
        except EditError as exc:
            raise FrameError(exc.code, exc.message, frame.ref) from None

    async def _meta(self, session: Session, project_id: str, frame: MetaChange) -> None:
        changes = Changes(
            name=_given(frame.name),
            description=_given(frame.description),
            owner=_given(frame.owner),
            collaborators=_given(frame.collaborators),
        )
        if changes == Changes():
            raise FrameError(
                "invalid_meta", "meta_change names one of name, description, collaborators, owner.", frame.ref
            )
        try:
            await self.change(session, project_id, changes)
        except RoomServiceError as exc:
            raise FrameError(exc.code, exc.message, frame.ref) from None

    async def disconnected(self, conn: Connection) -> None:
        """A socket closed: its collaborator stays present for the reconnect grace."""
        room = self.rooms.get(conn.project_id) if conn.project_id else None
        if room is not None:
            room.dropped(conn)

    # -- changes from anywhere ----------------------------------------------------------------

    async def change(self, session: Session, project_id: str, changes: Changes) -> Changed:
        """Change a project's metadata (committed at once) and tell whoever has it open."""
        async with self._lock(project_id):
            changed = await self.projects.change(session.account_id, project_id, changes)
            room = self.rooms.get(project_id)
            if room is not None and not room.closing:
                room.meta_changed(changed, session.account_username or session.username)
        return changed

    async def delete(self, session: Session, project_id: str) -> ProjectRecord:
        """Delete a project; whoever has it open is told (``project_closed``, ``deleted``)."""
        async with self._lock(project_id):
            project = await self.projects.delete(session, project_id)
            room = self.rooms.get(project_id)
            if room is not None:
                room.submit(Job("close", reason="deleted"))
        return project

    async def close(self) -> None:
        """Server shutdown: save every open project that changed."""
        for room in list(self.rooms.values()):
            try:
                await room.stop()
            except Exception:
                log.exception("project %s: could not save it at shutdown", room.project_id)
