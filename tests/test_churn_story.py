"""One churn story (issues 19.5 and 20.5): churn from a customer list alone, the same churn on every page, no trend
the history cannot support, and every figure naming the rule it used."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import Engine, insert, select

from cxdash.cli import main
from cxdash.customers import refresh_customer_events
from cxdash.db import make_engine
from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.experience.tier_value import revisit_hint, tier_value
from cxdash.metrics.loyalty.churn import churn_rate, churn_trend
from cxdash.metrics.loyalty.churn_definition import DEFAULT, LIST_FLAGS, ChurnDefinition, churn_rule
from cxdash.metrics.loyalty.churn_model import CUSTOMER_LIST, churn_by_group, churn_drivers
from cxdash.metrics.loyalty.churn_notes import churn_note, trend_lines
from cxdash.metrics.loyalty.customer_features import DAYS_PER_MONTH
from cxdash.metrics.loyalty.survival import retention_curves
from cxdash.metrics.overview.cards import overview
from cxdash.schema import customer, survey_response
from cxdash.ui.widgets import fmt_value
from tests.support.app import make_app, no_errors
from tests.support.imports import load
from tests.world import IMPORTS

# A customer list: id, segment, site, tenure (months), churned. No dates at all, like a telecom CRM export.
LIST = [(f"C{i:03d}", "Fleet" if i % 3 == 0 else "Retail", "S01" if i % 2 else "S02", (i * 7) % 60 + 1,
         i % 4 == 0 or i % 7 == 0) for i in range(1, 61)]


def _csv(rows: list[tuple]) -> str:
    lines = ["customerID,Segment,Site,tenure,Churn"]
    lines += [f"{c},{seg},{site},{ten},{'Yes' if ch else 'No'}" for c, seg, site, ten, ch in rows]
    return "\n".join(lines) + "\n"


def _load_list(engine: Engine) -> None:
    IMPORTS.org(engine)
    res = load(engine, _csv(LIST), kind="customers", name="customers.csv")
    assert res.rows_rejected == 0 and res.inserted == len(LIST)


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _km_by_hand(durations: list[float], events: list[bool]) -> dict[float, float]:
    """S(t) at every distinct time, the product-limit way, one subject at a time."""
    s, out = 1.0, {}
    for time in sorted(set(durations)):
        at_risk = sum(1 for d in durations if d >= time)
        died = sum(1 for d, e in zip(durations, events, strict=True) if d == time and e)
        s *= 1 - died / at_risk
        out[time] = s
    return out


def test_churn_from_a_customer_list_alone(engine: Engine) -> None:
    _load_list(engine)
    n, k = len(LIST), sum(1 for *_, ch in LIST if ch)
    with engine.connect() as conn:
        rule = churn_rule(conn)
        stored = conn.execute(select(customer.c.tenure_months).order_by(customer.c.external_id)).scalars().all()
    assert [float(x) for x in stored] == [float(r[3]) for r in sorted(LIST)]  # "tenure" mapped on import
    # A list that says who stayed makes the flags the rule, and says so.
    assert (rule.definition.mode, rule.source, rule.flagged_customers) == ("flag", LIST_FLAGS, n)
    r = churn_rate(engine, Filters(), mode="flag")
    assert (r.n, r.k) == (n, k) and r.rate == pytest.approx(k / n)
    # Undated statuses count under inactivity too (nothing to be silent about): the same figure.
    assert (churn_rate(engine, Filters(), mode="inactivity").k, churn_rate(engine, Filters()).n) == (k, n)
    ov = overview(engine, Filters())
    assert ov.card("churn").value == pytest.approx(k / n) and ov.card("churn").n == n
    assert ov.churn_note is not None
    lines = ov.churn_note.lines("en")
    assert lines[0].startswith(t("loyalty.churn.rule.flag", "en"))
    assert t("loyalty.churn.rule.source.list_flags", "en", n=f"{n:,}") in lines[0] and "--churn-mode inactivity" in lines[0]
    # Churn by segment and site: the customers' own fields, by hand.
    groups = churn_by_group(engine, Filters()).set_index(["dimension", "group"])
    for dim, pos in (("segment", 1), ("site", 2)):
        for value in {row[pos] for row in LIST}:
            part = [row for row in LIST if row[pos] == value]
            name = value if dim == "segment" else {"S01": "North Store", "S02": "East Store"}[value]
            assert groups.loc[(dim, name), "n"] == len(part)
            assert groups.loc[(dim, name), "k"] == sum(1 for row in part if row[4])
    fleet = [row for row in LIST if row[1] == "Fleet"]
    by_filter = churn_rate(engine, Filters(segments=("Fleet",)), mode="flag")
    assert (by_filter.n, by_filter.k) == (len(fleet), sum(1 for row in fleet if row[4]))
    # Retention from tenure: Kaplan-Meier by hand on the same durations.
    curve = retention_curves(engine, Filters())
    every = curve[curve["group"] == "all"].set_index("time")
    hand = _km_by_hand([math.floor(row[3] * DAYS_PER_MONTH + 0.5) for row in LIST], [row[4] for row in LIST])
    assert set(every.index) == set(hand)
    for time, s in hand.items():
        assert every.loc[time, "survival"] == pytest.approx(s)
    # Without survey answers the model and the at-risk list use the list's own fields; the trend needs dates.
    res = churn_drivers(engine, Filters())
    assert res.model.source == CUSTOMER_LIST and res.model.n == n and "tenure" in res.model.features
    assert res.scored == n - k and not res.at_risk.empty
    assert trend_lines(engine, Filters(), "en") == [t("loyalty.churn.trend.no_dates", "en")]
    assert churn_trend(engine, Filters(), mode="flag").empty


def test_customer_list_dates_are_events_and_retention_follows_them(engine: Engine) -> None:
    IMPORTS.org(engine)
    rows = ["customerID,First seen,Churn,Churn date"]
    spans = []  # (first seen, churned, churn date)
    for i in range(1, 31):
        first = date(2024, 1, 1) + timedelta(days=11 * i)
        churned = i % 3 == 0
        end = first + timedelta(days=20 * i) if churned else None
        spans.append((first, churned, end))
        rows.append(f"K{i:02d},{first.isoformat()},{'yes' if churned else 'no'},{end.isoformat() if end else ''}")
    res = load(engine, "\n".join(rows) + "\n", kind="customers", name="dated.csv")
    assert res.rows_rejected == 0
    with engine.connect() as conn:
        firsts = conn.execute(select(customer.c.first_event_at).order_by(customer.c.external_id)).scalars().all()
    assert [str(f)[:10] for f in firsts] == [s[0].isoformat() for s in spans]  # first seen is an event
    a = date(2026, 6, 30)
    curve = retention_curves(engine, Filters(), a, ChurnDefinition("flag")).query("group == 'all'").set_index("time")
    durations = [((end if ch and end <= a else a) - first).days for first, ch, end in spans]
    events = [bool(ch and end <= a) for _, ch, end in spans]
    for time, s in _km_by_hand(durations, events).items():
        assert curve.loc[float(time), "survival"] == pytest.approx(s)
    flagged = churn_rate(engine, Filters(), a, mode="flag")
    assert (flagged.n, flagged.k) == (30, sum(events))


def _world(engine: Engine) -> date:
    """Demo-like events: 240 customers with visits (tiers, likelihood to recommend, CES) over 2.5 years; churners
    (more of them after disappointment) stop visiting after their first year. Returns the data's last day."""
    rng = np.random.default_rng(5)
    start, end = date(2024, 1, 1), date(2026, 6, 30)
    responses, cust = [], []
    rid = 1
    for c in range(1, 241):
        first = start + timedelta(days=int(rng.integers(0, 300)))
        tier = int(rng.integers(0, 3))
        churner = rng.random() < (0.6 if tier == 0 else 0.2)
        stop = first + timedelta(days=int(rng.integers(30, 200))) if churner else end
        day = first
        while day <= stop:
            ltr = 3 if tier == 0 else (8 if tier == 1 else 10)
            responses.append({"id": rid, "external_id": f"r{rid}", "customer_id": c, "visit_date": day, "tier": tier,
                              "ltr": ltr, "ces": 2 if tier == 0 else 6, "site_id": 1, "team_id": 1,
                              "region_id": 1})
            rid += 1
            day += timedelta(days=int(rng.integers(60, 150)))
        cust.append({"id": c, "external_id": f"w{c}"})
    IMPORTS.org(engine)
    with engine.begin() as conn:
        conn.execute(insert(customer), cust)
        conn.execute(insert(survey_response), responses)
        refresh_customer_events(conn)
    return end


