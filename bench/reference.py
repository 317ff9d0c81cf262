"""The usual way, as a reference for the benchmark: read the tables a page needs whole into pandas and compute
the page's headline figures there.

This is what a typical Streamlit dashboard does (``pd.read_sql`` of the tables, cached, then pandas), and what
cxdash is measured against. For each page with a reference (:data:`REFERENCES`) the benchmark runs
``python -m bench.reference --database-url URL --page NAME [--from D --to D] --now T`` in a fresh
process, which prints one JSON document: the reference's time (``seconds`` = ``load_seconds`` reading the tables
+ ``compute_seconds``), its peak memory, and whether its figures agree with what cxdash's page functions return
for the same view (:data:`CXDASH`) within :data:`TOLERANCE` (``agree``, ``max_abs_diff``, ``compared``,
``mismatches``).

This module holds the overview, tiers, touchpoints and service; the other pages' references live in
:mod:`~bench.reference_loyalty`, :mod:`~bench.reference_drivers`, :mod:`~bench.reference_voice`,
:mod:`~bench.reference_closedloop`, :mod:`~bench.reference_drilldown` and :mod:`~bench.reference_cases` (each module's docstring
names the figures it compares and what it leaves out), registered here; the shared pieces (the reader, the
filters in pandas, cxdash's samples reproduced) are in :mod:`~bench.reference_base`.

Figures are flat ``{name: number}`` dicts, so any two can be compared key by key: a key on one side only, or a
number on one side and nothing on the other, is a mismatch. The SLA figures depend on the moment ``now``; both
sides get the same one.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from bench import (
    reference_cases,
    reference_closedloop,
    reference_drilldown,
    reference_drivers,
    reference_loyalty,
    reference_voice,
)
from bench.reference_base import (  # noqa: F401 - Reader, filters and types re-exported for callers
    TOLERANCE,
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
from cxdash.schema import survey_response, ticket, touchpoint, touchpoint_score


# --- The figures in pandas ---------------------------------------------------------------------------------
def response_figures_pandas(sr: pd.DataFrame) -> Figures:
    """NPS, CSAT, CES and the tier shares of the selected responses."""
    ltr = sr["ltr"].dropna()
    ltr = ltr[(ltr >= 0) & (ltr <= 10)]
    csat = sr["csat"].dropna()
    csat = csat[(csat >= 1) & (csat <= 5)]
    ces = sr["ces"].dropna()
    ces = ces[(ces >= 1) & (ces <= 7)]
    n = len(sr)
    tiers = sr["tier"]
    out: Figures = {
        "nps_n": float(len(ltr)),
        "nps": 100 * (int((ltr >= 9).sum()) - int((ltr <= 6).sum())) / len(ltr) if len(ltr) else None,
        "csat_n": float(len(csat)),
        "csat": share(int((csat >= 4).sum()), len(csat)),
        "ces_mean": float(ces.mean()) if len(ces) else None,
        "ces_easy": share(int((ces >= 5).sum()), len(ces)),
        "responses": float(n),
    }
    for code, name in ((0, "disappointed"), (1, "basic"), (2, "delighted")):
        out[f"share_{name}"] = share(int((tiers == code).sum()), n)
    out["share_none"] = share(int(tiers.isna().sum()), n)
    return out



def _sla_rates(flags: pd.DataFrame) -> Figures:
    frt_n = int(flags["frt_met"].sum() + flags["frt_breached"].sum())
    res_n = int(flags["res_met"].sum() + flags["res_breached"].sum())
    return {
        "n": float(len(flags)),
        "first_response": share(int(flags["frt_met"].sum()), frt_n), "frt_n": float(frt_n),
        "resolution": share(int(flags["res_met"].sum()), res_n), "res_n": float(res_n),
        "ftf": share(int(flags["ftf"].sum()), int(flags["resolved"].sum())),
    }


def overview_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """Overview cards the usual way: NPS, CSAT, CES, tier shares and SLA compliance from whole tables."""
    sr = filter_responses(read.table(survey_response), filters)
    tk = filter_tickets(read.table(ticket), filters)
    out = response_figures_pandas(sr)
    out.update({f"sla_{k}": v for k, v in _sla_rates(sla_flags(tk, now)).items()})
    return out


def tiers_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """Tier counts and shares per site the usual way."""
    sr = filter_responses(read.table(survey_response), filters)
    tier = sr["tier"].map({0: "disappointed", 1: "basic", 2: "delighted"}).fillna("none")
    counts = pd.crosstab(sr["site_id"].fillna(-1).astype(int), tier)
    out: Figures = {}
    for site_id, row in counts.iterrows():
        n = int(row.sum())
        out[f"site{site_id}.n"] = float(n)
        for name in ("disappointed", "basic", "delighted", "none"):
            out[f"site{site_id}.share_{name}"] = share(int(row.get(name, 0)), n)
    return out


def touchpoints_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """Per touchpoint: pairs, mean gap, mean P and mean E on the 0-1 scale, the usual way (a join in pandas)."""
    sr = filter_responses(read.table(survey_response), filters)
    ts = read.table(touchpoint_score)
    tps = read.table(touchpoint)
    lo = sr["tp_scale_min"].fillna(sr["overall_scale_min"])
    hi = sr["tp_scale_max"].fillna(sr["overall_scale_max"])
    scale = pd.DataFrame({"response_id": sr["id"], "lo": lo, "rng": hi - lo})
    x = ts.merge(scale, on="response_id", how="inner")
    x = x[(x["rng"] > 0) & x["p"].notna() & x["e"].notna()]
    x = x.assign(d=(x["p"] - x["e"]) / x["rng"], pn=(x["p"] - x["lo"]) / x["rng"], en=(x["e"] - x["lo"]) / x["rng"])
    g = x.groupby("touchpoint_id").agg(n=("d", "size"), gap=("d", "mean"), mean_p=("pn", "mean"),
                                       mean_e=("en", "mean"))
    codes = dict(zip(tps["id"], tps["code"], strict=True))
    out: Figures = {}
    for tp_id, code in codes.items():
        if tp_id in g.index and g.at[tp_id, "n"] > 0:
            row = g.loc[tp_id]
            out.update({f"{code}.n": float(row["n"]), f"{code}.gap": float(row["gap"]),
                        f"{code}.mean_p": float(row["mean_p"]), f"{code}.mean_e": float(row["mean_e"])})
        else:
            out[f"{code}.n"] = 0.0
    return out


def service_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """SLA compliance and first-time fix by priority, the usual way."""
    flags = sla_flags(filter_tickets(read.table(ticket), filters), now)
    out: Figures = {}
    for prio, grp in flags.groupby(flags["priority"].fillna("(none)")):
        out.update({f"{prio}.{k}": v for k, v in _sla_rates(grp).items()})
    return out


# The other pages' references live in their own modules, each with REFERENCES and CXDASH dicts of its pages.
_MODULES = (reference_loyalty, reference_drivers, reference_voice, reference_closedloop, reference_drilldown,
            reference_cases)

REFERENCES: dict[str, ReferenceFn] = {
    "overview": overview_reference,
    "tiers": tiers_reference,
    "touchpoints": touchpoints_reference,
    "service": service_reference,
    **{name: fn for m in _MODULES for name, fn in m.REFERENCES.items()},
}


# --- The same figures from cxdash's page functions ---------------------------------------------------------
def overview_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The overview's cards as the page gets them (:func:`cxdash.metrics.overview.cards.overview`)."""
    from cxdash.metrics.overview.cards import overview
    from cxdash.metrics.service.compliance import sla_summary

    ov = overview(engine, filters)
    r = ov.responses
    sla = sla_summary(engine, filters, now)  # the cards' call, at the reference's moment
    out: Figures = {
        "nps_n": float(r.nps.n), "nps": r.nps.score, "csat_n": float(r.csat.n), "csat": r.csat.rate,
        "ces_mean": r.ces.mean, "ces_easy": r.ces.share_easy, "responses": float(r.tiers.n),
    }
    out.update({f"share_{k}": v for k, v in r.tiers.shares.items()})
    out.update({"sla_n": float(sla.n), "sla_first_response": nan_none(sla.first_response.rate),
                "sla_frt_n": float(sla.first_response.n), "sla_resolution": nan_none(sla.resolution.rate),
                "sla_res_n": float(sla.resolution.n), "sla_ftf": nan_none(sla.ftf.rate)})
    return out


