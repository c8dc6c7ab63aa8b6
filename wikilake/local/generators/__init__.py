"""Deterministic synthetic dumps for tests, the demo and the benchmark."""
