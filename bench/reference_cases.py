"""The usual way for the follow-up case page and ``report cases``: the case measures from the whole tables.

The reference reads ``followup_case`` whole (and ``survey_response`` for the next answers) and computes in pandas
what docs/metrics.md ("Follow-up cases") defines, over the cases opened on the view's days:

- ``opened``; ``open`` and ``overdue`` (every case now, whatever its opening day);
- ``within_target`` and its ``within_target_n``: first contact at or before the due time among the cases
  contacted or past their due time (withdrawn ones left out);
- ``median_contact_min`` and ``n_first_contact``: the median of the stored business minutes to first contact;
- ``recovery`` and ``recovery_n``: recovered "yes" among resolved "yes" or "no";
- ``after_<yes|no>.n`` / ``.nps`` / ``.nps_n`` / ``.csat`` / ``.csat_n``: the customer's next response after a
  resolved case (the first with a visit day after the closing day; ties by id), by outcome.

Not compared: the Wilson intervals (a formula of the compared counts), the top root causes and touchpoints, the
by-unit table and the list's order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine

from bench.reference_base import FigureFn, Figures, Reader, ReferenceFn, share
from cxdash.filters import Filters
from cxdash.schema import survey_response
from cxdash.schema.followup import followup_case


def _dated(cases: pd.DataFrame, f: Filters) -> pd.Series:
    mask = pd.Series(True, index=cases.index)
    if f.date_from is not None:
        mask &= cases["opened_at"] >= pd.Timestamp(f.date_from)
    if f.date_to is not None:
        mask &= cases["opened_at"] < pd.Timestamp(f.date_to + timedelta(days=1))
    return mask


def _after(done: pd.DataFrame, sr: pd.DataFrame) -> Figures:
    """NPS and CSAT of the next response after each resolved case, by outcome."""
    answers = sr[sr["customer_id"].notna()][["id", "customer_id", "visit_date", "ltr", "csat"]].copy()
    answers["visit"] = pd.to_datetime(answers["visit_date"])
    pairs = done[["case", "customer_id", "closed_at", "recovered"]].merge(answers, on="customer_id")
    pairs = pairs[pairs["visit"] > pairs["closed_at"]].sort_values(["case", "visit", "id"])
    nxt = pairs.drop_duplicates("case")
    out: Figures = {}
    for outcome, grp in nxt.groupby("recovered"):
        ltr = grp["ltr"].dropna()
        ltr = ltr[(ltr >= 0) & (ltr <= 10)]
        csat = grp["csat"].dropna()
        csat = csat[(csat >= 1) & (csat <= 5)]
        nps = 100 * (int((ltr >= 9).sum()) - int((ltr <= 6).sum())) / len(ltr) if len(ltr) else None
        out.update({f"after_{outcome}.n": float(len(grp)), f"after_{outcome}.nps": nps,
                    f"after_{outcome}.nps_n": float(len(ltr)),
                    f"after_{outcome}.csat": share(int((csat >= 4).sum()), len(csat)),
                    f"after_{outcome}.csat_n": float(len(csat))})
    return out


def cases_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """The case measures of the view, the usual way."""
    fc = read.table(followup_case)
    for col in ("opened_at", "due_at", "first_contact_at", "closed_at"):
        fc[col] = pd.to_datetime(fc[col])
    dated = fc[_dated(fc, filters)]
    judged = dated[(dated["status"] != "withdrawn") & (dated["first_contact_at"].notna() | (dated["due_at"] <= now))]
    in_time = int((judged["first_contact_at"] <= judged["due_at"]).sum())
    resolved = dated[dated["status"] == "resolved"]
    outcomes = resolved[resolved["recovered"].isin(["yes", "no"])]
    timed = dated["first_contact_business_min"].dropna()
    out: Figures = {
        "opened": float(len(dated)),
        "open": float(fc["status"].isin(["new", "contacted"]).sum()),
        "overdue": float(((fc["status"] == "new") & (fc["due_at"] < now)).sum()),
        "within_target": share(in_time, len(judged)), "within_target_n": float(len(judged)),
        "median_contact_min": float(timed.median()) if len(timed) else None, "n_first_contact": float(len(timed)),
        "recovery": share(int((outcomes["recovered"] == "yes").sum()), len(outcomes)),
        "recovery_n": float(len(outcomes)),
    }
    done = outcomes[outcomes["customer_id"].notna() & outcomes["closed_at"].notna()].rename(columns={"id": "case"})
    out.update(_after(done, read.table(survey_response)))
    return out


def cases_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same measures as the case page and ``report cases`` get them (:func:`cxdash.views.cases.cases_view`)."""
    from cxdash.views.cases import cases_view

    m = cases_view(engine, filters, now=now, limit=1).measures
    out: Figures = {
        "opened": float(m.opened), "open": float(m.open), "overdue": float(m.overdue),
        "within_target": m.within_target.rate, "within_target_n": float(m.within_target.n),
        "median_contact_min": m.median_first_contact_min, "n_first_contact": float(m.n_first_contact),
        "recovery": m.recovery.rate, "recovery_n": float(m.recovery.n),
    }
    for outcome in ("yes", "no"):
        if m.after_value(outcome, "n") is not None:
            out.update({f"after_{outcome}.{k}": m.after_value(outcome, k) for k in ("n", "nps", "nps_n", "csat",
                                                                                   "csat_n")})
    return out


REFERENCES: dict[str, ReferenceFn] = {"cases": cases_reference, "report_cases": cases_reference}
CXDASH: dict[str, FigureFn] = {"cases": cases_cxdash, "report_cases": cases_cxdash}
