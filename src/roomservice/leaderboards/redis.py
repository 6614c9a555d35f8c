"""The leaderboards served from Redis: a sorted set per game, kept in step with the database and rebuilt
from it when missing.

Keys, under the prefix (``ROOMSERVICE_REDIS_PREFIX`` + ``lb:``), for a game ``g`` ranked in ``order``:

- ``g:order`` — the sorted set: one member per player. Its score is the player's score (negated for
  ``desc``, so the best come first either way); its member is ``<10^12-1-wins, zero-padded>\\0<username>
  \\0<player id>``, so equal scores list by more wins, then username, then player id, as the database
  does (byte order: the same as a database whose collation compares bytes, such as SQLite's and
  PostgreSQL's ``C``).
- ``g:order:players`` — a hash from player id to ``<played>\\0<member>``; its field ``""`` marks the set
  as built. ``played`` grows with every game counted, so a write of an older row (a rebuild that read
  the database before a newer game was counted) never replaces a newer one, and writes arriving in any
  order end up as the database.

A rank is one more than the number of members with a strictly better score (``ZCOUNT``), computed in
the same script as the page, so ties share it (1, 1, 3). A read that finds the marker missing, or the
set and the hash of different sizes, rebuilds the game's keys from the database and reads again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

from roomservice.store import leaderboards as repo
from roomservice.store.database import Database
from roomservice.store.leaderboards import Entry, Total

log = logging.getLogger(__name__)

#: Wins are stored as this minus the wins, so more wins sort first.
_WINS_CAP = 10**12 - 1
#: Players written by one script call during a rebuild.
_CHUNK = 500

#: KEYS: set, hash. ARGV: player id, played, member, score; four by four.
_PUT = """
for i = 1, #ARGV, 4 do
  local pid, played, member = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]
  local old = redis.call('HGET', KEYS[2], pid)
  local newer = true
  if old then
    local cut = string.find(old, '\\0', 1, true)
    if tonumber(string.sub(old, 1, cut - 1)) > played then
      newer = false
    else
      redis.call('ZREM', KEYS[1], string.sub(old, cut + 1))
    end
  end
  if newer then
    redis.call('ZADD', KEYS[1], ARGV[i + 3], member)
    redis.call('HSET', KEYS[2], pid, ARGV[i + 1] .. '\\0' .. member)
  end
end
return 1
"""

#: Whether the set is whole: built, and one hash field (besides the marker) per member.
_WHOLE = """
local function whole()
  return redis.call('HEXISTS', KEYS[2], '') == 1
    and redis.call('HLEN', KEYS[2]) == redis.call('ZCARD', KEYS[1]) + 1
end
"""

#: KEYS: set, hash. ARGV: offset, limit. False when not whole; else {total, member, score, rank, played, ...}.
_PAGE = (
    _WHOLE
    + """
if not whole() then return false end
local out = {redis.call('ZCARD', KEYS[1])}
local rows = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[1] + ARGV[2] - 1, 'WITHSCORES')
for i = 1, #rows, 2 do
  local member, score = rows[i], rows[i + 1]
  local pid = string.match(member, '%z([^%z]*)$')
  local row = redis.call('HGET', KEYS[2], pid)
  out[#out + 1] = member
  out[#out + 1] = score
  out[#out + 1] = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. score) + 1
  out[#out + 1] = string.sub(row, 1, string.find(row, '\\0', 1, true) - 1)
end
return out
"""
)

#: KEYS: set, hash. ARGV: player id. False when not whole; 0 when the player has no entry; else the place.
_PLACE = (
    _WHOLE
    + """
if not whole() then return false end
local row = redis.call('HGET', KEYS[2], ARGV[1])
if not row then return 0 end
return redis.call('ZRANK', KEYS[1], string.sub(row, string.find(row, '\\0', 1, true) + 1)) + 1
"""
)


class RedisIndex:
    """Leaderboard reads from Redis sorted sets; ``db`` is where they are rebuilt from."""

    def __init__(self, client: Redis, db: Database, prefix: str = "roomservice:") -> None:
        self.client = client
        self.db = db
        self.prefix = prefix + "lb:"
        self._put = client.register_script(_PUT)
        self._page = client.register_script(_PAGE)
        self._place = client.register_script(_PLACE)

    def _keys(self, game: str, order: str) -> list[str]:
        base = f"{self.prefix}{game}:{order}"
        return [base, base + ":players"]

    async def page(self, game: str, order: str, *, limit: int, offset: int) -> tuple[list[Entry], int]:
        keys = self._keys(game, order)
        found = await self._page(keys=keys, args=[offset, limit])
        if found is None:
            await self.rebuild(game, order)
            found = await self._page(keys=keys, args=[offset, limit])
        total, rest = int(found[0]), found[1:]
        entries = []
        for i in range(0, len(rest), 4):
            member, score, rank, played = rest[i : i + 4]
            wins, username, player_id = _text(member).split("\0")
            value = float(score)
            entries.append(
                Entry(
                    rank=int(rank),
                    username=username,
                    player_id=player_id,
                    wins=_WINS_CAP - int(wins),
                    played=int(played),
                    score=(-value if order == "desc" else value) + 0.0,
                )
            )
        return entries, total

    async def place_of(self, game: str, order: str, player_id: str) -> int | None:
        keys = self._keys(game, order)
        found = await self._place(keys=keys, args=[player_id])
        if found is None:
            await self.rebuild(game, order)
            found = await self._place(keys=keys, args=[player_id])
        return int(found) or None

    async def changed(self, game: str, order: str, totals: Sequence[Total]) -> None:
        await self._write(self._keys(game, order), order, totals)

    async def rebuild(self, game: str, order: str) -> None:
        """Load the game's keys afresh from the database, then mark them built. Safe beside other
        writers: a row older than the one in Redis is skipped."""
        keys = self._keys(game, order)
        await self.client.delete(*keys)
        async with self.db.read() as conn:
            rows = await repo.totals(conn, game)
        for start in range(0, len(rows), _CHUNK):
            await self._write(keys, order, rows[start : start + _CHUNK])
        await self.client.hset(keys[1], "", "built")
        log.info("leaderboard %s rebuilt in Redis from the database: %d players", game, len(rows))

    async def _write(self, keys: list[str], order: str, totals: Sequence[Total]) -> None:
        if not totals:
            return
        args: list[Any] = []
        for t in totals:
            member = f"{_WINS_CAP - min(t.wins, _WINS_CAP):012d}\0{t.username}\0{t.player_id}"
            args += [t.player_id, t.played, member, repr(-t.score if order == "desc" else t.score)]
        await self._put(keys=keys, args=args)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
