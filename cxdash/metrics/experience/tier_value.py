"""What each satisfaction tier is worth: NPS, CSAT, revisit rate and churn rate per tier, side by side.

NPS and CSAT per tier are exact (counts from the summaries). Revisit and churn are customer outcomes after a
visit and need row-level data, so they are measured on an evenly spread sample of the selection's responses
(at most ``SAMPLE_SIZE``, read from the stored response sample when it covers the selection; the n behind every
rate is reported):

- **revisit**: the same customer has another survey response within W days (default 365) after this visit;
  judged only for visits at least W days before the as-of date, so every visit had a full window;
- **churn**: per customer, not per visit: the selection's customers judged as of A under the churn rule in
  force (:func:`cxdash.metrics.loyalty.churn_definition.churn_rule`), grouped by their worst tier, from the same
  customer sample and predicates as the drivers page's "churn by tier"
  (:func:`cxdash.metrics.loyalty.churn_model.churn_groups`), so the tiers page, the drivers page and the overview tell
  one story (issue 20.5). Churn is a state of the customer as of A: judged per visit of a recent range, every
  customer just seen is by construction not churned, and every tier read 0 %.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from cxdash.domain.frames import rows_frame
from cxdash.domain.tiers import TIER_NAMES, tier_name
from cxdash.filters import Filters
from cxdash.metrics.experience.tier_analysis import response_sums
from cxdash.metrics.loyalty.churn import DEFAULT_WINDOW_DAYS, resolve_as_of
from cxdash.metrics.loyalty.churn_definition import churn_rule, data_start
from cxdash.metrics.loyalty.churn_model import churn_groups
from cxdash.metrics.loyalty.customer_features import customer_features
from cxdash.metrics.nps import nps_from_counts
from cxdash.metrics.sampling import spread_condition
from cxdash.metrics.significance import proportion
from cxdash.schema import response_sample, survey_response
from cxdash.summaries import summaries_fresh
from cxdash.summaries.sample import read_sample

SAMPLE_SIZE = 5_000
MIN_STORED = 500  # fewer stored sample rows for the selection: sample live
VALUE_COLUMNS = ["tier", "n", "nps", "nps_ci_low", "nps_ci_high", "csat", "csat_ci_low", "csat_ci_high",
                 "revisit_rate", "revisit_n", "churn_rate", "churn_n"]


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _sample(conn: Connection, filters: Filters) -> pd.DataFrame:
    """Visits with a customer: from the stored response sample when it holds enough of the selection."""
    if summaries_fresh(conn):
        stored = read_sample(conn, filters, ["response_id", "customer_id", "visit_date", "tier"],
                             [response_sample.c.customer_id.isnot(None)], limit=SAMPLE_SIZE)
        if len(stored) >= MIN_STORED:
            stored = stored.rename(columns={"response_id": "id"})
            stored["tier"] = [tier_name(v) for v in stored["tier"]]
            stored["visit_date"] = [_as_date(v) for v in stored["visit_date"]]
            return stored
    sr = survey_response.c
    where = spread_condition(conn, filters, SAMPLE_SIZE, [sr.customer_id.isnot(None)])
    stmt = select(sr.id, sr.customer_id, sr.visit_date, sr.tier).where(where).limit(SAMPLE_SIZE)
    out = rows_frame(conn.execute(stmt), ["id", "customer_id", "visit_date", "tier"])
    out["tier"] = [tier_name(v) for v in out["tier"]]
    out["visit_date"] = [_as_date(v) for v in out["visit_date"]]
    return out


def _later_visits(conn: Connection, customers: list[int]) -> pd.DataFrame:
    """Every visit date of the given customers (bounded by the sample's customers)."""
    sr = survey_response.c
    frames = []
    for start in range(0, len(customers), 900):
        chunk = customers[start : start + 900]
        stmt = select(sr.customer_id, sr.visit_date).where(sr.customer_id.in_(chunk))
        frames.append(rows_frame(conn.execute(stmt), ["customer_id", "visit_date"]))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["customer_id", "visit_date"])
    out["visit_date"] = [_as_date(v) for v in out["visit_date"]]
    return out


def revisit_by_tier(sample: pd.DataFrame, visits: pd.DataFrame, as_of: date, window_days: int) -> pd.DataFrame:
    """Per tier: visits judged (a full window before ``as_of``) and those followed by another visit within it."""
    judged = sample[sample["visit_date"] <= as_of - timedelta(days=window_days)]
    if judged.empty:
        return pd.DataFrame(columns=["tier", "revisit_n", "revisit_k"])
    pairs = judged.merge(visits, on="customer_id", suffixes=("", "_next"))
    gap = pd.to_datetime(pairs["visit_date_next"]) - pd.to_datetime(pairs["visit_date"])
    pairs["hit"] = (gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(days=window_days))
    hit = pairs.groupby("id")["hit"].any()
    judged = judged.assign(hit=judged["id"].map(hit).fillna(False).astype(bool))
    return judged.groupby("tier").agg(revisit_n=("id", "count"), revisit_k=("hit", "sum")).reset_index()


