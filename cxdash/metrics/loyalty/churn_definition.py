"""The churn definition as a setting, and its predicates on the customer table: the one place that decides who is
judged and who churned, for the overview, the tiers page, the drivers page and ``report churn`` (issue 20.5).

Two modes (docs/metrics.md, issue 5):

- ``inactivity``: churned if flagged so in an upload, or if no event follows the last one within W days
  (default 365); judged only for customers whose first event lies at least W days before the as-of day A and
  who were still around in the W days before that (last event at least 2W days before A: churned long ago,
  no longer part of the base), so the rate is the churn of one window, not the pile of every loss ever seen.
  This is exactly :mod:`cxdash.metrics.loyalty.churn` (the overview's churn rate); ``tests/test_churn_model.py`` checks
  the counts agree.
- ``flag``: only the uploaded churn flag counts (with its date on or before A, or no date); every customer with
  an event on or before A is judged. For businesses that know who cancelled.

In both modes a customer from a customer list without any date (only a flag, perhaps a tenure) is judged by the
flag: their status is stated, not inferred (issue 19.5).

Which rule applies (:func:`churn_rule`): an explicit choice (CLI ``--churn-mode``, the pages' control), else the
stored setting, else ``flag`` when a customer list states who stayed (a customer with a "no" churn flag), else
``inactivity``. Every figure names the rule it used.

Left-censoring (:func:`judgeable_from`): the data's history begins on a day S. Under ``inactivity`` the judged
customers of A need S <= A - 2W + 1: before that, customers first seen at S may have been customers for years,
and the span watched grows with A, so the rate climbs with the history's length on a flat churn process. Such
days are not shown as a trend and their change is not tested.

The setting lives in the ``setting`` table (key :data:`SETTING_KEY`); changing it bumps the data version so no
cached figure survives it, and writes an audit entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, and_, false, func, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cxdash.audit import record_audit
from cxdash.db import get_setting, put_setting
from cxdash.schema import customer

DEFAULT_WINDOW_DAYS = 365
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


def stored_definition(conn: Connection) -> ChurnDefinition | None:
    """The stored churn definition (None when none is stored or the stored one is unusable)."""
    raw: Any = get_setting(conn, SETTING_KEY, None)
    if not isinstance(raw, dict):
        return None
    try:
        return ChurnDefinition(str(raw.get("mode", "inactivity")),
                               int(raw.get("window_days", DEFAULT_WINDOW_DAYS))).validate()
    except (TypeError, ValueError):
        return None


# Where the rule in force comes from: a choice for this view, the stored setting, a customer list stating who
# stayed, or the default.
CHOSEN, SETTING, LIST_FLAGS, DEFAULT = "chosen", "setting", "list_flags", "default"


@dataclass(frozen=True)
class ChurnRule:
    """The churn definition in force, where it comes from (:data:`CHOSEN`, :data:`SETTING`, :data:`LIST_FLAGS`,
    :data:`DEFAULT`) and how many customers carry an uploaded churn flag (yes or no)."""

    definition: ChurnDefinition
    source: str
    flagged_customers: int

    @property
    def other_mode(self) -> str:
        """The mode one would switch to."""
        return "inactivity" if self.definition.mode == "flag" else "flag"


def churn_rule(conn: Connection, mode: str | None = None, window_days: int | None = None) -> ChurnRule:
    """The rule in force (see the module docstring): ``mode`` / ``window_days`` when given override the rest.

    Raises:
        ValueError: an unknown ``mode`` or a window outside 1..3650 days.
    """
    stored = stored_definition(conn)
    base = stored or ChurnDefinition()
    flags = int(conn.execute(select(func.count()).select_from(customer)
                             .where(cu.churn_flag.isnot(None))).scalar_one())
    window = int(window_days or base.window_days)
    if mode is not None:
        return ChurnRule(ChurnDefinition(mode, window).validate(), CHOSEN, flags)
    if stored is not None:
        return ChurnRule(ChurnDefinition(stored.mode, window).validate(), SETTING, flags)
    stayed = conn.execute(select(cu.id).where(cu.churn_flag.is_(false())).limit(1)).first() is not None
    if stayed:
        return ChurnRule(ChurnDefinition("flag", window).validate(), LIST_FLAGS, flags)
    return ChurnRule(ChurnDefinition("inactivity", window).validate(), DEFAULT, flags)


def get_definition(conn: Connection) -> ChurnDefinition:
    """The churn definition in force without an explicit choice (:func:`churn_rule`)."""
    return churn_rule(conn).definition


def load_definition(engine: Engine) -> ChurnDefinition:
    """:func:`get_definition` on a fresh connection (for pages and the CLI)."""
    with engine.connect() as conn:
        return get_definition(conn)


def load_rule(engine: Engine, mode: str | None = None, window_days: int | None = None) -> ChurnRule:
    """:func:`churn_rule` on a fresh connection (for pages and the CLI)."""
    with engine.connect() as conn:
        return churn_rule(conn, mode, window_days)


def data_start(conn: Connection) -> date | None:
    """The day of the earliest customer event (None when no customer has a dated event)."""
    value = conn.execute(select(func.min(cu.first_event_at))).scalar()
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else datetime.fromisoformat(str(value)).date()


def first_judgeable(start: date, definition: ChurnDefinition) -> date:
    """The first as-of day whose judged customers the history starting on ``start`` fully covers: ``start``
    (flag), ``start + 2W - 1`` (inactivity: a window of activity and a window of silence behind the cutoff)."""
    if definition.mode == "flag":
        return start
    return start + timedelta(days=2 * definition.window_days - 1)


def judgeable_from(conn: Connection, definition: ChurnDefinition) -> date | None:
    """:func:`first_judgeable` of the database's history (None without dated events)."""
    start = data_start(conn)
    return None if start is None else first_judgeable(start, definition)


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
    :mod:`cxdash.metrics.loyalty.churn`)."""
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


def undated_status() -> ColumnElement[bool]:
    """Customers a customer list gives a churn status (flag yes or no) but no date at all: judged by the flag."""
    return and_(cu.first_event_at.is_(None), cu.churn_flag.isnot(None))


def base_start(as_of: date, window_days: int) -> datetime:
    """Inactivity: customers whose last event lies before this moment had left the base a window before the
    cutoff (W days of silence before it), so they are no longer judged."""
    return cutoff(as_of, window_days) - timedelta(days=window_days)


def seen(as_of: date) -> ColumnElement[bool]:
    """Customers known by A: a dated event on or before A, or a stated status without dates."""
    return or_(cu.first_event_at < datetime.combine(as_of + timedelta(days=1), time.min), undated_status())


def judged(definition: ChurnDefinition, as_of: date) -> ColumnElement[bool]:
    """Customers whose churn can be judged as of A under the definition (see the module docstring)."""
    if definition.mode == "flag":
        return seen(as_of)
    w = definition.window_days
    return or_(and_(cu.first_event_at < cutoff(as_of, w), cu.last_event_at >= base_start(as_of, w)),
               undated_status())


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
