"""Effort and loyalty: NPS, detractor share and churn by CES level, contacts needed, transfers and "had to repeat
my story" (issue 5) — the chart that shows whether effortless experiences keep customers.

NPS and detractor share are over the selection's responses at each level (one grouped query over the four
effort answers, added up per dimension), read from an evenly spread sample of at most ``EFFORT_SAMPLE``
responses when the selection is bigger (:mod:`cxdash.metrics.response_sample`; the result says so). Churn is per customer and needs a full window after the experience:
customers of a bounded sample (:mod:`cxdash.metrics.loyalty.customer_features`) are grouped by the effort they reported
before the churn window — their mean CES rounded, the most contacts and transfers they needed, whether they ever
repeated their story — and their churn rate as of A is shown at that level. Levels: CES 1-7, contacts 1, 2, 3+,
transfers 0, 1, 2+, repeated no / yes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, case, literal, select, true

from cxdash.domain.figures import nps_columns
from cxdash.filters import Filters
from cxdash.metrics.differences import Diff, nps_diff
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition, get_definition
from cxdash.metrics.loyalty.churn_model import churn_groups
from cxdash.metrics.loyalty.customer_features import SAMPLE_CUSTOMERS, customer_features
from cxdash.metrics.nps import NpsResult, nps_from_counts, nps_from_row
from cxdash.metrics.response_sample import response_sample
from cxdash.metrics.significance import proportion
from cxdash.schema import survey_response

DIMENSIONS = ("ces", "contacts", "transfers", "repeated")
LEVELS = {"ces": [str(i) for i in range(1, 8)], "contacts": ["1", "2", "3+"], "transfers": ["0", "1", "2+"],
          "repeated": ["no", "yes"]}
COLUMNS = ["dimension", "level", "n", "nps", "nps_ci_low", "nps_ci_high", "detractors", "detractors_ci_low",
           "detractors_ci_high", "churn_n", "churn", "churn_ci_low", "churn_ci_high"]
EFFORT_SAMPLE = 20_000  # responses read at most for NPS by effort level (the n is stated)
sr = survey_response.c


@dataclass(frozen=True)
class EffortLoyalty:
    """NPS, detractors and churn per effort level (:data:`COLUMNS`), with the sizes behind them.

    ``responses``: responses read for NPS (``sampled`` when fewer than the selection's ``total``);
    ``customers``: customers in the churn sample.
    """

    table: pd.DataFrame
    responses: int
    total: int
    sampled: bool
    customers: int


def _level_columns() -> list[Any]:
    """SQL levels of the four effort answers (NULL where unanswered or out of range)."""
    ces = case((sr.ces.between(1, 7), sr.ces), else_=None)
    contacts = case((sr.contacts_needed >= 3, literal("3+")), (sr.contacts_needed == 2, literal("2")),
                    (sr.contacts_needed == 1, literal("1")), else_=None)
    transfers = case((sr.transfers >= 2, literal("2+")), (sr.transfers == 1, literal("1")),
                     (sr.transfers == 0, literal("0")), else_=None)
    repeated = case((sr.repeated_story.is_(true()), literal("yes")), (sr.repeated_story.is_(None), None),
                    else_=literal("no"))
    return [ces.label("ces"), contacts.label("contacts"), transfers.label("transfers"), repeated.label("repeated")]


def effort_nps_counts(engine: Engine, filters: Filters, size: int = EFFORT_SAMPLE) -> tuple[pd.DataFrame, Any]:
    """NPS counts by the combination of the four effort levels (one grouped query over the sample), and the
    :class:`~cxdash.metrics.response_sample.Sample` read."""
    levels = _level_columns()
    with engine.connect() as conn:
        sample = response_sample(conn, filters, size)
        stmt = select(*levels, *nps_columns()).where(sample.where).group_by(*levels)
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    frame = pd.DataFrame(rows, columns=[*DIMENSIONS, "nps_n", "nps_promoters", "nps_detractors"])
    frame["ces"] = frame["ces"].map(lambda v: None if pd.isna(v) else str(int(v)))
    for c in ("nps_n", "nps_promoters", "nps_detractors"):
        frame[c] = pd.to_numeric(frame[c]).fillna(0).astype(int)
    return frame, sample


def _nps_rows(counts: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for dim in DIMENSIONS:
        sums = counts.groupby(dim)[["nps_n", "nps_promoters", "nps_detractors"]].sum()
        for level in LEVELS[dim]:
            if level not in sums.index:
                continue
            n, pro, det = (int(v) for v in sums.loc[level])
            nps = nps_from_counts(pro, n - pro - det, det)
            d = proportion(det, n)
            out.append({"dimension": dim, "level": level, "n": n, "nps": nps.score, "nps_ci_low": nps.ci_low,
                        "nps_ci_high": nps.ci_high, "detractors": d.rate, "detractors_ci_low": d.ci_low,
                        "detractors_ci_high": d.ci_high})
    return out


def effort_loyalty(engine: Engine, filters: Filters, as_of: date | None = None,
                   definition: ChurnDefinition | None = None, size: int = SAMPLE_CUSTOMERS) -> EffortLoyalty:
    """NPS, detractor share and churn per effort level (:data:`COLUMNS`; ``churn_n`` customers per level)."""
    counts, sample = effort_nps_counts(engine, filters)
    nps = pd.DataFrame(_nps_rows(counts))
    read = int(counts["nps_n"].sum()) if len(counts) else 0
    with engine.connect() as conn:
        d = definition or get_definition(conn)
        facts, _ = customer_features(conn, filters, as_of, d, size, parts=("responses",))  # effort only
    churn = churn_groups(facts)
    churn = churn[churn["dimension"].isin(DIMENSIONS)].rename(columns={
        "group": "level", "n": "churn_n", "rate": "churn", "ci_low": "churn_ci_low", "ci_high": "churn_ci_high"})
    if nps.empty:
        return EffortLoyalty(pd.DataFrame(columns=COLUMNS), 0, sample.total, sample.sampled, len(facts))
    out = nps.merge(churn.drop(columns="k"), on=["dimension", "level"], how="left")
    out["churn_n"] = pd.to_numeric(out["churn_n"]).fillna(0).astype(int)
    return EffortLoyalty(out[COLUMNS], read, sample.total, sample.sampled, len(facts))


def easy_vs_hard(engine: Engine, filters: Filters, size: int = EFFORT_SAMPLE) -> tuple[NpsResult, NpsResult, Diff]:
    """NPS of responses with an easy experience (CES 5-7) and a hard one (CES 1-3), and easy minus hard
    (over the same sample as :func:`effort_loyalty`)."""
    easy_cond = sr.ces.between(5, 7)
    hard_cond = sr.ces.between(1, 3)
    group = case((easy_cond, literal("easy")), (hard_cond, literal("hard")), else_=literal("other")).label("g")
    with engine.connect() as conn:
        stmt = select(group, *nps_columns()).where(response_sample(conn, filters, size).where).group_by(group)
        rows = {r._mapping["g"]: nps_from_row(r._mapping) for r in conn.execute(stmt)}
    empty = nps_from_counts(0, 0, 0)
    easy, hard = rows.get("easy", empty), rows.get("hard", empty)
    return easy, hard, nps_diff(easy, hard)
