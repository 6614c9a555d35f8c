"""Which node owns a room. ``local`` (default): this node owns every room."""
