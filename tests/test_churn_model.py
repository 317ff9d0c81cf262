"""Churn model: logistic regression against closed forms and an independent fit, the churn definition setting,
per-customer facts from SQL, churn by group, and the at-risk list."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize
from scipy.special import expit

from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn import churn_rate
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition, load_definition, set_definition
from cxdash.metrics.loyalty.churn_model import (
    at_risk_customers,
    churn_by_group,
    churn_drivers,
    churn_model,
    fit_churn,
)
from cxdash.metrics.loyalty.customer_features import customer_features
from cxdash.metrics.loyalty.logit import fit_logit
from tests.world import CHURN_AS_OF as A
from tests.world import churn_customers


def test_two_by_two_table_gives_the_cross_product_ratio() -> None:
    # exposed: 30 churned, 70 stayed; unexposed: 10 churned, 90 stayed
    a, b, c, d = 30, 70, 10, 90
    x = np.array([1] * (a + b) + [0] * (c + d), dtype=float)
    y = np.array([1] * a + [0] * b + [1] * c + [0] * d, dtype=float)
    fit = fit_logit(x, y, ["exposed"])
    assert fit.converged
    assert fit.odds_ratio[1] == pytest.approx((a * d) / (b * c))
    # Woolf: SE(log OR) = sqrt(1/a + 1/b + 1/c + 1/d); intercept = log odds of the unexposed.
    assert fit.se[1] == pytest.approx(math.sqrt(1 / a + 1 / b + 1 / c + 1 / d))
    assert fit.coef[0] == pytest.approx(math.log(c / d))
    low, high = fit.odds_ratio_ci()
    half = 1.959963984540054 * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert (low[1], high[1]) == pytest.approx((27 / 7 * math.exp(-half), 27 / 7 * math.exp(half)))


def test_matches_an_independent_maximum_likelihood_fit() -> None:
    rng = np.random.default_rng(3)
    n = 800
    x = np.column_stack([rng.normal(size=n), rng.random(n) < 0.3, rng.integers(1, 8, n)]).astype(float)
    y = (rng.random(n) < expit(-0.5 + 0.8 * x[:, 0] + 1.1 * x[:, 1] - 0.3 * x[:, 2])).astype(float)
    fit = fit_logit(x, y, ["a", "b", "c"])
    xi = np.column_stack([np.ones(n), x])

    def nll(beta: np.ndarray) -> float:
        eta = xi @ beta
        return float(np.sum(np.logaddexp(0, eta) - y * eta))

    ref = optimize.minimize(nll, np.zeros(4), method="BFGS", options={"gtol": 1e-9})
    assert fit.coef == pytest.approx(ref.x, abs=1e-4)
    # Standard errors from a finite-difference Hessian of the negative log-likelihood.
    h = 1e-4
    hess = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h, np.eye(4)[j] * h
            hess[i, j] = (nll(ref.x + ei + ej) - nll(ref.x + ei - ej) - nll(ref.x - ei + ej)
                          + nll(ref.x - ei - ej)) / (4 * h * h)
    assert fit.se == pytest.approx(np.sqrt(np.diag(np.linalg.inv(hess))), rel=1e-3)
    assert fit.log_likelihood == pytest.approx(-ref.fun, abs=1e-6)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        fit_logit(np.array([1.0, 2.0]), np.array([0.0, 2.0]))
    with pytest.raises(ValueError):
        fit_logit(np.array([1.0]), np.array([1.0]))


def test_definition_setting_round_trip(engine) -> None:  # noqa: ANN001
    assert load_definition(engine) == ChurnDefinition()
    set_definition(engine, ChurnDefinition("flag", 180), actor="me")
    assert load_definition(engine) == ChurnDefinition("flag", 180)
    with pytest.raises(ValueError):
        set_definition(engine, ChurnDefinition("sometimes", 180))
    with pytest.raises(ValueError):
        set_definition(engine, ChurnDefinition("inactivity", 0))



def test_facts_and_counts_agree_with_the_churn_rate(engine) -> None:  # noqa: ANN001
    churn = churn_customers(engine)
    d = ChurnDefinition()
    with engine.connect() as conn:
        facts, a = customer_features(conn, Filters(), A, d)
    assert a == A
    rate = churn_rate(engine, Filters(), A)
    assert (len(facts), int(facts["churned"].sum())) == (rate.n, rate.k) == (len(churn), int(churn.sum()))
    # Facts come from events before the cutoff only: the retained customers' later zero is not seen.
    assert facts["worst_ltr"].isin([3, 9]).all()
    assert (facts["n_responses"] == 1).all() and (facts["n_tickets"] == 1).all()


def test_model_points_the_planted_way_and_matches_a_direct_fit(engine) -> None:  # noqa: ANN001
    churn = churn_customers(engine)
    model = churn_model(engine, Filters(), A)
    assert model.n == len(churn) and model.events == int(churn.sum())
    table = model.table.set_index("term")
    assert set(table.index) == {"nps_detractor", "ces", "sla_breach"}  # constant terms are left out
    assert table.loc["nps_detractor", "odds_ratio"] > 1.5 and table.loc["sla_breach", "odds_ratio"] > 1.2
    with engine.connect() as conn:
        facts, _ = customer_features(conn, Filters(), A, ChurnDefinition())
    x = np.column_stack([(facts["worst_ltr"] <= 6), facts["mean_ces"], facts["breached"] > 0]).astype(float)
    direct = fit_logit(x, facts["churned"].to_numpy(float), ["nps_detractor", "ces", "sla_breach"])
    assert table["coef"].to_numpy() == pytest.approx(direct.coef[1:])


def test_groups_and_at_risk_list(engine) -> None:  # noqa: ANN001
    churn_customers(engine)
    groups = churn_by_group(engine, Filters(), A).set_index(["dimension", "group"])
    assert groups.loc[("nps_group", "detractor"), "rate"] > groups.loc[("nps_group", "promoter"), "rate"]
    assert groups.loc[("sla_breach", "yes"), "n"] + groups.loc[("sla_breach", "no"), "n"] == 240
    risk, scored = at_risk_customers(engine, Filters(), "en", k=5, as_of=A)
    # Active customers: the retained ones, whose latest answer (0, CES 1) makes them all detractors now.
    assert 0 < len(risk) <= 5 and scored > 0
    assert risk["risk"].is_monotonic_decreasing
    assert risk["factors"].str.len().gt(0).all()
    # The page's one-pass version gives the same groups, model and list.
    both = churn_drivers(engine, Filters(), "en", k=5, as_of=A)
    assert both.groups.set_index(["dimension", "group"]).equals(groups)
    assert both.model.table.equals(churn_model(engine, Filters(), A).table)
    assert both.at_risk.equals(risk) and both.scored == scored


def test_too_few_events_gives_no_model() -> None:
    import pandas as pd

    facts = pd.DataFrame({"customer_id": [1, 2], "judged": [1, 1], "churned": [0, 1], "n_responses": [1, 1],
                          "worst_tier": [1, 0], "worst_ltr": [9, 3], "mean_ces": [6, 2], "max_contacts": [1, 1],
                          "max_transfers": [0, 0], "repeated": [0, 0], "n_tickets": [0, 0], "breached": [0, 0],
                          "reopened": [0, 0], "repeats": [0, 0]})
    model = fit_churn(facts, A, ChurnDefinition())
    assert model.fit is None and model.table.empty