def tiers_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """Tier counts and shares per site as the tiers page gets them (:func:`tier_breakdown`)."""
    from cxdash.metrics.experience.tier_analysis import tier_breakdown

    out: Figures = {}
    for row in tier_breakdown(engine, filters, "site").to_dict("records"):
        key = -1 if row["key"] is None or row["key"] != row["key"] else int(row["key"])
        out[f"site{key}.n"] = float(row["n"])
        for name in ("disappointed", "basic", "delighted", "none"):
            out[f"site{key}.share_{name}"] = nan_none(row[f"share_{name}"])
    return out


def touchpoints_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The gap table as the touchpoints page gets it (:func:`cxdash.metrics.experience.gaps.gap_table`)."""
    from cxdash.metrics.experience.gaps import gap_table

    out: Figures = {}
    for row in gap_table(engine, filters, with_importance=False, with_points=False).to_dict("records"):
        code = row["touchpoint_code"]
        out[f"{code}.n"] = float(row["n_pairs"])  # the reference counts pairs
        if row["n_pairs"] > 0:
            out.update({f"{code}.{k}": nan_none(row[k]) for k in ("gap", "mean_p", "mean_e")})
    return out


def service_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """Compliance by priority as the service page gets it (:func:`sla_breakdown`)."""
    from cxdash.metrics.service.breakdown import sla_breakdown

    out: Figures = {}
    for row in sla_breakdown(engine, filters, "priority", now).to_dict("records"):
        if not row["n"]:
            continue  # a priority holding merged tickets only: the reference leaves merged tickets out
        prio = "(none)" if row["key"] is None else row["key"]
        out.update({f"{prio}.n": float(row["n"]), f"{prio}.first_response": nan_none(row["first_response_rate"]),
                    f"{prio}.frt_n": float(row["frt_n"]), f"{prio}.resolution": nan_none(row["resolution_rate"]),
                    f"{prio}.res_n": float(row["res_n"]), f"{prio}.ftf": nan_none(row["ftf_rate"])})
    return out


CXDASH: dict[str, FigureFn] = {
    "overview": overview_cxdash,
    "tiers": tiers_cxdash,
    "touchpoints": touchpoints_cxdash,
    "service": service_cxdash,
    **{name: fn for m in _MODULES for name, fn in m.CXDASH.items()},
}



# --- Comparing and running ---------------------------------------------------------------------------------
def compare(ours: Figures, theirs: Figures, tolerance: float = TOLERANCE) -> dict[str, Any]:
    """Compare two sets of figures key by key: ``agree``, ``compared``, ``max_abs_diff`` and the first
    ``mismatches`` (name, ours, theirs)."""
    worst = 0.0
    bad: list[list[Any]] = []
    keys = sorted(set(ours) | set(theirs))
    for key in keys:
        a, b = nan_none(ours.get(key)), nan_none(theirs.get(key))
        if a is None and b is None and key in ours and key in theirs:
            continue
        if a is None or b is None:
            bad.append([key, a, b])
            continue
        diff = abs(a - b)
        worst = max(worst, diff)
        if diff > tolerance:
            bad.append([key, a, b])
    return {"agree": not bad and bool(keys), "compared": len(keys), "max_abs_diff": worst, "mismatches": bad[:10]}


def reference_now() -> datetime:
    """The moment both sides judge open tickets at: now (UTC, naive, as stored), to the minute as the pages do.

    The benchmark fixes it once and hands it to every reference process, so a ticket passing its due time
    between two calls cannot make the two sides differ.
    """
    from cxdash.domain.service_sql import utcnow

    return utcnow().replace(second=0, microsecond=0)


def run_reference(url: str, page: str, filters: Filters, now: datetime) -> dict[str, Any]:
    """Time the usual way for ``page`` in this process, then check it against cxdash's figures."""
    from bench.measure import own_peak_memory_mb
    from cxdash.db import make_engine

    engine = make_engine(url)
    reader = Reader(engine)
    t0 = time.perf_counter()
    theirs = REFERENCES[page](reader, filters, now)
    seconds = time.perf_counter() - t0
    peak = own_peak_memory_mb()  # before cxdash's figures, so it is the reference's own
    ours = CXDASH[page](engine, filters, now)
    engine.dispose()
    return {"page": page, "seconds": round(seconds, 3), "load_seconds": round(reader.seconds, 3),
            "compute_seconds": round(seconds - reader.seconds, 3), "rows_read": reader.rows,
            "peak_memory_mb": peak, **compare(ours, theirs)}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.reference``: time the usual way for one page and print JSON."""
    p = argparse.ArgumentParser(prog="python -m bench.reference")
    p.add_argument("--database-url", required=True)
    p.add_argument("--page", required=True, choices=sorted(REFERENCES))
    p.add_argument("--from", dest="date_from", type=date.fromisoformat)
    p.add_argument("--to", dest="date_to", type=date.fromisoformat)
    p.add_argument("--now", type=datetime.fromisoformat, help="the moment open tickets are judged at")
    args = p.parse_args(argv)
    filters = Filters(date_from=args.date_from, date_to=args.date_to)
    result = run_reference(args.database_url, args.page, filters, args.now or reference_now())
    json.dump(result, sys.stdout, default=_json_default)
    print()
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
