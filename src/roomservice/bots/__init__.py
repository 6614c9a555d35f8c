"""Bots that play the built-in games over the Python client: for tests, benchmarks and empty seats.

Each game's strategy is a pure function from the bot's own view to its next payload (or ``None`` to
wait); :func:`roomservice.bots.play.play` drives one over a socket (``realtime=True`` for the arena,
whose views come 20 times a second and whose inputs are acknowledged in them).
"""
