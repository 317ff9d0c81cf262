"""The drivers page's two customer samples read together equal the samples read apart: the same customers, and
for each the same facts as :mod:`cxdash.metrics.customer_features` reads."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from cxdash.filters import Filters
from cxdash.metrics.churn_definition import ChurnDefinition
from cxdash.metrics.churn_facts import churn_samples
from cxdash.metrics.customer_features import active_features, customer_features
from tests.test_churn_model import A, _customer_world


def _by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize("mode", ["inactivity", "flag"])
def test_together_equals_apart(engine, mode: str) -> None:  # noqa: ANN001
    _customer_world(engine)
    d = ChurnDefinition(mode)
    with engine.connect() as conn:
        judged, active, a = churn_samples(conn, Filters(), A, d)
        apart, _ = customer_features(conn, Filters(), A, d)
        scored, step = active_features(conn, Filters(), A, d, 10_000)
    assert a == A and step == 1 and len(judged) == 240 and len(active) > 0
    pd.testing.assert_frame_equal(_by_id(judged), _by_id(apart))
    pd.testing.assert_frame_equal(_by_id(active), _by_id(scored))


def test_samples_take_every_kth_id(engine) -> None:  # noqa: ANN001
    """Judged: every k-th id as the judged sample alone takes it; active: every (m x k)-th active id."""
    _customer_world(engine)
    d = ChurnDefinition()
    with engine.connect() as conn:
        judged, active, _ = churn_samples(conn, Filters(), A, d, size=50, active_size=10)
        apart, _ = customer_features(conn, Filters(), A, d, size=50)
        everyone, _ = active_features(conn, Filters(), A, d, 10_000)
    k = math.ceil(240 / 50)
    pd.testing.assert_frame_equal(_by_id(judged), _by_id(apart))
    assert (judged["customer_id"] % k == 0).all()
    step = k * math.ceil(len(everyone) / k / 10)
    expected = everyone[everyone["customer_id"] % step == 0]
    pd.testing.assert_frame_equal(_by_id(active), _by_id(expected))
