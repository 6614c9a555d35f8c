"""Bots that queue for a game and play the matches they are put in, so one person can try a game alone.

Each bot is a guest session of its own: it files a ticket, waits for ``match_found`` (filing again
when its ticket expires), plays the game with its strategy until the result, leaves the room, and
queues again until it has played the games asked of it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Callable, Mapping

from roomservice.bots import arena, cabo, tictactoe
from roomservice.bots.play import Strategy, play
from roomservice.client import Client, MatchFound, MatchTimeout, Socket

log = logging.getLogger(__name__)

#: The strategy each game's bots play with.
STRATEGIES: Mapping[str, Strategy] = {
    "tictactoe": tictactoe.choose,
    "cabo": cabo.choose,
    "arena": arena.choose,
}
#: Seconds a bot waits for the next frame of a game before it gives the game up (a person thinks).
MOVE_WAIT = 600.0


@dataclasses.dataclass(slots=True)
class Played:
    """What one bot did: its name, the games it finished and the ones it won."""

    name: str
    games: int = 0
    wins: int = 0


async def _matched(client: Client, socket: Socket, game: str) -> str:
    """File a ticket and wait for its match (filing again whenever it expires); the room code."""
    while True:
        ticket = await client.queue(game)
        while True:
            event = await socket.next()
            if isinstance(event, MatchFound) and event.ticket_id == ticket.ticket_id:
                return event.room_code
            if isinstance(event, MatchTimeout) and event.ticket_id == ticket.ticket_id:
                break


async def run_bot(
    url: str,
    game: str,
    name: str,
    *,
    games: int = 1,
    seed: int | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> Played:
    """One bot: queue for ``game`` and play ``games`` matches (0: until cancelled)."""
    strategy = STRATEGIES[game]
    rng = random.Random(seed)
    done = Played(name)
    async with Client(url) as client:
        session = await client.create_session(name)
        socket = await client.connect()
        try:
            while games == 0 or done.games < games:
                code = await _matched(client, socket, game)
                say(f"{name}: matched into room {code}")
                final = await play(socket, session.session_id, strategy, rng, timeout=MOVE_WAIT)
                done.games += 1
                won = session.session_id in (final.result or {}).get("winners", [])
                done.wins += won
                say(f"{name}: game over in room {code}, {'won' if won else 'did not win'}")
                await client.leave(code)
        finally:
            await socket.close()
    return done


async def run_bots(
    url: str,
    game: str,
    count: int,
    *,
    games: int = 1,
    name: str = "bot",
    seed: int | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> list[Played]:
    """``count`` bots at once, named ``name 1``, ``name 2``, ...; each plays ``games`` matches."""
    if game not in STRATEGIES:
        raise ValueError(f"no bot plays {game!r}; bots play: {', '.join(STRATEGIES)}")
    return list(
        await asyncio.gather(
            *(
                run_bot(
                    url,
                    game,
                    f"{name} {n}",
                    games=games,
                    seed=None if seed is None else seed + n,
                    say=say,
                )
                for n in range(1, count + 1)
            )
        )
    )
