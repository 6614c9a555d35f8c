"""Several nodes sharing rooms through Redis and PostgreSQL (``settings.redis_url``): the inbox between
nodes, frames for rooms owned elsewhere, and the engine and hub of a node of several."""
