"""The workshop's pure rules: a voxel sculpture, its edits, and each collaborator's undo and redo.
No I/O: the live project rooms (``roomservice.projects``) run them."""
