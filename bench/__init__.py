"""Benchmarks of roomservice against a raw Starlette broadcast server and python-socketio.

``python -m bench WORKLOAD`` (or ``roomservice bench WORKLOAD``) starts each server on 127.0.0.1, drives it
from load-generator processes, prints a table and writes a JSON file. See docs/performance.md.
"""
