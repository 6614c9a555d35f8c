"""Cabo, a memory card game with hidden hands: the built-in example of per-player views."""

from roomservice.games.cabo.game import Cabo

__all__ = ["Cabo"]
