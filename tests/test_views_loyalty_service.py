"""The views of the loyalty, drivers, voice and service pages (:mod:`cxdash.views`): each holds exactly the figures
the metric functions give for the same options, on both databases, and every view function keeps the shape the
pages, the reports and the benchmark call: ``(engine, filters, lang="en", *, options)`` returning a frozen
dataclass."""

from __future__ import annotations

import inspect
import math
from dataclasses import FrozenInstanceError, fields, is_dataclass
from datetime import date, datetime, time
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn import churn_rate, churn_trend
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition, load_rule
from cxdash.metrics.loyalty.churn_model import churn_drivers
from cxdash.metrics.loyalty.churn_notes import churn_note, trend_lines
from cxdash.metrics.loyalty.drivers import key_drivers
from cxdash.metrics.loyalty.effort import easy_vs_hard, effort_loyalty
from cxdash.metrics.loyalty.failures import service_failures
from cxdash.metrics.loyalty.figures import loyalty_breakdown, loyalty_summary, loyalty_trend
from cxdash.metrics.loyalty.themes import theme_comments, voice
from cxdash.metrics.service.breakdown import category_pareto, sla_breakdown
from cxdash.metrics.service.compliance import backlog_by_age, sla_summary, sla_trend
from cxdash.metrics.service.counts import period_bucket
from cxdash.metrics.service.lists import Drill, early_warning, ticket_list
from cxdash.metrics.service.percentiles import time_percentiles
from cxdash.views import drivers as drivers_views
from cxdash.views import loyalty as loyalty_views
from cxdash.views import service as service_views
from cxdash.views import voice as voice_views
from tests.world import LOYALTY, NOW, service_metrics

SPRING = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 5, 31))
A = date(2026, 5, 31)
COMMENTS = ("the checkout queue took far too long", "slow checkout queue again", "friendly staff, quick help",
            "staff were friendly", "")


