"""Benchmarks of roomservice against a raw Starlette broadcast server and python-socketio.

``python -m bench WORKLOAD``, from a checkout of the repository, starts each server on 127.0.0.1, drives it
from load-generator processes, prints a table and writes a JSON file. See docs/performance.md.
"""
