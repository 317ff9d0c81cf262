"""Service failures and loyalty: customers whose tickets breached an SLA target, were reopened, or who contacted
again within 7 days, against customers whose service went right (issue 5).

Survey and ticket data meet on the customer, in SQL: the selection's tickets (merged ones left out) are grouped
by customer into three flags — any breach (first response or resolution late, or still open past its due time
at ``now``), any reopening, any repeat contact (same customer and category within 7 days, before or after) —
and the selection's responses are joined to them. Groups of responses:

- ``went_right``: the customer had tickets and none of them failed (the reference);
- ``any_failure``, ``breached``, ``reopened``, ``repeat``: the customer had at least one such ticket (the three
  overlap);
- ``no_ticket``: the customer had no ticket in the selection (shown for context).

At scale the responses are an evenly spread sample of at most ``FAILURE_SAMPLE`` (whole selections below
that; :mod:`cxdash.metrics.response_sample`) and only their customers' tickets are grouped; the result says so.
NPS and CSAT per group, and each failure group minus ``went_right`` with a 95 % interval
(:mod:`cxdash.metrics.differences`). Churn needs a full window after the failure, so it comes from the churn
sample (:mod:`cxdash.metrics.loyalty.customer_features`: tickets before the churn window) with the same groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, func, or_, select, true

from cxdash.domain.figures import csat_columns, nps_columns
from cxdash.domain.service_sql import frt_breached, res_breached, utcnow
from cxdash.filters import Filters, ticket_where
from cxdash.metrics.differences import NONE, Diff, nps_diff, proportion_diff
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition, get_definition
from cxdash.metrics.loyalty.customer_features import SAMPLE_CUSTOMERS, customer_features
from cxdash.metrics.nps import NpsResult, nps_from_counts
from cxdash.metrics.response_sample import Sample, response_sample
from cxdash.metrics.significance import Proportion, proportion
from cxdash.schema import survey_response, ticket

GROUPS = ("went_right", "any_failure", "breached", "reopened", "repeat", "no_ticket")
FAILURES = ("breached", "reopened", "repeat")
COLUMNS = ["group", "n", "nps", "nps_ci_low", "nps_ci_high", "nps_diff", "nps_diff_low", "nps_diff_high",
           "csat_n", "csat", "csat_ci_low", "csat_ci_high", "csat_diff", "csat_diff_low", "csat_diff_high",
           "churn_n", "churn", "churn_ci_low", "churn_ci_high", "churn_diff", "churn_diff_low", "churn_diff_high"]
FAILURE_SAMPLE = 20_000  # responses read at most for NPS and CSAT by service failure (the n is stated)
sr, tk = survey_response.c, ticket.c


@dataclass(frozen=True)
class ServiceFailures:
    """The groups' figures (:data:`COLUMNS`) and the sizes behind them: responses read (``sampled`` when fewer
    than the selection's ``total``) and customers in the churn sample."""

    table: pd.DataFrame
    responses: int
    total: int
    sampled: bool
    customers: int


def _max_flag(cond: Any) -> Any:
    return func.max(case((cond, 1), else_=0))


def customer_failures(filters: Filters, now: datetime, customers: Any = None) -> Any:
    """Subquery: per customer with tickets in the selection (among ``customers``, a subquery of ids, if given),
    0/1 flags ``breached``, ``reopened``, ``repeat``."""
    repeat = or_(tk.is_repeat_7d.is_(true()), tk.has_repeat_7d.is_(true()))
    among = tk.customer_id.is_not(None) if customers is None else tk.customer_id.in_(customers)
    return (
        select(tk.customer_id.label("customer_id"), _max_flag(or_(frt_breached(now), res_breached(now))).label("breached"),
               _max_flag(tk.reopen_count > 0).label("reopened"), _max_flag(repeat).label("repeat"))
        .where(ticket_where(filters), tk.merged_into.is_(None), among)
        .group_by(tk.customer_id)
        .subquery("failures")
    )


def _default_now(filters: Filters) -> datetime:
    """Open tickets are judged at the end of the range, or now if that is earlier."""
    now = utcnow()
    if filters.date_to is None:
        return now
    return min(now, datetime.combine(filters.date_to + timedelta(days=1), time.min))


