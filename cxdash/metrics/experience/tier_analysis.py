"""Satisfaction tiers of a selection: trend, breakdowns, chi-square comparisons in words (docs/metrics.md).

Tier counts come from ``response_summary`` where it covers the selection (:mod:`cxdash.summaries`), else from
the responses. "No tier" (no expectation answered) is always its own category, never dropped. The comparison of
a group with the rest subtracts the group's counts from the selection's, so "the rest" is only ever aggregates.
The tolerance setting and the recomputation of stored tiers live in :mod:`cxdash.metrics.experience.tier_settings`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, func, select
from sqlalchemy.engine import Connection

from cxdash.domain.frames import rows_frame
from cxdash.domain.tiers import TIER_NAMES, tier_name
from cxdash.filters import Filters, response_where
from cxdash.i18n import t
from cxdash.metrics import stats
from cxdash.metrics.org_names import org_names
from cxdash.schema import response_summary, survey_response
from cxdash.summaries import RESPONSE_MEASURES, additive_sums, group_column

BREAKDOWNS = {"region": "region_id", "site": "site_id", "team": "team_id", "channel": "channel", "segment": "segment"}


def raw_response_sums(conn: Connection, filters: Filters, group_by: Sequence[str]) -> pd.DataFrame:
    """``RESPONSE_MEASURES`` by ``group_by`` and tier from the survey responses themselves."""
    sr = survey_response.c
    keys = [group_column(survey_response, g, conn.dialect.name) for g in group_by] + [sr.tier]

    def count_if(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    stmt = (
        select(*keys, func.count(), func.count(sr.ltr), count_if(sr.ltr >= 9), count_if(sr.ltr <= 6),
               func.count(sr.csat), count_if(sr.csat >= 4))
        .where(response_where(filters))
        .group_by(*keys)
    )
    return rows_frame(conn.execute(stmt), [*group_by, "tier", *RESPONSE_MEASURES])


def response_sums(conn: Connection, filters: Filters, group_by: Sequence[str] = ()) -> pd.DataFrame:
    """Response counts (n, NPS groups, CSAT top-2) by ``group_by`` and tier, summaries first."""
    keys = [*group_by, "tier"]
    if "person_id" in group_by:
        out = raw_response_sums(conn, filters, group_by)
    else:
        out = additive_sums(
            conn, filters, response_summary, RESPONSE_MEASURES, keys,
            lambda f: raw_response_sums(conn, f, group_by), by_day="week" in group_by,
        )
    out["tier"] = [tier_name(v) for v in out["tier"]]
    return out


def _wide(sums: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Counts per tier as columns (one row per group) plus n and the shares."""
    if sums.empty:
        cols = [*keys, *TIER_NAMES, "n", *[f"share_{x}" for x in TIER_NAMES]]
        return pd.DataFrame(columns=cols)
    if keys:  # groupby + unstack keeps groups whose key is missing (a response without channel), pivot drops them
        table = sums.groupby([*keys, "tier"], dropna=False)["n"].sum().unstack("tier", fill_value=0)
    else:
        table = sums.groupby("tier")["n"].sum().to_frame().T
    table = table.reindex(columns=list(TIER_NAMES), fill_value=0).fillna(0).astype(int)
    table.columns.name = None
    table["n"] = table[list(TIER_NAMES)].sum(axis=1)
    for x in TIER_NAMES:
        table[f"share_{x}"] = table[x] / table["n"].where(table["n"] > 0)
    return table.reset_index() if keys else table.reset_index(drop=True)


def tier_counts(engine: Engine, filters: Filters) -> dict[str, int]:
    """Responses per tier (disappointed, basic, delighted, none) in the selection."""
    with engine.connect() as conn:
        sums = response_sums(conn, filters)
    by = sums.groupby("tier")["n"].sum()
    return {x: int(by.get(x, 0)) for x in TIER_NAMES}


def tier_trend(engine: Engine, filters: Filters, period: str = "month") -> pd.DataFrame:
    """Tier shares per ``period`` ("month" or "week"): columns period, tier, n (that tier), total, share."""
    if period not in ("month", "week"):
        raise ValueError("period must be 'month' or 'week'")
    with engine.connect() as conn:
        sums = response_sums(conn, filters, [period])
    if sums.empty:
        return pd.DataFrame(columns=["period", "tier", "n", "total", "share"])
    long = sums.groupby([period, "tier"], as_index=False)["n"].sum().rename(columns={period: "period"})
    long["total"] = long.groupby("period")["n"].transform("sum")
    long["share"] = long["n"] / long["total"]
    long["tier"] = pd.Categorical(long["tier"], categories=list(TIER_NAMES), ordered=True)
    return long.sort_values(["period", "tier"]).reset_index(drop=True).astype({"tier": str})


