"""Persistence: tables, migrations and the queries the services run."""
