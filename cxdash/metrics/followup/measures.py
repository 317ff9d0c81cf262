"""The case measures (docs/metrics.md, "Follow-up cases"), each aggregated in SQL over ``followup_case``.

Over the cases **opened** in the selection (opening time on the days of the date range, units, scope):

- cases opened;
- contacted within target: cases first contacted at or before their due time, among the cases that were contacted
  or whose due time has passed (withdrawn cases left out), with its Wilson 95 % interval;
- median business minutes to first contact (on the rule's calendar, stored at the first contact), exact: the
  middle value, or the mean of the two middle values;
- recovery rate: resolved cases recovered "yes" among those resolved "yes" or "no" ("unknown" left out), with its
  Wilson 95 % interval;
- NPS and CSAT at the customer's next response after the case (the first response whose visit day is after the
  day the case was closed), recovered against not recovered;
- the most frequent root causes (resolved cases with one) and touchpoints.

**Open** and **overdue** (still new after the due time) count every case of the units and scope now, whatever
its opening day: an old case that nobody called is the one that matters most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, case, func, or_, select
from sqlalchemy.engine import Connection

from cxdash.domain.figures import csat_columns, nps_columns
from cxdash.domain.followup import OPEN_STATUSES, RESOLVED, WITHDRAWN
from cxdash.domain.frames import rows_frame
from cxdash.filters import Filters
from cxdash.i18n import name_column
from cxdash.metrics.followup.select import opened_in, overdue_expr, unit_conditions
from cxdash.metrics.nps import nps_from_counts
from cxdash.metrics.org_names import org_names
from cxdash.metrics.significance import Proportion, proportion
from cxdash.schema import touchpoint
from cxdash.schema.followup import followup_case

fc = followup_case.c
TOP = 10
AFTER_COLUMNS = ["recovered", "n", "nps", "nps_n", "csat", "csat_n"]
UNIT_COLUMNS = ["site_id", "site_name", "team_id", "team_name", "opened", "open", "overdue"]


@dataclass(frozen=True)
class CaseMeasures:
    """The case measures of a selection (see the module docstring for each definition).

    ``after``: one row per outcome ("yes", "no") with the cases whose customer answered again (``n``), the NPS of
    those next answers (``nps``, over ``nps_n`` answers with a likelihood to recommend) and their CSAT (share of
    4-5, over ``csat_n``). ``by_unit``: opened, open and overdue per site and team. ``root_causes``: root cause
    code and count; ``touchpoints``: touchpoint id, name and count; both most frequent first.
    """

    opened: int
    open: int
    overdue: int
    within_target: Proportion
    median_first_contact_min: float | None
    n_first_contact: int
    recovery: Proportion
    after: pd.DataFrame
    by_unit: pd.DataFrame
    root_causes: pd.DataFrame
    touchpoints: pd.DataFrame

    def after_value(self, outcome: str, column: str) -> float | None:
        """``column`` ("nps", "csat", "n", ...) of the next answers after cases of ``outcome``; None without."""
        row = self.after[self.after["recovered"] == outcome]
        if row.empty or pd.isna(row.iloc[0][column]):
            return None
        return float(row.iloc[0][column])


def _count_if(cond: Any) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


COUNTERS = ("opened", "judged", "in_time", "outcomes", "recovered", "timed", "open", "overdue")


def _unit_counts(conn: Connection, filters: Filters, now: datetime) -> pd.DataFrame:
    """Every count the measures need per site and team, in one pass over the scope's cases (the headline is their
    sum, the by-unit table their rows)."""
    dated = opened_in(filters)
    judged = and_(fc.status != WITHDRAWN, or_(fc.first_contact_at.is_not(None), fc.due_at <= now))
    resolved = and_(dated, fc.status == RESOLVED)
    stmt = (select(
        fc.site_id, fc.team_id,
        _count_if(dated).label("opened"),
        _count_if(and_(dated, judged)).label("judged"),
        _count_if(and_(dated, judged, fc.first_contact_at <= fc.due_at)).label("in_time"),
        _count_if(and_(resolved, fc.recovered.in_(("yes", "no")))).label("outcomes"),
        _count_if(and_(resolved, fc.recovered == "yes")).label("recovered"),
        _count_if(and_(dated, fc.first_contact_business_min.is_not(None))).label("timed"),
        _count_if(fc.status.in_(OPEN_STATUSES)).label("open"),
        _count_if(overdue_expr(now)).label("overdue"),
    ).where(*unit_conditions(filters), or_(dated, fc.status.in_(OPEN_STATUSES)))
        .group_by(fc.site_id, fc.team_id).order_by(fc.site_id, fc.team_id))
    frame = rows_frame(conn.execute(stmt), ["site_id", "team_id", *COUNTERS])
    frame[list(COUNTERS)] = frame[list(COUNTERS)].astype(int)
    return frame


def _median(conn: Connection, filters: Filters, n: int) -> float | None:
    """The exact median of the ``n`` stored business minutes to first contact: the middle one or two values, read
    with ``ORDER BY ... LIMIT ... OFFSET`` (the same SQL on SQLite and PostgreSQL)."""
    if n == 0:
        return None
    col = fc.first_contact_business_min
    middle = [float(v or 0) for (v,) in conn.execute(
        select(col).where(*unit_conditions(filters), opened_in(filters), col.is_not(None)).order_by(col)
        .limit(2 - n % 2).offset((n - 1) // 2))]
    return sum(middle) / len(middle) if middle else None


def _after(conn: Connection, filters: Filters) -> pd.DataFrame:
    """NPS and CSAT of the customers' next response after each resolved case, by outcome (the next answer and its
    scores are kept on the case: :mod:`cxdash.followup.next_answers`)."""
    stmt = (select(fc.recovered, func.count().label("n"), *nps_columns(fc.next_ltr), *csat_columns(fc.next_csat))
            .where(fc.status == RESOLVED, fc.recovered.in_(("yes", "no")), *unit_conditions(filters),
                   opened_in(filters), fc.next_response_id.is_not(None))
            .group_by(fc.recovered))
    rows = []
    for r in conn.execute(stmt).mappings():
        n, pro, det = (int(r[k] or 0) for k in ("nps_n", "nps_promoters", "nps_detractors"))
        csat = proportion(r["csat_k"], r["csat_n"])
        rows.append({"recovered": r["recovered"], "n": int(r["n"]), "nps": nps_from_counts(pro, n - pro - det, det).score,
                     "nps_n": n, "csat": csat.rate, "csat_n": csat.n})
    frame = pd.DataFrame(rows, columns=AFTER_COLUMNS)
    return frame.sort_values("recovered", ascending=False, key=lambda s: s == "yes").reset_index(drop=True)


def _by_unit(conn: Connection, counts: pd.DataFrame, lang: str) -> pd.DataFrame:
    frame = counts[["site_id", "team_id", "opened", "open", "overdue"]].copy()
    sites = org_names(conn, "site", frame["site_id"].dropna().unique().tolist(), lang)
    teams = org_names(conn, "team", frame["team_id"].dropna().unique().tolist(), lang)
    frame["site_name"] = [sites.get(s, "") if pd.notna(s) else "" for s in frame["site_id"]]
    frame["team_name"] = [teams.get(t, "") if pd.notna(t) else "" for t in frame["team_id"]]
    frame = frame.sort_values(["overdue", "open", "opened"], ascending=False, kind="stable")
    return frame[UNIT_COLUMNS].reset_index(drop=True)


def _top(conn: Connection, filters: Filters, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    conds = [*unit_conditions(filters), opened_in(filters)]
    n = func.count().label("n")
    causes = rows_frame(conn.execute(
        select(fc.root_cause, n).where(*conds, fc.root_cause.is_not(None)).group_by(fc.root_cause)
        .order_by(n.desc(), fc.root_cause).limit(TOP)), ["root_cause", "n"])
    tp_name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en)
    # Counted per id first, then named: joined before grouping, every case looked its touchpoint up.
    counts = (select(fc.touchpoint_id, func.count().label("n")).where(*conds, fc.touchpoint_id.is_not(None))
              .group_by(fc.touchpoint_id).subquery("touchpoint_counts"))
    tps = rows_frame(conn.execute(
        select(touchpoint.c.id, touchpoint.c.code, tp_name, counts.c.n)
        .select_from(counts.join(touchpoint, touchpoint.c.id == counts.c.touchpoint_id))
        .order_by(counts.c.n.desc(), touchpoint.c.code).limit(TOP)),
        ["touchpoint_id", "touchpoint_code", "touchpoint_name", "n"])
    return causes, tps


def case_measures(engine: Engine, filters: Filters, now: datetime, lang: str = "en") -> CaseMeasures:
    """Every case measure of ``filters`` (dates select the cases opened; open and overdue are counted now)."""
    with engine.connect() as conn:
        counts = _unit_counts(conn, filters, now)
        head = {k: int(counts[k].sum()) for k in COUNTERS}
        median = _median(conn, filters, head["timed"])
        after = _after(conn, filters)
        by_unit = _by_unit(conn, counts, lang)
        causes, tps = _top(conn, filters, lang)
    return CaseMeasures(
        opened=head["opened"], open=head["open"], overdue=head["overdue"],
        within_target=proportion(head["in_time"], head["judged"]),
        median_first_contact_min=median, n_first_contact=head["timed"],
        recovery=proportion(head["recovered"], head["outcomes"]),
        after=after, by_unit=by_unit, root_causes=causes, touchpoints=tps)
