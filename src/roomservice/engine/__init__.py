"""Runs games: the pure machine that applies steps, the per-room runner, the journal, the engine."""
