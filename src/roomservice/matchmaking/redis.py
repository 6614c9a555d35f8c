"""The queue on Redis, shared by every node that uses the same Redis and key prefix.

Every step that changes the queue is one Lua script, so it is atomic however many nodes call it.
Keys (``{p}`` is the configured prefix): ``{p}t:<ticket>`` (hash), ``{p}s:<session>`` (the session's
last ticket), ``{p}g:<group>`` (hash) and ``{p}g:<group>:t`` (its tickets, in arrival order),
``{p}open:<pool>`` (sorted set of the pool's open groups scored by size, then age),
``{p}opengame:<game>`` (set of the game's open groups), ``{p}searching:<game>`` (counter),
``{p}waits:<game>`` (the last matched waits) and ``{p}groupseq``. Tickets, sessions and groups carry a
TTL of ``retention`` seconds, renewed on every change.

Calls made at the same time go to Redis together: every command issued while a batch is on its way
waits for it and then leaves in the next one, as one pipeline (one write, one read, in order). Each
script is still its own atomic step, run in the order it was called; only the round trips are shared,
so 64 clients filing at once cost a few round trips, not 64.

``serve`` uses this queue with a Redis URL (several nodes share it) and ``LocalQueue`` without one;
the contract suite runs it against a real Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import NoScriptError

from roomservice.batching import Batches
from roomservice.config import Settings
from roomservice.matchmaking.base import WAITS_KEPT, AlreadyQueued, Group, Placement, Stats, Status, Ticket

#: Connections to Redis per queue.
POOL_SIZE = 32

_PRELUDE = """
local p = ARGV[1]
local ret = tonumber(ARGV[2])
local function reopen(gid)
  local gk = p .. 'g:' .. gid
  local g = redis.call('HMGET', gk, 'pool', 'game', 'max', 'closed', 'number')
  if not g[1] then return end
  local size = redis.call('LLEN', gk .. ':t')
  if g[4] == '1' or size == 0 or size >= tonumber(g[3]) then
    redis.call('ZREM', p .. 'open:' .. g[1], gid)
    redis.call('SREM', p .. 'opengame:' .. g[2], gid)
  else
    redis.call('ZADD', p .. 'open:' .. g[1], size * 1000000000 - tonumber(g[5]), gid)
    redis.call('SADD', p .. 'opengame:' .. g[2], gid)
  end
  redis.call('EXPIRE', gk, ret)
  if size > 0 then redis.call('EXPIRE', gk .. ':t', ret) end
end
local function place(tid, game, pool, max)
  local best = redis.call('ZREVRANGE', p .. 'open:' .. pool, 0, 0)
  local gid
  if #best == 0 then
    gid = tostring(redis.call('INCR', p .. 'groupseq'))
    redis.call('HSET', p .. 'g:' .. gid, 'game', game, 'pool', pool, 'max', max, 'room', '', 'closed', '0',
      'number', gid)
  else
    gid = best[1]
  end
  redis.call('RPUSH', p .. 'g:' .. gid .. ':t', tid)
  reopen(gid)
  return gid
end
"""

_ADD = """
local tid, sid, username, game = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local pool, queued_at, max = ARGV[7], ARGV[8], ARGV[9]
local live = redis.call('GET', p .. 's:' .. sid)
if live then
  local t = redis.call('HMGET', p .. 't:' .. live, 'status', 'group')
  local open = t[1] == 'matched' and redis.call('HGET', p .. 'g:' .. t[2], 'closed') == '0'
  if t[1] == 'searching' or open then
    return {0, live}
  end
end
local gid = place(tid, game, pool, max)
local gk = p .. 'g:' .. gid
redis.call('HSET', p .. 't:' .. tid, 'session', sid, 'username', username, 'game', game, 'pool', pool,
  'status', 'searching', 'queued_at', queued_at, 'group', gid, 'room', '', 'waited', '')
