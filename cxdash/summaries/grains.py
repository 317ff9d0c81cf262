"""The one grain model and the one planner of every summary table (survey responses and tickets alike).

A **grain** is a set of rows of one or more summary tables, told apart by its ``grain`` column: whether a row sums
a day or a month, and which dimensions its rows keep (the other key columns are NULL). A selection names the
dimensions it filters or groups by; :func:`plan` splits its date range into the whole months inside it and the
partial months at either end, reads the whole months from the coarsest grain that keeps every needed dimension and
the ends from the coarsest day grain that does, and leaves to the raw rows what no grain keeps. Every measure
stored is a count or a sum, so the parts' sums add up to the selection's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Table

from cxdash.domain.periods import month_floor, next_month

# Every key column a summary table may keep, in the order the tables and their writers list them.
KEY_COLUMNS = ("region_id", "site_id", "team_id", "channel", "segment", "priority", "category")
# A dimension and the key columns it keeps: a team lies in one site and one region, so keeping teams keeps both.
DIM_COLUMNS: dict[str, tuple[str, ...]] = {
    "region": ("region_id",),
    "team": ("region_id", "site_id", "team_id"),
    "channel": ("channel",),
    "segment": ("segment",),
    "priority": ("priority",),
    "category": ("category",),
}


@dataclass(frozen=True)
class Grain:
    """One grain: its id (the value of the ``grain`` column), the tables holding it, day or month periods, and the
    dimensions it keeps (:data:`DIM_COLUMNS`)."""

    id: int
    tables: tuple[Table, ...]
    day: bool
    dims: frozenset[str]

    @property
    def columns(self) -> tuple[str, ...]:
        """The key columns this grain keeps (the others are NULL in its rows)."""
        kept = {c for d in self.dims for c in DIM_COLUMNS[d]}
        return tuple(c for c in KEY_COLUMNS if c in kept)

    def covers(self, need: Iterable[str]) -> bool:
        """True when every needed dimension can be read from this grain."""
        have = set(self.dims) | ({"region"} if "team" in self.dims else set())
        return set(need) <= have

    def held_in(self, table: Table) -> bool:
        """True when ``table`` holds rows of this grain."""
        return any(t is table for t in self.tables)


def grain(gid: int, tables: Table | Sequence[Table], day: bool, *dims: str) -> Grain:
    """A :class:`Grain` of one table or several, keeping ``dims``."""
    held = (tables,) if isinstance(tables, Table) else tuple(tables)
    return Grain(gid, held, day, frozenset(dims))


@dataclass(frozen=True)
class Part:
    """One piece of a selection: from a summary ``grain``, or from the raw rows (``grain`` None); dates inclusive."""

    grain: Grain | None
    date_from: date | None
    date_to: date | None


def whole_months(lo: date | None, hi: date | None) -> tuple[date | None, date | None] | None:
    """The whole months inside ``[lo, hi]`` as (first day, last day), open ends kept open; None when none."""
    first_full = None if lo is None else (lo if lo.day == 1 else next_month(lo))
    after_full = None if hi is None else (next_month(hi) if (hi + timedelta(days=1)).day == 1 else month_floor(hi))
    if first_full is not None and after_full is not None and first_full >= after_full:
        return None
    return first_full, None if after_full is None else after_full - timedelta(days=1)


def coarsest(grains: Iterable[Grain], rows: Mapping[int, int] | None = None) -> Grain | None:
    """The grain with the fewest rows as recorded in ``rows``; without a record, a month grain before a day grain
    and then the fewest key columns. None when there is no grain."""
    def size(g: Grain) -> tuple[int, ...]:
        return (rows[g.id], g.id) if rows is not None else (g.day, len(g.columns), g.id)

    return min(grains, key=size, default=None)


def plan(
    grains: Iterable[Grain], need: set[str] | None, lo: date | None, hi: date | None, by_day: bool = False,
    rows: Mapping[int, int] | None = None,
) -> list[Part]:
    """Split ``[lo, hi]`` into parts of ``grains`` (of one table) and raw parts whose sums add up to the range's.

    ``need``: the dimensions the selection filters or groups by, None when only the raw rows can answer (or the
    summaries are stale). ``by_day`` asks for day resolution (a weekly trend): only day grains or raw rows.
    ``rows``: rows per grain id where recorded (a grain missing from it is not used); the coarsest grain wins.
    """
    if need is None:
        return [Part(None, lo, hi)]
    fits = [g for g in grains if g.covers(need) and (rows is None or g.id in rows)]
    best_day = coarsest((g for g in fits if g.day), rows)
    if by_day:
        return [Part(best_day, lo, hi)]
    best = coarsest(fits, rows)  # a day grain may answer whole months too, when it holds fewer rows
    months = whole_months(lo, hi)
    if best is None or months is None:
        return [Part(best_day, lo, hi)]  # no grain, or no whole month inside the range
    first_full, last_full = months
    parts = [Part(best, first_full, last_full)]
    if lo is not None and first_full is not None and lo < first_full:
        parts.append(Part(best_day, lo, first_full - timedelta(days=1)))
    if hi is not None and last_full is not None and last_full < hi:
        parts.append(Part(best_day, last_full + timedelta(days=1), hi))
    return parts
