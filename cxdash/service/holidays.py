"""Public holidays and make-up working days of mainland China (State Council notices), the default calendars' list.

Admins can replace the list by uploading a CSV on the SLA settings page (:func:`parse_holiday_csv`).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from cxdash.service.calendar import CalendarError


def _span(first: str, last: str) -> list[str]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [(a + timedelta(days=i)).isoformat() for i in range((b - a).days + 1)]


CN_HOLIDAYS: tuple[str, ...] = tuple(
    _span("2024-01-01", "2024-01-01")
    + _span("2024-02-10", "2024-02-17")
    + _span("2024-04-04", "2024-04-06")
    + _span("2024-05-01", "2024-05-05")
    + _span("2024-06-10", "2024-06-10")
    + _span("2024-09-15", "2024-09-17")
    + _span("2024-10-01", "2024-10-07")
    + _span("2025-01-01", "2025-01-01")
    + _span("2025-01-28", "2025-02-04")
    + _span("2025-04-04", "2025-04-06")
    + _span("2025-05-01", "2025-05-05")
    + _span("2025-05-31", "2025-06-02")
    + _span("2025-10-01", "2025-10-08")
    + _span("2026-01-01", "2026-01-03")
    + _span("2026-02-15", "2026-02-23")
    + _span("2026-04-04", "2026-04-06")
    + _span("2026-05-01", "2026-05-05")
    + _span("2026-06-19", "2026-06-21")
    + _span("2026-09-25", "2026-09-27")
    + _span("2026-10-01", "2026-10-07")
)

# Make-up working days (weekend days worked in exchange for a bridged holiday) keep Monday's hours.
CN_WORKDAYS: tuple[tuple[str, str], ...] = tuple(
    (d, "0")
    for d in (
        "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29",
        "2024-10-12", "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11", "2026-01-04",
        "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
    )
)

HOLIDAY_KINDS = ("holiday", "workday")


def parse_holiday_csv(data: bytes | str) -> tuple[list[str], list[list[str]]]:
    """Parse an uploaded list of special days: columns ``date,kind[,weekday]``.

    ``kind`` is ``holiday`` (closed) or ``workday`` (a make-up working day, open with the hours of ``weekday``,
    0 = Monday .. 6 = Sunday, default 0). A header row is optional. Returns ``(holidays, workdays)`` in the
    stored form. Raises :class:`CalendarError` naming the first bad line.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    holidays: list[str] = []
    workdays: list[list[str]] = []
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not cells or not any(cells):
            continue
        if lineno == 1 and cells[0].lower() in ("date", "日期"):
            continue
        try:
            day = date.fromisoformat(cells[0]).isoformat()
        except ValueError as exc:
            raise CalendarError(f"line {lineno}: invalid date {cells[0]!r}; expected YYYY-MM-DD") from exc
        kind = (cells[1] if len(cells) > 1 and cells[1] else "holiday").lower()
        if kind not in HOLIDAY_KINDS:
            raise CalendarError(f"line {lineno}: kind must be 'holiday' or 'workday', not {kind!r}")
        if kind == "holiday":
            holidays.append(day)
            continue
        weekday = cells[2] if len(cells) > 2 and cells[2] else "0"
        if weekday not in {str(i) for i in range(7)}:
            raise CalendarError(f"line {lineno}: weekday must be 0 (Monday) to 6 (Sunday)")
        workdays.append([day, weekday])
    return sorted(set(holidays)), sorted(workdays)


def holiday_csv(holidays: list[str], workdays: list[list[str]]) -> str:
    """The special days as CSV text in the upload format (for download and editing)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["date", "kind", "weekday"])
    rows = [(h, "holiday", "") for h in holidays] + [(d, "workday", p) for d, p in workdays]
    for r in sorted(rows):
        w.writerow(r)
    return out.getvalue()