redis.call('EXPIRE', p .. 't:' .. tid, ret)
redis.call('SET', p .. 's:' .. sid, tid, 'EX', ret)
redis.call('INCR', p .. 'searching:' .. game)
return {1, gid, redis.call('LLEN', gk .. ':t'), redis.call('HGET', gk, 'room')}
"""

_WITHDRAW = """
local tid, status = ARGV[3], ARGV[4]
local tk = p .. 't:' .. tid
local t = redis.call('HMGET', tk, 'status', 'group', 'game')
if t[1] ~= 'searching' then return 0 end
redis.call('HSET', tk, 'status', status)
redis.call('EXPIRE', tk, ret)
redis.call('LREM', p .. 'g:' .. t[2] .. ':t', 0, tid)
redis.call('DECR', p .. 'searching:' .. t[3])
reopen(t[2])
return 1
"""

_MATCH = f"""
local gid, now, minimum = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local gk = p .. 'g:' .. gid
local g = redis.call('HMGET', gk, 'closed', 'room', 'game')
if g[1] ~= '0' or redis.call('LLEN', gk .. ':t') < minimum then return {{}} end
local out = {{}}
for _, tid in ipairs(redis.call('LRANGE', gk .. ':t', 0, -1)) do
  local tk = p .. 't:' .. tid
  local t = redis.call('HMGET', tk, 'status', 'queued_at')
  if t[1] == 'searching' then
    local waited = math.max(0, now - tonumber(t[2]))
    redis.call('HSET', tk, 'status', 'matched', 'room', g[2], 'waited', string.format('%.6f', waited))
    redis.call('EXPIRE', tk, ret)
    redis.call('DECR', p .. 'searching:' .. g[3])
    redis.call('LPUSH', p .. 'waits:' .. g[3], string.format('%.6f', waited))
    out[#out + 1] = tid
    out[#out + 1] = redis.call('HGETALL', tk)
  end
end
redis.call('LTRIM', p .. 'waits:' .. g[3], 0, {WAITS_KEPT - 1})
redis.call('EXPIRE', gk, ret)
return out
"""

_GROUP = """
local gk = p .. 'g:' .. ARGV[3]
return {redis.call('HGETALL', gk), redis.call('LRANGE', gk .. ':t', 0, -1)}
"""

_BIND = """
local gid, room = ARGV[3], ARGV[4]
local gk = p .. 'g:' .. gid
if redis.call('EXISTS', gk) == 0 then return 0 end
redis.call('HSET', gk, 'room', room)
for _, tid in ipairs(redis.call('LRANGE', gk .. ':t', 0, -1)) do
  local tk = p .. 't:' .. tid
  if redis.call('HGET', tk, 'status') == 'matched' then
    redis.call('HSET', tk, 'room', room)
    redis.call('EXPIRE', tk, ret)
  end
end
reopen(gid)
return 1
"""

_LEAVE = """
local tid = ARGV[3]
local tk = p .. 't:' .. tid
local t = redis.call('HMGET', tk, 'status', 'group')
if t[1] ~= 'matched' or redis.call('HGET', p .. 'g:' .. t[2], 'closed') ~= '0' then return 0 end
redis.call('HSET', tk, 'status', 'cancelled')
redis.call('EXPIRE', tk, ret)
redis.call('LREM', p .. 'g:' .. t[2] .. ':t', 0, tid)
reopen(t[2])
return 1
"""

_CLOSE = """
local gid = ARGV[3]
local gk = p .. 'g:' .. gid
local g = redis.call('HMGET', gk, 'closed', 'max')
if g[1] ~= '0' then return {} end
redis.call('HSET', gk, 'closed', '1')
reopen(gid)
local moved, seen = {}, {}
for _, tid in ipairs(redis.call('LRANGE', gk .. ':t', 0, -1)) do
  local tk = p .. 't:' .. tid
  local t = redis.call('HMGET', tk, 'status', 'game', 'pool')
  if t[1] == 'searching' then
    redis.call('LREM', gk .. ':t', 0, tid)
    local target = place(tid, t[2], t[3], g[2])
    redis.call('HSET', tk, 'group', target)
    redis.call('EXPIRE', tk, ret)
    if not seen[target] then seen[target] = true; moved[#moved + 1] = target end
  end
end
return moved
"""


def _pairs(flat: list[str]) -> dict[str, str]:
    """A hash as a Lua script returns it (field, value, field, value, ...)."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _ticket(ticket_id: str, h: dict[str, str]) -> Ticket | None:
    if not h:
        return None
    return Ticket(
        ticket_id=ticket_id,
        session_id=h["session"],
        username=h["username"],
        game=h["game"],
        pool=h["pool"],
        status=Status(h["status"]),
        queued_at=float(h["queued_at"]),
        group_id=h["group"],
        room_code=h["room"] or None,
        waited=float(h["waited"]) if h["waited"] else None,
    )


class RedisQueue:
    def __init__(self, redis: Redis, *, prefix: str = "roomservice:mm:", retention: float = 3600.0) -> None:
        self._redis = redis
        self._prefix = prefix
        self._retention = str(int(retention))
        self._bodies = {
            name: _PRELUDE + body
            for name, body in (
                ("add", _ADD),
                ("withdraw", _WITHDRAW),
                ("group", _GROUP),
                ("match", _MATCH),
                ("bind", _BIND),
                ("leave", _LEAVE),
                ("close", _CLOSE),
            )
        }
        self._shas = {name: hashlib.sha1(body.encode()).hexdigest() for name, body in self._bodies.items()}
        #: Commands asked for at the same moment go in one pipeline.
        self._command: Batches[tuple[Any, ...], Any] = Batches(self._pipeline)

    @classmethod
    def from_settings(cls, settings: Settings, *, retention: float = 3600.0) -> RedisQueue:
        """The queue on ``settings.redis_url``, its keys under ``settings.redis_prefix + "mm:"``."""
        # A bounded pool that makes callers wait for a connection, rather than fail, under a burst.
        pool = BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=POOL_SIZE, timeout=None, decode_responses=True
        )
        client = Redis(connection_pool=pool)
        return cls(client, prefix=settings.redis_prefix + "mm:", retention=retention)

    async def _pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Run ``commands`` in one pipeline; scripts Redis does not know yet (a restart, a flush) are
        loaded and those commands sent again (a script that was not known did not run)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
        if missing:
            for body in self._bodies.values():
                await self._redis.script_load(body)
            again = await self._pipeline([commands[i] for i in missing])
            for i, reply in zip(missing, again, strict=True):
                replies[i] = reply
        return replies

    async def _run(self, name: str, *args: str | int) -> Any:
        return await self._command(("EVALSHA", self._shas[name], 0, self._prefix, self._retention, *args))

    async def add(
        self,
        *,
        ticket_id: str,
        session_id: str,
        username: str,
        game: str,
        pool: str,
        queued_at: float,
        max_size: int,
    ) -> Placement:
        result = await self._run(
            "add", ticket_id, session_id, username, game, pool, repr(queued_at), max_size
        )
        if int(result[0]) == 0:
            raise AlreadyQueued(result[1])
        ticket = Ticket(ticket_id, session_id, username, game, pool, Status.SEARCHING, queued_at, result[1])
        return Placement(ticket, int(result[2]), result[3] or None)

    async def get(self, ticket_id: str) -> Ticket | None:
        found: dict[str, str] = await self._command(("HGETALL", self._prefix + "t:" + ticket_id))
        return _ticket(ticket_id, found)

    async def withdraw(self, ticket_id: str, status: Status) -> Ticket | None:
        await self._run("withdraw", ticket_id, status.value)
        return await self.get(ticket_id)

    async def group(self, group_id: str) -> Group | None:
        flat, ids = await self._run("group", group_id)
        if not flat:
            return None
        h = _pairs(flat)
        return Group(
            group_id, h["game"], h["pool"], len(ids), h["room"] or None, h["closed"] == "1", tuple(ids)
        )

    async def match(self, group_id: str, now: float, minimum: int = 1) -> list[Ticket]:
        flat: list[Any] = await self._run("match", group_id, repr(now), minimum)
        found = (_ticket(ticket_id, _pairs(h)) for ticket_id, h in zip(flat[::2], flat[1::2], strict=True))
        return [t for t in found if t is not None]

    async def bind(self, group_id: str, room_code: str) -> None:
        await self._run("bind", group_id, room_code)

    async def leave(self, ticket_id: str) -> bool:
        return bool(await self._run("leave", ticket_id))

    async def close(self, group_id: str) -> list[str]:
        return [str(g) for g in await self._run("close", group_id)]

    async def stats(self, game: str) -> Stats:
        searching, open_rooms, waits = await asyncio.gather(
            self._command(("GET", self._prefix + "searching:" + game)),
            self._command(("SCARD", self._prefix + "opengame:" + game)),
            self._command(("LRANGE", self._prefix + "waits:" + game, 0, -1)),
        )
        median = statistics.median(float(w) for w in waits) if waits else 0.0
        return Stats(max(0, int(searching or 0)), int(open_rooms), median)

    async def aclose(self) -> None:
        await self._command.idle()  # what was asked for is sent
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()  # a pool passed in is not closed with the client
