"""Business-minutes arithmetic on a calendar of weekly opening hours, a time zone, holidays and make-up days.

Timestamps are stored as naive UTC. A :class:`Calendar` is expanded once into a sorted array of its open
intervals in UTC (each local opening window converted with the time zone's rules, so daylight-saving changes
are exact), plus the cumulative open time before each interval. Then, for whole arrays of timestamps at once:

- ``clock(t)`` = business minutes from the start of the expansion up to ``t`` (one ``searchsorted``),
- ``business_minutes(a, b)`` = ``clock(b) - clock(a)``,
- ``add_business_minutes(a, m)`` = the instant at which ``m`` business minutes have elapsed since ``a``
  (the inverse of the clock: another ``searchsorted`` on the cumulative ends).

That makes a million tickets a few array operations, independent of how many breaks or shifts a day has.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

NS_PER_MIN = 60_000_000_000
DAY_MIN = 24 * 60
# When the expansion is too short for an inverse, it grows by this many days (and then doubles).
_MIN_PAD_DAYS = 14


class CalendarError(ValueError):
    """A calendar definition is invalid (bad time, overlapping windows, unknown time zone, bad date)."""


def parse_hhmm(text: str) -> int:
    """Minutes after midnight of ``"HH:MM"`` (``"24:00"`` allowed as the end of the day)."""
    try:
        hh, mm = str(text).strip().split(":")
        h, m = int(hh), int(mm)
    except ValueError as exc:
        raise CalendarError(f"invalid time {text!r}; expected HH:MM") from exc
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m != 0):
        raise CalendarError(f"invalid time {text!r}; expected HH:MM between 00:00 and 24:00")
    return h * 60 + m


def format_hhmm(minutes: int) -> str:
    """``"HH:MM"`` of minutes after midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_day_text(text: str) -> list[list[str]]:
    """Parse one day's opening hours as typed in the settings page: ``"09:00-12:00, 13:00-18:00"`` (empty or
    "closed" = closed). Returns the stored form ``[["09:00", "12:00"], ...]``; raises :class:`CalendarError`."""
    text = (text or "").strip()
    if not text or text.lower() in ("closed", "-", "休息", "关闭", "關閉"):
        return []
    out = []
    for part in text.replace("，", ",").replace(";", ",").split(","):
        if not part.strip():
            continue
        bounds = [b.strip() for b in part.replace("–", "-").split("-")]
        if len(bounds) != 2:
            raise CalendarError(f"invalid opening window {part.strip()!r}; expected HH:MM-HH:MM")
        out.append([format_hhmm(parse_hhmm(bounds[0])), format_hhmm(parse_hhmm(bounds[1]))])
    _windows(out)  # checks order and overlaps
    return out


def format_day_text(windows: Iterable[Sequence[str]]) -> str:
    """The inverse of :func:`parse_day_text` (closed days give an empty string)."""
    return ", ".join(f"{a}-{b}" for a, b in windows)


def _windows(raw: Iterable[Sequence[str]]) -> tuple[tuple[int, int], ...]:
    """Parse and check one day's windows: each start < end, sorted, not overlapping."""
    out = sorted((parse_hhmm(a), parse_hhmm(b)) for a, b in raw)
    for (s, e) in out:
        if s >= e:
            raise CalendarError(f"opening window {format_hhmm(s)}-{format_hhmm(e)} ends before it starts")
    for (_, e1), (s2, _) in zip(out, out[1:], strict=False):
        if s2 < e1:
            raise CalendarError("opening windows of one day overlap")
    return tuple(out)


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise CalendarError(f"invalid date {value!r}; expected YYYY-MM-DD") from exc


