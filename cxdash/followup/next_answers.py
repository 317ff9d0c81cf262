"""Each resolved case's **next answer**: the customer's first survey response whose visit day is after the day the
case was closed (earliest visit, then lowest id), kept on the case with its likelihood to recommend and CSAT.

The case measures compare the NPS and CSAT of these answers, recovered against not recovered
(docs/metrics.md, "Follow-up cases"). Searched when the page is drawn, that was one index seek per resolved case:
0.22-0.30 s of the case page at 100,000 cases on SQLite (docs/benchmarks/2026-12-07-4.md). Kept here, it is read
with the case. Whoever changes what it depends on refreshes it in the same transaction:

- resolving a case (:mod:`cxdash.followup.steps`); resolved is final, so nothing else moves ``closed_at``;
- loading survey responses: the loaded rows' customers, and, when rows were updated, every case whose kept answer
  no longer qualifies (its customer or visit day changed);
- deleting an import batch: the deleted responses' customers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, or_, select, true, update
from sqlalchemy.engine import Connection

from cxdash.domain.followup import RESOLVED
from cxdash.schema import survey_response
from cxdash.schema.followup import followup_case
from cxdash.sqlfuncs import in_ids

fc = followup_case.c


def _later_answer(table: Any) -> ColumnElement[bool]:
    """An answer of the case's customer on a day after the day the case closed.

    A date compares with a timestamp as its midnight on PostgreSQL, and as an ISO string that sorts before any
    time of that day on SQLite, so both read "a later day".
    """
    return and_(table.c.customer_id == fc.customer_id, table.c.visit_date > fc.closed_at)


def _stale() -> ColumnElement[bool]:
    """The kept answer is gone, or is no longer the customer's or no longer after the closing day."""
    kept = survey_response.alias("kept")
    return and_(fc.next_response_id.is_not(None),
                ~exists().where(kept.c.id == fc.next_response_id, _later_answer(kept)))


def refresh_next_answers(conn: Connection, customer_ids: Iterable[int] | None = None,
                         case_ids: Iterable[int] | None = None, check_kept: bool = False) -> int:
    """Set the next answer of the resolved cases of ``customer_ids`` and of ``case_ids`` (every case when both are
    None), and with ``check_kept`` of every case whose kept answer no longer qualifies; return how many cases
    changed. Cases not resolved, or without a customer, keep none.
    """
    dialect = conn.dialect.name
    everything = customer_ids is None and case_ids is None and not check_kept
    cases = {int(i) for i in case_ids or ()}
    if check_kept:
        cases.update(int(i) for i in conn.execute(select(fc.id).where(_stale())).scalars())
    wanted: list[ColumnElement[bool]] = []
    customers = sorted({int(i) for i in customer_ids or ()})
    if customers:
        wanted.append(in_ids(fc.customer_id, customers, dialect))
    if cases:
        wanted.append(in_ids(fc.id, sorted(cases), dialect))
    if not wanted and not everything:
        return 0
    # Only a resolved case has one, or one that kept one: every other row is left unwritten.
    where = and_(or_(*wanted) if wanted else true(), or_(fc.status == RESOLVED, fc.next_response_id.is_not(None)))
    nxt = survey_response.alias("nxt")
    first_later = (select(nxt.c.id).where(_later_answer(nxt), fc.status == RESOLVED)
                   .order_by(nxt.c.visit_date, nxt.c.id).limit(1).correlate(followup_case).scalar_subquery())
    # Found once per case (MATERIALIZED: neither database copies the search into each score's look-up), then
    # only the cases whose answer or scores changed are written: rewriting every row looked at cost PostgreSQL
    # a new row version and four foreign-key checks each, 0.16 s for an upload's 538 resolved cases.
    probe = (select(fc.id, fc.next_response_id, fc.next_ltr, fc.next_csat, first_later.label("found"))
             .where(where).cte("probe").prefix_with("MATERIALIZED"))
    answer = survey_response.alias("answer")

    def score(col: str) -> Any:
        return select(answer.c[col]).where(answer.c.id == probe.c.found).correlate(probe).scalar_subquery()

    changes = [
        {"case_id": r.id, "rid": r.found, "ltr": r.ltr, "csat": r.csat}
        for r in conn.execute(select(probe.c.id, probe.c.next_response_id, probe.c.next_ltr, probe.c.next_csat,
                                     probe.c.found, score("ltr").label("ltr"), score("csat").label("csat")))
        if (r.next_response_id, r.next_ltr, r.next_csat) != (r.found, r.ltr, r.csat)]
    if changes:
        conn.execute(update(followup_case).where(fc.id == bindparam("case_id"))
                     .values(next_response_id=bindparam("rid"), next_ltr=bindparam("ltr"),
                             next_csat=bindparam("csat")), changes)
    return len(changes)