def _churn_by_tier(conn: Connection, filters: Filters, as_of: date, mode: str | None) -> pd.DataFrame:
    """Judged and churned customers per worst tier (the drivers page's "churn by tier")."""
    d = churn_rule(conn, mode).definition
    facts, _ = customer_features(conn, filters, as_of, d, parts=("responses",))
    groups = churn_groups(facts)
    tiers = groups[groups["dimension"] == "tier"]
    return pd.DataFrame({"tier": tiers["group"], "churn_n": tiers["n"], "churn_k": tiers["k"]})


def tier_value(engine: Engine, filters: Filters, as_of: date | None = None,
               window_days: int = DEFAULT_WINDOW_DAYS, churn_mode: str | None = None) -> pd.DataFrame:
    """NPS (with 95 % CI), CSAT top-2 share (Wilson CI), revisit and churn rate per tier; one row per tier.

    Columns ``VALUE_COLUMNS``; rates are None where nothing could be judged. ``revisit_n`` is the sampled visits
    behind the revisit rate, ``churn_n`` the (sampled, beyond 15,000) judged customers behind the churn rate;
    ``churn_mode`` overrides the churn rule in force.
    """
    with engine.connect() as conn:
        sums = response_sums(conn, filters).groupby("tier").sum(numeric_only=True)
        a = resolve_as_of(conn, filters, as_of)
        sample = _sample(conn, filters)
        revisit = pd.DataFrame(columns=["tier", "revisit_n", "revisit_k"])
        churn = pd.DataFrame(columns=["tier", "churn_n", "churn_k"])
        if a is not None and not sample.empty:
            visits = _later_visits(conn, sorted({int(c) for c in sample["customer_id"]}))
            revisit = revisit_by_tier(sample, visits, a, window_days)
        if a is not None:
            churn = _churn_by_tier(conn, filters, a, churn_mode)
    revisit, churn = revisit.set_index("tier"), churn.set_index("tier")
    rows = []
    for x in TIER_NAMES:
        s = sums.loc[x] if x in sums.index else pd.Series(0, index=sums.columns)
        n_ltr, pro, det = int(s.get("n_ltr", 0)), int(s.get("promoters", 0)), int(s.get("detractors", 0))
        nps = nps_from_counts(pro, n_ltr - pro - det, det)
        cs = proportion(int(s.get("csat_top2", 0)), int(s.get("n_csat", 0)))
        rv = proportion(int(revisit["revisit_k"].get(x, 0)), int(revisit["revisit_n"].get(x, 0)))
        ch = proportion(int(churn["churn_k"].get(x, 0)), int(churn["churn_n"].get(x, 0)))
        rows.append([x, int(s.get("n", 0)), nps.score, nps.ci_low, nps.ci_high, cs.rate, cs.ci_low, cs.ci_high,
                     rv.rate, rv.n, ch.rate, ch.n])
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


def judging_dates(engine: Engine, filters: Filters, window_days: int = DEFAULT_WINDOW_DAYS) -> tuple[date, date] | None:
    """``(as_of, last_judged_visit)``: the as-of date of :func:`tier_value` and the latest visit date whose revisit
    window fits before it (None without data), so the page can say which periods have revisit rates."""
    with engine.connect() as conn:
        a = resolve_as_of(conn, filters, None)
    return None if a is None else (a, a - timedelta(days=window_days))


def revisit_hint(engine: Engine, filters: Filters,
                 window_days: int = DEFAULT_WINDOW_DAYS) -> tuple[str, dict[str, str | int]] | None:
    """The revisit panel's hint when no visit could be judged: a catalog key and its values (None without data).

    ``churn.revisit.later`` names the visits that have a full window, from the first day of the data to A - W,
    a period that does fill; ``churn.revisit.not_yet`` says the data is shorter than the window and on which
    day the first visits become judgeable. It never points before the data begins (issue 20.5).
    """
    with engine.connect() as conn:
        a = resolve_as_of(conn, filters, None)
        start = conn.execute(select(func.min(survey_response.c.visit_date))).scalar() or data_start(conn)
    if a is None or start is None:
        return None
    start = _as_date(start)
    last = a - timedelta(days=window_days)
    if last >= start:
        return "loyalty.churn.revisit.later", {"days": window_days, "start": start.isoformat(), "end": last.isoformat()}
    return "loyalty.churn.revisit.not_yet", {"days": window_days, "start": start.isoformat(), "as_of": a.isoformat(),
                                     "ready": (start + timedelta(days=window_days)).isoformat()}
