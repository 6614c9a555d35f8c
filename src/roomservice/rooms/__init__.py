"""Room lifecycle: membership, hosts, limits, lobby listing and expiry."""
