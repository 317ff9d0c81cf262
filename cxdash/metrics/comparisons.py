"""Where a gap lives: a site or team against the rest of the selection, and units ranked for one touchpoint.

Both rest on the additive touchpoint sums (:func:`cxdash.metrics.experience.gap_sums.touchpoint_sums`): "the rest" is the
selection's sums minus the group's, so no row of another team is ever read for a comparison, and Welch's test
and interval follow from n, sum and sum of squares of each side (:func:`cxdash.metrics.stats.welch`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cxdash.domain.tiers import get_tolerance
from cxdash.filters import Filters
from cxdash.metrics import stats
from cxdash.metrics.experience.gap_sums import touchpoint_sums
from cxdash.metrics.experience.gaps import gap_statistics, touchpoint_catalog
from cxdash.metrics.experience.tier_analysis import group_filters
from cxdash.metrics.org_names import org_names
from cxdash.summaries import TP_MEASURES

UNIT_COLUMNS = {"region": "region_id", "site": "site_id", "team": "team_id", "person": "person_id"}
COMPARE_COLUMNS = [
    "stage_code", "stage_name", "touchpoint_id", "touchpoint_code", "touchpoint_name",
    "n_group", "gap_group", "n_rest", "gap_rest", "diff", "ci_low", "ci_high", "p_value", "significant",
    "low_sample",
]


def _by_touchpoint(sums: pd.DataFrame) -> pd.DataFrame:
    out = sums.copy()
    for m in TP_MEASURES:
        out[m] = pd.to_numeric(out[m], errors="coerce").astype(float).fillna(0.0)
    out["touchpoint_id"] = out["touchpoint_id"].astype(int)
    return out.groupby("touchpoint_id")[list(TP_MEASURES)].sum()


def group_vs_rest(engine: Engine, filters: Filters, by: str, key: int, lang: str = "en") -> pd.DataFrame:
    """Per touchpoint: the group's gap, the rest's gap, their difference with Welch's 95 % CI and p-value.

    ``by`` is "region", "site", "team" or "person"; the group must lie inside the selection. Rows in journey
    order; ``low_sample`` when either side has fewer than 30 pairs; ``significant`` when p < 0.05.
    """
    with engine.connect() as conn:
        tol = get_tolerance(conn)
        cat = touchpoint_catalog(conn, lang)
        total = _by_touchpoint(touchpoint_sums(conn, filters, tol))
        group = _by_touchpoint(touchpoint_sums(conn, group_filters(filters, by, key), tol))
    group = group.reindex(total.index, fill_value=0.0)
    rest = total - group
    counts = ["n", "n_dis", "n_p", "n_imp"]
    rest[counts] = rest[counts].clip(lower=0.0)  # only counts have a floor; sums of differences go negative
    rows = []
    for tp in total.index:
        g, r = group.loc[tp], rest.loc[tp]
        w = stats.welch(g["n"], g["s_d"], g["ss_d"], r["n"], r["s_d"], r["ss_d"])
        rows.append({
            "touchpoint_id": int(tp),
            "n_group": int(g["n"]),
            "gap_group": g["s_d"] / g["n"] if g["n"] else np.nan,
            "n_rest": int(r["n"]),
            "gap_rest": r["s_d"] / r["n"] if r["n"] else np.nan,
            "diff": w.diff,
            "ci_low": w.ci_low,
            "ci_high": w.ci_high,
            "p_value": w.p_value,
            "significant": bool(w.significant),
            "low_sample": bool(min(g["n"], r["n"]) < stats.LOW_SAMPLE),
        })
    table = cat.merge(pd.DataFrame(rows, columns=COMPARE_COLUMNS[2:3] + COMPARE_COLUMNS[5:]),
                      on="touchpoint_id", how="inner")
    return table[COMPARE_COLUMNS].reset_index(drop=True)


def unit_ranking(engine: Engine, filters: Filters, touchpoint_id: int, by: str = "site",
                 lang: str = "en") -> pd.DataFrame:
    """Units (region, site, team or person) for one touchpoint, worst gap first.

    Columns: key, name, n, gap, ci_low, ci_high, p_value, q_value (BH across the units shown), significant
    (q < 0.05), low_sample (n < 30), share_disappointed. Units without pairs are left out.
    """
    col = UNIT_COLUMNS[by]
    with engine.connect() as conn:
        sums = touchpoint_sums(conn, filters, get_tolerance(conn), [col, "touchpoint_id"], touchpoint_ids=[touchpoint_id])
        figures = gap_statistics(sums, keys=(col,))
        figures = figures[figures["n"] > 0].rename(columns={col: "key"})
        figures["key"] = pd.to_numeric(figures["key"], errors="coerce").astype("Int64")
        names = org_names(conn, by, [int(k) for k in figures["key"].tolist() if pd.notna(k)], lang)
    figures["name"] = [names.get(int(k), str(k)) if pd.notna(k) else "" for k in figures["key"]]
    figures["q_value"] = stats.bh_qvalues(figures["p_value"].to_numpy(dtype=float))
    figures["significant"] = (figures["q_value"] < stats.ALPHA).fillna(False).astype(bool)
    figures["low_sample"] = figures["n"] < stats.LOW_SAMPLE
    cols = ["key", "name", "n", "gap", "ci_low", "ci_high", "p_value", "q_value", "significant", "low_sample",
            "share_disappointed"]
    return figures.sort_values(["gap", "n"], ascending=[True, False])[cols].reset_index(drop=True)
