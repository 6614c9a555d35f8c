"""Leaderboards: every finished game's results, added up per player as each game declares."""
