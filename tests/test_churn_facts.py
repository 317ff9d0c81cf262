"""The drivers page's two customer samples read together equal the samples read apart: the same customers, and
for each the same facts as :mod:`cxdash.metrics.loyalty.customer_features` reads."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition
from cxdash.metrics.loyalty.churn_facts import churn_samples
from cxdash.metrics.loyalty.customer_features import active_features, customer_features
from tests.world import CHURN_AS_OF as A
from tests.world import churn_customers


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize("mode", ["inactivity", "flag"])
def test_together_equals_apart(engine, mode: str) -> None:  # noqa: ANN001
    churn_customers(engine)
    d = ChurnDefinition(mode)
    with engine.connect() as conn:
        samples = churn_samples(conn, Filters(), A, d)
        judged, active, a = samples.judged, samples.active, samples.as_of
        apart, _ = customer_features(conn, Filters(), A, d)
        scored, step = active_features(conn, Filters(), A, d, 10_000)
    assert a == A and step == 1 and len(judged) == 240 and len(active) > 0
    pd.testing.assert_frame_equal(_by_id(judged), _by_id(apart))
    pd.testing.assert_frame_equal(_by_id(active), _by_id(scored))


def test_samples_take_every_kth_id(engine) -> None:  # noqa: ANN001
    """Judged: every k-th id as the judged sample alone takes it; active: every (m x k)-th active id."""
    churn_customers(engine)
    d = ChurnDefinition()
    with engine.connect() as conn:
        samples = churn_samples(conn, Filters(), A, d, size=50, active_size=10)
        judged, active = samples.judged, samples.active
        apart, _ = customer_features(conn, Filters(), A, d, size=50)
        everyone, _ = active_features(conn, Filters(), A, d, 10_000)
    k = math.ceil(240 / 50)
    pd.testing.assert_frame_equal(_by_id(judged), _by_id(apart))
    assert (judged["customer_id"] % k == 0).all()
    step = k * math.ceil(len(everyone) / k / 10)
    expected = everyone[everyone["customer_id"] % step == 0]
    pd.testing.assert_frame_equal(_by_id(active), _by_id(expected))


def test_history_sample_is_every_hk_th_seen_customer(engine) -> None:  # noqa: ANN001
    """Histories: every (h x k)-th customer seen by A, h = (seen / k) / history_size rounded up, with the tier of
    the first response packed through the grouped query."""
    churn_customers(engine)
    d = ChurnDefinition()
    with engine.connect() as conn:
        hist = churn_samples(conn, Filters(), A, d, size=50, active_size=10, history_size=30).histories
        whole = churn_samples(conn, Filters(), A, d).histories
    k = math.ceil(240 / 50)
    step = k * math.ceil(240 / k / 30)
    assert sorted(hist["customer_id"]) == [i for i in range(1, 241) if i % step == 0]
    assert len(whole) == 240 and (whole["first_tier"] == "basic").all()  # every first answer has tier 1
    pd.testing.assert_frame_equal(_by_id(hist), _by_id(whole[whole["customer_id"] % step == 0]))


def test_history_sample_of_a_site_counts_its_own_customers(engine) -> None:  # noqa: ANN001
    """With an organisation filter the history step comes from the selection's own count of customers seen by A
    (without one, from the span of customer ids): the site's 240 customers, every (h x k)-th of them."""
    churn_customers(engine)  # every customer answered and raised tickets at site 1
    d = ChurnDefinition()
    with engine.connect() as conn:
        site = churn_samples(conn, Filters(site_ids=(1,)), A, d, size=50, active_size=10, history_size=30)
        other = churn_samples(conn, Filters(site_ids=(2,)), A, d, size=50, active_size=10, history_size=30)
    k = math.ceil(240 / 50)
    step = k * math.ceil(240 / k / 30)
    assert sorted(site.histories["customer_id"]) == [i for i in range(1, 241) if i % step == 0]
    assert other.histories.empty and other.judged.empty
