"""Counters behind the HTTP rate limits: in this process (one node) or in Redis (every node of a cluster)."""
