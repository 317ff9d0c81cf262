"""Summary tables: additive sums per day or month, site and team, so big selections never scan raw rows.

At a million responses (22 million touchpoint scores) a GROUP BY over the raw join takes minutes on SQLite; the
same figures summed from ``touchpoint_summary`` / ``response_summary`` take milliseconds. Every measure stored
is a count or a sum, so any selection is the sum of its parts:

- grain 1 (month x site x team) covers the whole months inside the date range,
- grain 2 (month x site x team x channel x segment) stands in for grain 1 when channel or segment is filtered,
- grain 0 (day x site x team) covers the partial months at either end,
- grains 3, 4 and 5 are grains 0, 1 and 2 per region only (no site, no team): a selection with no filter below
  the region that does not group by site or team reads them, a few thousand rows a month even at 1,000 sites,
- the raw rows answer what no grain can: a person filter, partial months under a channel or segment filter,
  and any query while the summaries are stale (they then only cost speed, never correctness).

Each grain is a :class:`~cxdash.summaries.grains.Grain` (period, dimensions kept, tables), the model the ticket
summaries share; one planner (:func:`cxdash.summaries.grains.plan`) splits a selection for both.

Loaders call :func:`refresh_summaries` in the same transaction after they write responses (the demo, imports,
batch deletion, the tier tolerance setting); an import that only adds responses calls :func:`add_to_summaries`
instead, which adds the new rows' sums beside the old ones rather than rebuilding the months they fall in.
Freshness is checked on every read against the response count and highest id recorded at refresh, so a loader
that forgot leaves the pages slow, not wrong.
"""

from cxdash.summaries import freshness  # noqa: F401 - registers the freshness records' carry-forward
from cxdash.summaries.build import add_to_summaries, refresh_summaries
from cxdash.summaries.common import (
    GRAIN_DAY,
    GRAIN_MONTH,
    GRAIN_MONTH_CS,
    RESPONSE_MEASURES,
    TP_MEASURES,
)
from cxdash.summaries.grains import Grain, Part
from cxdash.summaries.read import (
    additive_sums,
    group_column,
    part_filters,
    plan_parts,
    summaries_fresh,
    summary_where,
)

__all__ = [
    "add_to_summaries",
    "GRAIN_DAY",
    "GRAIN_MONTH",
    "GRAIN_MONTH_CS",
    "Grain",
    "RESPONSE_MEASURES",
    "TP_MEASURES",
    "Part",
    "additive_sums",
    "group_column",
    "part_filters",
    "plan_parts",
    "refresh_summaries",
    "summaries_fresh",
    "summary_where",
]
