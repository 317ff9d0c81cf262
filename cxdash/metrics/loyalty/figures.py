"""Loyalty figures with their uncertainty: NPS and its groups, CSAT and CES, as cards, trends and breakdowns.

Definitions are those of :mod:`cxdash.metrics.nps` and :mod:`cxdash.metrics.satisfaction` (docs/metrics.md), whose
labelled SQL aggregates this module groups by period or organisation unit, so every figure here is the
overview's figure for the same selection:

- NPS with SE and 95 % interval; promoter, passive and detractor shares with Wilson intervals;
- CSAT (top-2 box) with its Wilson interval; CES mean with its t-interval and the share 5-7.

Every change between consecutive periods of a trend (and against the previous period on the cards) is judged
as in :mod:`cxdash.metrics.significance`: NPS by 1.96 x sqrt(SE1^2 + SE2^2), shares by the two-proportion
z-test, the CES mean by Welch's t-test; ``significant`` False means "within noise". Breakdown rows with fewer
than 30 answers carry ``low_sample``.

Speed: NPS and CSAT come from the response summaries (:func:`cxdash.metrics.experience.tier_analysis.response_sums`), exact
at any size. CES has no summary: it is read from an evenly spread sample of at most ``CES_SAMPLE`` responses of
the selection (:mod:`cxdash.metrics.response_sample`; whole selections below that), and ``ces_sampled`` /
the ``sampled`` column say when; its interval is the sample's, so it stays honest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from cxdash.domain.figures import ces_columns
from cxdash.filters import Filters
from cxdash.metrics.experience.tier_analysis import response_sums
from cxdash.metrics.nps import NpsResult, compare, nps_from_counts
from cxdash.metrics.org_names import org_names
from cxdash.metrics.response_sample import response_sample
from cxdash.metrics.satisfaction import CesResult, ces_from_row
from cxdash.metrics.significance import Change, Proportion, compare_means, compare_proportions, proportion
from cxdash.metrics.stats import LOW_SAMPLE
from cxdash.schema import survey_response
from cxdash.summaries import group_column

PERIODS = ("month", "week")
BREAKDOWNS = {"region": "region_id", "site": "site_id", "team": "team_id", "channel": "channel", "segment": "segment"}
KPIS = ("nps", "promoters", "passives", "detractors", "csat", "ces", "ces_easy")
TREND_COLUMNS = ["period", "kpi", "value", "n", "ci_low", "ci_high", "delta", "threshold", "significant", "sampled"]
BREAKDOWN_COLUMNS = ["key", "name", "n", "nps", "nps_ci_low", "nps_ci_high", "promoters", "passives", "detractors",
                     "csat_n", "csat", "csat_ci_low", "csat_ci_high", "ces_n", "ces", "ces_ci_low", "ces_ci_high",
                     "low_sample"]
CES_SAMPLE = 20_000
COUNTS = ["n_ltr", "promoters", "detractors", "n_csat", "csat_top2"]
CES_SUMS = ["ces_n", "ces_sum", "ces_sumsq", "ces_easy"]


@dataclass(frozen=True)
class LoyaltyFigures:
    """NPS (with its three groups as shares), CSAT and CES of one selection."""

    nps: NpsResult
    promoters: Proportion
    passives: Proportion
    detractors: Proportion
    csat: Proportion
    ces: CesResult
    ces_sampled: bool = False  # the CES figures rest on a sample of the selection (``ces.n`` responses)

    def values(self) -> dict[str, tuple[float | None, int, float | None, float | None]]:
        """(value, n, ci_low, ci_high) per KPI of :data:`KPIS`."""
        easy = proportion(self.ces.easy, self.ces.n)
        out: dict[str, tuple[float | None, int, float | None, float | None]] = {
            "nps": (self.nps.score, self.nps.n, self.nps.ci_low, self.nps.ci_high),
            "ces": (self.ces.mean, self.ces.n, self.ces.ci_low, self.ces.ci_high),
        }
        for name, p in (("promoters", self.promoters), ("passives", self.passives), ("detractors", self.detractors),
                        ("csat", self.csat), ("ces_easy", easy)):
            out[name] = (p.rate, p.n, p.ci_low, p.ci_high)
        return out


@dataclass(frozen=True)
class LoyaltySummary:
    """The cards: this period's figures, the previous period's (None without a date range) and the changes."""

    current: LoyaltyFigures
    previous: LoyaltyFigures | None
    changes: dict[str, Change]
    ces_sampled: bool = False


def _count(row: Mapping[str, Any], key: str) -> float:
    """A summed count, 0 where missing: a period without answers comes back as None or NaN (an outer merge)."""
    v = row.get(key)
    return 0 if v is None or pd.isna(v) else v


def figures_from_sums(row: Mapping[str, Any]) -> LoyaltyFigures:
    """Build :class:`LoyaltyFigures` from summed counts (:data:`COUNTS`) and CES sums (:data:`CES_SUMS`)."""
    n, pro, det = (int(_count(row, k)) for k in ("n_ltr", "promoters", "detractors"))
    nps = nps_from_counts(pro, n - pro - det, det)
    ces = ces_from_row({k: _count(row, k) for k in CES_SUMS})
    return LoyaltyFigures(nps, proportion(pro, n), proportion(n - pro - det, n), proportion(det, n),
                          proportion(int(_count(row, "csat_top2")), int(_count(row, "n_csat"))), ces)


def count_sums(conn: Connection, filters: Filters, keys: list[str]) -> pd.DataFrame:
    """NPS and CSAT counts by ``keys`` (summary group names: month, week, region_id, ...) from the summaries."""
    sums = response_sums(conn, filters, keys)
    if sums.empty:
        return pd.DataFrame(columns=[*keys, *COUNTS])
    if not keys:
        return sums[COUNTS].sum().to_frame().T
    return sums.groupby(keys, dropna=False, as_index=False)[COUNTS].sum()


def ces_sums(conn: Connection, filters: Filters, keys: list[str], size: int = CES_SAMPLE) -> tuple[pd.DataFrame, bool]:
    """CES count, sum, sum of squares and 5-7 count by ``keys`` over a sample of the selection; and whether
    it is a sample."""
    sample = response_sample(conn, filters, size)
    cols = [group_column(survey_response, k, conn.dialect.name) for k in keys]
    stmt = select(*cols, *ces_columns()).where(sample.where)
    if cols:
        stmt = stmt.group_by(*cols)
    frame = pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=[*keys, *CES_SUMS])
    for c in CES_SUMS:
        frame[c] = pd.to_numeric(frame[c]).fillna(0).astype(float)
    return frame, sample.sampled


def _combined(counts: pd.DataFrame, ces: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not keys:
        return pd.concat([counts.reset_index(drop=True), ces.reset_index(drop=True)], axis=1)
    return counts.merge(ces, on=keys, how="outer")


def changes(cur: LoyaltyFigures, prev: LoyaltyFigures) -> dict[str, Change]:
    """Change of every KPI from ``prev`` to ``cur`` with its verdict (see the module docstring)."""
    out = {"nps": compare(cur.nps, prev.nps),
           "ces": compare_means(cur.ces.n, cur.ces.mean, cur.ces.sd, prev.ces.n, prev.ces.mean, prev.ces.sd),
           "ces_easy": compare_proportions(proportion(cur.ces.easy, cur.ces.n), proportion(prev.ces.easy, prev.ces.n))}
    for name in ("promoters", "passives", "detractors", "csat"):
        out[name] = compare_proportions(getattr(cur, name), getattr(prev, name))
    return out


def loyalty_summary(engine: Engine, filters: Filters) -> LoyaltySummary:
    """The figures of the selection and of the period of equal length before it (None without a date range)."""
    prev = filters.previous_period()
    with engine.connect() as conn:
        cur = _figures(conn, filters)
        if prev is None:
            return LoyaltySummary(cur, None, {}, cur.ces_sampled)
        before = _figures(conn, prev)
    return LoyaltySummary(cur, before, changes(cur, before), cur.ces_sampled or before.ces_sampled)


def _figures(conn: Connection, filters: Filters) -> LoyaltyFigures:
    ces, sampled = ces_sums(conn, filters, [])
    row = _combined(count_sums(conn, filters, []), ces, []).iloc[0].to_dict() if len(ces) else {}
    fig = figures_from_sums(row)
    return LoyaltyFigures(fig.nps, fig.promoters, fig.passives, fig.detractors, fig.csat, fig.ces, sampled)


def period_key(period: str) -> str:
    """The summary group name of a trend period.

    Raises:
        ValueError: an unknown period.
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of {PERIODS}")
    return period


