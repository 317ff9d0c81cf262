"""Benchmarks: build or generate data at a given size and time the work on it."""
