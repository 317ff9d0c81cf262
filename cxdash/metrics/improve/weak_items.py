"""Weak inspection items (docs/metrics.md) and whether the checklist measures what customers feel.

Weakness of a checklist item = (10 - mean score) / 10 x importance of its touchpoint, with importance normalised
to 0-1 by dividing by the largest touchpoint importance. Importance comes from the drivers
(:mod:`cxdash.metrics.experience.importance`, through the gap table): stated where surveys ask it, else relative weights;
touchpoints without a weight get the mean weight, and with no weights at all every touchpoint weighs the same.
Beside each item stands the survey gap of its touchpoint (:func:`cxdash.metrics.experience.gaps.gap_table`).

The correlation across sites pairs each site's mean inspection score with its customers' mean touchpoint gap
(P - E on the 0-1 scale) over the touchpoints the checklist covers; Pearson's r and Spearman's rho with their
p-values say whether sites that score well on the checklist also satisfy their customers.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from sqlalchemy import Engine, func, select

from cxdash.domain.tiers import get_tolerance
from cxdash.filters import Filters
from cxdash.i18n import localized
from cxdash.improve.inspection_results import inspection_where
from cxdash.metrics.experience.gap_sums import touchpoint_sums
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.org_names import org_names
from cxdash.metrics.stats import LOW_SAMPLE
from cxdash.schema import checklist_item, inspection

MIN_SITES = 3

WEAK_COLUMNS = [
    "item_id", "item_code", "touchpoint_id", "touchpoint_code", "touchpoint_name", "pain_point", "standard", "n",
    "sites", "mean_score", "importance", "importance_norm", "importance_source", "weakness", "gap", "gap_n",
    "gap_ci_low", "gap_ci_high", "gap_significant", "low_sample",
]


def normalise_importance(raw: pd.Series) -> tuple[pd.Series, str]:
    """Scale importance to 0-1 (largest = 1); missing weights get the mean; none at all -> equal weights."""
    values = pd.to_numeric(raw, errors="coerce").clip(lower=0)
    if values.notna().sum() == 0 or not (values.max() > 0):
        return pd.Series(1.0, index=raw.index), "equal"
    filled = values.fillna(values.mean())
    return filled / filled.max(), "drivers"


def _item_scores(engine: Engine, filters: Filters) -> pd.DataFrame:
    i = inspection.c
    agg = (
        select(i.item_id, func.count(i.id).label("n"), func.count(func.distinct(i.site_id)).label("sites"),
               func.avg(i.score).label("mean_score"))
        .where(inspection_where(filters))
        .group_by(i.item_id)
        .subquery("agg")
    )
    stmt = (
        select(
            checklist_item.c.id.label("item_id"), checklist_item.c.code.label("item_code"),
            checklist_item.c.touchpoint_id, checklist_item.c.pain_point, checklist_item.c.standard,
            agg.c.n, agg.c.sites, agg.c.mean_score,
        )
        .join(agg, agg.c.item_id == checklist_item.c.id)
        .where(checklist_item.c.active.is_(True))
    )
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=[c.name for c in stmt.selected_columns])


def weak_items(engine: Engine, filters: Filters, lang: str = "en") -> pd.DataFrame:
    """Checklist items with scores in the selection, weakest first (columns :data:`WEAK_COLUMNS`).

    ``gap`` and its CI are the touchpoint's survey gap in the same selection; ``importance_source`` is
    "drivers" when weights came from the drivers, "equal" when every touchpoint weighs the same.
    """
    items = _item_scores(engine, filters)
    if items.empty:
        return pd.DataFrame(columns=WEAK_COLUMNS)
    # The gap's n is its pairs (a P-only touchpoint's n counts answers, but it has no gap).
    gaps = gap_table(engine, filters, lang, with_points=False).drop(columns="n").rename(
        columns={"n_pairs": "gap_n", "ci_low": "gap_ci_low", "ci_high": "gap_ci_high", "significant": "gap_significant"}
    )
    gaps["importance_norm"], source = normalise_importance(gaps["importance"])
    gaps["importance_source"] = source
    keep = ["touchpoint_id", "touchpoint_code", "touchpoint_name", "importance", "importance_norm",
            "importance_source", "gap", "gap_n", "gap_ci_low", "gap_ci_high", "gap_significant"]
    table = items.merge(gaps[keep], on="touchpoint_id", how="left")
    table["pain_point"] = [localized(v, lang) for v in table["pain_point"]]
    table["standard"] = [localized(v, lang) for v in table["standard"]]
    table["mean_score"] = table["mean_score"].astype(float)
    table["weakness"] = (10.0 - table["mean_score"]) / 10.0 * table["importance_norm"].astype(float)
    table["low_sample"] = table["n"] < LOW_SAMPLE
    table = table.sort_values(["weakness", "mean_score"], ascending=[False, True], kind="stable")
    return table[WEAK_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class SiteCorrelation:
    """Per-site pairs (site_id, site_name, mean_score, n_scores, gap, n_gaps) and their correlation."""

    pairs: pd.DataFrame
    n_sites: int
    pearson_r: float
    pearson_p: float
    spearman_rho: float
    spearman_p: float


def _site_scores(engine: Engine, filters: Filters, touchpoint_id: int | None) -> pd.DataFrame:
    i = inspection.c
    stmt = (
        select(i.site_id, func.avg(i.score).label("mean_score"), func.count().label("n_scores"))
        .join(checklist_item, checklist_item.c.id == i.item_id)
        .where(inspection_where(filters))
        .group_by(i.site_id)
    )
    if touchpoint_id is not None:
        stmt = stmt.where(checklist_item.c.touchpoint_id == touchpoint_id)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).all(), columns=["site_id", "mean_score", "n_scores"])


def _site_gaps(engine: Engine, filters: Filters, touchpoint_id: int | None) -> pd.DataFrame:
    """Mean normalised gap per site over the touchpoints the checklist covers (or one), from the gap sums."""
    with engine.connect() as conn:
        covered = (
            [touchpoint_id] if touchpoint_id is not None
            else sorted(set(conn.execute(select(checklist_item.c.touchpoint_id)
                                         .where(checklist_item.c.active.is_(True))).scalars()))
        )
        if not covered:
            return pd.DataFrame({"site_id": pd.Series(dtype=int), "gap": pd.Series(dtype=float),
                                 "n_gaps": pd.Series(dtype=int)})
        per_site = touchpoint_sums(conn, filters, get_tolerance(conn), ("site_id",), touchpoint_ids=covered,
                                   measures=("n", "s_d"))
    per_site = per_site[per_site["site_id"].notna() & (per_site["n"] > 0)]
    return pd.DataFrame({"site_id": per_site["site_id"].astype(int), "gap": per_site["s_d"] / per_site["n"],
                         "n_gaps": per_site["n"].astype(int)})


def correlate(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """Pearson r, its p-value, Spearman rho, its p-value; NaN below 3 pairs or for a constant variable."""
    if len(x) < MIN_SITES or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan, math.nan, math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pr = sps.pearsonr(x, y)
        sr = sps.spearmanr(x, y)
    return float(pr.statistic), float(pr.pvalue), float(sr.statistic), float(sr.pvalue)


def site_correlation(engine: Engine, filters: Filters, touchpoint_id: int | None = None, lang: str = "en"
                     ) -> SiteCorrelation:
    """Correlation across sites of the mean inspection score and the customers' mean gap (optionally for one
    touchpoint); only sites with both figures count. Sites are named in ``lang``."""
    pairs = _site_scores(engine, filters, touchpoint_id).merge(
        _site_gaps(engine, filters, touchpoint_id), on="site_id", how="inner"
    )
    with engine.connect() as conn:
        names = org_names(conn, "site", pairs["site_id"].tolist(), lang)
    pairs.insert(1, "site_name", [names.get(int(s), str(s)) for s in pairs["site_id"]])
    pairs = pairs.astype({"mean_score": float, "gap": float}).sort_values("site_name").reset_index(drop=True)
    r, rp, rho, sp = correlate(pairs["mean_score"].to_numpy(), pairs["gap"].to_numpy())
    return SiteCorrelation(pairs, len(pairs), r, rp, rho, sp)
