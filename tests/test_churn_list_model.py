"""Churn from a customer list alone (issue 19): the at-risk list from the list's own fields when no survey answers
exist, checked against a logistic fit by hand (scipy), and the first event of a customer dated by a churn date and
a tenure."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit
from sqlalchemy import Engine, select

from cxdash.customers import DAYS_PER_MONTH
from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition
from cxdash.metrics.loyalty.churn_model import CUSTOMER_LIST, churn_drivers, term_label
from cxdash.metrics.loyalty.survival import retention_curves
from cxdash.schema import customer
from tests.support.imports import load
from tests.world import IMPORTS


def _list() -> list[tuple[str, str, int, bool]]:
    """120 customers: id, segment (Retail 60, Fleet 40, Online 20), tenure in months, churned. Short tenure and
    Online churn more, with noise so nothing separates."""
    rng = np.random.default_rng(19)
    rows = []
    for i in range(120):
        seg = "Retail" if i < 60 else ("Fleet" if i < 100 else "Online")
        tenure = int(rng.integers(1, 72))
        p = expit(0.8 - 0.04 * tenure + (0.9 if seg == "Online" else -0.3 if seg == "Fleet" else 0.0))
        rows.append((f"L{i:03d}", seg, tenure, bool(rng.random() < p)))
    return rows


def _csv(rows: list[tuple[str, str, int, bool]]) -> str:
    return "id,segment,tenure,churn\n" + "".join(f"{c},{s},{n},{'Yes' if y else 'No'}\n" for c, s, n, y in rows)


def _hand_fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Maximum likelihood of a logistic regression with an intercept, by a general-purpose optimiser."""
    design = np.column_stack([np.ones(len(x)), x])

    def nll(b: np.ndarray) -> float:
        eta = design @ b
        return float(np.sum(np.logaddexp(0.0, eta) - y * eta))

    def grad(b: np.ndarray) -> np.ndarray:
        return design.T @ (expit(design @ b) - y)

    return minimize(nll, np.zeros(design.shape[1]), jac=grad, method="BFGS", options={"gtol": 1e-10}).x


def test_at_risk_list_from_customer_fields_alone(engine: Engine) -> None:
    rows = _list()
    IMPORTS.org(engine)
    res = load(engine, _csv(rows), kind="customers", name="customers.csv")
    assert res.rows_rejected == 0 and res.inserted == len(rows)
    found = churn_drivers(engine, Filters(), definition=ChurnDefinition("flag"))
    model = found.model
    assert model.source == CUSTOMER_LIST and model.features == ("segment", "tenure")
    assert (model.n, model.events) == (len(rows), sum(r[3] for r in rows))
    # The same model by hand: tenure (months), Fleet and Online against Retail (the largest segment).
    x = np.array([[r[2], r[1] == "Fleet", r[1] == "Online"] for r in rows], dtype=float)
    y = np.array([r[3] for r in rows], dtype=float)
    beta = _hand_fit(x, y)
    table = model.table.set_index("term")
    assert list(table.index) == ["tenure", "segment=Fleet", "segment=Online"]
    assert table["coef"].to_numpy() == pytest.approx(beta[1:], abs=1e-5)
    # The at-risk list: every active (not churned) customer, ranked by the hand model's risk.
    active = [r for r in rows if not r[3]]
    hand = {c: float(expit(beta[0] + beta[1] * n + beta[2] * (s == "Fleet") + beta[3] * (s == "Online")))
            for c, s, n, _ in active}
    risk = found.at_risk
    assert found.scored == len(active) and len(risk) == len(active)
    assert dict(zip(risk["external_id"], risk["risk"], strict=True)) == pytest.approx(hand, abs=1e-6)
    assert list(risk["risk"]) == sorted(risk["risk"], reverse=True)
    # Factors name the list's fields: an Online customer's segment raises the risk (its coefficient is positive).
    top_online = risk[risk["segment"] == "Online"].iloc[0]
    assert beta[3] > 0 and term_label("segment=Online", "en") in top_online["factors"]
    assert term_label("segment=Online", "en") == t("loyalty.churn.term.segment", "en", value="Online")


def test_tenure_with_churn_date_dates_the_first_event(engine: Engine) -> None:
    IMPORTS.org(engine)
    lines = ["id,tenure,churn,churn date"]
    spans = []
    for i in range(1, 21):
        end = date(2025, 1, 1) + timedelta(days=13 * i)
        tenure = 3 * i
        churned = i % 2 == 0
        spans.append((f"T{i:02d}", end, tenure, churned))
        lines.append(f"T{i:02d},{tenure},{'yes' if churned else 'no'},{end.isoformat() if churned else ''}")
    res = load(engine, "\n".join(lines) + "\n", kind="customers", name="tenure.csv")
    assert res.rows_rejected == 0
    with engine.connect() as conn:
        got = dict(conn.execute(select(customer.c.external_id, customer.c.first_event_at)).all())
    for cid, end, tenure, churned in spans:
        if churned:  # first event = churn date - tenure
            assert str(got[cid])[:10] == (end - timedelta(days=math.floor(tenure * DAYS_PER_MONTH + 0.5))).isoformat()
        else:  # no date at all: no event, the flag still judges them
            assert got[cid] is None
    # Retention follows the tenure: churned customers drop at their tenure.
    curve = retention_curves(engine, Filters(), date(2026, 6, 30), ChurnDefinition("flag"))
    every = curve[curve["group"] == "all"].set_index("time")
    for _, _, tenure, churned in spans:
        if churned:
            assert float(math.floor(tenure * DAYS_PER_MONTH + 0.5)) in set(every.index.astype(float))


def test_every_import_field_has_a_label_in_every_language() -> None:
    """The mapping step labels each field from the catalog: the customers' "tenure" had none, and the upload page
    failed for every customer file (found by tests/test_browser_real_files.py)."""
    from cxdash.imports.kinds import KINDS, fields

    for kind in KINDS:
        for f in fields(kind):
            for lang in ("en", "zh-Hans", "zh-Hant"):
                assert t(f"imports.field.{f.name}", lang)
