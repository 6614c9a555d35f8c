"""The workloads: each is ``async run(options, progress) -> dict`` returning its rows and tables."""
