"""The global filters every page applies, turned into SQL predicates in one place.

Pages and the CLI build a :class:`Filters`; metric functions turn it into ``WHERE`` clauses with
:func:`response_where` and :func:`ticket_where`. Values always travel as bound parameters. Row-level scope
(the sites and teams a user may see) is applied here too, so no query can forget it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Table, and_, or_, true

from cxdash.domain.periods import day_conditions, time_conditions
from cxdash.schema import survey_response, ticket

DEFAULT_DAYS = 90


def default_date_range(latest: date | None, today: date | None = None) -> tuple[date, date]:
    """The app's default date range: the last :data:`DEFAULT_DAYS` days, always up to ``today``.

    It ends today, not on the latest survey or ticket day, so what was recorded today (an inspection, a plan's
    effect) is in view (#20.8). When the latest data day (``latest``) is older than that window (an old import,
    the demo), the range starts :data:`DEFAULT_DAYS` days before that day instead, so the latest data still shows.
    """
    today = today or date.today()
    window = timedelta(days=DEFAULT_DAYS - 1)
    start = today - window
    if latest is not None and latest < start:
        start = latest - window
    return start, max(today, latest or today)


@dataclass(frozen=True)
class Filters:
    """A selection of data: a date range and optional lists of organisation units, channels and segments.

    Empty tuples mean "all". ``scope_sites`` / ``scope_teams`` restrict a team lead to their scope: a row is
    visible when its site is in ``scope_sites`` or its team is in ``scope_teams``; ``None`` means unrestricted.
    """

    date_from: date | None = None
    date_to: date | None = None
    region_ids: tuple[int, ...] = ()
    site_ids: tuple[int, ...] = ()
    team_ids: tuple[int, ...] = ()
    person_ids: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    scope_sites: tuple[int, ...] | None = field(default=None)
    scope_teams: tuple[int, ...] | None = field(default=None)

    def with_dates(self, date_from: date | None, date_to: date | None) -> Filters:
        """Return a copy with another date range (e.g. the previous period)."""
        return replace(self, date_from=date_from, date_to=date_to)

    def previous_period(self) -> Filters | None:
        """Return the filters for the period of equal length just before this one, or None without dates."""
        if self.date_from is None or self.date_to is None:
            return None
        length = (self.date_to - self.date_from).days + 1
        end = self.date_from - timedelta(days=1)
        return self.with_dates(end - timedelta(days=length - 1), end)

    def cache_key(self) -> tuple:
        """A hashable, order-independent key for caches."""
        return (
            self.date_from,
            self.date_to,
            tuple(sorted(self.region_ids)),
            tuple(sorted(self.site_ids)),
            tuple(sorted(self.team_ids)),
            tuple(sorted(self.person_ids)),
            tuple(sorted(self.channels)),
            tuple(sorted(self.segments)),
            None if self.scope_sites is None else tuple(sorted(self.scope_sites)),
            None if self.scope_teams is None else tuple(sorted(self.scope_teams)),
        )


def org_conditions(f: Filters, table: Table, person_col: str = "person_id") -> list[ColumnElement[bool]]:
    """The organisation, channel and segment filters and the row-level scope on ``table``; a filter whose column
    the table lacks does not apply (follow-up cases have no person, channel or segment)."""
    c = table.c
    conds: list[ColumnElement[bool]] = [
        c[col].in_(values)
        for col, values in (("region_id", f.region_ids), ("site_id", f.site_ids), ("team_id", f.team_ids),
                            (person_col, f.person_ids), ("channel", f.channels), ("segment", f.segments))
        if values and col in c
    ]
    conds.extend(scope_conditions(f, table))
    return conds


def scope_conditions(f: Filters, table: Table) -> list[ColumnElement[bool]]:
    """The row-level scope predicate for any table with ``site_id`` (and optionally ``team_id``)."""
    if f.scope_sites is None and f.scope_teams is None:
        return []
    parts: list[ColumnElement[bool]] = []
    if f.scope_sites:
        parts.append(table.c.site_id.in_(f.scope_sites))
    if f.scope_teams and "team_id" in table.c:
        parts.append(table.c.team_id.in_(f.scope_teams))
    if not parts:  # a scoped user with an empty scope sees nothing
        return [~true()]
    return [or_(*parts)]


def response_where(f: Filters, table: Table = survey_response) -> ColumnElement[bool]:
    """WHERE clause selecting the survey responses of ``f`` (dates on the visit date)."""
    conds = org_conditions(f, table, "person_id")
    if f.date_from is not None or f.date_to is not None:
        conds += day_conditions(table.c.visit_date, f.date_from, f.date_to)
    return and_(true(), *conds)


def ticket_where(f: Filters, table: Table = ticket) -> ColumnElement[bool]:
    """WHERE clause selecting the tickets of ``f`` (dates on the creation time; merged tickets included)."""
    conds = org_conditions(f, table, "agent_id")
    if f.date_from is not None or f.date_to is not None:  # summary tables have no creation time, nor need one then
        conds += time_conditions(table.c.created_at, f.date_from, f.date_to)
    return and_(true(), *conds)


def parse_ids(values: Sequence[str | int] | None) -> tuple[int, ...]:
    """Parse ids from query parameters or CLI options, ignoring anything that is not a whole number."""
    out: list[int] = []
    for v in values or ():
        try:
            out.append(int(v))
        except (TypeError, ValueError):
            continue
    return tuple(out)
