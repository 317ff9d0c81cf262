"""Editing KPI targets (#20.6): set, replace, close and end with history and audit; validation; the overview card
picks the edited target; the ``targets`` CLI; the Targets page in three languages and its role gating.

Every test starts from an empty database (the ``engine`` fixture, SQLite and PostgreSQL), not the demo.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from cxdash.audit import audit_entries
from cxdash.auth import save_user
from cxdash.cli import main
from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.overview.cards import overview
from cxdash.metrics.targets import target_for
from cxdash.schema import kpi_target, kpi_target_history
from cxdash.targets import (
    ALL,
    TargetError,
    end_target,
    end_target_on,
    list_targets,
    parse_scope,
    set_target,
    target_history,
)
from tests.support.app import LANGS, make_app, no_errors
from tests.support.auth import no_pages_directory_mode, signed_in_app
from tests.world import OVERVIEW, values

TODAY = date(2026, 12, 7)
NOTE = "**bold** [link](http://x.org) <b>x</b> :red[alarm]"


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _set(engine: Engine, kpi: str, scope: str, value: Any, start: date | None = None, end: date | None = None,
         note: str | None = None, actor: str = "ana@x.org") -> int:
    with engine.begin() as conn:
        return set_target(conn, actor, kpi, parse_scope(conn, scope), value, start, end, note)


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(kpi_target)).scalar_one()
        hist = conn.execute(select(func.count()).select_from(kpi_target_history)).scalar_one()
    return rows, hist, len(audit_entries(engine))


def test_set_replace_close_end_keep_history_and_audit(engine: Engine) -> None:
    OVERVIEW.org(engine)
    first = _set(engine, "nps", "all", 40, note="first")
    assert _set(engine, "nps", "all", 45, note="raised") == first  # same (open) start: replaced
    later = _set(engine, "nps", "all", 50, date(2026, 7, 1), note="H2", actor="cai@x.org")
    assert later != first
    frame = list_targets(engine, "nps", today=TODAY)
    assert frame[["value", "valid_from", "valid_to", "status", "note"]].values.tolist() == [
        [45.0, None, date(2026, 6, 30), "past", "raised"],
        [50.0, date(2026, 7, 1), None, "current", "H2"],
    ]
    assert target_for(engine, "nps", Filters(), date(2026, 6, 30)) == 45.0
    assert target_for(engine, "nps", Filters(), date(2026, 7, 1)) == 50.0
    with engine.begin() as conn:
        assert end_target_on(conn, "cai@x.org", "nps", ALL, date(2026, 9, 30), "review") == later
    assert target_for(engine, "nps", Filters(), date(2026, 10, 1)) is None
    history = target_history(engine, "nps")
    assert history["action"].tolist() == ["end", "set", "close", "replace", "set"]
    assert history["actor"].tolist() == ["cai@x.org", "cai@x.org", "cai@x.org", "ana@x.org", "ana@x.org"]
    assert history[["old_value", "new_value"]].values.tolist()[3] == [40.0, 45.0]
    assert history.iloc[2][["old_to", "new_to"]].tolist() == [None, date(2026, 6, 30)]
    assert history.iloc[0][["new_to", "note"]].tolist() == [date(2026, 9, 30), "review"]
    audit = audit_entries(engine)
    assert audit["action"].tolist() == ["target.end", "target.set", "target.close", "target.replace", "target.set"]
    assert set(audit["entity"]) == {"kpi_target"} and "raised" in audit["detail"].iloc[3]


def test_shares_are_entered_in_percent_and_scopes_by_code(engine: Engine) -> None:
    OVERVIEW.org(engine)
    _set(engine, "csat", "all", "85", note="a\x00b")
    assert list_targets(engine, "csat")["note"].tolist() == ["ab"]
    _set(engine, "csat", "region:N", 87.5)
    _set(engine, "csat", "site:S2", 90)
    _set(engine, "csat", "team:S3/T3", 0.5)  # half a percent: as typed, a share is in percent
    with engine.connect() as conn:
        stored = dict(conn.execute(select(kpi_target.c.scope_kind, kpi_target.c.value)).all())
    assert stored == {"all": 0.85, "region": 0.875, "site": 0.9, "team": 0.005}
    assert list_targets(engine, "csat")["scope"].tolist() == ["all", "region:N", "site:S2", "team:S3/T3"]
    assert target_for(engine, "csat", Filters(site_ids=(1,)), TODAY) == 0.875  # site 1 lies in region N
    assert target_for(engine, "csat", Filters(team_ids=(3,)), TODAY) == 0.005
    assert target_for(engine, "csat", Filters(scope_teams=(2,), scope_sites=()), TODAY) == 0.9  # a lead of team 2


@pytest.mark.parametrize(("kpi", "scope", "value", "code"), [
    ("nps", "all", 100.5, "value_range"),
    ("nps", "all", -101, "value_range"),
    ("csat", "all", 101, "value_range"),
    ("churn", "all", -0.1, "value_range"),
    ("sla_first_response", "all", 120, "value_range"),
    ("ces", "all", 0.5, "value_range"),
    ("ces", "all", 7.5, "value_range"),
    ("plans_open", "all", 2.5, "value_count"),
    ("plans_overdue", "all", -1, "value_count"),
    ("nps", "all", "forty", "value_nan"),
    ("nps", "all", float("nan"), "value_nan"),
    ("nps", "all", None, "value_missing"),
    ("wow", "all", 1, "unknown_kpi"),
    ("nps", "planet:X", 1, "bad_scope"),
    ("nps", "site:", 1, "bad_scope"),
    ("nps", "team:S1", 1, "bad_scope"),
    ("nps", "site:S\x001", 1, "bad_scope"),
    ("nps", "site:NOPE", 1, "unknown_scope"),
    ("nps", "team:S1/T2", 1, "unknown_scope"),
    ("nps", "region:S1", 1, "unknown_scope"),
])
def test_invalid_input_is_refused_and_changes_nothing(engine: Engine, kpi: str, scope: str, value: Any,
                                                      code: str) -> None:
    OVERVIEW.org(engine)
    _set(engine, "nps", "all", 40)
    before = _counts(engine)
    with pytest.raises(TargetError) as err:
        _set(engine, kpi, scope, value)
    assert err.value.code == code
    assert str(err.value) == t(f"targets.err.{code}", "en", **err.value.params)
    assert _counts(engine) == before


def test_overlapping_periods_are_refused_with_the_reason(engine: Engine) -> None:
    OVERVIEW.org(engine)
    _set(engine, "nps", "site:S1", 40, None, date(2026, 6, 30))
    _set(engine, "nps", "site:S1", 45, date(2026, 9, 1))
    before = _counts(engine)
    cases = [
        ((date(2026, 3, 1), date(2026, 4, 30)), "inside"),  # would cut the running one in two
        ((date(2026, 8, 1), None), "overlaps_later"),  # runs into the one from September
        ((date(2026, 8, 1), date(2026, 9, 1)), "overlaps_later"),
        ((date(2026, 5, 1), date(2026, 4, 1)), "dates_order"),
    ]
    for (start, end), code in cases:
        with pytest.raises(TargetError) as err:
            _set(engine, "nps", "site:S1", 42, start, end)
        assert err.value.code == code, (start, end)
    assert "2026-09-01" in str(TargetError("overlaps_later", value="45", start="2026-09-01", end="…"))
    with pytest.raises(TargetError) as err:
        _set(engine, "nps", "site:S1", 42, note="x" * 501)
    assert err.value.code == "note_long"
    assert _counts(engine) == before
    # A gap may be filled, and another scope or KPI never conflicts.
    _set(engine, "nps", "site:S1", 42, date(2026, 7, 1), date(2026, 8, 31))
    _set(engine, "nps", "site:S2", 42, date(2026, 3, 1), date(2026, 4, 30))
    _set(engine, "csat", "site:S1", 80, date(2026, 3, 1), date(2026, 4, 30))
    assert len(list_targets(engine)) == 5


def test_end_errors(engine: Engine) -> None:
    OVERVIEW.org(engine)
    tid = _set(engine, "nps", "all", 40, date(2026, 1, 1), date(2026, 6, 30))
    with engine.begin() as conn:
        for day, code in ((date(2025, 12, 31), "end_before_start"), (date(2026, 7, 1), "end_after_end")):
            with pytest.raises(TargetError) as err:
                end_target(conn, "a", tid, day)
            assert err.value.code == code
        with pytest.raises(TargetError) as err:
            end_target(conn, "a", tid + 99, date(2026, 2, 1))
        assert err.value.code == "no_target"
        with pytest.raises(TargetError) as err:
            end_target_on(conn, "a", "nps", ALL, date(2026, 7, 1))
        assert err.value.code == "no_current"


def test_overview_card_uses_the_target_valid_for_the_period_and_scope(engine: Engine) -> None:
    OVERVIEW.org(engine)
    OVERVIEW.responses(engine, values("ltr", [10, 10, 9, 3] * 5), site_id=1, day=date(2026, 3, 15))
    OVERVIEW.responses(engine, values("ltr", [10, 7, 3, 3] * 5), site_id=2, day=date(2026, 3, 15))
    march = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    assert overview(engine, march).card("nps").target is None
    _set(engine, "nps", "all", 20)
    _set(engine, "nps", "all", 60, date(2026, 4, 1))
    _set(engine, "nps", "site:S2", -60, date(2026, 3, 1))
    card = overview(engine, march).card("nps")  # 20 promoters, 15 detractors of 40
    assert card.value == pytest.approx(12.5) and card.target == 20.0 and card.target_met is False
    april = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 4, 30))
    assert overview(engine, april).card("nps").target == 60.0
    assert overview(engine, april).card("nps").target_met is False
    site2 = overview(engine, Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31), site_ids=(2,)))
    assert site2.card("nps").value == pytest.approx(-25.0)
    assert site2.card("nps").target == -60.0 and site2.card("nps").target_met is True


def _cli(capsys: pytest.CaptureFixture[str], engine: Engine, *args: str) -> tuple[int, str, str]:
    code = main(["--database-url", _url(engine), "targets", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_set_list_end_history(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    OVERVIEW.org(engine)
    code, out, _ = _cli(capsys, engine, "set", "csat", "site:S1", "85%", "--from", "2026-01-01", "--note", NOTE,
                        "--actor", "cli@x.org")
    assert code == 0 and "85%" in out and "site:S1" in out
    assert _cli(capsys, engine, "set", "nps", "team:S2/T2", "35", "--to", "2026-12-31")[0] == 0
    code, out, _ = _cli(capsys, engine, "list", "--format", "json")
    rows = json.loads(out)
    assert [(r["kpi"], r["scope"], r["value"], r["note"]) for r in rows] == [
        ("nps", "team:S2/T2", 35.0, ""), ("csat", "site:S1", 85.0, NOTE)]
    code, out, _ = _cli(capsys, engine, "list", "--on", "2025-06-01", "--format", "csv")
    assert out.splitlines() == ["id,kpi,scope,value,valid_from,valid_to,status,note",
                                f"{rows[0]['id']},nps,team:S2/T2,35,,2026-12-31,current,"]
    code, out, _ = _cli(capsys, engine, "end", "csat", "site:S1", "--on", "2026-06-30", "--actor", "cli@x.org")
    assert code == 0 and "2026-06-30" in out
    code, out, _ = _cli(capsys, engine, "history", "--kpi", "csat", "--format", "json")
    hist = json.loads(out)
    assert [(h["action"], h["actor"], h["old_value"], h["new_value"]) for h in hist] == [
        ("end", "cli@x.org", 85.0, 85.0), ("set", "cli@x.org", None, 85.0)]
    assert hist[0]["new_to"] == "2026-06-30" and hist[1]["note"] == NOTE
    assert set(audit_entries(engine)["actor"]) >= {"cli@x.org"}


@pytest.mark.parametrize(("args", "message"), [
    (("set", "nps", "all", "140"), "between -100 and 100"),
    (("set", "nps", "site:ZZ", "40"), "There is no site:ZZ"),
    (("set", "nps", "everywhere", "40"), "Cannot read the scope everywhere"),
    (("set", "csat", "all", "85", "--from", "2026-05-01", "--to", "2026-04-01"), "cannot end (2026-04-01)"),
    (("end", "nps", "all", "--on", "2026-01-01"), "No nps target for all is valid on 2026-01-01"),
])
def test_cli_errors_are_one_line_and_exit_2(engine: Engine, capsys: pytest.CaptureFixture[str],
                                            args: tuple[str, ...], message: str) -> None:
    OVERVIEW.org(engine)
    code, out, err = _cli(capsys, engine, *args)
    assert code == 2 and out == "" and message in err and err.count("\n") == 1
    assert list_targets(engine).empty


# --- The page ---------------------------------------------------------------------------------------------
def _page(engine: Engine, lang: str) -> Any:
    at = make_app(lang, _url(engine))
    at.run()
    at.switch_page("ui/pages/targets.py")
    at.run()
    return at


def _submit(at: Any, key: str) -> None:
    next(b for b in at.button if b.proto.form_id == key).click().run()


@pytest.mark.apptest
@pytest.mark.parametrize("lang", LANGS)
def test_page_sets_and_ends_a_target_in_every_language(engine: Engine, lang: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    no_pages_directory_mode(monkeypatch)
    OVERVIEW.org(engine)
    at = _page(engine, lang)
    no_errors(at)
    assert at.title[0].value == t("targets.page.title", lang)
    assert [i.value for i in at.info][:1] == [t("targets.list.none", lang)]
    at.selectbox(key="targets_kpi").set_value("csat").run()
    at.selectbox(key="targets_kind").set_value("site").run()
    at.selectbox(key="targets_scope_site").set_value("site:S2").run()
    at.number_input(key="targets_value_csat_site:S2").set_value(101.0)
    _submit(at, "targets_form")
    assert not at.exception
    assert [e.value for e in at.error] == [t("targets.err.not_saved", lang, error=t(
        "targets.err.value_range", lang, kpi=t("overview.kpi.csat.title", lang), value="101%", low="0%",
        high="100%"))]
    assert list_targets(engine).empty
    at.number_input(key="targets_value_csat_site:S2").set_value(88.0)
    at.date_input(key="targets_from").set_value(date(2026, 1, 1))
    at.text_area(key="targets_note").set_value(NOTE)
    _submit(at, "targets_form")
    no_errors(at)
    assert at.success[0].value == t("targets.set.saved", lang)
    saved = list_targets(engine)
    assert saved[["kpi", "scope", "value", "valid_from", "note"]].values.tolist() == [
        ["csat", "site:S2", 88.0, date(2026, 1, 1), NOTE]]
    table = at.dataframe[0].value
    assert table["note"].tolist() == [NOTE]  # a dataframe cell: shown as typed, never Markdown
    assert table["value"].tolist() == ["88%"] and table["kpi"].tolist() == [t("overview.kpi.csat.title", lang)]
    assert table[["valid_from", "valid_to"]].values.tolist() == [["2026-01-01", t("targets.open", lang)]]
    assert NOTE not in " ".join(m.value for m in at.markdown)
    history = at.dataframe[1].value
    assert history["action"].tolist() == [t("targets.action.set", lang)] and history["note"].tolist() == [NOTE]
    # End it (the form lists current and future targets).
    at.date_input(key="targets_end_day").set_value(date(2026, 6, 30))
    _submit(at, "targets_end_form")
    no_errors(at)
    assert at.success[0].value == t("targets.end.saved", lang)
    assert list_targets(engine)["valid_to"].tolist() == [date(2026, 6, 30)]
    assert target_history(engine)["action"].tolist() == ["end", "set"]
    assert set(audit_entries(engine)["actor"]) == {"local"}


@pytest.mark.apptest
def test_overview_page_shows_the_edited_target(engine: Engine) -> None:
    OVERVIEW.org(engine)
    OVERVIEW.responses(engine, values("ltr", [10, 10, 9, 3] * 5), site_id=1, day=date(2026, 3, 15))
    at = make_app("en", _url(engine))
    at.run()
    no_target = t("shell.overview.no_target", "en")
    before = [c.value for c in at.caption].count(no_target)
    assert before >= 10
    _set(engine, "nps", "all", 20)
    _set(engine, "csat", "all", 80)
    at = make_app("en", _url(engine))
    at.run()
    no_errors(at)
    captions = [c.value for c in at.caption]
    assert captions.count(no_target) == before - 2
    assert any(c.startswith(t("overview.target", "en", target="20.0")) for c in captions)


@pytest.mark.apptest
@pytest.mark.parametrize(("role", "allowed"), [("admin", True), ("cx_lead", True), ("executive", False),
                                               ("team_lead", False)])
def test_only_admins_and_cx_leads_open_the_page(engine: Engine, role: str, allowed: bool) -> None:
    OVERVIEW.org(engine)
    with engine.begin() as conn:
        save_user(conn, "setup", f"{role}@x.org", role, site_ids=[1] if role == "team_lead" else [])
    at = signed_in_app(_url(engine), f"{role}@x.org")
    at.run()
    at.switch_page("ui/pages/targets.py")
    at.run()
    assert not at.exception
    titles = [x.value for x in at.title]
    if allowed:
        no_errors(at)
        assert titles == [t("targets.page.title", "en")]
        assert any(b.proto.form_id == "targets_form" for b in at.button)
    else:
        assert not titles and not at.dataframe
        assert [e.value for e in at.error] == [t("auth.refused", "en", page=t("targets.page.title", "en"),
                                                  role=t(f"auth.role.{role}", "en"))]
