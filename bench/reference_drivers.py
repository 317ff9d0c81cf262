"""The usual way for the drivers page: churn from whole tables.

The reference reads ``customer`` (churn flag and date, first seen, segment, site), ``survey_response`` and
``ticket`` whole, takes every customer's first and last event from their visits (at 00:00), tickets (creation
time) and own first-seen date (else churn date) in pandas — the span cxdash stores on the customer at load time —
and the churn rule from the ``setting`` table (else flags when a customer says "no", else inactivity). Compared
(docs/metrics.md, *Churn*):

- ``churn.n``, ``churn.k``, ``churn.rate``: judged and churned customers as of A (the view's last day capped at the
  latest event) and the rate;
- ``m<YYYY-MM>.n`` / ``.k`` / ``.rate``: the monthly churn trend, each month judged as of its last day, from the
  first day the history supports (first event + 2W - 1 under inactivity);
- ``group.<dimension>.<group>.n`` / ``.k``: the churn groups of the page (worst tier, NPS group of the lowest
  answer, mean CES rounded, most contacts and transfers, repeated story, SLA breach, reopened, repeat contact,
  the customer's segment and home site),
  over cxdash's judged-customer sample reproduced exactly (every k-th customer id, k = judged / 15,000 rounded
  up) with each customer's responses and tickets before the observation end; ``model.n`` and ``model.events``:
  the customers the churn model is fitted on and how many of them churned, when the survey answers can carry
  the model (otherwise the page fits the customer list's own fields, which is not compared).

Not compared: the key drivers' relative weights and the churn model's coefficients (numerical fits on samples
cxdash takes from its stored response sample; the inputs above are what they rest on), the retention curves and
the at-risk list.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bench.reference_base import (
    FigureFn,
    Figures,
    Reader,
    ReferenceFn,
    filter_responses,
    filter_tickets,
    nan_none,
    share,
    sla_flags,
)
from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn import (
    month_ends,  # the trend's periods (not a figure), so both use the same months
)
from cxdash.metrics.loyalty.churn_model import ANSWERS, MIN_EVENTS  # when the page fits its answers model
from cxdash.metrics.loyalty.customer_features import SAMPLE_CUSTOMERS
from cxdash.schema import customer, setting, site, survey_response, ticket

TIERS = {0: "disappointed", 1: "basic", 2: "delighted"}


def _definition(read: Reader) -> tuple[str, int]:
    """(mode, window days) of the stored churn definition; without a usable one, "flag" when a customer list says
    who stayed (a "no" flag), else inactivity over 365 days."""
    rows = read.table(setting)
    raw = rows.loc[rows["key"] == "churn_definition", "value"]
    value = raw.iloc[0] if len(raw) else None
    if isinstance(value, dict):
        try:
            mode, window = str(value.get("mode", "inactivity")), int(value.get("window_days", 365))
            if mode in ("inactivity", "flag") and 1 <= window <= 3650:
                return mode, window
        except (TypeError, ValueError):
            pass
    flags = read.table(customer)["churn_flag"]
    stayed = bool((flags.notna() & (flags.astype("boolean").fillna(True) == False)).any())  # noqa: E712
    return ("flag" if stayed else "inactivity"), 365


def _has_org_filter(f: Filters) -> bool:
    return any((f.region_ids, f.site_ids, f.team_ids, f.person_ids, f.channels, f.segments)) \
        or f.scope_sites is not None or f.scope_teams is not None


def customer_spans(cu: pd.DataFrame, sr: pd.DataFrame, tk: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The filters' customers with ``first`` and ``last`` event from the raw events, ``flag`` and ``churn_date``."""
    visits = sr.loc[sr["customer_id"].notna(), ["customer_id", "visit_date"]]
    events = pd.concat([
        pd.DataFrame({"customer_id": visits["customer_id"].astype(np.int64),
                      "at": pd.to_datetime(visits["visit_date"])}),
        pd.DataFrame({"customer_id": tk.loc[tk["customer_id"].notna(), "customer_id"].astype(np.int64),
                      "at": pd.to_datetime(tk.loc[tk["customer_id"].notna(), "created_at"])}),
    ])
    own = pd.to_datetime(cu["first_seen"]).fillna(pd.to_datetime(cu["churn_date"]))
    events = pd.concat([events, pd.DataFrame({"customer_id": cu.loc[own.notna(), "id"].astype(np.int64),
                                              "at": own[own.notna()]})])
    span = events.groupby("customer_id")["at"].agg(first="min", last="max")
    out = cu[["id", "churn_flag", "churn_date", "segment", "site"]].rename(columns={"id": "customer_id"})
    out = out.merge(span, left_on="customer_id", right_index=True, how="left")
    if _has_org_filter(filters):
        undated = filters.with_dates(None, None)
        ids = set(filter_responses(sr, undated)["customer_id"].dropna().astype(np.int64)) \
            | set(filter_tickets(tk, undated)["customer_id"].dropna().astype(np.int64))
        out = out[out["customer_id"].isin(ids) | _own_match(cu, out, filters)]
    out["undated"] = out["first"].isna() & out["churn_flag"].notna()
    out["flag"] = out["churn_flag"].astype("boolean").fillna(False).astype(bool)
    out["churn_date"] = pd.to_datetime(out["churn_date"])
    return out


