"""``python -m roomservice.bots queue <game> --url URL --count N --games G``: bots that fill a queue.

Each bot queues for the game through the server's matchmaking and plays the matches it is put in;
with ``--games 0`` they keep queueing until interrupted. Say ``--count 1`` and quick-match the same
game in the browser to play a bot.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import httpx

from roomservice.bots.queue import STRATEGIES, run_bots
from roomservice.client import ApiError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m roomservice.bots", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    queue = commands.add_parser("queue", help="queue bots for a game and play the matches they get")
    queue.add_argument("game", choices=sorted(STRATEGIES))
    queue.add_argument("--url", default="http://127.0.0.1:8000", help="the server (default: %(default)s)")
    queue.add_argument("--count", type=_positive, default=1, help="bots at once (default: %(default)s)")
    queue.add_argument(
        "--games", type=_not_negative, default=1, help="matches each bot plays; 0: until interrupted"
    )
    queue.add_argument("--name", default="bot", help="bots are named NAME 1, NAME 2, ... (default: bot)")
    queue.add_argument("--seed", type=int, default=None, help="seed the bots' choices (reproducible)")
    return top


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        played = asyncio.run(
            run_bots(
                args.url,
                args.game,
                args.count,
                games=args.games,
                name=args.name,
                seed=args.seed,
                say=lambda line: print(line, flush=True),
            )
        )
    except KeyboardInterrupt:
        return 130
    except ApiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, httpx.HTTPError) as exc:
        print(f"error: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    for bot in played:
        print(f"{bot.name}: played {bot.games}, won {bot.wins}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