@dataclass(frozen=True)
class Calendar:
    """Weekly opening hours (Monday = 0; several windows per day for breaks and split shifts), a time zone,
    holidays (closed) and make-up working days (open with the hours of a given weekday).

    Build it with :meth:`from_json` from the ``business_calendar`` row's JSON columns.
    """

    timezone: str = "UTC"
    weekly: tuple[tuple[tuple[int, int], ...], ...] = field(default_factory=lambda: ((),) * 7)
    holidays: frozenset[date] = frozenset()
    workdays: Mapping[date, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError(f"unknown time zone {self.timezone!r}") from exc
        if len(self.weekly) != 7:
            raise CalendarError("weekly hours need 7 days")

    @classmethod
    def from_json(
        cls,
        timezone: str,
        weekly_hours: Mapping[str, Iterable[Sequence[str]]],
        holidays: Iterable[Any] = (),
        workdays: Iterable[Sequence[Any]] = (),
    ) -> Calendar:
        """Build from the stored form: ``{"0": [["09:00","12:00"], ...], ..., "6": []}``, ``["2026-10-01"]``,
        ``[["2026-09-27", "0"]]`` (a make-up day and the weekday whose hours it keeps; default Monday)."""
        weekly = tuple(_windows(weekly_hours.get(str(d), ()) or ()) for d in range(7))
        wd: dict[date, int] = {}
        for item in workdays or ():
            if isinstance(item, (str, date)):
                day, pattern = _as_date(item), 0
            else:
                day = _as_date(item[0])
                pattern = int(item[1]) if len(item) > 1 and item[1] not in (None, "") else 0
            if not 0 <= pattern <= 6:
                raise CalendarError(f"make-up day {day}: weekday must be 0 (Monday) to 6 (Sunday)")
            wd[day] = pattern
        return cls(timezone or "UTC", weekly, frozenset(_as_date(h) for h in holidays or ()), wd)

    def to_json(self) -> dict[str, Any]:
        """The stored form (inverse of :meth:`from_json`)."""
        return {
            "timezone": self.timezone,
            "weekly_hours": {
                str(d): [[format_hhmm(s), format_hhmm(e)] for s, e in self.weekly[d]] for d in range(7)
            },
            "holidays": sorted(h.isoformat() for h in self.holidays),
            "workdays": sorted([d.isoformat(), str(p)] for d, p in self.workdays.items()),
        }

    def weekly_minutes(self) -> int:
        """Open minutes in an ordinary week (no holidays)."""
        return sum(e - s for day in self.weekly for s, e in day)

    def windows_on(self, day: date) -> tuple[tuple[int, int], ...]:
        """The local opening windows of one date (a make-up day wins over a holiday listed for the same day)."""
        if day in self.workdays:
            return self.weekly[self.workdays[day]]
        if day in self.holidays:
            return ()
        return self.weekly[day.weekday()]

    def expand(self, first: date, last: date) -> Expansion:
        """Open intervals in UTC for local dates ``first`` .. ``last`` (inclusive)."""
        return Expansion.build(self, first, last)


@dataclass(frozen=True)
class Expansion:
    """A calendar's open intervals in UTC nanoseconds over a date range, with cumulative open time."""

    starts: np.ndarray  # int64 ns, sorted
    ends: np.ndarray  # int64 ns
    cum_before: np.ndarray  # float64 minutes of open time before each interval
    first: date
    last: date

    @classmethod
    def build(cls, cal: Calendar, first: date, last: date) -> Expansion:
        """Convert every local window of every date in range to UTC (DST-exact), merging touching ones."""
        local_starts: list[datetime] = []
        local_ends: list[datetime] = []
        day = first
        while day <= last:
            base = datetime(day.year, day.month, day.day)
            for s, e in cal.windows_on(day):
                local_starts.append(base + timedelta(minutes=s))
                local_ends.append(base + timedelta(minutes=e))
            day += timedelta(days=1)
        if not local_starts:
            empty = np.array([], dtype=np.int64)
            return cls(empty, empty, np.array([], dtype=float), first, last)
        tz = cal.timezone
        # In the repeated hour of a DST fall-back, a window starts at its earlier instant and ends at its
        # later one (it covers the whole ambiguous span); in the skipped spring-forward hour, times move on.
        s_utc = (
            pd.DatetimeIndex(local_starts)
            .tz_localize(tz, ambiguous=np.ones(len(local_starts), dtype=bool), nonexistent="shift_forward")
            .tz_convert("UTC")
            .tz_localize(None)
        )
        e_utc = (
            pd.DatetimeIndex(local_ends)
            .tz_localize(tz, ambiguous=np.zeros(len(local_ends), dtype=bool), nonexistent="shift_forward")
            .tz_convert("UTC")
            .tz_localize(None)
        )
        starts = s_utc.as_unit("ns").asi8
        ends = e_utc.as_unit("ns").asi8
        starts, ends = _merge(starts, ends)
        lengths = (ends - starts) / NS_PER_MIN
        cum = np.concatenate([[0.0], np.cumsum(lengths)[:-1]])
        return cls(starts, ends, cum, first, last)

    @property
    def total(self) -> float:
        """Open minutes in the whole expansion."""
        return float(self.cum_before[-1] + (self.ends[-1] - self.starts[-1]) / NS_PER_MIN) if len(self.starts) else 0.0

    def clock(self, ts_ns: np.ndarray) -> np.ndarray:
        """Business minutes from the expansion's start up to each instant (int64 ns; NaT -> NaN)."""
        out = np.full(ts_ns.shape, np.nan)
        if not len(self.starts):
            out[ts_ns != np.iinfo(np.int64).min] = 0.0
            return out
        valid = ts_ns != np.iinfo(np.int64).min
        t = ts_ns[valid]
        idx = np.searchsorted(self.starts, t, side="right") - 1
        inside = np.clip(np.minimum(t, self.ends[np.maximum(idx, 0)]) - self.starts[np.maximum(idx, 0)], 0, None)
        val = self.cum_before[np.maximum(idx, 0)] + inside / NS_PER_MIN
        out[valid] = np.where(idx < 0, 0.0, val)
        return out

    def inverse(self, clock_min: np.ndarray) -> np.ndarray:
        """The earliest instant (int64 ns) at which the clock reads ``clock_min``; -1 where beyond the range."""
        ends_cum = self.cum_before + (self.ends - self.starts) / NS_PER_MIN
        out = np.full(clock_min.shape, -1, dtype=np.int64)
        valid = ~np.isnan(clock_min)
        v = clock_min[valid]
        # The first interval whose cumulative end reaches v; a target landing exactly on an interval's end
        # is reached at that end (not at the next opening).
        idx = np.searchsorted(ends_cum, v - 1e-9, side="left")
        ok = idx < len(self.starts)
        safe = np.minimum(idx, len(self.starts) - 1) if len(self.starts) else idx
        res = np.full(v.shape, -1, dtype=np.int64)
        if len(self.starts):
            offset = np.maximum(v - self.cum_before[safe], 0.0)
            res = np.where(ok, self.starts[safe] + np.round(offset * NS_PER_MIN).astype(np.int64), -1)
        out[valid] = res
        return out


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort intervals and merge touching or overlapping ones (24-hour days, DST overlaps)."""
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    keep_s: list[int] = []
    keep_e: list[int] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        if e <= s:
            continue
        if keep_e and s <= keep_e[-1]:
            keep_e[-1] = max(keep_e[-1], e)
        else:
            keep_s.append(s)
            keep_e.append(e)
    return np.array(keep_s, dtype=np.int64), np.array(keep_e, dtype=np.int64)


def to_ns(values: Any) -> np.ndarray:
    """Naive-UTC timestamps (Series, Index, list, array; None/NaT allowed) as int64 ns (NaT = int64 min)."""
    idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(values, dtype="object") if isinstance(values, list) else values))
    if idx.tz is not None:
        idx = idx.tz_convert("UTC").tz_localize(None)
    return idx.as_unit("ns").asi8.copy()


def from_ns(ns: np.ndarray) -> pd.DatetimeIndex:
    """int64 ns (int64 min = NaT) back to naive timestamps."""
    return pd.DatetimeIndex(ns.view("datetime64[ns]"))


def _range_for(cal: Calendar, ns_list: Sequence[np.ndarray], extra_min: float) -> tuple[date, date]:
    """Local date range covering all timestamps, padded so ``extra_min`` business minutes fit after the last."""
    nat = np.iinfo(np.int64).min
    vals = [a[a != nat] for a in ns_list]
    vals = [v for v in vals if len(v)]
    if not vals:
        today = date.today()
        return today, today
    lo = min(int(v.min()) for v in vals)
    hi = max(int(v.max()) for v in vals)
    # Two days of slack either side cover every UTC offset (-12 h .. +14 h).
    first = (pd.Timestamp(lo).date()) - timedelta(days=2)
    weekly = max(cal.weekly_minutes(), 1)
    pad = _MIN_PAD_DAYS + math.ceil(extra_min / weekly * 7 * 1.5)
    last = pd.Timestamp(hi).date() + timedelta(days=2 + pad)
    return first, last


def business_minutes(cal: Calendar, start: Any, end: Any) -> np.ndarray:
    """Business minutes between aligned arrays of naive-UTC ``start`` and ``end`` (NaN where either is missing;
    negative when ``end`` is before ``start``)."""
    s, e = to_ns(start), to_ns(end)
    exp = cal.expand(*_range_for(cal, [s, e], 0))
    return exp.clock(e) - exp.clock(s)


def expansion_covering(cal: Calendar, ns_arrays: Sequence[np.ndarray], extra_min: float = 0.0) -> Expansion:
    """An expansion covering every timestamp in ``ns_arrays`` plus ``extra_min`` business minutes after the
    latest one (so inverses of ``clock(t) + target`` stay inside it). Raises :class:`CalendarError` when
    business minutes are needed but the calendar never opens."""
    first, last = _range_for(cal, ns_arrays, extra_min)
    nat = np.iinfo(np.int64).min
    vals = [a[a != nat] for a in ns_arrays if len(a)]
    latest = max((int(v.max()) for v in vals if len(v)), default=None)
    if extra_min > 0 and cal.weekly_minutes() == 0 and not cal.workdays:
        raise CalendarError("the calendar has no opening hours")
    for _ in range(32):
        exp = cal.expand(first, last)
        if latest is None or extra_min <= 0:
            return exp
        need = float(exp.clock(np.array([latest], dtype=np.int64))[0]) + extra_min
        if exp.total > need + 1e-6:
            return exp
        last = last + (last - first) + timedelta(days=_MIN_PAD_DAYS)
    raise CalendarError("the calendar has too few opening hours to reach the target")


def add_business_minutes(cal: Calendar, start: Any, minutes: Any) -> pd.DatetimeIndex:
    """The naive-UTC instant at which ``minutes`` business minutes have elapsed since each ``start``.

    A start outside opening hours begins counting at the next opening; zero minutes gives the start itself.
    Raises :class:`CalendarError` when the calendar has no opening hours at all.
    """
    s = to_ns(start)
    m = np.broadcast_to(np.asarray(minutes, dtype=float), s.shape).copy()
    extra = float(np.nanmax(m)) if len(m) and not np.all(np.isnan(m)) else 0.0
    exp = expansion_covering(cal, [s], extra)
    return from_ns(add_on(exp, s, m))


def add_on(exp: Expansion, start_ns: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """:func:`add_business_minutes` on a prepared expansion, in int64 ns (NaT = int64 min)."""
    nat = np.iinfo(np.int64).min
    out = exp.inverse(exp.clock(start_ns) + minutes)
    # Float minutes carry rounding noise of a few nanoseconds: snap to the microsecond the database keeps.
    out = np.where(out == -1, -1, (out + 500) // 1000 * 1000)
    out = np.where(minutes == 0, start_ns, out)  # zero minutes: the start itself, even when the desk is closed
    return np.where((start_ns == nat) | np.isnan(minutes) | (out == -1), nat, out)
