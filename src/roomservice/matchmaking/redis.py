"""The queue on Redis, shared by every node that uses the same Redis and key prefix.

Every step that changes the queue is one Lua script, so it is atomic however many nodes call it.
Keys (``{p}`` is the configured prefix): ``{p}t:<ticket>`` (hash), ``{p}s:<session>`` (the session's
last ticket), ``{p}g:<group>`` (hash) and ``{p}g:<group>:t`` (its tickets, in arrival order),
``{p}open:<pool>`` (sorted set of the pool's open groups scored by size, then age),
``{p}opengame:<game>`` (set of the game's open groups), ``{p}searching:<game>`` (counter),
``{p}waits:<game>`` (the last matched waits) and ``{p}groupseq``. Tickets, sessions and groups carry a
TTL of ``retention`` seconds, renewed on every change (a group once a batch, after its last step).

Calls made at the same time go to Redis together: every step asked for while a batch is on its way
waits for it and then leaves in the next one, as one call of one script that runs the batch's steps in
the order they were asked for (``_BATCH``: one command to pack, one write, one reply to read). Each
step is still atomic (the whole batch is: a script runs alone), and a step that fails answers its own
caller only; so 64 clients filing at once cost a few round trips and a few commands, not 64. There
are two such lanes (``_Lane``), each with its batches and its connection: a ticket's steps and a group's.
The open sets carry no TTL: a filing that finds a group there whose keys expired drops it and looks again.

``serve`` uses this queue with a Redis URL (several nodes share it) and ``LocalQueue`` without one;
the contract suite runs it against a real Redis.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
from typing import Any

import hiredis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError

from roomservice.batching import Batches
from roomservice.config import Settings
from roomservice.matchmaking.base import WAITS_KEPT, AlreadyQueued, Group, Placement, Stats, Status, Ticket

#: Connections to Redis per queue.
POOL_SIZE = 32

_PRELUDE = """
local p = ARGV[1]
-- Kept a string: Redis formats a number argument (printf) on every call it is passed to.
local ret = ARGV[2]
local steps = {}
-- A group's fields, as the steps and reopen read them: pool, game, max, closed, number, room.
-- Every group has a pool, so no pool means no group.
local function group(gk)
  return redis.call('HMGET', gk, 'pool', 'game', 'max', 'closed', 'number', 'room')
