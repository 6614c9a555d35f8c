"""One open project: its room. The sculpture lives here, in memory, while anyone has it open.

Edits, undo, redo, restores and saves go through one queue and one task, so they are applied one at a
time in arrival order; each applied edit is numbered in the project's frame sequence (the same outbox,
resume buffer and broker as a game room) and sent to every collaborator present, the sender's copy
carrying its ``ref``. A copy that applies the ``edit`` frames in ``seq`` order holds what this one
holds. Joining, leaving, cursors and metadata are handled at once, outside the queue: they do not
change the cubes.

Saves write the content as a new version; the first edit after a save arms the autosave timer
(``ROOMSERVICE_WORKSHOP_AUTOSAVE``), so no edit stays unsaved longer than that (plus the write itself).
When the last collaborator leaves, or drops and does not come back within the reconnect grace, the
project is saved (as an autosave) and the room is closed: the next to open it loads it again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import msgspec

from roomservice.broker.base import Broker, Envelope
from roomservice.errors import RoomServiceError
from roomservice.model import iso
from roomservice.projects.service import Changed, ProjectService
from roomservice.protocol import codes, messages
from roomservice.protocol.edits import EditOp, Restore
from roomservice.protocol.messages import encode, error
from roomservice.realtime.channel import RoomChannel
from roomservice.realtime.connection import Connection
from roomservice.realtime.outbox import Outbox, RoomLog
from roomservice.scheduling import Scheduler, Timer
from roomservice.store.projects import ProjectRecord, VersionRecord
from roomservice.workshop.document import Document
from roomservice.workshop.sculpture import Cell, Delta, EditError, Sculpture

log = logging.getLogger(__name__)

#: Seconds between two cursor frames of one collaborator; the newest position in between is sent then.
CURSOR_INTERVAL = 0.1

EDIT, UNDO, REDO, SAVE, EVICT, CLOSE = "edit", "undo", "redo", "save", "evict", "close"

Reply = Callable[[str], None]


@dataclasses.dataclass(frozen=True, slots=True)
class Job:
    kind: str
    #: Who asked: an account id and its username (None for the server's own saves).
    account_id: str | None = None
    username: str | None = None
    session_id: str | None = None
    op: EditOp | None = None
    ref: str | int | None = None
    reply: Reply | None = None
    #: ``close``: why (``deleted``).
    reason: str = ""


@dataclasses.dataclass(slots=True)
class Collaborator:
    """A collaborator present: their sessions with the project open (or dropped, within the grace)."""

    username: str
    sessions: set[str] = dataclasses.field(default_factory=set)
    cursor: Cell | None = None
    cursor_timer: Timer | None = None
    cursor_due: bool = False


class LiveProject:
    def __init__(
        self,
        project: ProjectRecord,
        sculpture: Sculpture,
        last_save: VersionRecord,
        *,
        service: ProjectService,
        outbox: Outbox,
        room_log: RoomLog,
        broker: Broker,
        scheduler: Scheduler,
        autosave: float,
        grace: float,
        on_closed: Callable[[LiveProject], None],
    ) -> None:
        self.project = project
        self.project_id = project.project_id
        self.document = Document(sculpture)
        self.service = service
        self.outbox = outbox
        self.room_log = room_log
        self.broker = broker
        self.scheduler = scheduler
        self.autosave = autosave
        self.grace = grace
        self.on_closed = on_closed
        #: Edits since the last save, and that save.
        self.changed = False
        self.last_save = last_save
        #: By account id.
        self.present: dict[str, Collaborator] = {}
        self.channel = RoomChannel(self.project_id, room_log.room_code, lambda _chan, _env: None)
        broker.subscribe(self.project_id, self.channel.deliver)
        #: Set once the room has begun to close: nobody joins it any more (they load it again).
        self.closing = False
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self._autosave: Timer | None = None
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"project-{self.project_id}")

    # -- who is here --------------------------------------------------------------------------

    def attach(self, conn: Connection, account_id: str, username: str, last_seq: int = -1) -> None:
        """Open the project on a socket: a snapshot (or, for a socket coming back within the grace
        that names the last ``seq`` it saw, what it missed), then ``collaborator_joined`` when the
        collaborator was not present yet. No await in here, so no frame slips in between."""
        chan = self.channel
        session_id = conn.session_id
        returning = session_id in chan.offline
        self._forget_grace(session_id)
        missed = (
            self.room_log.missed(session_id, last_seq, self.room_log.seq)
            if returning and last_seq >= 0
            else None
        )
        conn.project_id = self.project_id
        chan.attached[session_id] = conn
        if missed is not None:
            conn.send_replay(missed)
        else:
            conn.send_replay([encode(self.snapshot(account_id))])
        here = self.present.get(account_id)
        if here is None:
            here = self.present[account_id] = Collaborator(username)
            self._publish(messages.CollaboratorJoined(username=username))
        here.sessions.add(session_id)

    def snapshot(self, account_id: str) -> messages.ProjectSnapshot:
        present = [{"username": c.username, "cursor": _cell(c.cursor)} for c in self.present.values()]
        return messages.ProjectSnapshot(
            seq=self.room_log.seq,
            project=self.project.meta(),
            content=self.document.sculpture.to_content(),
            present=present,
            changed=self.changed,
            can_undo=self.document.can_undo(account_id),
            can_redo=self.document.can_redo(account_id),
        )

    def detach(self, conn: Connection, reason: str = "left") -> None:
        """The socket leaves the project (``project_leave``, or it opened another one)."""
        chan = self.channel
        if chan.attached.get(conn.session_id) is conn:
            del chan.attached[conn.session_id]
            self._gone(conn.session_id, reason)
        conn.project_id = None

    def dropped(self, conn: Connection) -> None:
        """The socket closed: its collaborator stays present for the grace, then leaves."""
        chan = self.channel
        if chan.attached.get(conn.session_id) is not conn:
            return
        del chan.attached[conn.session_id]
        session_id = conn.session_id
        chan.offline.add(session_id)
        chan.grace[session_id] = self.scheduler.call_later(self.grace, lambda: self._grace_over(session_id))

    def _grace_over(self, session_id: str) -> None:
        self.channel.grace.pop(session_id, None)
        if session_id in self.channel.offline:
            self._gone(session_id, "disconnected")

    def _forget_grace(self, session_id: str) -> None:
        timer = self.channel.grace.pop(session_id, None)
        if timer is not None:
            timer.cancel()
        self.channel.offline.discard(session_id)

    def _gone(self, session_id: str, reason: str) -> None:
        """A session is no longer in the project; its collaborator leaves with the last of theirs,
        and the room closes with the last collaborator."""
        self._forget_grace(session_id)
        for account_id, here in list(self.present.items()):
            if session_id not in here.sessions:
                continue
            here.sessions.discard(session_id)
            if not here.sessions:
                del self.present[account_id]
                if here.cursor_timer is not None:
                    here.cursor_timer.cancel()
                self._publish(messages.CollaboratorLeft(username=here.username, reason=reason))
        self.channel.attached.pop(session_id, None)
        self.release_if_empty()

    def release_if_empty(self) -> None:
        """Close the room if nobody is in it (an opener went away before it was in)."""
        if not self.present and not self.closing:
            self.submit(Job(EVICT))

    # -- cursors and metadata -----------------------------------------------------------------

    def cursor(self, account_id: str, cell: Cell | None) -> None:
        """Show a collaborator's cursor to everyone, at most once per :data:`CURSOR_INTERVAL` each (the
        newest position wins). Not numbered, not kept for resume."""
        here = self.present.get(account_id)
        if here is None:
            return
        here.cursor = cell
        if here.cursor_timer is not None:
            here.cursor_due = True
            return
        self._send_cursor(here)

    def _send_cursor(self, here: Collaborator) -> None:
        x, y, z = here.cursor if here.cursor is not None else (None, None, None)
        frame = messages.CursorMoved(username=here.username, x=x, y=y, z=z)
        self.broker.publish(Envelope(self.project_id, 0, encode(frame), kind=frame.type))
        here.cursor_due = False
        here.cursor_timer = self.scheduler.call_later(CURSOR_INTERVAL, lambda: self._cursor_timer(here))

    def _cursor_timer(self, here: Collaborator) -> None:
        here.cursor_timer = None
        if here.cursor_due and here.sessions:  # no sessions: the collaborator left meanwhile
            self._send_cursor(here)

    def meta_changed(self, changed: Changed, by: str) -> None:
        """Metadata was committed (over the socket or HTTP): keep it, tell everyone, and close the
        project for those who lost access."""
        self.project = dataclasses.replace(changed.project, content=None)
        if changed.attributes:
            self._publish(messages.MetaChanged(by=by, project=self.project.meta(), **changed.attributes))
        for person in changed.lost:
            here = self.present.get(person.account_id)
            if here is None:
                continue
            for session_id in list(here.sessions):
                conn = self.channel.attached.pop(session_id, None)
                if conn is not None:
                    self._close_for(conn, "removed")
                self._gone(session_id, "removed")

    # -- the queue ----------------------------------------------------------------------------

    def submit(self, job: Job) -> None:
        self.queue.put_nowait(job)

    async def _run(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                if await self._handle(job):
                    return
            except Exception:
                log.exception("project %s: %s failed", self.project_id, job.kind)
                self._refuse(job, codes.INTERNAL, "That failed on the server; nothing changed.")

    def _refuse(self, job: Job, code: str, message: str) -> None:
        if job.reply is not None:
            job.reply(encode(error(code, message, job.ref)))

    async def _handle(self, job: Job) -> bool:
        """Handle one job; True once the room is closed."""
        if job.kind in (EDIT, UNDO, REDO):
            await self._edit(job)
        elif job.kind == SAVE:
            await self._save(job)
        elif job.kind == EVICT:
            if self.present:
                return False  # somebody came back meanwhile
            self.closing = True
            await self._save(Job(SAVE))
            await self._close(forget=False)
            return True
        elif job.kind == CLOSE:
            self.closing = True
            for conn in list(self.channel.attached.values()):
                self._close_for(conn, job.reason)
            self.channel.attached.clear()
            await self._close(forget=True)
            return True
        return False

    async def _edit(self, job: Job) -> None:
        assert job.account_id is not None and job.username is not None
        doc = self.document
        try:
            if job.kind == UNDO:
                delta, op = doc.undo(job.account_id), {"kind": "undo"}
            elif job.kind == REDO:
                delta, op = doc.redo(job.account_id), {"kind": "redo"}
            elif isinstance(job.op, Restore):
                delta, op = await self._restore(job.account_id, job.op), msgspec.to_builtins(job.op)
            else:
                assert job.op is not None
                delta, op = doc.edit(job.account_id, job.op), msgspec.to_builtins(job.op)
        except EditError as exc:
            self._refuse(job, exc.code, exc.message)
            return
        except RoomServiceError as exc:
            self._refuse(job, exc.code, exc.message)
            return
        self._broadcast_edit(job, op, delta)
        if delta and not self.changed:
            self.changed = True
            self._autosave = self.scheduler.call_later(self.autosave, lambda: self.submit(Job(SAVE)))

    async def _restore(self, account_id: str, op: Restore) -> Delta:
        _, content = await self.service.saved_version(self.project_id, op.version)
        saved = Sculpture.from_content(content, size=self.document.sculpture.size)
        return self.document.restore(account_id, saved)

    def _broadcast_edit(self, job: Job, op: Any, delta: Delta) -> None:
        assert job.username is not None
        frame = messages.EditApplied(by=job.username, op=op, placed=delta.placed(), removed=delta.removed())
        frame.seq = self.outbox.next_seq(self.room_log)
        text = encode(frame)
        views: dict[str, str] = {}
        if job.ref is not None and job.session_id is not None:
            frame.ref = job.ref
            views[job.session_id] = encode(frame)
        self.outbox.publish_views(self.room_log, views, text, frame.type)

    async def _save(self, job: Job) -> None:
        """Write a new version when there are edits since the last save; a ``save`` without any gets
        the last save back."""
        if self._autosave is not None:
            self._autosave.cancel()
            self._autosave = None
        if not self.changed:
            if job.reply is not None:
                last = self.last_save
                frame = messages.Saved(
                    saved_by=last.saved_by,
                    saved_at=iso(last.saved_at),
                    version=last.version,
                    auto=last.auto,
                    ref=job.ref,
                )
                job.reply(encode(frame))
            return
        written = await self.service.save(
            self.project_id,
            self.document.sculpture.copy(),
            saved_by=job.account_id,
            auto=job.account_id is None,
        )
        if written is None:
            return  # deleted meanwhile: its close is on its way
        version, saved_at = written
        self.changed = False
        self.last_save = VersionRecord(
            version, len(self.document.sculpture.cubes), saved_at, job.username, job.account_id is None
        )
        self.project = dataclasses.replace(
            self.project, version=version, saved_at=saved_at, updated_at=saved_at
        )
        frame = messages.Saved(
            saved_by=job.username, saved_at=iso(saved_at), version=version, auto=job.account_id is None
        )
        frame.seq = self.outbox.next_seq(self.room_log)
        text = encode(frame)
        views: dict[str, str] = {}
        if job.ref is not None and job.session_id is not None:
            frame.ref = job.ref
            views[job.session_id] = encode(frame)
        self.outbox.publish_views(self.room_log, views, text, frame.type)

    async def _close(self, *, forget: bool) -> None:
        """Let the room go: the channel, the frame log (its numbers kept unless the project is gone)."""
        for timer in self.channel.grace.values():
            timer.cancel()
        for here in self.present.values():
            if here.cursor_timer is not None:
                here.cursor_timer.cancel()
        self.broker.unsubscribe(self.project_id, self.channel.deliver)
        self.on_closed(self)
        if forget:
            await self.outbox.close_room(self.project_id)
        else:
            await self.outbox.release_room(self.project_id)

    async def stop(self) -> None:
        """Server shutdown: save what changed, then end."""
        self.submit(Job(EVICT))
        self.present.clear()
        await asyncio.gather(self.task, return_exceptions=True)

    def _publish(self, frame: messages.RoomFrame) -> None:
        self.outbox.publish(self.room_log, frame)

    def _close_for(self, conn: Connection, reason: str) -> None:
        """Tell a socket the project is closed for it, straight away (it is detached next)."""
        conn.send(encode(messages.ProjectClosed(project_id=self.project_id, reason=reason)))
        conn.project_id = None


def _cell(cell: Cell | None) -> dict[str, int] | None:
    return None if cell is None else {"x": cell[0], "y": cell[1], "z": cell[2]}
