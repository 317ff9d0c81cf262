"""When a case's first contact is due: ``response_hours`` business hours after it opened, on the rule's calendar.

The calendar is the rule's ``calendar_id`` (an SLA calendar, :mod:`cxdash.sla.policies`); a rule without one, or
whose calendar was deleted, uses the calendar with the smallest id; a database without calendars, or a calendar that
never opens, counts round the clock (24x7).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from cxdash.followup.rules import Rule
from cxdash.sla.calendar import Calendar, CalendarError, add_business_minutes, business_minutes
from cxdash.sla.policies import list_calendars


def calendar_for(conn: Connection, calendar_id: int | None) -> Calendar | None:
    """The calendar ``calendar_id`` (missing or None: the one with the smallest id); None when there is none."""
    calendars = list_calendars(conn)
    if not calendars:
        return None
    if calendar_id is not None and calendar_id in calendars:
        return calendars[calendar_id][1]
    return calendars[min(calendars)][1]


def due_on(calendar: Calendar | None, opened_at: datetime, hours: float) -> datetime:
    """``hours`` business hours after ``opened_at`` on ``calendar`` (None or never open: wall-clock hours)."""
    if calendar is not None:
        try:
            return add_business_minutes(calendar, [opened_at], hours * 60.0)[0].to_pydatetime()
        except CalendarError:
            pass  # a calendar without opening hours: the target still needs a time, so count round the clock
    return opened_at + timedelta(hours=hours)


def due_at(conn: Connection, rule: Rule, opened_at: datetime) -> datetime:
    """The due time (naive UTC) of the first contact of a case of ``rule`` opened at ``opened_at``."""
    return due_on(calendar_for(conn, rule.calendar_id), opened_at, float(rule.response_hours))


def business_minutes_between(conn: Connection, rule_or_calendar_id: Rule | int | None, start: datetime,
                             end: datetime) -> float:
    """Business minutes from ``start`` to ``end`` on a rule's calendar (or the calendar ``id``; None: the first);
    wall-clock minutes when there is no calendar or it never opens; negative when ``end`` is before ``start``."""
    calendar_id = rule_or_calendar_id.calendar_id if isinstance(rule_or_calendar_id, Rule) else rule_or_calendar_id
    calendar = calendar_for(conn, calendar_id)
    if calendar is not None and (calendar.weekly_minutes() > 0 or calendar.workdays):
        return float(business_minutes(calendar, [start], [end])[0])
    return (end - start).total_seconds() / 60.0