def _own_match(cu: pd.DataFrame, out: pd.DataFrame, f: Filters) -> pd.Series:
    """Customers whose own segment and site meet the filters (none when they ask for team, person or channel)."""
    if f.team_ids or f.person_ids or f.channels or f.scope_teams is not None:
        return pd.Series(False, index=out.index)
    own = cu.set_index("id").loc[out["customer_id"]]
    ok = pd.Series(True, index=out.index)
    if f.segments:
        ok &= own["segment"].isin(f.segments).to_numpy()
    if f.site_ids:
        ok &= own["site_id"].isin(f.site_ids).to_numpy()
    if f.scope_sites is not None:
        ok &= own["site_id"].isin(f.scope_sites).to_numpy()
    if f.region_ids:
        ok &= own["region_id"].isin(f.region_ids).to_numpy()
    has_own = bool(f.segments or f.site_ids or f.scope_sites is not None or f.region_ids)
    return ok if has_own else pd.Series(False, index=out.index)


def judged_churned(spans: pd.DataFrame, a: date, mode: str, window: int) -> tuple[pd.Series, pd.Series]:
    """Masks of the judged and the churned customers as of ``a`` (docs/metrics.md)."""
    flagged = spans["flag"] & (spans["churn_date"].isna() | (spans["churn_date"] <= pd.Timestamp(a)))
    if mode == "flag":
        judged = (spans["first"] < pd.Timestamp(a + timedelta(days=1))) | spans["undated"]
        return judged, judged & flagged
    cutoff = pd.Timestamp(a - timedelta(days=window - 1))
    judged = ((spans["first"] < cutoff) & (spans["last"] >= cutoff - pd.Timedelta(days=window))) | spans["undated"]
    return judged, judged & (flagged | (spans["last"] < cutoff))


def drivers_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """Churn rate, monthly churn trend and the churn groups of the judged sample, the usual way."""
    mode, window = _definition(read)
    sr, tk = read.table(survey_response), read.table(ticket)
    sites = read.table(site)[["id", "name", "region_id"]].rename(columns={"id": "site_id", "name": "site"})
    spans = customer_spans(read.table(customer).merge(sites, on="site_id", how="left"), sr, tk, filters)
    latest = spans["last"].max()
    if pd.isna(latest):
        return {}
    end = latest.date()
    a = min(filters.date_to, end) if filters.date_to is not None else end
    out: Figures = {}
    judged, churned = judged_churned(spans, a, mode, window)
    out.update({"churn.n": float(judged.sum()), "churn.k": float(churned.sum()),
                "churn.rate": share(int(churned.sum()), int(judged.sum()))})
    start = filters.date_from or pd.to_datetime(sr["visit_date"]).min().date()
    history = spans["first"].min().date()
    supported = history if mode == "flag" else history + timedelta(days=2 * window - 1)
    for m_end in month_ends(start, a) if start <= a else []:
        if m_end < supported:
            continue
        j, c = judged_churned(spans, m_end, mode, window)
        if j.sum():
            key = m_end.strftime("%Y-%m")
            out.update({f"m{key}.n": float(j.sum()), f"m{key}.k": float(c.sum()),
                        f"m{key}.rate": share(int(c.sum()), int(j.sum()))})
    out.update(_groups(spans[judged].assign(churned=churned[judged].astype(int)), sr, tk, a, mode, window))
    return out


def _observation_end(a: date, mode: str, window: int) -> datetime:
    if mode == "flag":
        return datetime.combine(a + timedelta(days=1), time.min)
    return datetime.combine(a - timedelta(days=window - 1), time.min)


