"""Alert rules: validation, saving with its audit, and every rule kind finding exactly its rows (both databases)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from cxdash.catalog import touchpoint_ids
from cxdash.followup.cases import dry_run
from cxdash.followup.rules import (
    Rule,
    RuleError,
    get_rule,
    list_rules,
    save_rule,
    set_rule_active,
    validate_rule,
)
from cxdash.followup.triggers import batch_response_triggers, response_triggers, ticket_triggers
from cxdash.i18n import LANGUAGES
from cxdash.schema import audit_log, touchpoint_score
from tests.support.followup_world import NOW, WORLD, batch, rule, setup
from tests.support.imports import counts

DAY = date(2026, 12, 1)
H = timedelta(hours=1)


# --- validation -------------------------------------------------------------------------------------------
def _rule(kind: str = "ltr_at_most", params: dict | None = None, **fields: object) -> Rule:
    return Rule(id=None, name=str(fields.pop("name", "r")), kind=kind,
                params={"threshold": 6} if params is None else params, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("rule", "key"), [
    (_rule(name=" "), "alerts.error.name"),
    (_rule(name="x" * 201), "alerts.error.name"),
    (_rule("nps_low"), "alerts.error.kind"),
    (_rule(scope_kind="city", scope_id=1), "alerts.error.scope"),
    (_rule(scope_kind="site"), "alerts.error.scope"),
    (_rule(scope_id=3), "alerts.error.scope"),
    (_rule(severity="urgent"), "alerts.error.severity"),
    (_rule(response_hours=0), "alerts.error.response_hours"),
    (_rule(response_hours=float("nan")), "alerts.error.response_hours"),
    (_rule(window_days=0), "alerts.error.window_days"),
    (_rule(window_days=2.5), "alerts.error.window_days"),
    (_rule(params={"threshold": 11}), "alerts.error.threshold"),
    (_rule(params={"threshold": "six"}), "alerts.error.threshold"),
    (_rule(params={}), "alerts.error.threshold"),
    (_rule("csat_at_most", {"threshold": 0}), "alerts.error.threshold"),
    (_rule("touchpoint_gap", {"min_gap": 0}), "alerts.error.min_gap"),
    (_rule("touchpoint_gap", {"min_gap": 2, "touchpoint_id": "REC01"}), "alerts.error.touchpoint"),
    (_rule("comment_keywords", {"keywords": [" ", ""]}), "alerts.error.keywords"),
    (_rule("comment_keywords", {"keywords": "complaint"}), "alerts.error.keywords"),
    (_rule("comment_keywords", {"keywords": ["x" * 101]}), "alerts.error.keyword_length"),
    (_rule("repeat_contact", {"min_contacts": 1}), "alerts.error.min_contacts"),
    (_rule("ticket_at_risk", {"which": "both"}), "alerts.error.which"),
    (_rule("ticket_chased", {"times": 0}), "alerts.error.times"),
    (_rule("kpi_below_target", {"kpi": "happiness"}), "alerts.error.kpi"),
    (_rule("kpi_below_target", {"kpi": "nps", "level": "region"}), "alerts.error.level"),
])
def test_a_rule_that_cannot_work_is_refused_with_a_translated_reason(rule: Rule, key: str) -> None:
    with pytest.raises(RuleError) as err:
        validate_rule(rule)
    assert err.value.key == key
    assert all(err.value.message(lang) for lang in LANGUAGES)


@pytest.mark.parametrize("rule", [
    _rule(), _rule("csat_at_most", {"threshold": 2}), _rule("tier_disappointed", {}),
    _rule("touchpoint_gap", {"min_gap": 1.5, "touchpoint_id": None}),
    _rule("comment_keywords", {"keywords": ["投诉", "complaint"], "themes": ["wait"]}),
    _rule("comment_keywords", {"themes": ["等待"]}), _rule("repeat_contact", {"min_contacts": 2}),
    _rule("ticket_at_risk", {"which": "first_response"}), _rule("ticket_breached", {}),
    _rule("ticket_chased", {"times": 2}), _rule("kpi_significant_drop", {"kpi": "csat", "level": "team"}),
    _rule(scope_kind="team", scope_id=3, severity="high", response_hours=4, window_days=30),
])
def test_good_rules_pass(rule: Rule) -> None:
    validate_rule(rule)


# --- saving -----------------------------------------------------------------------------------------------
def test_rules_save_update_switch_and_read_back_with_their_audit(engine: Engine) -> None:
    setup(engine)
    saved = rule(engine, "comment_keywords", {"keywords": [" 投诉 ", "complaint", "", "投诉"]},
                 name=" Complaints ", scope_kind="site", scope_id=2, severity="high")
    assert get_rule(engine, saved.id) == Rule(  # type: ignore[arg-type]
        id=saved.id, name="Complaints", kind="comment_keywords", params={"keywords": ["投诉", "complaint"]},
        scope_kind="site", scope_id=2, severity="high")
    with engine.begin() as conn:
        assert save_rule(conn, Rule(**{**saved.__dict__, "response_hours": 8.0}), "cx@x.org", NOW) == saved.id
        set_rule_active(conn, saved.id, False, "cx@x.org", NOW)  # type: ignore[arg-type]
        other = save_rule(conn, _rule(name="Detractors"), "cx@x.org", NOW)
    assert [(r.id, r.active, r.response_hours) for r in list_rules(engine)] == [
        (saved.id, False, 8.0), (other, True, 24.0)]
    assert [r.id for r in list_rules(engine, active_only=True)] == [other]
    with engine.connect() as conn:
        audit = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.entity_id)
                             .where(audit_log.c.entity == "alert_rule").order_by(audit_log.c.id)).all()
    assert [tuple(a) for a in audit] == [
        ("admin@x.org", "alert_rule.save", str(saved.id)), ("cx@x.org", "alert_rule.save", str(saved.id)),
        ("cx@x.org", "alert_rule.active", str(saved.id)), ("cx@x.org", "alert_rule.save", str(other))]


def test_a_rule_naming_what_does_not_exist_is_refused(engine: Engine) -> None:
    setup(engine)
    cases = [(_rule(scope_kind="site", scope_id=99), "alerts.error.unknown_scope"),
             (_rule("touchpoint_gap", {"min_gap": 1, "touchpoint_id": 9999}), "alerts.error.unknown_touchpoint"),
             (_rule(owner_user_id=77), "alerts.error.unknown_owner"),
             (_rule(calendar_id=55), "alerts.error.unknown_calendar")]
    for bad, key in cases:
        with engine.begin() as conn, pytest.raises(RuleError) as err:
            save_rule(conn, bad, None, NOW)
        assert err.value.key == key
    with pytest.raises(LookupError), engine.begin() as conn:
        save_rule(conn, Rule(**{**_rule().__dict__, "id": 42}), None, NOW)
    with pytest.raises(LookupError):
        get_rule(engine, 42)
    assert list_rules(engine) == []


# --- response rules ---------------------------------------------------------------------------------------
def _responses(engine: Engine) -> tuple[int, dict[str, int]]:
    """Seven responses on 1-7 touchpoint scales; returns the batch and the response ids by letter."""
    setup(engine)
    b = batch(engine)
    common = {"batch_id": b, "visit_date": DAY, "tp_scale_min": 1.0, "tp_scale_max": 7.0}
    rows = {
        "a": {"customer_id": 1, "ltr": 3, "csat": 2, "tier": 0, "contacts_needed": 3,
              "comment": "Long wait, I will file a Complaint"},
        "b": {"customer_id": 2, "ltr": 7, "csat": 4, "tier": 1, "repeated_story": True, "comment": "服务很好",
              "contacts_needed": 1},
        "c": {"customer_id": 1, "ltr": 6, "csat": 3, "tier": 0, "contacts_needed": 1, "comment": "我要投诉！",
              "site_id": 2},
        "d": {"customer_id": 3, "ltr": 10, "csat": 5, "tier": 2, "comment": "COMPLAINT withdrawn, all good"},
        "e": {},
        "f": {"ltr": 2, "site_id": 3},
        "g": {"customer_id": 4, "ltr": 1, "visit_date": date(2026, 6, 1)},
        "h": {"comment": "ÄRGER über die Wartezeit, ÉCHEC total"},
    }
    ids = dict(zip(rows, WORLD.responses(engine, [{**common, **r} for r in rows.values()]), strict=True))
    return b, ids


def _scores(engine: Engine, ids: dict[str, int]) -> dict[str, int]:
    with engine.begin() as conn:
        tp = touchpoint_ids(conn)
        conn.execute(touchpoint_score.insert(), [
            {"response_id": ids["a"], "touchpoint_id": tp["REC01"], "p": 2, "e": 6},
            {"response_id": ids["a"], "touchpoint_id": tp["CON01"], "p": 5, "e": 6},
            {"response_id": ids["b"], "touchpoint_id": tp["REC01"], "p": 6, "e": 6},
            {"response_id": ids["c"], "touchpoint_id": tp["CON01"], "p": 3, "e": 6},
            {"response_id": ids["c"], "touchpoint_id": tp["REC01"], "p": None, "e": 7},
            {"response_id": ids["d"], "touchpoint_id": tp["REC01"], "p": 5.5, "e": 7},
        ])
    return tp


def _found(engine: Engine, r: Rule, **window: object) -> list[int]:
    with engine.connect() as conn:
        return [t.response_id for t in response_triggers(conn, r, **window)]  # type: ignore[misc, arg-type]


def test_every_response_rule_finds_exactly_its_responses(engine: Engine) -> None:
    b, ids = _responses(engine)
    tp = _scores(engine, ids)
    since = datetime(2026, 11, 1)

    def found(kind: str, params: dict, **fields: object) -> set[str]:
        r = rule(engine, kind, params, **fields)
        letters = {v: k for k, v in ids.items()}
        return {letters[i] for i in _found(engine, r, batch_id=b, since=since)}

    assert found("ltr_at_most", {"threshold": 6}) == {"a", "c", "f"}  # g: before the window
    assert found("csat_at_most", {"threshold": 3}) == {"a", "c"}
    assert found("tier_disappointed", {}) == {"a", "c"}
    assert found("touchpoint_gap", {"min_gap": 2}) == {"a", "c"}
    assert found("touchpoint_gap", {"min_gap": 1.5, "touchpoint_id": tp["REC01"]}) == {"a", "d"}
    assert found("comment_keywords", {"keywords": ["complaint", "投诉"]}) == {"a", "c", "d"}
    assert found("comment_keywords", {"themes": ["WAIT"]}) == {"a"}
    assert found("comment_keywords", {"keywords": ["100%_"]}) == set()  # LIKE wildcards match themselves
    # Case is ignored beyond A-Z on both databases (SQLite's own lower() folds only ASCII letters).
    assert found("comment_keywords", {"keywords": ["ärger"]}) == {"h"}
    assert found("comment_keywords", {"keywords": ["Échec"]}) == {"h"}
    assert found("repeat_contact", {"min_contacts": 2}) == {"a", "b"}
    r = rule(engine, "ltr_at_most", {"threshold": 6}, name="all time")
    assert sorted(_found(engine, r)) == sorted([ids["a"], ids["c"], ids["f"], ids["g"]])
    assert _found(engine, r, since=datetime(2026, 12, 2)) == []


def test_triggers_say_what_matched_and_the_weakest_touchpoint(engine: Engine) -> None:
    b, ids = _responses(engine)
    tp = _scores(engine, ids)
    with engine.connect() as conn:
        gap = response_triggers(conn, rule(engine, "touchpoint_gap", {"min_gap": 2}), batch_id=b)
        words = response_triggers(conn, rule(engine, "comment_keywords", {"keywords": ["complaint"],
                                                                          "themes": ["wait"]}), batch_id=b)
        ltr = response_triggers(conn, rule(engine, "ltr_at_most", {"threshold": 3}), batch_id=b)
    a = next(t for t in gap if t.response_id == ids["a"])
    assert (a.touchpoint_id, a.detail["touchpoint_id"], a.detail["gap"]) == (tp["REC01"], tp["REC01"], -4.0)
    assert a.detail["gap_norm"] == pytest.approx(-4 / 6)
    assert (a.customer_id, a.batch_id, a.site_id, a.team_id, a.region_id, a.at) == (
        1, b, 1, 1, 1, datetime(2026, 12, 1))
    assert words[0].detail == {"keywords": ["complaint"], "themes": ["wait"], "gap_norm": pytest.approx(-4 / 6)}
    assert "comment" not in str(words[0].detail)
    by_id = {t.response_id: t for t in ltr}
    assert by_id[ids["a"]].touchpoint_id == tp["REC01"] and by_id[ids["a"]].detail["ltr"] == 3
    assert by_id[ids["f"]].touchpoint_id is None and by_id[ids["f"]].customer_id is None


def test_a_batch_finds_what_each_rule_finds_alone_with_the_weakest_touchpoint_looked_up_once(engine: Engine) -> None:
    b, ids = _responses(engine)
    tp = _scores(engine, ids)
    with engine.begin() as conn:  # a tie: the lowest touchpoint id is the weakest
        conn.execute(touchpoint_score.insert(), [{"response_id": ids["f"], "touchpoint_id": t, "p": 1, "e": 4}
                                                 for t in (tp["CON01"], tp["REC01"])])
    rules = [rule(engine, "ltr_at_most", {"threshold": 6}), rule(engine, "touchpoint_gap", {"min_gap": 2}),
             rule(engine, "touchpoint_gap", {"min_gap": 1.5, "touchpoint_id": tp["REC01"]}),
             rule(engine, "touchpoint_gap", {"min_gap": 3}, scope_kind="site", scope_id=3),
             rule(engine, "comment_keywords", {"keywords": ["complaint"]}), rule(engine, "tier_disappointed", {}),
             rule(engine, "ticket_chased", {"times": 1})]
    with engine.connect() as conn:
        together = batch_response_triggers(conn, rules, b)
        alone = {r.id: response_triggers(conn, r, batch_id=b) for r in rules if r.kind != "ticket_chased"}
    assert together == alone
    assert {t.response_id: t.touchpoint_id for t in together[rules[0].id]} == {
        ids["a"]: tp["REC01"], ids["c"]: tp["CON01"], ids["f"]: min(tp["CON01"], tp["REC01"]), ids["g"]: None}
    assert [(t.response_id, t.detail["gap"]) for t in together[rules[3].id]] == [(ids["f"], -3.0)]


@pytest.mark.parametrize(("scope_kind", "scope_id", "expected"), [
    ("all", None, {"a", "c", "f"}), ("region", 2, {"f"}), ("region", 1, {"a", "c"}), ("site", 2, {"c"}),
    ("team", 1, {"a"}), ("team", 4, set()),
])
def test_a_rule_sees_only_its_scope(engine: Engine, scope_kind: str, scope_id: int | None, expected: set) -> None:
    b, ids = _responses(engine)
    r = rule(engine, "ltr_at_most", {"threshold": 6}, scope_kind=scope_kind, scope_id=scope_id)
    letters = {v: k for k, v in ids.items()}
    assert {letters[i] for i in _found(engine, r, batch_id=b, since=datetime(2026, 11, 1))} == expected


# --- ticket rules -----------------------------------------------------------------------------------------
def _tickets(engine: Engine) -> dict[str, int]:
    setup(engine)
    open_ = {"status": "open", "created_at": NOW - 3 * H, "customer_id": 5}
    rows = {
        "t1": {**open_, "frt_target_min": 240, "frt_risk_at": NOW - H, "frt_due_at": NOW + H},
        "t2": {**open_, "frt_target_min": 240, "frt_risk_at": NOW - 2 * H, "frt_due_at": NOW - H, "site_id": 3},
        "t3": {"status": "resolved", "created_at": NOW - 48 * H, "frt_target_min": 240, "frt_business_min": 300,
               "frt_due_at": NOW - 44 * H},
        "t4": {"status": "resolved", "created_at": NOW - 200 * 24 * H, "frt_target_min": 240,
               "frt_business_min": 300},
        "t5": {**open_, "reminder_count": 3},
        "t6": {**open_, "reminder_count": 3, "merged_into": "T5"},
        "t7": {**open_, "frt_target_min": 240, "frt_business_min": 10, "res_target_min": 600,
               "res_risk_at": NOW - H, "res_due_at": NOW + 5 * H},
    }
    made = WORLD.tickets(engine, [{"reminder_count": 0, **r} for r in rows.values()])
    return dict(zip(rows, made, strict=True))


@pytest.mark.parametrize(("kind", "params", "expected"), [
    ("ticket_at_risk", {}, {"t1", "t7"}),
    ("ticket_at_risk", {"which": "first_response"}, {"t1"}),
    ("ticket_at_risk", {"which": "resolution"}, {"t7"}),
    ("ticket_breached", {"which": "either"}, {"t2", "t3"}),
    ("ticket_breached", {"which": "resolution"}, set()),
    ("ticket_chased", {"times": 2}, {"t5"}),
    ("ticket_chased", {"times": 4}, set()),
])
def test_every_ticket_rule_finds_exactly_its_tickets(engine: Engine, kind: str, params: dict, expected: set) -> None:
    ids = _tickets(engine)
    names = {v: k for k, v in ids.items()}
    r = rule(engine, kind, params)
    with engine.connect() as conn:
        found = ticket_triggers(conn, r, NOW)
    assert {names[t.ticket_id] for t in found} == expected  # type: ignore[index]
    assert all(t.source == "ticket" and t.response_id is None for t in found)


def test_ticket_rules_keep_to_scope_and_batch(engine: Engine) -> None:
    ids = _tickets(engine)
    r = rule(engine, "ticket_breached", {}, scope_kind="region", scope_id=2)
    with engine.connect() as conn:
        assert [t.ticket_id for t in ticket_triggers(conn, r, NOW)] == [ids["t2"]]
        b = batch(conn, "tickets")
        assert ticket_triggers(conn, r, NOW, batch_id=b) == []


# --- dry run ----------------------------------------------------------------------------------------------
def test_a_dry_run_counts_cases_customers_and_sites_over_90_days_and_writes_nothing(engine: Engine) -> None:
    setup(engine)
    days = [date(2026, 12, 1), date(2026, 12, 3), date(2026, 11, 1), date(2026, 8, 1)]
    WORLD.responses(engine, [{"customer_id": 1, "ltr": 2, "visit_date": d} for d in days])  # 8-01: too old
    WORLD.responses(engine, [{"ltr": 0, "visit_date": date(2026, 11, 20), "site_id": 2},
                             {"customer_id": 2, "ltr": 9, "visit_date": date(2026, 11, 20)}])
    unsaved = Rule(id=None, name="detractors", kind="ltr_at_most", params={"threshold": 6}, window_days=7)
    before = counts(engine)
    result = dry_run(engine, unsaved, NOW)
    # customer 1: 11-01 alone, then 12-01 and 12-03 within a week; the anonymous response: its own case.
    assert (result.cases, result.triggers, result.customers, result.days) == (3, 4, 1, 90)
    assert result.by_site == {1: 2, 2: 1}
    assert dry_run(engine, unsaved, NOW, days=10).cases == 1
    assert counts(engine) == before
    with pytest.raises(RuleError) as err:
        dry_run(engine, Rule(id=None, name="k", kind="kpi_below_target", params={"kpi": "nps"}), NOW)
    assert err.value.key == "alerts.error.dry_run_kpi"
