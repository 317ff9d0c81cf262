"""Checks the ticket importer applies before loading: event times must not precede creation.

A first response, resolution or closing before the ticket was created would give negative elapsed time;
such rows are rejected at import with the translated message of the returned catalog key.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

ERROR_KEYS = {
    "first_response_at": "service.error.first_response_before_created",
    "resolved_at": "service.error.resolved_before_created",
    "closed_at": "service.error.closed_before_created",
}


def _ts(values: Any) -> pd.Series:
    return pd.Series(pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601")).reset_index(drop=True)


def ticket_time_errors(
    created_at: Any, first_response_at: Any = None, resolved_at: Any = None, closed_at: Any = None
) -> pd.Series:
    """Per row, the catalog key of the first time problem (``None`` when the row is fine), vectorised.

    Arguments are aligned sequences of naive-UTC timestamps (missing allowed, except ``created_at``, whose
    absence gives ``sla.error.created_missing``). Translate with ``cxdash.i18n.t(key, lang)``.
    """
    created = _ts(created_at)
    n = len(created)
    errors = np.full(n, None, dtype=object)
    errors[created.isna().to_numpy()] = "service.error.created_missing"
    for name, values in (("first_response_at", first_response_at), ("resolved_at", resolved_at), ("closed_at", closed_at)):
        if values is None:
            continue
        other = _ts(values)
        bad = (other < created).fillna(False).to_numpy(dtype=bool) & (errors == None)  # noqa: E711
        errors[bad] = ERROR_KEYS[name]
    return pd.Series(errors, dtype=object)


def invalid_mask(frame: pd.DataFrame) -> pd.Series:
    """True for rows of a ticket frame (columns as in the ``ticket`` table) that the importer must reject."""
    errs = ticket_time_errors(
        frame["created_at"], frame.get("first_response_at"), frame.get("resolved_at"), frame.get("closed_at")
    )
    return pd.Series(errs.notna().to_numpy(), index=frame.index)
