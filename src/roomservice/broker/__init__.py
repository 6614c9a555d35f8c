"""Fan-out between nodes. ``local`` (default) keeps everything in this process."""
