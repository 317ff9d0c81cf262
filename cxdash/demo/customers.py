"""Demo customers: a pool per home site, events (visits, tickets) assigned to them, churn after year 1.

Customers are split into *early* (first event in year 1) and *late* (first event in year 2). After year 1 is
scored, :func:`churn_decision` picks the early customers who never come back, with a probability that rises
with disappointment, effort and SLA breaches; year-2 events then go only to the others, and every remaining
customer is guaranteed at least one event where the volume allows it. Customers left without any event are
dropped before loading.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxdash.demo.organisation import Org
from cxdash.demo.structure import sigmoid

SEGMENTS = ("private", "fleet", "vip")
SEGMENT_SHARE = (0.76, 0.14, 0.10)
EVENTS_PER_CUSTOMER = 2.4
EARLY_SHARE = 0.6
CROSS_SITE = 0.12  # share of events at a site other than the customer's home site
FLAGGED_SHARE = 0.3  # churned customers who also carry an explicit churn flag


@dataclass
class CustomerPool:
    """All candidate customers, by position."""

    site: np.ndarray  # home site position
    segment: np.ndarray  # index into SEGMENTS
    early: np.ndarray  # bool
    expectation: np.ndarray  # personal offset on expected scores (points)
    churned: np.ndarray  # bool, decided after year 1

    def __len__(self) -> int:
        return len(self.site)


def make_pool(rng: np.random.Generator, org: Org, n_events: int) -> CustomerPool:
    """Draw ``n_events / EVENTS_PER_CUSTOMER`` customers over the sites (at least 10)."""
    n = max(10, round(n_events / EVENTS_PER_CUSTOMER))
    segment = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARE)
    # VIPs expect more; fleet managers a little less.
    expectation = rng.normal(0.0, 0.6, n) + np.array([0.0, -0.2, 0.5])[segment]
    return CustomerPool(
        site=rng.choice(len(org.site_ids), size=n, p=org.site_weight),
        segment=segment,
        early=rng.random(n) < EARLY_SHARE,
        expectation=expectation,
        churned=np.zeros(n, dtype=bool),
    )


def assign(rng: np.random.Generator, event_site: np.ndarray, members: np.ndarray, pool: CustomerPool) -> np.ndarray:
    """Pick a customer (pool position) for each event from ``members``, mostly from the event's site.

    Within each site, the first events (in random order) go one each to the site's members, so every member
    gets an event when the site has enough; the rest go to random members of the site, or with probability
    ``CROSS_SITE`` to a random member anywhere.
    """
    n_sites = int(max(event_site.max(initial=0), pool.site.max(initial=0))) + 1
    out = np.empty(len(event_site), dtype=np.int64)
    if len(event_site) == 0:
        return out
    m_site = pool.site[members]
    m_order = np.argsort(m_site, kind="stable")
    m_sorted = members[m_order]
    m_count = np.bincount(m_site, minlength=n_sites)
    m_off = np.concatenate([[0], np.cumsum(m_count)[:-1]])

    perm = rng.permutation(len(event_site))
    ev = perm[np.argsort(event_site[perm], kind="stable")]
    ev_site = event_site[ev]
    ev_off = np.concatenate([[0], np.cumsum(np.bincount(ev_site, minlength=n_sites))[:-1]])
    rank = np.arange(len(ev)) - ev_off[ev_site]
    count = m_count[ev_site]
    pick = np.where(rank < count, rank, np.floor(rng.random(len(ev)) * np.maximum(count, 1)).astype(np.int64))
    chosen = m_sorted[np.minimum(m_off[ev_site] + pick, len(m_sorted) - 1)]
    anywhere = ((rank >= count) & (rng.random(len(ev)) < CROSS_SITE)) | (count == 0)
    chosen[anywhere] = members[rng.integers(0, len(members), int(anywhere.sum()))]
    out[ev] = chosen
    return out


def churn_decision(
    rng: np.random.Generator,
    pool: CustomerPool,
    disappointed: np.ndarray,
    responses: np.ndarray,
    effort: np.ndarray,
    breached: np.ndarray,
    reopened: np.ndarray,
) -> None:
    """Mark early customers as churned, more often after disappointment, effort and service failures.

    Args (per pool position, year-1 totals): disappointed responses, responses, summed effort score (more
    contacts, transfers, repeated story, low CES), breached tickets, reopened tickets.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        share_dis = np.where(responses > 0, disappointed / np.maximum(responses, 1), 0.2)
        mean_effort = np.where(responses > 0, effort / np.maximum(responses, 1), 0.0)
    logit = -2.4 + 2.2 * share_dis + 0.45 * mean_effort + 1.0 * (breached > 0) + 0.5 * (reopened > 0)
    logit += 0.25 * (pool.segment == 0) - 0.4 * (pool.segment == 2)
    pool.churned = pool.early & (rng.random(len(pool)) < sigmoid(logit))


def churn_flags(rng: np.random.Generator, pool: CustomerPool) -> np.ndarray:
    """Which churned customers also carry an explicit churn flag (as a CRM export would give it)."""
    return pool.churned & (rng.random(len(pool)) < FLAGGED_SHARE)
