"""Rate-limit counters in Redis, shared by every node on the same Redis and key prefix.

A bucket is the hash ``<prefix>rate:<name>:<key>`` = {tokens, time of that count}; a window is the
sorted set ``<prefix>rate:<name>:<key>`` of attempt times. Each take, give-back or forgive is one Lua
script (one round trip, atomic), so nodes taking tokens of one key at once never both spend the last.
Keys expire once they would be full again (a bucket after a minute, a window after its length), so
Redis keeps only the clients active lately.

Times come from the node's clock, passed to the script (tests move it); the nodes' clocks are assumed
to agree within a fraction of a second (NTP), and a time earlier than the bucket's last count never
refills it twice.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from roomservice.errors import ClusterUnavailable
from roomservice.types import Clock, wall_clock

_BUCKET = """
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = cap
local at = now
if held[1] then
  tokens = tonumber(held[1])
  at = tonumber(held[2])
  if now > at then
    tokens = math.min(cap, tokens + (now - at) * rate)
    at = now
  end
end
if ARGV[4] == 'give' then
  if not held[1] then return 0 end
  tokens = math.min(cap, tokens + 1)
else
  if tokens < 1 then return math.max(1, math.ceil((1 - tokens) / rate)) end
  tokens = tokens - 1
end
redis.call('HSET', KEYS[1], 't', string.format('%.9f', tokens), 'at', string.format('%.6f', at))
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 0
"""

_WINDOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, math.ceil(tonumber(oldest[2]) + tonumber(ARGV[4]) - tonumber(ARGV[1])))
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
redis.call('EXPIRE', KEYS[1], ARGV[6])
return 0
"""


class RedisBuckets:
    def __init__(self, counters: RedisCounters, name: str, per_minute: int) -> None:
        self.per_minute = per_minute
        self._counters = counters
        self._key = f"{counters.prefix}rate:{name}:"
        self._args = (str(per_minute), repr(per_minute / 60.0))

    async def _run(self, key: str, what: str) -> int:
        args = [*self._args, repr(self._counters.clock()), what, "61"]
        return await self._counters.run(self._counters.bucket, self._key + key, args)

    async def take(self, key: str) -> int:
        if self.per_minute <= 0:
            return 0
        return await self._run(key, "take")

    async def give_back(self, key: str) -> None:
        if self.per_minute > 0:
            await self._run(key, "give")


class RedisWindow:
    def __init__(self, counters: RedisCounters, name: str, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._counters = counters
        self._key = f"{counters.prefix}rate:{name}:"

    async def take(self, key: str) -> int:
        now = self._counters.clock()
        args = [
            repr(now),
            repr(now - self.seconds),
            str(self.limit),
            repr(self.seconds),
            secrets.token_hex(8),
            str(math.ceil(self.seconds) + 1),
        ]
        return await self._counters.run(self._counters.window_script, self._key + key, args)

    async def forgive(self, key: str) -> None:
        try:
            await self._counters.redis.zpopmax(self._key + key)
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc


class RedisCounters:
    """Counters under ``prefix`` on ``redis`` (a client whose answers are decoded)."""

    def __init__(self, redis: Redis, *, prefix: str = "roomservice:", clock: Clock = wall_clock) -> None:
        self.redis = redis
        self.prefix = prefix
        self.clock = clock
        self.bucket = redis.register_script(_BUCKET)
        self.window_script = redis.register_script(_WINDOW)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "roomservice:", clock: Clock = wall_clock) -> RedisCounters:
        return cls(Redis.from_url(url, decode_responses=True), prefix=prefix, clock=clock)

    async def run(self, script: Any, key: str, args: list[str]) -> int:
        try:
            return int(await script(keys=[key], args=args))
        except (RedisError, OSError) as exc:
            raise ClusterUnavailable(str(exc)) from exc

    def buckets(self, name: str, per_minute: int) -> RedisBuckets:
        return RedisBuckets(self, name, per_minute)

    def window(self, name: str, limit: int, seconds: float) -> RedisWindow:
        return RedisWindow(self, name, limit, seconds)

    async def aclose(self) -> None:
        await self.redis.aclose()
