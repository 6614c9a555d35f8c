"""Frames from clients: size and rate checked, decoded once, then handled — chat is numbered and fanned
out, ``ping`` answered, ``resume`` replayed from the room's buffer, ``action`` queued to the game,
``lobby_subscribe`` and ``lobby_unsubscribe`` handed to the live lobby, the workshop's frames
(``project_open``, ``edit``, …) to the project desk."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any

from roomservice.config import Settings
from roomservice.model import Stamps
from roomservice.protocol import codes, messages
from roomservice.protocol.frames import (
    WORKSHOP_FRAMES,
    Action,
    Chat,
    FrameError,
    LobbySubscribe,
    LobbyUnsubscribe,
    Ping,
    Resume,
    decode,
    encode,
    error,
)
from roomservice.protocol.messages import encode_bytes
from roomservice.realtime.connection import Connection
from roomservice.realtime.outbox import Outbox
from roomservice.realtime.ports import GameDesk, ProjectDesk
from roomservice.realtime.presence import Presence
from roomservice.rooms.chat import ChatLog
from roomservice.scheduling import Scheduler
from roomservice.stats import Stats, frame_bytes

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(
        self,
        settings: Settings,
        presence: Presence,
        outbox: Outbox,
        desk: GameDesk,
        chat: ChatLog,
        scheduler: Scheduler,
        projects: ProjectDesk | None = None,
        stats: Stats | None = None,
    ) -> None:
        self.settings = settings
        #: The workshop: the frames of project rooms go there.
        self.projects = projects
        self.stats = stats
        #: The live lobby the outbox keeps current.
        self.lobby = outbox.lobby
        self.presence = presence
        self.outbox = outbox
        self.desk = desk
        self.chat = chat
        self.scheduler = scheduler
        # Read once per frame: kept here rather than looked up on the settings each time.
        self._max_frame = settings.ws_max_frame
        self._limited = settings.ws_rate_limit > 0
        self._channels = presence.channels
        self._logs = outbox.rooms
        self._now = scheduler.now
        self._stamps = Stamps()
        #: Each socket's last workshop frame still being handled: the next one waits for it.
        self._workshop_tail: dict[Connection, asyncio.Task[None]] = {}

    def receive(self, conn: Connection, text: str) -> None:
        size = len(text)
        stats = self.stats
        if stats is not None:
            stats.frames_in += 1
            # Most frames: a 2-byte header and a 4-byte mask.
            stats.bytes_in += size + 6 if size < 120 and text.isascii() else frame_bytes(text, masked=True)
        if size > self._max_frame:
            conn.close(codes.CLOSE_TOO_BIG, "frame too big")
            return
        # Without a rate limit every bucket admits everything (a game's input rate is not added).
        if self._limited and not self._admit(conn):
            return
        conn.refused_in_a_row = 0
        try:
            frame = decode(text)
            if conn.held is not None and not isinstance(frame, Resume):
                conn.release()
            if type(frame) is Action:  # the most frequent by far: a real-time game's inputs
                chan = self._channels.get(conn.room_id or "")
                if chan is None:
                    raise FrameError(codes.NOT_IN_ROOM, "Join a room first.", frame.ref)
                self.desk.act(chan.room_id, conn.session.session_id, frame.payload, conn.send, frame.ref)
            elif type(frame) is Chat:
                self._chat(conn, frame)
            elif isinstance(frame, WORKSHOP_FRAMES):
                self._workshop(conn, frame)
            else:
                self._dispatch(conn, frame)
        except FrameError as exc:
            conn.send(encode(error(exc.code, exc.message, exc.ref)))

    def _workshop(self, conn: Connection, frame: Any) -> None:
        """A workshop frame: handled after the socket's previous workshop frames (opening a project
        reads the database), so a project's frames keep their order without holding up the rest."""
        projects = self.projects
        if projects is None:
            raise FrameError(codes.UNKNOWN_TYPE, "This server has no workshop.", frame.ref)
        previous = self._workshop_tail.get(conn)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait((previous,))
            try:
                await projects.receive(conn, frame)
            except FrameError as exc:
                conn.send(encode(error(exc.code, exc.message, exc.ref)))

        task = asyncio.get_running_loop().create_task(run())
        self._workshop_tail[conn] = task

        def done(finished: asyncio.Task[None]) -> None:
            if self._workshop_tail.get(conn) is finished:
                del self._workshop_tail[conn]
            if not finished.cancelled() and finished.exception() is not None:
                log.error("workshop frame of %s failed", conn.session_id, exc_info=finished.exception())

        task.add_done_callback(done)

    def _admit(self, conn: Connection) -> bool:
        """Whether the socket's bucket admits one more frame; a refusal is answered (or ends a flood)."""
        self._allowance(conn)
        if not conn.bucket.take():
            conn.refused_in_a_row += 1
            if conn.refused_in_a_row > self.settings.ws_abuse_limit or conn.bucket.flooding():
                conn.close(codes.CLOSE_POLICY, "rate limit")
            elif conn.refused_in_a_row == 1 or conn.refused_in_a_row % 10 == 0:
                conn.send(encode(error(codes.RATE_LIMITED, "Too many frames; slow down.")))
            return False
        return True

    def _allowance(self, conn: Connection) -> None:
        """The socket's bucket admits the input rate of the real-time game running in its room (one
        second of inputs on top of the burst), plus the usual allowance for chat and the rest."""
        base = self.settings.ws_rate_limit
        if base <= 0:
            return
        extra = self.desk.input_rate(conn.room_id) if conn.room_id else 0.0
        conn.bucket.adjust(base + extra, self.settings.ws_rate_burst + math.ceil(extra))

    def _dispatch(self, conn: Connection, frame: Any) -> None:
        if isinstance(frame, Ping):
            pong = encode(messages.Pong(ref=frame.ref))
            previous = self._workshop_tail.get(conn)
            if previous is None:
                conn.send(pong)
            else:
                # Answered after the socket's workshop frames sent before it, which are still being
                # handled: a client reads the answers to its frames in the order it sent them.
                previous.add_done_callback(lambda _: conn.send(pong))
        elif isinstance(frame, Resume):
            self._resume(conn, frame)
        elif isinstance(frame, LobbySubscribe):
            self.lobby.subscribe(conn, frame.game)
        elif isinstance(frame, LobbyUnsubscribe):
            self.lobby.unsubscribe(conn)

    def _chat(self, conn: Connection, frame: Chat) -> None:
        room_id = conn.room_id
        chan = self._channels.get(room_id) if room_id is not None else None
        room_log = self._logs.get(room_id) if chan is not None and room_id is not None else None
        if chan is None or (room_log is None and self.outbox.remote is None):
            raise FrameError(codes.NOT_IN_ROOM, "Join a room first.", frame.ref)
        now = self._now()
        stamps = self._stamps
        at = stamps.text if stamps.start <= now < stamps.end else stamps(now)
        if room_log is None:
            # Another node owns the room: it numbers the line and keeps it in the history.
            assert self.outbox.remote is not None
            session = conn.session
            message = messages.Chat(
                sender=session.username, session_id=session.session_id, text=frame.text, at=at
            )
            self.outbox.remote.publish(chan.room_id, chan.room_code, message, chat=True)
            return
        session = conn.session
        if conn.chat_as is not session:  # the socket's first line, or its session was renamed
            conn.chat_as = session
            conn.chat_head = messages.chat_head(session.username, session.session_id)
        text = self.outbox.chat(room_log, conn.chat_head, encode_bytes(frame.text).decode(), at)
        self.chat.add(room_log.room_id, text)

    def _resume(self, conn: Connection, frame: Resume) -> None:
        chan = self.presence.channel_of(conn)
        room_log = self.outbox.get(chan.room_id) if chan is not None else None
        asked = frame.room_code.strip().upper()
        elsewhere = room_log is None and self.outbox.remote is not None
        if chan is None or not (room_log or elsewhere) or asked != chan.room_code:
            shown = "".join(c if c.isascii() and c.isalnum() else "?" for c in asked[:16])  # client text
            _refused(conn, shown, "room %s: resume refused for session %s: it is not in that room")
            conn.release()  # nothing to replay: let held live frames flow now
            raise FrameError(codes.NOT_IN_ROOM, "You are not in that room.", frame.ref)
        if room_log is None:
            self.presence.spawn(self.presence.resume_elsewhere(conn, chan, frame.last_seq))
            return
        missed = room_log.missed(conn.session_id, frame.last_seq, conn.attached_seq)
        if missed is None:
            _refused(
                conn,
                chan.room_code,
                f"room %s: resume of session %s from seq {frame.last_seq} refused: older than the resume "
                "buffer; it gets the room afresh",
            )
            self.presence.spawn(self.presence.fresh_state(conn, chan))
            return
        conn.release(missed)


def _refused(conn: Connection, room: str, message: str) -> None:
    """Log a refused resume: the 1st, 2nd, 4th, 8th... of a socket, so that a client repeating one
    cannot flood the log."""
    conn.resumes_refused += 1
    n = conn.resumes_refused
    if n & (n - 1) == 0:
        suffix = f" ({n} on this socket)" if n > 1 else ""
        log.info(message + suffix, room, conn.session_id, extra={"room": room, "session": conn.session_id})
