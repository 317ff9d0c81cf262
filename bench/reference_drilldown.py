"""The usual way for the touchpoint drill-down (``touchpoints_drilldown``): from a touchpoint (CON02 in the demo)
to the sites of the region of the lowest site id, and that site's responses.

The reference reads ``survey_response``, ``touchpoint_score``, ``touchpoint`` and ``stage`` whole. Compared:

- ``site<id>.n`` / ``.gap``: the site level's table, pairs and mean normalised gap (P - E) / range of the
  touchpoint per site of the region (sites without pairs are not rows);
- ``responses.total``: the responses of the chosen site with a score row for the touchpoint, and ``row<i>.id``,
  ``row<i>.p``, ``row<i>.e`` of the first page (50, newest visit first, then highest id).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from bench.reference_base import (
    FigureFn,
    Figures,
    Reader,
    ReferenceFn,
    filter_responses,
    gap_pairs,
    nan_none,
)
from cxdash.filters import Filters
from cxdash.metrics.response_list import PAGE_SIZE  # the page the drill shows
from cxdash.schema import stage, survey_response, touchpoint, touchpoint_score


def drilldown_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """The drill's site table and first response page, the usual way."""
    tps, stages = read.table(touchpoint), read.table(stage)
    if tps.empty:
        return {}
    chosen = tps[tps["code"] == "CON02"]
    tp = (chosen if len(chosen) else tps.sort_values("id")).iloc[0]
    if tp["stage_id"] not in set(stages["id"]):
        return {}
    sr = read.table(survey_response)
    if sr["site_id"].notna().sum() == 0:
        return {}
    first_site = int(sr["site_id"].min())
    region = int(sr.loc[sr["site_id"] == first_site, "region_id"].iloc[0])
    ts = read.table(touchpoint_score)
    ts = ts[ts["touchpoint_id"] == tp["id"]]
    in_region = filter_responses(sr, replace(filters, region_ids=(region,)))
    pairs = gap_pairs(in_region, ts)
    pairs = pairs[pairs["site_id"].notna()]
    out: Figures = {}
    for s, d in pairs.groupby(pairs["site_id"].astype(int))["d"]:
        out.update({f"site{s}.n": float(len(d)), f"site{s}.gap": float(d.mean())})
    at_site = in_region[in_region["site_id"] == first_site].merge(
        ts[["response_id", "p", "e"]].rename(columns={"response_id": "id"}), on="id", how="inner")
    at_site = at_site.assign(day=pd.to_datetime(at_site["visit_date"]))
    page = at_site.sort_values(["day", "id"], ascending=[False, False]).head(PAGE_SIZE)
    out["responses.total"] = float(len(at_site))
    for i, row in enumerate(page.itertuples()):
        out.update({f"row{i}.id": float(row.id), f"row{i}.p": nan_none(row.p), f"row{i}.e": nan_none(row.e)})
    return out


def drilldown_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same figures from the benchmark's drill (:func:`bench.pages.touchpoints_drilldown`: the sites of
    the page's drill-down view) and :func:`response_list` (the list of its responses level) of the site."""
    from bench.pages import touchpoints_drilldown
    from cxdash.metrics.response_list import response_list

    found = touchpoints_drilldown(engine, filters)
    if found is None:
        return {}
    sites = found[0].table
    if sites is None:
        return {}
    responses = response_list(engine, filters, found[1].state.up_to("team"))
    out: Figures = {}
    for row in sites.to_dict("records"):
        out.update({f"site{int(row['key'])}.n": float(row["n"]), f"site{int(row['key'])}.gap": nan_none(row["gap"])})
    out["responses.total"] = float(responses.total)
    for i, row in enumerate(responses.rows.to_dict("records")):
        out.update({f"row{i}.id": float(row["response_id"]), f"row{i}.p": nan_none(row["p"]),
                    f"row{i}.e": nan_none(row["e"])})
    return out


REFERENCES: dict[str, ReferenceFn] = {"touchpoints_drilldown": drilldown_reference}
CXDASH: dict[str, FigureFn] = {"touchpoints_drilldown": drilldown_cxdash}
