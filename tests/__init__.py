"""cxdash's tests: run them with ``make test`` (everything) or ``make test-fast`` (no browser, AppTest or PostgreSQL)."""
