"""Matchmaking: a queue per game that fills the fullest open room first (``service.py``), over a
queue backend (``base.py``: the seam; ``local.py`` in-process, ``redis.py`` on Redis)."""
