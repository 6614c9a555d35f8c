"""The arena: a real-time top-down shooter (pure rules: :mod:`.rules`, :mod:`.world`, :mod:`.game`)."""

from roomservice.games.arena.game import Arena

__all__ = ["Arena"]
