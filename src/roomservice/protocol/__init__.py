"""The socket protocol, without I/O: frame types, decoding, validation, error and close codes."""
