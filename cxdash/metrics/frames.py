"""Query results into DataFrames without pandas probing every SQLAlchemy row object.

``pd.DataFrame(list_of_rows)`` asks each row for ``_fields`` and similar attributes; on SQLAlchemy rows every
miss runs a slow key fallback, which made a 100,000-row result take seconds. Plain tuples avoid it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd


def rows_frame(rows: Iterable[Sequence[Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame from result rows (any sequences) with the given column names."""
    return pd.DataFrame([tuple(r) for r in rows], columns=list(columns))