def failure_counts(engine: Engine, filters: Filters, now: datetime | None = None,
                   size: int = FAILURE_SAMPLE) -> tuple[pd.DataFrame, Sample]:
    """NPS and CSAT counts of (a sample of) the selection's responses by the customer's three failure flags
    (-1: no ticket in the selection), and the sample read."""
    cols = [*FAILURES, "nps_n", "nps_promoters", "nps_detractors", "csat_n", "csat_k"]
    with engine.connect() as conn:
        sample = response_sample(conn, filters, size, [sr.customer_id.is_not(None)])
        customers = select(sr.customer_id).where(sample.where) if sample.sampled else None
        fails = customer_failures(filters, now or _default_now(filters), customers)
        flags = [func.coalesce(fails.c[f], -1).label(f) for f in FAILURES]
        stmt = (select(*flags, *nps_columns(), *csat_columns())
                .select_from(survey_response.outerjoin(fails, fails.c.customer_id == sr.customer_id))
                .where(sample.where).group_by(*flags))
        frame = pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=cols)
    return frame.apply(pd.to_numeric).fillna(0).astype(int), sample


def _group_masks(frame: pd.DataFrame, flags: list[str]) -> dict[str, pd.Series]:
    has = frame[flags[0]] >= 0
    anyf = (frame[flags] > 0).any(axis=1)
    masks = {"went_right": has & ~anyf, "any_failure": anyf, "no_ticket": ~has}
    for name, col in zip(FAILURES, flags, strict=True):
        masks[name] = frame[col] > 0
    return masks


def _diff_cols(prefix: str, d: Diff) -> dict[str, Any]:
    return {f"{prefix}_diff": d.delta, f"{prefix}_diff_low": d.ci_low, f"{prefix}_diff_high": d.ci_high}


def service_failures(engine: Engine, filters: Filters, now: datetime | None = None, as_of: date | None = None,
                     definition: ChurnDefinition | None = None, size: int = SAMPLE_CUSTOMERS) -> ServiceFailures:
    """NPS, CSAT and churn per group (:data:`GROUPS`) with each failure group's difference from ``went_right``
    (:data:`COLUMNS`; ``n`` responses with a likelihood to recommend, ``churn_n`` sampled customers)."""
    counts, sample = failure_counts(engine, filters, now)
    masks = _group_masks(counts, list(FAILURES))
    with engine.connect() as conn:
        d = definition or get_definition(conn)
        facts, _ = customer_features(conn, filters, as_of, d, size, parts=("tickets",))  # failures only
    churn_masks = _group_masks(
        facts.assign(breached=_flag(facts, "breached"), reopened=_flag(facts, "reopened"), repeat=_flag(facts, "repeats")),
        list(FAILURES))
    nps: dict[str, NpsResult] = {}
    csat: dict[str, Proportion] = {}
    churn: dict[str, Proportion] = {}
    for g in GROUPS:
        part = counts[masks[g]].sum()
        n, pro, det = int(part.get("nps_n", 0)), int(part.get("nps_promoters", 0)), int(part.get("nps_detractors", 0))
        nps[g] = nps_from_counts(pro, n - pro - det, det)
        csat[g] = proportion(int(part.get("csat_k", 0)), int(part.get("csat_n", 0)))
        sel = facts[churn_masks[g]]
        churn[g] = proportion(int(sel["churned"].sum()), len(sel))
    rows = []
    for g in GROUPS:
        ref = g in ("went_right", "no_ticket")
        rows.append({
            "group": g, "n": nps[g].n, "nps": nps[g].score, "nps_ci_low": nps[g].ci_low, "nps_ci_high": nps[g].ci_high,
            **_diff_cols("nps", NONE if ref else nps_diff(nps[g], nps["went_right"])),
            "csat_n": csat[g].n, "csat": csat[g].rate, "csat_ci_low": csat[g].ci_low, "csat_ci_high": csat[g].ci_high,
            **_diff_cols("csat", NONE if ref else proportion_diff(csat[g], csat["went_right"])),
            "churn_n": churn[g].n, "churn": churn[g].rate, "churn_ci_low": churn[g].ci_low,
            "churn_ci_high": churn[g].ci_high,
            **_diff_cols("churn", NONE if ref else proportion_diff(churn[g], churn["went_right"])),
        })
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for c in COLUMNS[1:]:
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return ServiceFailures(frame, int(counts["nps_n"].sum()) if len(counts) else 0, sample.total, sample.sampled,
                           len(facts))


def _flag(facts: pd.DataFrame, col: str) -> pd.Series:
    """0/1 of a ticket count, -1 for customers without tickets (as the SQL flags)."""
    return (facts[col] > 0).astype(int).where(facts["n_tickets"] > 0, -1)
