"""The usual way for the loyalty pages: the loyalty page (``loyalty``) and its other views, each as the page shows
it on its own (``loyalty_breakdowns``, ``loyalty_effort``, ``loyalty_failures``).

Each ``*_reference`` reads ``survey_response`` (and for service failures ``ticket``) whole and computes the page's
figures in pandas; each ``*_cxdash`` gets the same figures from the page's functions. Where cxdash reads a
bounded sample (CES and the effort and service-failure views read at most 20,000 responses of the selection,
:mod:`cxdash.metrics.response_sample`), the reference takes the same rows by the same rule
(:func:`bench.reference_base.response_sample`: every k-th id of the whole table's id range), so those
figures are compared exactly too. Names:

- ``loyalty``: ``nps_n``, ``nps``, ``promoters``, ``detractors``, ``csat_n``, ``csat`` (every response of the
  view), ``ces_n``, ``ces_mean``, ``ces_easy`` (sampled), the same prefixed ``prev.`` for the previous period and
  ``m<YYYY-MM>.`` per month of the trend.
- ``loyalty_breakdowns``: ``site<id>.`` NPS, CSAT (whole) and CES (sampled) per site of the breakdown
  (``site-1`` = no site);
- ``loyalty_effort``: ``easy.`` / ``hard.`` NPS of CES 5-7 / 1-3 and ``easy_minus_hard`` (sampled);
  ``effort.<dim>.<level>.`` n and NPS per effort level (sampled);
- ``loyalty_failures``: ``failure.<group>.`` n, NPS, CSAT n and CSAT of the service-failure groups (sampled responses, failure flags from all the view's tickets of their customers). The churn columns of
  the effort and failure views rest on cxdash's customer sample and are not compared here (the drivers page's
  reference compares churn itself).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

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
    nps_counts,
    nps_figures,
    response_sample,
    share,
    sla_flags,
)
from cxdash.filters import Filters
from cxdash.metrics.loyalty.effort import EFFORT_SAMPLE
from cxdash.metrics.loyalty.failures import FAILURE_SAMPLE
from cxdash.metrics.loyalty.figures import CES_SAMPLE
from cxdash.schema import survey_response, ticket


# --- loyalty ------------------------------------------------------------------------------------------------
def _counts(sel: pd.DataFrame, prefix: str = "") -> Figures:
    n, pro, det = nps_counts(sel["ltr"])
    csat = sel["csat"].dropna()
    csat = csat[(csat >= 1) & (csat <= 5)]
    return {**nps_figures(sel["ltr"], prefix), f"{prefix}promoters": share(pro, n),
            f"{prefix}detractors": share(det, n), f"{prefix}csat_n": float(len(csat)),
            f"{prefix}csat": share(int((csat >= 4).sum()), len(csat))}


def _ces(sample: pd.DataFrame, prefix: str = "") -> Figures:
    ces = sample["ces"].dropna()
    ces = ces[(ces >= 1) & (ces <= 7)]
    return {f"{prefix}ces_n": float(len(ces)), f"{prefix}ces_mean": float(ces.mean()) if len(ces) else None,
            f"{prefix}ces_easy": share(int((ces >= 5).sum()), len(ces))}


def _month(df: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(df["visit_date"]).dt.strftime("%Y-%m")


def loyalty_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """The loyalty cards (this and the previous period) and the monthly trend, the usual way."""
    sr = read.table(survey_response)
    out: Figures = {}
    views = [("", filters)] + ([("prev.", filters.previous_period())] if filters.previous_period() else [])
    for prefix, f in views:
        assert f is not None
        sel = filter_responses(sr, f)
        out.update(_counts(sel, prefix))
        out.update(_ces(response_sample(sel, sr["id"], CES_SAMPLE), prefix))
    sel = filter_responses(sr, filters)
    sample = response_sample(sel, sr["id"], CES_SAMPLE)
    months, sample_months = _month(sel), _month(sample)
    for m in sorted(months.unique()):
        out.update(_counts(sel[months == m], f"m{m}."))
        out.update(_ces(sample[sample_months == m], f"m{m}."))
    return out


def _figures_cxdash(fig: object, prefix: str) -> Figures:
    return {f"{prefix}nps_n": float(fig.nps.n), f"{prefix}nps": fig.nps.score,  # type: ignore[attr-defined]
            f"{prefix}promoters": fig.promoters.rate, f"{prefix}detractors": fig.detractors.rate,  # type: ignore[attr-defined]
            f"{prefix}csat_n": float(fig.csat.n), f"{prefix}csat": fig.csat.rate,  # type: ignore[attr-defined]
            f"{prefix}ces_n": float(fig.ces.n), f"{prefix}ces_mean": fig.ces.mean,  # type: ignore[attr-defined]
            f"{prefix}ces_easy": fig.ces.share_easy}  # type: ignore[attr-defined]


TREND_KEYS = {"nps": ("nps", "nps_n"), "promoters": ("promoters", None), "detractors": ("detractors", None),
              "csat": ("csat", "csat_n"), "ces": ("ces_mean", "ces_n"), "ces_easy": ("ces_easy", None)}


def loyalty_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same figures from :func:`loyalty_summary` and :func:`loyalty_trend` (the loyalty page's calls)."""
    from cxdash.metrics.loyalty.figures import loyalty_summary, loyalty_trend

    summary = loyalty_summary(engine, filters)
    out = _figures_cxdash(summary.current, "")
    if summary.previous is not None:
        out.update(_figures_cxdash(summary.previous, "prev."))
    for row in loyalty_trend(engine, filters, "month").to_dict("records"):
        if row["kpi"] not in TREND_KEYS:
            continue
        value_key, n_key = TREND_KEYS[row["kpi"]]
        out[f"m{row['period']}.{value_key}"] = nan_none(row["value"])
        if n_key is not None:
            out[f"m{row['period']}.{n_key}"] = float(row["n"])
    return out


