"""Demo survey responses: visits over two years, P and E per touchpoint, overall scores, loyalty and effort.

The score model, in points of the 1-10 scale, per response i and touchpoint j:

    gap_ij = baseline_j x (1 - shrink x t) + trend x t + season(day) + site and advisor effects
             + plan improvements + mood_i + noise_ij
    E_ij = round(7.7 + customer expectation + noise);  P_ij = clip(round(E_ij + gap_ij), 1, 10)

The overall disconfirmation follows the touchpoint gaps (the decisive ones weigh more); likelihood to recommend
follows the overall disconfirmation, the decisive touchpoints' P, effort (contacts, transfers, repeating the
story, CES) and SLA breaches of the customer's tickets; CSAT follows the same. Tiers and ``gap_norm`` come
from :func:`cxdash.domain.tiers.classify`, exactly as imports compute them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxdash.bulk import date_strings, datetime_strings
from cxdash.demo import structure as st
from cxdash.demo.comments import make_comments
from cxdash.demo.organisation import Org, pick_child
from cxdash.demo.timeline import Timeline
from cxdash.domain.tiers import classify

CHANNELS = ("visit", "phone", "online")
CHANNEL_SHARE = (0.5, 0.2, 0.3)
CHUNK = 100_000
SCALE = st.TP_MAX - st.TP_MIN


@dataclass
class Context:
    """What the score model needs besides the responses themselves."""

    codes: list[str]
    org: Org
    timeline: Timeline
    improvements: Sequence[st.Improvement]
    site_offset: np.ndarray  # small random offset per site (points)
    baseline: np.ndarray = field(init=False)
    weak: np.ndarray = field(init=False)
    decisive: np.ndarray = field(init=False)
    rates: np.ndarray = field(init=False)
    e_offset: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.baseline = st.baseline_gaps(self.codes)
        self.weak = np.array([c in st.WEAK_TOUCHPOINTS for c in self.codes], dtype=float)
        self.decisive = np.array([c in st.DECISIVE_TOUCHPOINTS for c in self.codes])
        self.rates = st.answer_rates(self.codes)
        self.e_offset = np.random.default_rng(7).normal(0.0, 0.25, len(self.codes))


@dataclass
class Responses:
    """All responses as columns (positions into the organisation and the customer pool)."""

    day: np.ndarray
    site: np.ndarray
    team: np.ndarray
    advisor: np.ndarray
    channel: np.ndarray
    customer: np.ndarray
    delay: np.ndarray  # minutes from 00:00 UTC of the visit date to the answer
    p: np.ndarray = field(init=False)  # n x T int8, 0 = not answered
    e: np.ndarray = field(init=False)  # n x T int8, 0 = not asked
    cols: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.p = np.zeros((len(self.day), 0), dtype=np.int8)
        self.e = np.zeros((len(self.day), 0), dtype=np.int8)

    def __len__(self) -> int:
        return len(self.day)


def generate(rng: np.random.Generator, org: Org, n: int, timeline: Timeline) -> Responses:
    """Draw ``n`` visits (day, site, team, advisor, channel), sorted by day; customers come later."""
    day = timeline.sample_days(rng, n, (1, 1, 1, 1, 1, 1.15, 0.6))
    site = rng.choice(len(org.site_ids), size=n, p=org.site_weight)
    team = pick_child(rng, org.team_site, site)
    advisor = pick_child(rng, org.advisor_team, team)
    channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARE)
    # Answered 0-3 days after the visit, between 08:00 and 23:00 Shanghai time (UTC+8).
    delay = rng.integers(0, 4, n) * 1440 + rng.integers(8 * 60, 23 * 60, n) - 8 * 60
    return Responses(day, site, team, advisor, channel, np.full(n, -1, dtype=np.int64), delay)


def allocate_scores(r: Responses, n_tp: int) -> None:
    """Create the score matrices and result columns before the two years are scored."""
    n = len(r)
    r.p = np.zeros((n, n_tp), dtype=np.int8)
    r.e = np.zeros((n, n_tp), dtype=np.int8)
    for name in ("overall_p", "overall_e", "gap_norm"):
        r.cols[name] = np.full(n, np.nan)
    for name in ("ltr", "csat", "ces", "contacts", "transfers", "repeated", "tier"):
        r.cols[name] = np.full(n, -1, dtype=np.int8)
    r.cols["comment"] = np.full(n, None, dtype=object)
    r.cols["comment_lang"] = np.full(n, None, dtype=object)


def score(
    rng: np.random.Generator, r: Responses, rows: np.ndarray, ctx: Context, expectation: np.ndarray, breached: np.ndarray
) -> None:
    """Score the responses at positions ``rows`` (chunked), given each one's customer expectation offset and
    whether the customer had a breached ticket."""
    for lo in range(0, len(rows), CHUNK):
        idx = rows[lo:lo + CHUNK]
        _score_chunk(rng, r, idx, ctx, expectation[lo:lo + CHUNK], breached[lo:lo + CHUNK])


def _gap_means(r: Responses, idx: np.ndarray, ctx: Context) -> np.ndarray:
    day = r.day[idx]
    t = ctx.timeline.progress(day)[:, None]
    site, team = r.site[idx], r.team[idx]
    weak_site = ctx.org.site_weak[site][:, None]
    weak_adv = ctx.org.advisor_weak[r.advisor[idx]][:, None]
    g = ctx.baseline * (1 - st.TREND_SHRINK * t * ctx.weak) + st.TREND_ALL * (t - 0.5)
    g = g + st.seasonality(ctx.timeline.day_of_year(day))[:, None] + ctx.site_offset[site][:, None]
    g = g + weak_site * (st.WEAK_SITE_ALL + st.WEAK_SITE_WEAK_TP * ctx.weak)
    g = g + weak_adv * st.WEAK_ADVISOR * (1 + ctx.weak)
    for imp in ctx.improvements:
        hit = (site == imp.site) & (day > imp.from_day) & ((imp.team < 0) | (team == imp.team))
        g[hit, imp.tp] += imp.effect
    return g


def _score_chunk(
    rng: np.random.Generator, r: Responses, idx: np.ndarray, ctx: Context, expect: np.ndarray, breach: np.ndarray
) -> None:
    m, n_tp = len(idx), len(ctx.codes)
    gap = _gap_means(r, idx, ctx) + rng.normal(0, 0.5, (m, 1)) + rng.normal(0, 1.0, (m, n_tp))
    e_lat = st.EXPECTATION_MEAN + ctx.e_offset + expect[:, None] + rng.normal(0, 0.7, (m, n_tp))
    e = np.clip(np.rint(e_lat), st.TP_MIN, st.TP_MAX)
    p = np.clip(np.rint(e + gap), st.TP_MIN, st.TP_MAX)
    answered = rng.random((m, n_tp)) < ctx.rates
    answered[np.arange(m), rng.integers(0, n_tp, m)] = True  # every response answers something
    has_e = rng.random(m) >= st.SHARE_WITHOUT_E
    diff = np.where(answered, p - e, np.nan)

    w = np.where(answered, np.where(ctx.decisive, 2.5, 1.0), 0.0)
    d_lat = np.nansum(np.nan_to_num(diff) * w, axis=1) / w.sum(axis=1)
    o_e = np.clip(np.rint(st.EXPECTATION_MEAN + expect + rng.normal(0, 0.6, m)), st.TP_MIN, st.TP_MAX)
    o_p = np.clip(np.rint(o_e + 1.1 * d_lat + 0.55 + rng.normal(0, 0.5, m)), st.TP_MIN, st.TP_MAX)

    weak_site = ctx.org.site_weak[r.site[idx]]
    eff = rng.normal(0, 1, m) + 0.45 * weak_site + 0.35 * breach
    contacts = 1 + np.minimum(rng.poisson(0.3 * np.exp(0.55 * eff)), 4)
    transfers = np.minimum(rng.poisson(0.15 * np.exp(0.7 * eff)), 3)
    repeated = rng.random(m) < st.sigmoid(-1.8 + 1.1 * eff)
    ces = np.clip(np.rint(5.6 - 0.75 * eff - 0.3 * (contacts - 1) - 0.3 * transfers + rng.normal(0, 0.7, m)), 1, 7)

    # The decisive touchpoints' perceived scores, centred on their usual level, move loyalty directly.
    dec = np.where(answered & ctx.decisive, p - st.EXPECTATION_MEAN - ctx.baseline, 0.0).sum(axis=1)
    ltr_lat = (8.95 + 0.5 * (o_p - o_e) + 0.25 * dec - 0.4 * (contacts - 1) - 0.45 * transfers - 0.6 * repeated
               + 0.3 * (ces - 5.5) - 1.3 * breach + rng.normal(0, 1.0, m))
    ltr = np.clip(np.rint(ltr_lat), 0, 10)
    csat_lat = 4.05 + 0.35 * (o_p - o_e) + 0.25 * (ltr_lat - 8.2) - 0.3 * breach + rng.normal(0, 0.55, m)
    csat = np.clip(np.rint(csat_lat), 1, 5)

    o_e_stored = np.where(has_e, o_e, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without E: an all-NaN mean is the intended NaN
        tp_mean = pd.Series(np.nanmean(np.where(has_e[:, None], diff, np.nan), axis=1) / SCALE)
    ones = pd.Series(np.ones(m))
    tier, gap_norm = classify(pd.Series([None] * m, dtype=object), pd.Series(o_p), pd.Series(o_e_stored),
                              ones * st.TP_MIN, ones * st.TP_MAX, tp_mean)
    tier_arr = tier.fillna(-1).to_numpy(dtype=np.int8)

    c = r.cols
    for name, values in (("overall_p", o_p), ("overall_e", o_e_stored), ("gap_norm", gap_norm.to_numpy(float)),
                         ("ltr", ltr), ("csat", csat), ("ces", ces), ("contacts", contacts),
                         ("transfers", transfers), ("repeated", repeated), ("tier", tier_arr)):
        c[name][idx] = values
    r.p[idx] = np.where(answered, p, 0)
    r.e[idx] = np.where(answered & has_e[:, None], e, 0)

    felt = np.where(answered, np.where(has_e[:, None], p - e, p - st.EXPECTATION_MEAN), np.nan)
    codes = np.array(ctx.codes, dtype=object)
    worst = codes[np.nanargmin(felt, axis=1)]
    best = codes[np.nanargmax(felt, axis=1)]
    high_effort = (contacts >= 3) | (transfers >= 2) | (repeated & (ces <= 3))
    c["comment"][idx], c["comment_lang"][idx] = make_comments(rng, tier_arr, worst, best, high_effort)


def effort_score(r: Responses, idx: np.ndarray) -> np.ndarray:
    """A per-response effort index for the churn model (0 = effortless)."""
    c = r.cols
    return ((c["contacts"][idx] - 1) + c["transfers"][idx] + c["repeated"][idx]
            + np.maximum(0, 5 - c["ces"][idx]) / 2).astype(float)


def _nullable(values: np.ndarray, missing: np.ndarray) -> list[Any]:
    out = values.astype(object)
    out[missing] = None
    return out.tolist()


def response_rows(r: Responses, ids: np.ndarray, lookups: dict[str, Any], lo: int, hi: int) -> Iterator[tuple]:
    """Rows for ``survey_response`` (see :data:`RESPONSE_COLUMNS`) of positions ``lo:hi``."""
    sl = slice(lo, hi)
    c = r.cols
    org: Org = lookups["org"]
    tl: Timeline = lookups["timeline"]
    day = r.day[sl]
    visit = tl.start64 + day.astype("timedelta64[D]")
    answered_min = r.delay[sl].astype("timedelta64[m]")
    responded = np.minimum(visit.astype("datetime64[m]") + answered_min, tl.as_of)
    n = hi - lo
    cust = r.customer[sl]
    seg = lookups["segment"][cust]
    tier = c["tier"][sl]
    yield from zip(
        ids[sl].tolist(), ["demo"] * n, [f"DEMO-R{i}" for i in ids[sl].tolist()], lookups["customer_id"][cust].tolist(),
        org.site_region[r.site[sl]].tolist(), org.site_ids[r.site[sl]].tolist(), org.team_ids[r.team[sl]].tolist(),
        org.advisor_ids[r.advisor[sl]].tolist(), seg.tolist(), np.array(CHANNELS, dtype=object)[r.channel[sl]].tolist(),
        date_strings(visit), datetime_strings(responded), c["overall_p"][sl].tolist(),
        _nullable(c["overall_e"][sl], np.isnan(c["overall_e"][sl])), [st.TP_MIN] * n, [st.TP_MAX] * n,
        [st.TP_MIN] * n, [st.TP_MAX] * n, c["ltr"][sl].tolist(), c["csat"][sl].tolist(), c["ces"][sl].tolist(),
        c["contacts"][sl].tolist(), c["transfers"][sl].tolist(), c["repeated"][sl].astype(bool).tolist(),
        c["comment"][sl].tolist(), c["comment_lang"][sl].tolist(), _nullable(tier, tier < 0),
        _nullable(c["gap_norm"][sl], np.isnan(c["gap_norm"][sl])), strict=True,
    )


RESPONSE_COLUMNS = [
    "id", "source", "external_id", "customer_id", "region_id", "site_id", "team_id", "person_id", "segment",
    "channel", "visit_date", "responded_at", "overall_p", "overall_e", "overall_scale_min", "overall_scale_max",
    "tp_scale_min", "tp_scale_max", "ltr", "csat", "ces", "contacts_needed", "transfers", "repeated_story",
    "comment", "comment_lang", "tier", "gap_norm",
]
SCORE_COLUMNS = ["response_id", "touchpoint_id", "p", "e"]


def score_rows(r: Responses, ids: np.ndarray, tp_ids: np.ndarray, lo: int, hi: int) -> Iterator[tuple]:
    """Rows for ``touchpoint_score`` (response id, touchpoint id, P, E or None) of positions ``lo:hi``."""
    p = r.p[lo:hi]
    rows, cols = np.nonzero(p)
    e = r.e[lo:hi][rows, cols]
    yield from zip(ids[lo:hi][rows].tolist(), tp_ids[cols].tolist(), p[rows, cols].astype(float).tolist(),
                   _nullable(e.astype(float), e == 0), strict=True)


def center_unplanted(rng: np.random.Generator, r: Responses, ctx: Context) -> None:
    """Move a few P scores by one point so each unplanted touchpoint's mean gap is zero up to sampling noise.

    Weak sites, advisors and clipping at the scale's ends would otherwise leave every touchpoint a small but,
    at tens of thousands of responses, "significant" shortfall; the story is that only the planted ones have one.
    The residual mean is drawn from its own sampling distribution, so p-values of these touchpoints look natural.
    """
    for j in np.flatnonzero(~st.planted(ctx.codes)):
        p, e = r.p[:, j], r.e[:, j]
        paired = (p > 0) & (e > 0)
        n = int(paired.sum())
        if n < 2:
            continue
        diff = p[paired].astype(float) - e[paired]
        target = n * rng.normal(0.0, diff.std(ddof=1) / np.sqrt(n))
        shift = int(np.rint(target - diff.sum()))
        movable = np.flatnonzero(paired & ((p < st.TP_MAX) if shift > 0 else (p > st.TP_MIN)))
        if shift == 0 or len(movable) == 0:
            continue
        cells = rng.choice(movable, size=min(abs(shift), len(movable)), replace=False)
        r.p[cells, j] += np.int8(np.sign(shift))
