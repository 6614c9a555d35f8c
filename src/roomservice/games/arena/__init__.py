"""The arena: a real-time top-down shooter (pure rules; not yet served, see :mod:`.game`)."""

from roomservice.games.arena.game import Arena

__all__ = ["Arena"]