# --- the other views -----------------------------------------------------------------------------------------
EFFORT_LEVELS = {"ces": [str(i) for i in range(1, 8)], "contacts": ["1", "2", "3+"], "transfers": ["0", "1", "2+"],
                 "repeated": ["no", "yes"]}
FAILURE_GROUPS = ("went_right", "any_failure", "breached", "reopened", "repeat", "no_ticket")


def _effort_levels(s: pd.DataFrame) -> dict[str, pd.Series]:
    """The level of each answer per effort dimension (None where unanswered or out of range)."""
    def level(values: pd.Series, cuts: list[tuple[str, pd.Series]]) -> pd.Series:
        return pd.Series(np.select([c for _, c in cuts], [name for name, _ in cuts], default=""),
                         index=values.index).replace("", None)

    ces, contacts, transfers = s["ces"], s["contacts_needed"], s["transfers"]
    ces_level = ces.where(ces.between(1, 7)).map(lambda v: None if pd.isna(v) else str(int(v)))
    rep = s["repeated_story"]
    return {
        "ces": ces_level,
        "contacts": level(contacts, [("3+", contacts >= 3), ("2", contacts == 2), ("1", contacts == 1)]),
        "transfers": level(transfers, [("2+", transfers >= 2), ("1", transfers == 1), ("0", transfers == 0)]),
        "repeated": pd.Series(np.where(rep == True, "yes", "no"), index=s.index).where(rep.notna(), None),  # noqa: E712
    }


def _customer_failures(tk: pd.DataFrame, filters: Filters, now: datetime) -> pd.DataFrame:
    """Per customer with tickets in the view (merged left out): 0/1 ``breached``, ``reopened``, ``repeat``."""
    sel = filter_tickets(tk, filters)
    sel = sel[sel["merged_into"].isna() & sel["customer_id"].notna()]
    flags = sla_flags(sel, now)
    repeat = (sel["is_repeat_7d"].astype("boolean").fillna(False) | sel["has_repeat_7d"].astype("boolean").fillna(False))
    per = pd.DataFrame({"customer_id": sel["customer_id"].astype(np.int64),
                        "breached": (flags["frt_breached"] | flags["res_breached"]).astype(int),
                        "reopened": (sel["reopen_count"].fillna(0) > 0).astype(int),
                        "repeat": repeat.astype(bool).astype(int)})
    return per.groupby("customer_id", as_index=False).max()


def failure_now(filters: Filters, now: datetime) -> datetime:
    """The moment the service-failure view judges open tickets at: the end of the range, or ``now`` if earlier
    (as the page does with the current time)."""
    if filters.date_to is None:
        return now
    return min(now, datetime.combine(filters.date_to + timedelta(days=1), time.min))


