"""Metric computations, one module per concept; each aggregates in SQL and returns plain Python values."""