def _groups(judged: pd.DataFrame, sr: pd.DataFrame, tk: pd.DataFrame, a: date, mode: str, window: int) -> Figures:
    """Churn groups and the model's n over the judged sample (every k-th customer id)."""
    k = max(1, math.ceil(len(judged) / SAMPLE_CUSTOMERS))
    facts = judged[judged["customer_id"] % k == 0] if k > 1 else judged
    until = _observation_end(a, mode, window)
    r = sr[sr["customer_id"].isin(facts["customer_id"]) & (pd.to_datetime(sr["visit_date"]) < pd.Timestamp(until.date()))]
    resp = r.assign(rep=(r["repeated_story"] == True).astype(int)).groupby("customer_id").agg(  # noqa: E712
        n_responses=("id", "size"), worst_tier=("tier", "min"), worst_ltr=("ltr", "min"), mean_ces=("ces", "mean"),
        max_contacts=("contacts_needed", "max"), max_transfers=("transfers", "max"), repeated=("rep", "max"))
    t = tk[tk["customer_id"].isin(facts["customer_id"]) & (pd.to_datetime(tk["created_at"]) < pd.Timestamp(until))
           & tk["merged_into"].isna()]
    flags = sla_flags(t, until)
    t = t.assign(breached=(flags["frt_breached"] | flags["res_breached"]).astype(int),
                 reopened=(t["reopen_count"].fillna(0) > 0).astype(int),
                 repeats=(t["is_repeat_7d"].astype("boolean").fillna(False)
                          | t["has_repeat_7d"].astype("boolean").fillna(False)).astype(bool).astype(int))
    tick = t.groupby("customer_id").agg(n_tickets=("id", "size"), breached=("breached", "sum"),
                                        reopened=("reopened", "sum"), repeats=("repeats", "sum"))
    f = facts.merge(resp, left_on="customer_id", right_index=True, how="left") \
        .merge(tick, left_on="customer_id", right_index=True, how="left")
    f["n_responses"] = f["n_responses"].fillna(0)
    f["n_tickets"] = f["n_tickets"].fillna(0)
    has_t = f["n_tickets"] > 0

    def yes_no(flag: pd.Series, known: pd.Series) -> pd.Series:
        return pd.Series(np.where(~known, "none", np.where(flag, "yes", "no")), index=f.index)

    def levels(v: pd.Series, top: int | None = None) -> pd.Series:
        text = v.map(lambda x: "none" if pd.isna(x) else (f"{top}+" if top is not None and x >= top else str(int(x))))
        return text.astype(object)

    ltr = f["worst_ltr"]
    dims = {
        "tier": f["worst_tier"].map(lambda x: "none" if pd.isna(x) else TIERS.get(int(x), "none")),
        "nps_group": pd.Series(np.where(ltr.isna(), "none", np.where(ltr <= 6, "detractor",
                                                                     np.where(ltr <= 8, "passive", "promoter"))),
                               index=f.index),
        "ces": levels(f["mean_ces"].round()),
        "contacts": levels(f["max_contacts"], 3),
        "transfers": levels(f["max_transfers"], 2),
        "repeated": yes_no(f["repeated"] > 0, f["repeated"].notna()),
        "sla_breach": yes_no(f["breached"] > 0, has_t),
        "reopened": yes_no(f["reopened"] > 0, has_t),
        "repeat_contact": yes_no(f["repeats"] > 0, has_t),
        "segment": f["segment"].where(f["segment"].notna(), "none").astype(str),
        "site": f["site"].where(f["site"].notna(), "none").astype(str),
    }
    out: Figures = {}
    for dim, groups in dims.items():
        for g, part in f.groupby(groups):
            out[f"group.{dim}.{g}.n"] = float(len(part))
            out[f"group.{dim}.{g}.k"] = float(part["churned"].sum())
    usable = f[(f["n_responses"] > 0) & f["worst_ltr"].notna() & f["mean_ces"].notna()]
    events = int(usable["churned"].sum())
    if min(events, len(usable) - events) >= MIN_EVENTS:  # else the page fits no answers model (maybe a list one)
        out.update({"model.n": float(len(usable)), "model.events": float(events)})
    return out


def drivers_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same figures from the drivers page's calls: :func:`churn_trend`, :func:`churn_rate` (the overview's
    card, same definition) and :func:`churn_drivers` (its groups and model)."""
    from cxdash.metrics.loyalty.churn import churn_rate, churn_trend
    from cxdash.metrics.loyalty.churn_definition import load_definition
    from cxdash.metrics.loyalty.churn_model import churn_drivers

    d = load_definition(engine)
    rate = churn_rate(engine, filters, None, d.window_days, mode=d.mode)
    out: Figures = {"churn.n": float(rate.n), "churn.k": float(rate.k), "churn.rate": nan_none(rate.rate)}
    for row in churn_trend(engine, filters, None, d.window_days, mode=d.mode).to_dict("records"):
        out.update({f"m{row['month']}.n": float(row["n"]), f"m{row['month']}.k": float(row["k"]),
                    f"m{row['month']}.rate": nan_none(row["rate"])})
    drivers = churn_drivers(engine, filters, "en", 200, None, d, size=SAMPLE_CUSTOMERS)  # the page's size
    for row in drivers.groups.to_dict("records"):
        out[f"group.{row['dimension']}.{row['group']}.n"] = float(row["n"])
        out[f"group.{row['dimension']}.{row['group']}.k"] = float(row["k"])
    m = drivers.model
    if m.source == ANSWERS and min(m.events, m.n - m.events) >= MIN_EVENTS:  # the answers model, as compared
        out.update({"model.n": float(m.n), "model.events": float(m.events)})
    return out


REFERENCES: dict[str, ReferenceFn] = {"drivers": drivers_reference}
CXDASH: dict[str, FigureFn] = {"drivers": drivers_cxdash}