def _view(read: Reader, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole responses table and the view's rows of it."""
    sr = read.table(survey_response)
    return sr, filter_responses(sr, filters)


def breakdowns_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """The breakdown by site (NPS and CSAT of every response, CES of the sample), the usual way."""
    sr, sel = _view(read, filters)
    sample = response_sample(sel, sr["id"], CES_SAMPLE)
    out: Figures = {}
    site = sel["site_id"].fillna(-1).astype(int)
    sample_site = sample["site_id"].fillna(-1).astype(int)
    for key in sorted(site.unique()):
        part = _counts(sel[site == key], f"site{key}.")
        out.update({k: v for k, v in part.items() if not k.endswith(("promoters", "detractors"))})
        out.update({k: v for k, v in _ces(sample[sample_site == key], f"site{key}.").items()
                    if not k.endswith("ces_easy")})  # the breakdown shows no share 5-7
    return out


def effort_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """Easy versus hard and NPS by effort level (sampled), the usual way."""
    sr, sel = _view(read, filters)
    sample = response_sample(sel, sr["id"], EFFORT_SAMPLE)
    ces = sample["ces"]
    easy, hard = nps_figures(sample["ltr"][ces.between(5, 7)], "easy."), nps_figures(sample["ltr"][ces.between(1, 3)],
                                                                                      "hard.")
    out: Figures = {**easy, **hard}
    both = easy["easy.nps"] is not None and hard["hard.nps"] is not None
    out["easy_minus_hard"] = easy["easy.nps"] - hard["hard.nps"] if both else None  # type: ignore[operator]
    for dim, levels in _effort_levels(sample).items():
        for level in EFFORT_LEVELS[dim]:
            part = sample["ltr"][levels == level]
            if len(part):  # a level no sampled response answered is not a row
                fig = nps_figures(part, f"effort.{dim}.{level}.")
                out.update({k.replace("nps_n", "n"): v for k, v in fig.items()})
    return out


def failures_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """NPS and CSAT by service-failure group (sampled responses, every ticket of the view), the usual way."""
    sr, sel = _view(read, filters)
    return _failures_reference(read, sr, sel, filters, now)


def _failures_reference(read: Reader, sr: pd.DataFrame, sel: pd.DataFrame, filters: Filters,
                        now: datetime) -> Figures:
    sample = response_sample(sel, sr["id"], FAILURE_SAMPLE, extra=sel["customer_id"].notna())
    fails = _customer_failures(read.table(ticket), filters, failure_now(filters, now))
    x = sample[["customer_id", "ltr", "csat"]].merge(fails, on="customer_id", how="left")
    has = x["breached"].notna()
    anyf = (x[["breached", "reopened", "repeat"]].fillna(0) > 0).any(axis=1)
    masks = {"went_right": has & ~anyf, "any_failure": anyf, "no_ticket": ~has,
             **{g: x[g].fillna(0) > 0 for g in ("breached", "reopened", "repeat")}}
    out: Figures = {}
    for g in FAILURE_GROUPS:
        part = x[masks[g]]
        fig = _counts(part, f"failure.{g}.")
        out.update({f"failure.{g}.n": fig[f"failure.{g}.nps_n"], f"failure.{g}.nps": fig[f"failure.{g}.nps"],
                    f"failure.{g}.csat_n": fig[f"failure.{g}.csat_n"], f"failure.{g}.csat": fig[f"failure.{g}.csat"]})
    return out


def breakdowns_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same figures from the page's call: :func:`loyalty_breakdown` by site."""
    from cxdash.metrics.loyalty.figures import loyalty_breakdown

    out: Figures = {}
    for row in loyalty_breakdown(engine, filters, "site").to_dict("records"):
        key = -1 if row["key"] is None else int(row["key"])
        out.update({f"site{key}.nps_n": float(row["n"]), f"site{key}.nps": nan_none(row["nps"]),
                    f"site{key}.csat_n": float(row["csat_n"]), f"site{key}.csat": nan_none(row["csat"]),
                    f"site{key}.ces_n": float(row["ces_n"]), f"site{key}.ces_mean": nan_none(row["ces"])})
    return out


def effort_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same figures from the page's calls: :func:`easy_vs_hard` and :func:`effort_nps_counts` (the NPS half
    of :func:`effort_loyalty`)."""
    from cxdash.metrics.loyalty.effort import _nps_rows, easy_vs_hard, effort_nps_counts

    easy, hard, diff = easy_vs_hard(engine, filters)
    out: Figures = {"easy.nps_n": float(easy.n), "easy.nps": easy.score, "hard.nps_n": float(hard.n),
                    "hard.nps": hard.score, "easy_minus_hard": diff.delta}
    counts, _ = effort_nps_counts(engine, filters)
    for row in _nps_rows(counts):
        prefix = f"effort.{row['dimension']}.{row['level']}."
        out.update({f"{prefix}n": float(row["n"]), f"{prefix}nps": row["nps"]})
    return out


def failures_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same figures from the page's call: :func:`service_failures`."""
    from cxdash.metrics.loyalty.failures import service_failures

    out: Figures = {}
    for row in service_failures(engine, filters, now=failure_now(filters, now)).table.to_dict("records"):
        g = row["group"]
        out.update({f"failure.{g}.n": float(row["n"]), f"failure.{g}.nps": nan_none(row["nps"]),
                    f"failure.{g}.csat_n": float(row["csat_n"]), f"failure.{g}.csat": nan_none(row["csat"])})
    return out


REFERENCES: dict[str, ReferenceFn] = {"loyalty": loyalty_reference, "loyalty_breakdowns": breakdowns_reference,
                                      "loyalty_effort": effort_reference, "loyalty_failures": failures_reference}
CXDASH: dict[str, FigureFn] = {"loyalty": loyalty_cxdash, "loyalty_breakdowns": breakdowns_cxdash,
                               "loyalty_effort": effort_cxdash, "loyalty_failures": failures_cxdash}