def test_same_churn_on_every_page(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    end = _world(engine)
    f = Filters(date_from=end - timedelta(days=89), date_to=end)
    card = overview(engine, f).card("churn")
    value = tier_value(engine, f).set_index("tier")
    drivers = churn_drivers(engine, f).groups
    by_tier = drivers[drivers["dimension"] == "tier"].set_index("group")
    assert card.n == int(value["churn_n"].sum()) == int(by_tier["n"].sum())
    churned = (value["churn_rate"].fillna(0) * value["churn_n"]).sum()
    assert card.value == pytest.approx(churned / card.n) == pytest.approx(by_tier["k"].sum() / card.n)
    for tier in by_tier.index:  # the tiers page's "what each tier is worth" = the drivers page's churn by tier
        assert value.loc[tier, "churn_rate"] == pytest.approx(by_tier.loc[tier, "rate"])
    assert value.loc["disappointed", "churn_rate"] > value.loc["delighted", "churn_rate"] > 0
    capsys.readouterr()
    assert main(["--database-url", _url(engine), "report", "churn", "--view", "rate", "--from",
                 f.date_from.isoformat(), "--to", end.isoformat(), "--format", "json"]) == 0
    out = capsys.readouterr()
    (row,) = json.loads(out.out)
    assert (row["n"], row["rate"], row["mode"], row["rule_source"]) == (card.n, pytest.approx(card.value),
                                                                       "inactivity", DEFAULT)
    assert t("loyalty.churn.rule.inactivity", "en", w=365) in out.err and "--churn-mode flag" in out.err


def test_trend_shows_only_months_the_history_supports(engine: Engine) -> None:
    _world(engine)
    with engine.connect() as conn:
        start = conn.execute(select(survey_response.c.visit_date).order_by(survey_response.c.visit_date)).first()[0]
    start = start if isinstance(start, date) else date.fromisoformat(str(start))
    first = start + timedelta(days=2 * 365 - 1)
    trend = churn_trend(engine, Filters())
    assert not trend.empty and min(trend["as_of"]) >= first
    assert trend.iloc[0]["month"] == first.strftime("%Y-%m")
    # Without the guard the early months exist (with judged customers, but a window cut off by the data's start).
    everything = churn_trend(engine, Filters(), judgeable_only=False)
    assert len(everything) > len(trend) and min(everything["as_of"]) < first
    lines = trend_lines(engine, Filters(), "en")
    assert lines == [t("loyalty.churn.trend.censored", "en", month=first.strftime("%Y-%m"), start=start.isoformat(), w=365,
                       need=730)]
    # The overview's trend drops the same months; the card's change is not tested against a censored period.
    from cxdash.metrics.overview.cards import overview_trends

    churn_months = overview_trends(engine, Filters())
    assert set(churn_months.loc[churn_months["kpi"] == "churn", "month"]) == set(trend["month"])
    early = Filters(date_from=first - timedelta(days=29), date_to=first + timedelta(days=30))
    early_ov = overview(engine, early)
    card = early_ov.card("churn")
    assert card.previous is None and card.verdict == "no_comparison"
    assert early_ov.churn_note is not None and early_ov.churn_note.previous_unsupported is not None
    assert any(line.startswith("No change shown") for line in early_ov.churn_note.lines("en"))
    note = churn_note(engine, Filters(), as_of=first - timedelta(days=1))
    assert note.censored and t("loyalty.churn.censored", "en", w=365, start=start.isoformat(), first=first.isoformat(),
                               as_of=(first - timedelta(days=1)).isoformat()) in note.lines("en")


def test_empty_results_say_why(engine: Engine) -> None:
    end = _world(engine)
    with engine.connect() as conn:
        start = conn.execute(select(survey_response.c.visit_date).order_by(survey_response.c.visit_date)).first()[0]
    start = start if isinstance(start, date) else date.fromisoformat(str(start))
    early = start + timedelta(days=100)
    note = churn_note(engine, Filters(), as_of=early)
    assert note.empty_reason == "too_recent" and note.judged == 0
    assert any(line.startswith("No churn figure: no customer has a first event 365 days before") for line in
               note.lines("en"))
    assert churn_note(engine, Filters(site_ids=(2,)), as_of=end).empty_reason == "no_customers"
    # The revisit hint names a period that can fill: from the first visit to A - W, never before the data.
    key, values = revisit_hint(engine, Filters(date_from=end - timedelta(days=89), date_to=end))
    assert key == "loyalty.churn.revisit.later" and values["start"] == start.isoformat()
    assert values["end"] == (end - timedelta(days=365)).isoformat()
    key, values = revisit_hint(engine, Filters(date_from=early - timedelta(days=30), date_to=early))
    assert key == "loyalty.churn.revisit.not_yet" and values["ready"] == (start + timedelta(days=365)).isoformat()


def test_cli_churn_mode_flag(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    _load_list(engine)
    n, k = len(LIST), sum(1 for *_, ch in LIST if ch)
    url = _url(engine)
    capsys.readouterr()
    assert main(["--database-url", url, "report", "churn", "--view", "rate", "--churn-mode", "flag",
                 "--format", "json"]) == 0
    out = capsys.readouterr()
    (row,) = json.loads(out.out)
    assert (row["n"], row["k"], row["mode"], row["rule_source"]) == (n, k, "flag", "chosen")
    assert row["rate"] == pytest.approx(k / n)
    assert t("loyalty.churn.rule.flag", "en") in out.err and "--churn-mode inactivity" in out.err
    assert main(["--database-url", url, "report", "churn", "--view", "groups", "--churn-mode", "flag",
                 "--format", "json"]) == 0
    groups = {(r["dimension"], r["group"]): r for r in json.loads(capsys.readouterr().out)}
    fleet = [row for row in LIST if row[1] == "Fleet"]
    assert groups[("segment", "Fleet")]["k"] == sum(1 for row in fleet if row[4])
    assert main(["--database-url", url, "report", "overview", "--churn-mode", "flag", "--format", "json"]) == 0
    out = capsys.readouterr()
    card = next(r for r in json.loads(out.out) if r["key"] == "churn")
    assert (card["n"], card["value"]) == (n, pytest.approx(k / n))
    assert t("loyalty.churn.rule.flag", "en") in out.err
    assert main(["--database-url", url, "report", "churn", "--view", "at-risk", "--format", "json"]) == 0
    # Without survey answers the at-risk list comes from the list's own fields: every active customer scored.
    risk = json.loads(capsys.readouterr().out)
    assert len(risk) == n - k and {r["external_id"] for r in risk} == {row[0] for row in LIST if not row[4]}


@pytest.mark.apptest
def test_overview_page_shows_the_flag_churn_rate_with_its_rule(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'list.db'}"
    eng = make_engine(url)
    _load_list(eng)
    eng.dispose()
    n, k = len(LIST), sum(1 for *_, ch in LIST if ch)
    at = make_app("en", database_url=url)
    at.run()
    no_errors(at)
    shown = {m.label: m.value for m in at.metric}
    assert shown[t("overview.kpi.churn.title", "en")] == fmt_value(k / n, "share")
    captions = [c.value for c in at.caption]
    rule = next(c for c in captions if c.startswith(t("loyalty.churn.rule.flag", "en")))
    assert t("loyalty.churn.rule.source.list_flags", "en", n=f"{n:,}") in rule
    # The control switches the rule for the session; the figure names the new rule (undated flags: same rate).
    (control,) = [b for b in at.button_group if b.key == "churn_mode_pick"]
    assert control.value == "flag"
    control.set_value("inactivity").run()
    no_errors(at)
    rules = [c.value for c in at.caption if c.value.startswith(t("loyalty.churn.rule.inactivity", "en", w=365))]
    assert rules and t("loyalty.churn.rule.source.chosen", "en") in rules[0]
    assert {m.label: m.value for m in at.metric}[t("overview.kpi.churn.title", "en")] == fmt_value(k / n, "share")
    # The drivers page on the same file: churn by segment and retention curves, no error, the at-risk list says why.
    at.switch_page("ui/pages/drivers.py")
    at.run()
    no_errors(at)
    infos = [i.value for i in at.info]
    assert t("loyalty.churn.risk.no_model", "en", min=10, n=0, k=0) not in infos
    assert t("loyalty.churn.risk.from_list", "en") in [c.value for c in at.caption]
    assert t("loyalty.churn.km.none", "en") not in infos
