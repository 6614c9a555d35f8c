"""Leases on Redis, shared by every node on the same Redis and key prefix.

A room's lease is the key ``<prefix>lease:<room_id>`` = ``<token>|<node id>``, set with a time-to-live
(``PX``); its fencing token comes from ``<prefix>fence:<room_id>``, which never expires. Acquiring is one
Lua script: refuse while another node's lease lives, else raise the counter and set the lease, so no
two acquires can get one token or see the room free at once.

The counter is raised to at least the Redis server's clock in microseconds, as well as by one: a Redis
that lost its data (restarted without persistence) still gives tokens above every token given before,
as long as its clock did not go back, so the database's fences do not refuse every new owner.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from redis.asyncio import Redis

from roomservice.leases.base import Lease
from roomservice.leases.local import default_node_id
from roomservice.types import Clock, wall_clock

_ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if current then
  local bar = string.find(current, '|', 1, true)
  if string.sub(current, bar + 1) ~= ARGV[1] then return {0, current} end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local token = redis.call('INCR', KEYS[2])
if token <= now then
  token = now
  redis.call('SET', KEYS[2], string.format('%d', token))
end
local value = string.format('%d', token) .. '|' .. ARGV[1]
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return {1, value}
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

_RENEW_MANY = """
local ttl = ARGV[#ARGV]
local renewed = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[i] then
    redis.call('PEXPIRE', key, ttl)
    renewed[i] = 1
  else
    renewed[i] = 0
  end
end
return renewed
"""

#: Leases renewed by one script call at most (a script blocks Redis while it runs).
RENEW_BATCH = 500

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _value(lease: Lease) -> str:
    return f"{lease.token}|{lease.owner}"


class RedisLeases:
    """Leases of ``ttl`` seconds on ``redis``. ``expires_at`` is taken on ``clock`` before each call,
    so it never says later than Redis will keep the lease. A lease not renewed in time lapses in Redis
    and another node may take it. Every call raises ``redis.exceptions.RedisError`` (or ``OSError``)
    when Redis cannot be reached: the caller then treats ownership as unknown."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "roomservice:",
        node_id: str | None = None,
        clock: Clock = wall_clock,
        ttl: float = 30.0,
    ) -> None:
        if not ttl > 0:
            raise ValueError(f"ttl must be positive, got {ttl!r}")
        self.node_id = node_id or default_node_id()
        if "|" in self.node_id:
            raise ValueError(f"a node id may not contain '|': {self.node_id!r}")
        self._redis = redis
        self._lease = prefix + "lease:"
        self._fence = prefix + "fence:"
        self._clock = clock
        self._ttl = ttl
        self._ttl_ms = str(max(1, int(ttl * 1000)))
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._renew_many = redis.register_script(_RENEW_MANY)
        self._release = redis.register_script(_RELEASE)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str,
        node_id: str | None = None,
        clock: Clock = wall_clock,
        ttl: float = 30.0,
    ) -> RedisLeases:
        return cls(
            Redis.from_url(url, decode_responses=True), prefix=prefix, node_id=node_id, clock=clock, ttl=ttl
        )

    @property
    def ttl(self) -> float:
        return self._ttl

    async def acquire(self, room_id: str) -> Lease | None:
        start = self._clock()
        ok, value = await self._acquire(
            keys=[self._lease + room_id, self._fence + room_id], args=[self.node_id, self._ttl_ms]
        )
        if not int(ok):
            return None
        token = int(str(value).split("|", 1)[0])
        return Lease(room_id, self.node_id, token, start + self._ttl)

    async def renew(self, lease: Lease) -> Lease | None:
        if lease.owner != self.node_id:
            return None
        start = self._clock()
        if not int(await self._renew(keys=[self._lease + lease.room_id], args=[_value(lease), self._ttl_ms])):
            return None
        return dataclasses.replace(lease, expires_at=max(lease.expires_at, start + self._ttl))

    async def renew_many(self, leases: Sequence[Lease]) -> list[Lease | None]:
        """Every lease renewed in one script call per ``RENEW_BATCH``: a node owning thousands of
        rooms renews them all well within a third of the time-to-live."""
        results: list[Lease | None] = []
        for first in range(0, len(leases), RENEW_BATCH):
            batch = leases[first : first + RENEW_BATCH]
            mine = [lease for lease in batch if lease.owner == self.node_id]
            start = self._clock()
            flags = iter(
                await self._renew_many(
                    keys=[self._lease + lease.room_id for lease in mine],
                    args=[*(_value(lease) for lease in mine), self._ttl_ms],
                )
                if mine
                else ()
            )
            for lease in batch:
                if lease.owner != self.node_id or not int(next(flags)):
                    results.append(None)
                else:
                    results.append(
                        dataclasses.replace(lease, expires_at=max(lease.expires_at, start + self._ttl))
                    )
        return results

    async def release(self, lease: Lease) -> None:
        if lease.owner != self.node_id:
            return
        await self._release(keys=[self._lease + lease.room_id], args=[_value(lease)])

    async def owner(self, room_id: str) -> str | None:
        value = await self._redis.get(self._lease + room_id)
        if value is None:
            return None
        return str(value).split("|", 1)[1]

    async def owners(self, room_ids: list[str]) -> dict[str, str | None]:
        """The owner of each room, in one round trip."""
        if not room_ids:
            return {}
        values = await self._redis.mget([self._lease + r for r in room_ids])
        return {
            room_id: (str(v).split("|", 1)[1] if v is not None else None)
            for room_id, v in zip(room_ids, values, strict=True)
        }

    async def aclose(self) -> None:
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()
