"""The demo's two years: day sampling with growth and seasonality, and the split into the two years.

Year 1 is the 365 days that end 366 days before ``end``; a customer whose last event lies there has been
inactive for more than a year at ``end`` (churned in the default 365-day window). All timestamps are naive UTC;
local service hours are Asia/Shanghai (UTC+8, no daylight saving).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from cxdash.demo.structure import volume_weight

N_DAYS = 730
UTC_OFFSET_H = 8  # Asia/Shanghai
# "Now" for the demo: 18:00 local on the end date, so the day's tickets exist and some are still open.
AS_OF_LOCAL_HOUR = 18


@dataclass(frozen=True)
class Timeline:
    """The demo period: ``start`` .. ``end`` inclusive (730 days), ``boundary`` = first day of year 2."""

    end: date
    now: np.datetime64 | None = None  # the real "now" (naive UTC) when the data ends today

    @property
    def start(self) -> date:
        """First day of the data."""
        return self.end - timedelta(days=N_DAYS - 1)

    @property
    def boundary(self) -> date:
        """First day of the second year (365 days before ``end``)."""
        return self.end - timedelta(days=365)

    @property
    def boundary_day(self) -> int:
        """Day index of :attr:`boundary`."""
        return N_DAYS - 1 - 365

    @property
    def start64(self) -> np.datetime64:
        """``start`` as ``datetime64[D]``."""
        return np.datetime64(self.start, "D")

    @property
    def as_of(self) -> np.datetime64:
        """The demo's "now" in naive UTC: 18:00 Shanghai on the end date, or the real now if that is earlier
        (a demo ending today never holds tickets from the future)."""
        evening = np.datetime64(self.end, "m") + np.timedelta64((AS_OF_LOCAL_HOUR - UTC_OFFSET_H) * 60, "m")
        if self.now is None:
            return evening
        return min(evening, max(self.now.astype("datetime64[m]"), np.datetime64(self.end, "m")))

    def day_of_year(self, day: np.ndarray) -> np.ndarray:
        """Day of year (1-366) of day indices."""
        dates = self.start64 + day.astype("timedelta64[D]")
        return (dates - dates.astype("datetime64[Y]")).astype(int) + 1

    def weekday(self, day: np.ndarray) -> np.ndarray:
        """Weekday (Monday = 0) of day indices."""
        return ((self.start64 + day.astype("timedelta64[D]")).astype(int) + 3) % 7

    def progress(self, day: np.ndarray) -> np.ndarray:
        """0 on the first day, 1 on the last."""
        return day / (N_DAYS - 1)

    def sample_days(self, rng: np.random.Generator, n: int, weekday_weight: tuple[float, ...]) -> np.ndarray:
        """Draw ``n`` day indices with 25 % growth over the period, seasonality and a weekday profile."""
        days = np.arange(N_DAYS)
        w = (1 + 0.25 * self.progress(days)) * volume_weight(self.day_of_year(days))
        w = w * np.asarray(weekday_weight)[self.weekday(days)]
        return np.sort(rng.choice(N_DAYS, size=n, p=w / w.sum()))

    def local_to_utc(self, day: np.ndarray, minute_of_day: np.ndarray) -> np.ndarray:
        """Naive UTC ``datetime64[m]`` of a local day index and minute after local midnight."""
        base = (self.start64 + day.astype("timedelta64[D]")).astype("datetime64[m]")
        return base + (minute_of_day - UTC_OFFSET_H * 60).astype("timedelta64[m]")

    def utc_to_day(self, ts: np.ndarray) -> np.ndarray:
        """Local day index of naive UTC timestamps."""
        local = ts.astype("datetime64[m]") + np.timedelta64(UTC_OFFSET_H * 60, "m")
        return (local.astype("datetime64[D]") - self.start64).astype(int)