def same(a: Any, b: Any, where: str = "view") -> None:
    """Assert two results are equal field by field (frames, arrays and NaN compared as such)."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, obj=where)
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif is_dataclass(a):
        assert type(a) is type(b), where
        for f in fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    else:
        assert a == b, where


def _world(engine) -> None:  # noqa: ANN001
    """120 customers over three sites with answers from January to May (LTR, CSAT, CES, effort, comments) and one
    ticket each; a third answer in January only and fall silent (churn by inactivity), some carry an uploaded
    churn flag."""
    rng = np.random.default_rng(11)
    LOYALTY.org(engine)
    first = datetime(2025, 1, 10)
    customers, answers, tickets = [], [], []
    for cid in range(1, 121):
        site = 1 + cid % 3
        gone = cid % 3 == 0
        last = datetime(2026, 1, 31) if gone else datetime(2026, 5, 20)
        customers.append({"id": cid, "first_event_at": first, "last_event_at": last, "site_id": site,
                          "segment": "gold" if cid % 4 == 0 else "silver", "churn_flag": gone if cid % 5 == 0 else None})
        for month in (1,) if gone else (1, 3, 4, 5):
            ltr = int(rng.integers(0, 9) if gone else rng.integers(3, 11))  # overlapping: the model can be fitted
            answers.append({"customer_id": cid, "site_id": site, "visit_date": date(2026, month, 1 + cid % 27),
                            "ltr": ltr, "csat": int(rng.integers(1, 6)), "ces": int(rng.integers(1, 8)),
                            "tier": int(rng.integers(0, 3)), "contacts_needed": int(rng.integers(1, 4)),
                            "transfers": int(rng.integers(0, 3)), "comment": COMMENTS[(cid + month) % len(COMMENTS)]})
        late = 500 if cid % 4 == 0 else 10
        tickets.append({"customer_id": cid, "site_id": site, "created_at": datetime.combine(date(2026, 4, 2), time(9)),
                        "frt_target_min": 60, "frt_business_min": late, "res_target_min": 1000,
                        "res_business_min": 100, "reopen_count": int(cid % 7 == 0), "is_repeat_7d": False,
                        "has_repeat_7d": cid % 6 == 0})
    LOYALTY.customers(engine, customers)
    LOYALTY.responses(engine, answers)
    LOYALTY.tickets(engine, tickets)


@pytest.mark.parametrize("module", [loyalty_views, drivers_views, voice_views, service_views])
def test_every_view_function_has_the_shared_shape(module) -> None:  # noqa: ANN001
    views = [f for name, f in vars(module).items() if name.endswith("_view") and inspect.isfunction(f)]
    assert views
    for fn in views:
        params = list(inspect.signature(fn).parameters.values())
        assert [p.name for p in params[:3]] == ["engine", "filters", "lang"], fn.__name__
        assert params[2].default == "en", fn.__name__
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[3:]), fn.__name__


def test_loyalty_views_hold_the_metrics_figures(engine) -> None:  # noqa: ANN001
    _world(engine)
    main = loyalty_views.loyalty_view(engine, SPRING, period="week")
    same(main.summary, loyalty_summary(engine, SPRING), "summary")
    same(main.trend, loyalty_trend(engine, SPRING, "week"), "trend")
    assert main.summary.current.nps.n == 240 and not main.trend.empty
    nps = main.trend_of("nps")
    assert "kpi" not in nps and len(nps) == int((main.trend["kpi"] == "nps").sum())
    same(loyalty_views.loyalty_view(engine, SPRING).trend, loyalty_trend(engine, SPRING, "month"), "month")
    for by in ("region", "site"):
        same(loyalty_views.breakdowns_view(engine, SPRING, "zh-Hans", by=by).table,
             loyalty_breakdown(engine, SPRING, by, "zh-Hans"), by)
    effort = loyalty_views.effort_view(engine, SPRING, "zh-Hant", churn_mode="flag")
    same((effort.easy, effort.hard, effort.diff), easy_vs_hard(engine, SPRING), "easy_vs_hard")
    same(effort.effort, effort_loyalty(engine, SPRING, None, ChurnDefinition("flag")), "effort")
    assert effort.rule_line == churn_note(engine, SPRING, None, "flag").rule_line("zh-Hant")
    assert not effort.effort.table.empty
    failures = loyalty_views.failures_view(engine, SPRING)
    same(failures.failures, service_failures(engine, SPRING, None, None, load_rule(engine).definition), "failures")
    assert failures.failures.table["n"].sum() > 0
    with pytest.raises(FrozenInstanceError):
        main.period = "month"  # type: ignore[misc]


def test_drivers_views_hold_the_metrics_figures(engine) -> None:  # noqa: ANN001
    _world(engine)
    page = drivers_views.drivers_view(engine, SPRING, "zh-Hans", outcome="csat")
    same(page.key_drivers.model, key_drivers(engine, SPRING, "csat", "zh-Hans"), "key drivers")
    same(page.churn, drivers_views.churn_view(engine, SPRING, "zh-Hans"), "churn part")
    churn = drivers_views.churn_view(engine, SPRING, "en", churn_mode="inactivity", window_days=90, as_of=A, limit=7)
    d = ChurnDefinition("inactivity", 90)
    assert churn.rule == load_rule(engine, "inactivity", 90) and churn.rule.definition == d
    same(churn.note, churn_note(engine, SPRING, A, "inactivity", 90), "note")
    same(churn.rate, churn_rate(engine, SPRING, A, 90, "inactivity"), "rate")
    same(churn.trend, churn_trend(engine, SPRING, A, 90, mode="inactivity"), "trend")
    assert list(churn.trend_lines) == trend_lines(engine, SPRING, "en", "inactivity", 90)
    same(churn.drivers, churn_drivers(engine, SPRING, "en", 7, A, d), "drivers")
    assert churn.rate.n > 0 and churn.rate.k > 0 and len(churn.drivers.at_risk) <= 7


def test_voice_views_hold_the_metrics_figures(engine) -> None:  # noqa: ANN001
    _world(engine)
    v = voice_views.voice_view(engine, SPRING, "zh-Hans")
    same(v.voice, voice(engine, SPRING, "zh-Hans"), "voice")
    assert not v.voice.themes.empty
    listed = voice_views.comments_view(engine, SPRING, "zh-Hans", term="checkout queue")
    assert listed.term == "checkout queue"
    same(listed.rows, theme_comments(engine, SPRING, "checkout queue", 100, "zh-Hans"), "comments")
    assert len(voice_views.comments_view(engine, SPRING, term="checkout queue", limit=3).rows) == 3


def test_service_views_hold_the_metrics_figures(engine) -> None:  # noqa: ANN001
    service_metrics(engine)
    f = Filters()
    main = service_views.service_view(engine, f, "zh-Hans", now=NOW, period="week", by="agent")
    assert (main.now, main.period, main.by) == (NOW, "week", "agent")
    same(main.summary, sla_summary(engine, f, NOW), "summary")
    same(main.trend, sla_trend(engine, f, NOW, "week"), "trend")
    same(main.times, time_percentiles(engine, f), "times")
    same(main.breakdown, sla_breakdown(engine, f, "agent", NOW, "zh-Hans"), "breakdown")
    same(main.backlog, backlog_by_age(engine, f, NOW), "backlog")
    assert main.summary.n > 0 and main.summary.at_risk + main.summary.breached_open > 0
    warnings = service_views.warning_view(engine, f, now=NOW, limit=2)
    same(warnings.at_risk, early_warning(engine, f, "at_risk", NOW, 2), "at risk")
    same(warnings.breached, early_warning(engine, f, "breached", NOW, 2), "breached")
    ftf = service_views.ftf_view(engine, f, now=NOW, by="agent")
    same(ftf.trend, sla_trend(engine, f, NOW, "month"), "ftf trend")
    same(ftf.breakdown, sla_breakdown(engine, f, "agent", NOW), "ftf breakdown")
    for measure in ("volume", "repeats"):
        same(service_views.recurring_view(engine, f, measure=measure).pareto, category_pareto(engine, f, measure),
             measure)
    drill = Drill("site", "1")  # tickets 1, 2, 4, 7 and 9 (6 is merged)
    tickets = service_views.tickets_view(engine, f, "zh-Hant", drill=drill, now=NOW, page=2, page_size=2)
    same(tickets.tickets, ticket_list(engine, f, drill, NOW, 2, 2, "zh-Hant"), "tickets")
    assert tickets.tickets.total == 5 and tickets.pages == 3 and len(tickets.tickets.rows) == 2
    assert service_views.tickets_view(engine, f, now=NOW).pages == 1
    periods = service_views.periods_view(engine, f, now=NOW, period="month").table
    pct = time_percentiles(engine, f, period_bucket(engine, "month"))
    assert periods["key"].tolist() == sla_trend(engine, f, NOW, "month")["month"].tolist() == ["2026-10", "2026-11"]
    assert periods["name"].tolist() == periods["key"].tolist()
    assert periods["frt_median"].tolist() == pct.set_index("key").loc[periods["key"], "frt_median"].tolist()
    with pytest.raises(ValueError):
        service_views.tickets_view(engine, f, drill=Drill(period="not a period"), now=NOW)
