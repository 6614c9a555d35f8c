"""roomservice: a server for multiplayer rooms."""

__version__ = "0.1.0"
