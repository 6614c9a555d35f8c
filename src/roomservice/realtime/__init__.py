"""Sockets, presence, resume buffers, rate limits and fan-out."""
