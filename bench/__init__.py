"""Benchmarks of cxdash (run by ``python -m bench``): build or generate data at a given size and time the work on it.

Not part of the installed package: it lives beside ``cxdash/`` in the checkout, imports cxdash and is never
imported by it. The pandas references (``reference*.py``) are the test oracles the figures are checked against.
"""

from pathlib import Path

# The checkout holding this package: the benchmark databases live in its bench-data/ and the app is served from it.
ROOT = Path(__file__).resolve().parent.parent