def tier_breakdown(engine: Engine, filters: Filters, by: str = "site", lang: str = "en") -> pd.DataFrame:
    """Tier counts and shares per region, site, team, channel or segment, most disappointed first.

    Columns: key, name, the four tier counts, n, share_<tier>, low_sample (n < 30).
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}")
    col = BREAKDOWNS[by]
    with engine.connect() as conn:
        sums = response_sums(conn, filters, [col])
        wide = _wide(sums, [col]).rename(columns={col: "key"})
        names = org_names(conn, by, [k for k in wide["key"].tolist() if k is not None], lang)
    wide["name"] = [names.get(k, str(k)) if k is not None and k == k else t("experience.unknown", lang)
                    for k in wide["key"]]
    wide["low_sample"] = wide["n"] < stats.LOW_SAMPLE
    wide = wide.sort_values(["share_disappointed", "n"], ascending=[False, False], na_position="last")
    return wide[["key", "name", *TIER_NAMES, "n", *[f"share_{x}" for x in TIER_NAMES], "low_sample"]].reset_index(drop=True)


@dataclass(frozen=True)
class TierComparison:
    """Tier mix of two groups (a = the focus, b = the reference), the chi-square test and a sentence."""

    counts_a: dict[str, int]
    counts_b: dict[str, int]
    chi: stats.ChiSquare
    tier: str  # the tier whose share moved most
    share_a: float | None
    share_b: float | None
    significant: bool
    sentence: str


def _shares(counts: dict[str, int]) -> dict[str, float | None]:
    total = sum(counts.values())
    return {x: (counts[x] / total if total else None) for x in TIER_NAMES}


def compare_counts(counts_a: dict[str, int], counts_b: dict[str, int], lang: str = "en",
                   kind: str = "period", group: str = "") -> TierComparison:
    """Chi-square test of the tier mix of ``a`` against ``b`` and a sentence in ``lang`` about the tier that
    moved most ("the share of disappointed customers rose from 18 % to 24 %, significant").

    ``kind`` "period": a is the current period, b the previous; "group": a is ``group``, b the rest.
    """
    chi = stats.chi_square([[counts_a[x] for x in TIER_NAMES], [counts_b[x] for x in TIER_NAMES]])
    sa, sb = _shares(counts_a), _shares(counts_b)
    diffs = {x: abs((sa[x] or 0) - (sb[x] or 0)) for x in TIER_NAMES}
    tier = max(TIER_NAMES, key=lambda x: (diffs[x], x == "disappointed"))
    significant = bool(chi.p_value < stats.ALPHA) if not math.isnan(chi.p_value) else False
    sentence = _sentence(lang, kind, tier, sa[tier], sb[tier], chi, significant, group)
    return TierComparison(counts_a, counts_b, chi, tier, sa[tier], sb[tier], significant, sentence)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f} %"


def _sentence(lang: str, kind: str, tier: str, a: float | None, b: float | None, chi: stats.ChiSquare,
              significant: bool, group: str) -> str:
    if a is None or b is None or math.isnan(chi.p_value):
        return t("experience.compare_not_enough", lang)
    verdict = t("experience.significant" if significant else "experience.within_noise", lang,
                p="< 0.001" if chi.p_value < 0.001 else f"= {chi.p_value:.3f}")  # never "p = 0.000"
    label = t(f"common.tier.{tier}", lang)
    if kind == "group":
        return t("experience.compare_group_sentence", lang, tier=label, group=group, a=_pct(a), b=_pct(b),
                 verdict=verdict)
    move = "rose" if round(a, 2) > round(b, 2) else "fell" if round(a, 2) < round(b, 2) else "same"
    return t(f"experience.compare_period_{move}", lang, tier=label, a=_pct(a), b=_pct(b), verdict=verdict)


def compare_previous(engine: Engine, filters: Filters, lang: str = "en") -> TierComparison | None:
    """The tier mix of the selected period against the period of equal length before it (None without dates)."""
    prev = filters.previous_period()
    if prev is None:
        return None
    return compare_counts(tier_counts(engine, filters), tier_counts(engine, prev), lang, "period")


GROUP_FIELDS = {"region": "region_ids", "site": "site_ids", "team": "team_ids", "person": "person_ids",
                "channel": "channels", "segment": "segments"}


def group_filters(filters: Filters, by: str, key: Any) -> Filters:
    """The selection narrowed to one region, site, team, person, channel or segment.

    Raises:
        ValueError: the group lies outside the selection's own list for that field.
    """
    field = GROUP_FIELDS[by]
    current = getattr(filters, field)
    if current and key not in current:
        raise ValueError(f"{by} {key!r} is outside the selection")
    narrowed: dict[str, Any] = {field: (key,)}
    return replace(filters, **narrowed)


def compare_group(engine: Engine, filters: Filters, by: str, key: Any, lang: str = "en",
                  label: str = "") -> TierComparison:
    """The tier mix of one group against the rest of the selection (rest = selection minus group, as counts)."""
    total = tier_counts(engine, filters)
    group = tier_counts(engine, group_filters(filters, by, key))
    rest = {x: max(total[x] - group[x], 0) for x in TIER_NAMES}
    return compare_counts(group, rest, lang, "group", label or str(key))