end
-- The groups whose TTL the batch renews (hash and tickets): each once, after the batch's last step.
-- Several steps of a batch change the same group (a burst of filings fills it), and none of them
-- reads a TTL; the batch runs alone, so a group is renewed as late as each of them would have.
local renewing, renewed = {}, {}
local function renew_group(gk)
  if not renewed[gk] then
    renewed[gk] = true
    renewing[#renewing + 1] = gk
  end
end
-- Puts the group in its pool's open set (scored by size, then age) and its game's, or takes it out of
-- both, and renews its TTL. g is group(gk) and size its number of tickets, as they are now: the
-- caller knows them (read or just written), so they are not read again. listed: whether the group is
-- in both sets now (reopen always changes both), when the caller knows it; what it is already is not
-- written again (only the score of a group in them can change).
local function reopen(gid, gk, g, size, listed)
  if not g[1] then return end
  if g[4] == '1' or size == 0 or size >= tonumber(g[3]) then
    if listed ~= false then
      redis.call('ZREM', p .. 'open:' .. g[1], gid)
      redis.call('SREM', p .. 'opengame:' .. g[2], gid)
    end
  else
    redis.call('ZADD', p .. 'open:' .. g[1], size * 1000000000 - tonumber(g[5]), gid)
    if listed ~= true then redis.call('SADD', p .. 'opengame:' .. g[2], gid) end
  end
  renew_group(gk)
end
-- Puts the ticket last in the pool's fullest open group (the oldest of those), or in a new one.
-- Returns the group's id, its fields (as group() reads them) and its size.
local function place(tid, game, pool, max)
  local open = p .. 'open:' .. pool
  local best, gid, gk, g
  while true do
    best = redis.call('ZREVRANGE', open, '0', '0')
    if #best == 0 then break end
    gid = best[1]
    gk = p .. 'g:' .. gid
    g = group(gk)
    if g[1] then break end
    -- Its hash expired (no change for the retention): no group any more, though the open sets, which
    -- carry no TTL, still name it. Out of them, and its stale list with it; the next best, or a new one.
    redis.call('ZREM', open, gid)
    redis.call('SREM', p .. 'opengame:' .. game, gid)
    redis.call('DEL', gk .. ':t')
  end
  if #best == 0 then
    gid = tostring(redis.call('INCR', p .. 'groupseq'))
    gk = p .. 'g:' .. gid
    redis.call('HSET', gk, 'game', game, 'pool', pool, 'max', max, 'room', '', 'closed', '0', 'number', gid)
    g = {pool, game, max, '0', gid, ''}
  end
  local size = redis.call('RPUSH', gk .. ':t', tid)
  reopen(gid, gk, g, size, #best > 0)  -- a group taken from the open set is in both, a new one in neither
  return gid, g, size
end
"""

_ADD = """
steps.add = function(tid, sid, username, game, pool, queued_at, max)
  local sk = p .. 's:' .. sid
  local live = redis.call('GET', sk)
  if live then
    local t = redis.call('HMGET', p .. 't:' .. live, 'status', 'group')
    local open = t[1] == 'matched' and redis.call('HGET', p .. 'g:' .. t[2], 'closed') == '0'
    if t[1] == 'searching' or open then
      return {0, live}
    end
  end
  local gid, g, size = place(tid, game, pool, max)
  local tk = p .. 't:' .. tid
  redis.call('HSET', tk, 'session', sid, 'username', username, 'game', game, 'pool', pool,
    'status', 'searching', 'queued_at', queued_at, 'group', gid, 'room', '', 'waited', '')
  redis.call('EXPIRE', tk, ret)
  redis.call('SET', sk, tid, 'EX', ret)
  redis.call('INCR', p .. 'searching:' .. game)
  return {1, gid, size, g[6]}
end
"""

_WITHDRAW = """
steps.withdraw = function(tid, status)
  local tk = p .. 't:' .. tid
  local t = redis.call('HMGET', tk, 'status', 'group', 'game')
  if t[1] ~= 'searching' then return 0 end
  redis.call('HSET', tk, 'status', status)
  redis.call('EXPIRE', tk, ret)
  local gk = p .. 'g:' .. t[2]
  redis.call('LREM', gk .. ':t', '0', tid)
  redis.call('DECR', p .. 'searching:' .. t[3])
  reopen(t[2], gk, group(gk), redis.call('LLEN', gk .. ':t'))
  return 1
end
"""

#: A ticket's fields, in the order ``match`` returns them (``_matched``).
_FIELDS = "'session', 'username', 'game', 'pool', 'status', 'queued_at', 'group', 'room', 'waited'"

_MATCH = f"""
steps.match = function(gid, now, minimum)
  local gk = p .. 'g:' .. gid
  local g = redis.call('HMGET', gk, 'closed', 'room', 'game')
  if g[1] ~= '0' then return {{}} end
  local tids = redis.call('LRANGE', gk .. ':t', '0', '-1')
  if #tids < tonumber(minimum) then return {{}} end
  -- Every field at once: a matched ticket's reply is these, with the fields the step writes.
  local ts = {{}}
  for i, tid in ipairs(tids) do
    ts[i] = redis.call('HMGET', p .. 't:' .. tid, {_FIELDS})
    if g[2] == '' and ts[i][5] == 'matched' then return {{}} end
  end
  now = tonumber(now)
  local out, waits = {{}}, {{}}
  for i, tid in ipairs(tids) do
    local t = ts[i]
    if t[5] == 'searching' then
      local waited = string.format('%.6f', math.max(0, now - tonumber(t[6])))
      local tk = p .. 't:' .. tid
      redis.call('HSET', tk, 'status', 'matched', 'room', g[2], 'waited', waited)
      redis.call('EXPIRE', tk, ret)
      t[5], t[8], t[9] = 'matched', g[2], waited
      waits[#waits + 1] = waited
      out[#out + 1] = tid
      out[#out + 1] = t
    end
  end
  local wk = p .. 'waits:' .. g[3]
  if #waits > 0 then
    -- One change of the counter and one push for them all. LPUSH pushes its values one after the
    -- other, as a push each would; only the newest {WAITS_KEPT} are kept, so only they are pushed.
    redis.call('DECRBY', p .. 'searching:' .. g[3], #waits)
    redis.call('LPUSH', wk, unpack(waits, math.max(1, #waits - {WAITS_KEPT - 1})))
  end
  redis.call('LTRIM', wk, '0', '{WAITS_KEPT - 1}')
  redis.call('EXPIRE', gk, ret)
  return out
end
"""

_GROUP = """
steps.group = function(gid)
  local gk = p .. 'g:' .. gid
  return {redis.call('HGETALL', gk), redis.call('LRANGE', gk .. ':t', '0', '-1')}
end
"""

_BIND = """
steps.bind = function(gid, room)
  local gk = p .. 'g:' .. gid
  local g = group(gk)
  if not g[1] then return 0 end
  redis.call('HSET', gk, 'room', room)
  local tids = redis.call('LRANGE', gk .. ':t', '0', '-1')
  local waiting = 0
  for _, tid in ipairs(tids) do
    local tk = p .. 't:' .. tid
    local status = redis.call('HGET', tk, 'status')
    if status == 'matched' then
      redis.call('HSET', tk, 'room', room)
      redis.call('EXPIRE', tk, ret)
    elseif status == 'searching' then
      waiting = 1
    end
  end
  -- The group's size and whether it is closed are as every step that changed them left them, with its
  -- place in the open sets: only its TTL is renewed. (A group whose tickets expired before it is
  -- reopened: it leaves them.)
  if #tids > 0 then renew_group(gk) else reopen(gid, gk, g, 0) end
  return waiting
end
"""

_LEAVE = """
steps.leave = function(tid)
  local tk = p .. 't:' .. tid
  local t = redis.call('HMGET', tk, 'status', 'group')
  if t[1] ~= 'matched' then return 0 end
  local gk = p .. 'g:' .. t[2]
  local g = group(gk)
  if g[4] ~= '0' then return 0 end
  redis.call('HSET', tk, 'status', 'cancelled')
  redis.call('EXPIRE', tk, ret)
  redis.call('LREM', gk .. ':t', '0', tid)
  reopen(t[2], gk, g, redis.call('LLEN', gk .. ':t'))
  return 1
end
"""

_CLOSE = """
steps.close = function(gid)
  local gk = p .. 'g:' .. gid
  local g = group(gk)
  if g[4] ~= '0' then return {} end
  redis.call('HSET', gk, 'closed', '1')
  g[4] = '1'
  local tids = redis.call('LRANGE', gk .. ':t', '0', '-1')
  -- A full group left the open sets when it filled up (a group's tickets only grow in place()).
  local listed
  if #tids >= tonumber(g[3]) then listed = false end
  reopen(gid, gk, g, #tids, listed)
  local moved, seen = {}, {}
  for _, tid in ipairs(tids) do
    local tk = p .. 't:' .. tid
    local t = redis.call('HMGET', tk, 'status', 'game', 'pool')
    if t[1] == 'searching' then
      redis.call('LREM', gk .. ':t', '0', tid)
      local target = place(tid, t[2], t[3], g[3])
      redis.call('HSET', tk, 'group', target)
      redis.call('EXPIRE', tk, ret)
      if not seen[target] then seen[target] = true; moved[#moved + 1] = target end
    end
  end
  return moved
end
"""

_GET = """
steps.get = function(tid)
  return redis.call('HGETALL', p .. 't:' .. tid)
end
"""

_STATS = """
steps.stats = function(game)
  return {redis.call('GET', p .. 'searching:' .. game) or '0', redis.call('SCARD', p .. 'opengame:' .. game),
    redis.call('LRANGE', p .. 'waits:' .. game, '0', '-1')}
end
"""

#: The steps, each a Lua function of its arguments, and the batch: ``ARGV`` is the prefix, the
#: retention, then for each step its name, its number of arguments and those arguments. Replies: one
#: per step, in order; a step that fails gives its own error reply and the next steps still run.
_STEPS = (_ADD, _WITHDRAW, _GROUP, _MATCH, _BIND, _LEAVE, _CLOSE, _GET, _STATS)

_BATCH = (
    _PRELUDE
    + "".join(_STEPS)
    + """
local out, i, last = {}, 3, #ARGV
while i <= last do
  local n = tonumber(ARGV[i + 1])
  -- The step's arguments straight from ARGV: no table made for each step.
  local ok, reply = pcall(steps[ARGV[i]], unpack(ARGV, i + 2, i + 1 + n))
  if ok then
    out[#out + 1] = reply
  elseif type(reply) == 'table' and reply.err then
    out[#out + 1] = reply
  else
    out[#out + 1] = {err = tostring(reply)}
  end
  i = i + 2 + n
end
for _, gk in ipairs(renewing) do
  redis.call('EXPIRE', gk, ret)
  redis.call('EXPIRE', gk .. ':t', ret)  -- no key, and nothing done, once the group has no tickets
end
return out
"""
)


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


def _matched(ticket_id: str, h: list[str]) -> Ticket:
    """A ticket ``match`` just marked, from its fields in ``_FIELDS`` order."""
    session, username, game, pool, status, queued_at, group, room, waited = h
    return Ticket(
        ticket_id,
        session,
        username,
        game,
        pool,
        Status(status),
        float(queued_at),
        group,
        room or None,
        float(waited) if waited else None,
    )


class _Lane:
    """Steps that go to Redis together, one batch on its way at a time, on a connection of their own."""

    def __init__(self, queue: RedisQueue) -> None:
        self.queue = queue
        self.steps: Batches[tuple[Any, ...], Any] = Batches(self._batch)
        self.conn: AbstractConnection | None = None
        #: The connection's socket timeout, applied to each exchange as a whole.
        self.timeout: float | None = None

    async def _batch(self, steps: list[tuple[Any, ...]]) -> list[Any]:
        """Run ``steps`` ((name, *arguments) each) in one call of the batch script, loaded first if
        Redis does not know it (a restart, a flush: a script that was not known did not run)."""
        q = self.queue
        command: list[str | int] = ["EVALSHA", q._sha, 0, q._prefix, q._retention]
        for name, *args in steps:
            command += (name, len(args), *args)
        # In C: a third of the CPU of packing it in Python. (Its stub types a tuple of one.)
        packed = hiredis.pack_command(tuple(command))  # type: ignore[arg-type]
        try:
            replies: list[Any] = await self._call(packed)
        except NoScriptError:
            await q._redis.script_load(_BATCH)
            replies = await self._call(packed)
        return replies  # a step's error reply is an exception: it is raised to its caller alone

    async def _call(self, packed: bytes) -> Any:
        """One packed command's reply, on the lane's own connection (one batch is on its way at a
        time, so one connection is kept rather than taken from the pool and given back for each).
        Retried as the client retries a command: the connection is dropped on a connection error and
        made again."""
        conn = self.conn
        if conn is None:
            conn = self.conn = await self.queue._redis.connection_pool.get_connection()  # type: ignore[no-untyped-call]
            # One timer for the whole exchange, the connection's socket timeout: the connection's own
            # would run each write in a task of its own (``wait_for``) and time each read apart
            # (98 -> 75 us of CPU a round trip, timed alone on uvloop). Given back with it.
            self.timeout, conn.socket_timeout = conn.socket_timeout, None
        timeout = self.timeout

        async def exchange() -> Any:
            try:
                async with asyncio.timeout(timeout):
                    await conn.send_packed_command(packed, check_health=False)
                    return await conn.read_response()
            except TimeoutError:
                # Cut off inside the write or the read, which dropped the connection; retried as the
                # connection's own timeout is.
                raise RedisTimeoutError("Timeout exchanging a batch with Redis") from None

        async def failed(error: Exception) -> None:
            await conn.disconnect()

        return await conn.retry.call_with_retry(exchange, failed)

    async def aclose(self) -> None:
        await self.steps.idle()  # what was asked for is sent
        if self.conn is not None:
            self.conn.socket_timeout = self.timeout
            await self.queue._redis.connection_pool.release(self.conn)
            self.conn = None


class RedisQueue:
    def __init__(self, redis: Redis, *, prefix: str = "roomservice:mm:", retention: float = 3600.0) -> None:
        self._redis = redis
        self._prefix = prefix
        self._retention = str(int(retention))
        self._sha = hashlib.sha1(_BATCH.encode()).hexdigest()
        #: Two lanes: a ticket's steps (filing, reading, withdrawing) never wait behind a settling
        #: round's steps for many groups, nor those behind a burst of filings. Each step is atomic
        #: whichever lane it takes.
        self._tickets = _Lane(self)
        self._groups = _Lane(self)

    @classmethod
    def from_settings(cls, settings: Settings, *, retention: float = 3600.0) -> RedisQueue:
        """The queue on ``settings.redis_url``, its keys under ``settings.redis_prefix + "mm:"``."""
        # A bounded pool that makes callers wait for a connection, rather than fail, under a burst.
        pool = BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=POOL_SIZE, timeout=None, decode_responses=True
        )
        client = Redis(connection_pool=pool)
        return cls(client, prefix=settings.redis_prefix + "mm:", retention=retention)

    async def _run(self, name: str, *args: str | int) -> Any:
        return await self._tickets.steps((name, *args))

    async def _group_step(self, name: str, *args: str | int) -> Any:
        return await self._groups.steps((name, *args))

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
        return _ticket(ticket_id, _pairs(await self._run("get", ticket_id)))

    async def withdraw(self, ticket_id: str, status: Status) -> Ticket | None:
        await self._run("withdraw", ticket_id, status.value)
        return await self.get(ticket_id)

    async def group(self, group_id: str) -> Group | None:
        flat, ids = await self._group_step("group", group_id)
        if not flat:
            return None
        h = _pairs(flat)
        return Group(
            group_id, h["game"], h["pool"], len(ids), h["room"] or None, h["closed"] == "1", tuple(ids)
        )

    async def match(self, group_id: str, now: float, minimum: int = 1) -> list[Ticket]:
        flat: list[Any] = await self._group_step("match", group_id, repr(now), minimum)
        return [_matched(ticket_id, h) for ticket_id, h in zip(flat[::2], flat[1::2], strict=True)]

    async def bind(self, group_id: str, room_code: str) -> bool:
        return bool(await self._group_step("bind", group_id, room_code))

    async def leave(self, ticket_id: str) -> bool:
        return bool(await self._group_step("leave", ticket_id))

    async def close(self, group_id: str) -> list[str]:
        return [str(g) for g in await self._group_step("close", group_id)]

    async def stats(self, game: str) -> Stats:
        searching, open_rooms, waits = await self._run("stats", game)
        median = statistics.median(float(w) for w in waits) if waits else 0.0
        return Stats(max(0, int(searching or 0)), int(open_rooms), median)

    async def aclose(self) -> None:
        await self._tickets.aclose()
        await self._groups.aclose()
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()  # a pool passed in is not closed with the client
