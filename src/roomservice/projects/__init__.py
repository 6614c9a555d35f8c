"""Workshop projects: the saved documents with their collaborators and versions (``service``), and the
open ones, each a room whose sculpture lives in memory while anyone edits it (``workshop``, ``room``)."""