def loyalty_trend(engine: Engine, filters: Filters, period: str = "month") -> pd.DataFrame:
    """Every KPI by week or month (:data:`TREND_COLUMNS`), each change from the period before judged.

    ``significant`` is None for a KPI's first period and where either period has no answers.
    """
    key = period_key(period)
    with engine.connect() as conn:
        ces, sampled = ces_sums(conn, filters, [key])
        both = _combined(count_sums(conn, filters, [key]), ces, [key]).sort_values(key)
    rows = [(str(r[key]), figures_from_sums(r)) for r in both.to_dict(orient="records")]
    out: list[dict[str, Any]] = []
    for i, (name, fig) in enumerate(rows):
        change = changes(fig, rows[i - 1][1]) if i else {}
        for kpi, (value, n, low, high) in fig.values().items():
            c = change.get(kpi)
            out.append({"period": name, "kpi": kpi, "value": value, "n": n, "ci_low": low, "ci_high": high,
                        "delta": c.delta if c else None, "threshold": c.threshold if c else None,
                        "significant": c.significant if c else None, "sampled": sampled and kpi.startswith("ces")})
    frame = pd.DataFrame(out, columns=TREND_COLUMNS)
    for col in ("value", "ci_low", "ci_high", "delta", "threshold"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    order = frame["kpi"].map({k: i for i, k in enumerate(KPIS)})
    return frame.assign(_o=order).sort_values(["_o", "period"], kind="stable").drop(columns="_o") \
        .reset_index(drop=True)


def loyalty_breakdown(engine: Engine, filters: Filters, by: str, lang: str = "en") -> pd.DataFrame:
    """NPS, its groups, CSAT and CES per region, site, team, channel or segment (:data:`BREAKDOWN_COLUMNS`),
    sorted by NPS (lowest first); ``n`` counts the likelihood-to-recommend answers.

    Raises:
        ValueError: an unknown breakdown.
    """
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}; use one of {tuple(BREAKDOWNS)}")
    key = BREAKDOWNS[by]
    with engine.connect() as conn:
        ces, _ = ces_sums(conn, filters, [key])
        both = _combined(count_sums(conn, filters, [key]), ces, [key])
        rows = [{**r, "key": None if pd.isna(r[key]) else r[key]} for r in both.to_dict(orient="records")]
        names = org_names(conn, by, [r["key"] for r in rows], lang)
    out = []
    for r in rows:
        fig = figures_from_sums(r)
        out.append({
            "key": r["key"], "name": names.get(r["key"], "—" if r["key"] is None else str(r["key"])),
            "n": fig.nps.n, "nps": fig.nps.score, "nps_ci_low": fig.nps.ci_low, "nps_ci_high": fig.nps.ci_high,
            "promoters": fig.promoters.rate, "passives": fig.passives.rate, "detractors": fig.detractors.rate,
            "csat_n": fig.csat.n, "csat": fig.csat.rate, "csat_ci_low": fig.csat.ci_low, "csat_ci_high": fig.csat.ci_high,
            "ces_n": fig.ces.n, "ces": fig.ces.mean, "ces_ci_low": fig.ces.ci_low, "ces_ci_high": fig.ces.ci_high,
            "low_sample": min(fig.nps.n, fig.csat.n or fig.nps.n) < LOW_SAMPLE,
        })
    frame = pd.DataFrame(out, columns=BREAKDOWN_COLUMNS)
    for c in BREAKDOWN_COLUMNS[3:-1]:
        if c not in ("csat_n", "ces_n"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return frame.sort_values("nps", na_position="last", kind="stable").reset_index(drop=True)
