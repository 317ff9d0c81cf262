"""The churn definition as a setting, and its predicates on the customer table.

Two modes (DESIGN.md §3, issue 5):

- ``inactivity`` (default): churned if flagged so in an upload, or if no event follows the last one within W days
  (default 365); judged only for customers whose first event lies at least W days before the as-of day A. This
  is exactly :mod:`cxdash.metrics.churn` (the overview's churn rate); ``tests/test_churn_model.py`` checks the
  counts agree.
- ``flag``: only the uploaded churn flag counts (with its date on or before A, or no date); every customer with
  an event on or before A is judged. For businesses that know who cancelled.

The setting lives in the ``setting`` table (key :data:`SETTING_KEY`); changing it bumps the data version so no
cached figure survives it, and writes an audit entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cxdash.audit import record_audit
from cxdash.db import get_setting, put_setting
from cxdash.metrics.churn import DEFAULT_WINDOW_DAYS
from cxdash.schema import customer

SETTING_KEY = "churn_definition"
MODES = ("inactivity", "flag")
MAX_WINDOW_DAYS = 3650
cu = customer.c


@dataclass(frozen=True)
class ChurnDefinition:
    """How churn is decided: ``mode`` ("inactivity" or "flag") and the inactivity window W in days."""

    mode: str = "inactivity"
    window_days: int = DEFAULT_WINDOW_DAYS

    def validate(self) -> ChurnDefinition:
        """Return self, or raise ValueError for an unknown mode or a window outside 1..3650 days."""
        if self.mode not in MODES:
            raise ValueError(f"unknown churn mode {self.mode!r}; use one of {MODES}")
        if not 1 <= int(self.window_days) <= MAX_WINDOW_DAYS:
            raise ValueError(f"the churn window must be 1 to {MAX_WINDOW_DAYS} days")
        return self


def get_definition(conn: Connection) -> ChurnDefinition:
    """The stored churn definition (the default when none is stored or the stored one is unusable)."""
    raw: Any = get_setting(conn, SETTING_KEY, None)
    if not isinstance(raw, dict):
        return ChurnDefinition()
    try:
        return ChurnDefinition(str(raw.get("mode", "inactivity")),
                               int(raw.get("window_days", DEFAULT_WINDOW_DAYS))).validate()
    except (TypeError, ValueError):
        return ChurnDefinition()


def load_definition(engine: Engine) -> ChurnDefinition:
    """:func:`get_definition` on a fresh connection (for pages and the CLI)."""
    with engine.connect() as conn:
        return get_definition(conn)


def set_definition(engine: Engine, definition: ChurnDefinition, actor: str | None = None) -> None:
    """Store the churn definition (bumps the data version, audited).

    Raises:
        ValueError: an invalid definition.
    """
    definition.validate()
    with engine.begin() as conn:
        old = get_definition(conn)
        put_setting(conn, SETTING_KEY, asdict(definition))
        record_audit(conn, actor, "edit_settings", "setting", SETTING_KEY,
                     {"old": asdict(old), "new": asdict(definition)})


def cutoff(as_of: date, window_days: int) -> datetime:
    """Events strictly before this moment lie at least ``window_days`` days before ``as_of`` (as in
    :mod:`cxdash.metrics.churn`)."""
    return datetime.combine(as_of - timedelta(days=window_days - 1), time.min)


def observation_end(as_of: date, definition: ChurnDefinition) -> datetime:
    """The end of the period whose experiences can explain churn as of A.

    Inactivity: the cutoff (a churned customer's events all lie before it, so retained customers are observed
    over the same span). Flag: the end of A.
    """
    if definition.mode == "flag":
        return datetime.combine(as_of + timedelta(days=1), time.min)
    return cutoff(as_of, definition.window_days)


def flagged(as_of: date) -> ColumnElement[bool]:
    """Flagged as churned in an upload, with a churn date on or before A or none."""
    return and_(cu.churn_flag.is_(true()), or_(cu.churn_date.is_(None), cu.churn_date <= as_of))


def judged(definition: ChurnDefinition, as_of: date) -> ColumnElement[bool]:
    """Customers whose churn can be judged as of A under the definition."""
    if definition.mode == "flag":
        return cu.first_event_at < datetime.combine(as_of + timedelta(days=1), time.min)
    return cu.first_event_at < cutoff(as_of, definition.window_days)


def ended(definition: ChurnDefinition, as_of: date) -> ColumnElement[bool]:
    """Customers known to have churned by A, judged or not (a flag, or W days of silence since the last event).

    Retention curves use this: they need no full window behind a customer, censoring takes care of that.
    """
    if definition.mode == "flag":
        return flagged(as_of)
    return or_(flagged(as_of), cu.last_event_at < cutoff(as_of, definition.window_days))


def churned(definition: ChurnDefinition, as_of: date) -> ColumnElement[bool]:
    """Judged customers who churned as of A under the definition."""
    return and_(judged(definition, as_of), ended(definition, as_of))
