"""CLI command modules; each defines ``register(subparsers, reports)`` (see :mod:`cxdash.cli`)."""
