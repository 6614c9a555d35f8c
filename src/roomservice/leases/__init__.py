"""Which node owns a room."""
