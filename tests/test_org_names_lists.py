"""Every list that names sites, teams or agents shows them in the user's language (#20.7).

A site with an English, a Simplified and a Traditional Chinese name (and its old combined name) must read
"浦东店" in zh-Hans on: the SLA ticket list and early warning, the SLA breakdown, the voice comment search, the
weak-items site correlation, the inspection and action-plan pickers and the action-plan board; and comment themes
must not be built from any language's name of a place.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, insert, update

from cxdash.auth import local_user
from cxdash.filters import Filters
from cxdash.improve import plans
from cxdash.improve.inspection_results import site_options
from cxdash.metrics.improve.options import team_options
from cxdash.metrics.improve.plans import plan_board
from cxdash.metrics.improve.weak_items import site_correlation
from cxdash.metrics.loyalty.themes import exclusions, theme_comments
from cxdash.metrics.service.breakdown import sla_breakdown
from cxdash.metrics.service.lists import Drill, early_warning, ticket_list
from cxdash.schema import person, site, survey_response, team
from tests.world import CLOSEDLOOP, NOW, item_ids, service_metrics, spread

NAMES = {"name": "Pudong Store 浦东店", "name_en": "Pudong Store", "name_zh_hans": "浦东店", "name_zh_hant": "浦東店"}
TEAM = {"name": "Front Desk 前台组", "name_en": "Front Desk", "name_zh_hans": "前台组", "name_zh_hant": "前臺組"}


def _three_names(engine: Engine) -> None:
    """Site 1 and its team 1 get a name in every language; agent 1 a Chinese name."""
    with engine.begin() as conn:
        conn.execute(update(site).where(site.c.id == 1).values(**NAMES))
        conn.execute(update(team).where(team.c.id == 1).values(**TEAM))
        if conn.execute(person.select().where(person.c.id == 1)).first() is not None:
            conn.execute(update(person).where(person.c.id == 1).values(name_en="Li Na", name_zh_hans="李娜"))


def test_sla_lists_and_breakdown_name_sites_in_the_users_language(engine: Engine) -> None:
    service_metrics(engine)
    _three_names(engine)
    listed = ticket_list(engine, Filters(), Drill(), NOW, 100, 0, "zh-Hans").rows
    mine = listed[listed["id"] == 1].iloc[0]
    assert (mine["site"], mine["team"], mine["agent"]) == ("浦东店", "浦东店 / 前台组", "李娜")
    assert ticket_list(engine, Filters(), Drill(), NOW, 100, 0, "zh-Hant").rows.set_index("id").loc[1, "site"] == "浦東店"
    assert ticket_list(engine, Filters(), Drill(), NOW, 100, 0).rows.set_index("id").loc[1, "site"] == "Pudong Store"
    warned = [*early_warning(engine, Filters(), "at_risk", NOW, lang="zh-Hans").rows["site"],
              *early_warning(engine, Filters(), "breached", NOW, lang="zh-Hans").rows["site"]]
    assert "浦东店" in warned and not any("Pudong" in str(s) for s in warned)
    for by, name in (("site", "浦东店"), ("team", "浦东店 / 前台组"), ("agent", "李娜")):
        names = set(sla_breakdown(engine, Filters(), by, NOW, "zh-Hans")["name"])
        assert name in names, (by, names)
        assert not any("Pudong" in str(n) for n in names)


def test_closed_loop_lists_name_sites_in_the_users_language(engine: Engine) -> None:
    tps = CLOSEDLOOP.org(engine)
    _three_names(engine)
    items = item_ids(engine)
    for s in (1, 2, 3):
        CLOSEDLOOP.inspections(engine, [(items["CL-CON02-1"], s, date(2026, 5, 1), 5.0 + s)])
        CLOSEDLOOP.gaps(engine, tps["CON02"], s, spread(date(2026, 5, 1), 2), [-0.1 * s, 0.0])
    corr = site_correlation(engine, Filters(), tps["CON02"], "zh-Hans")
    assert "浦东店" in set(corr.pairs["site_name"])
    assert site_options(engine, Filters(), "zh-Hans").set_index("id").loc[1, "name"] == "浦东店"
    assert site_options(engine, Filters(), "zh-Hant").set_index("id").loc[1, "name"] == "浦東店"
    assert team_options(engine, Filters(), 1, "zh-Hans")["name"].tolist() == ["前台组"]
    with engine.begin() as conn:
        plans.create_plan(conn, {
            "touchpoint_id": tps["CON02"], "site_id": 1, "team_id": 1, "root_cause": "training",
            "action": "Train advisors", "metric": "Gap at CON02", "baseline": -0.2, "target": 0.0, "owner": "Li Wei",
            "department": "Service", "start_date": date(2026, 1, 1), "due_date": date(2026, 2, 28),
            "source_kind": "gap"}, user=local_user())
    board = plan_board(engine, Filters(), "zh-Hans", with_effect=False)
    assert (board.loc[0, "site_name"], board.loc[0, "team_name"]) == ("浦东店", "前台组")


def test_voice_names_sites_in_the_users_language_and_excludes_every_name(engine: Engine) -> None:
    CLOSEDLOOP.org(engine)
    _three_names(engine)
    with engine.begin() as conn:
        conn.execute(insert(survey_response), [
            {"id": 1, "external_id": "v1", "site_id": 1, "team_id": 1, "region_id": 1, "visit_date": date(2026, 3, 2),
             "ltr": 3, "comment": "The queue was far too long"}])
        excluded = exclusions(conn)
    rows = theme_comments(engine, Filters(), "queue", 50, "zh-Hans")
    assert rows["site"].tolist() == ["浦东店"]
    assert theme_comments(engine, Filters(), "queue", 50, "zh-Hant")["site"].tolist() == ["浦東店"]
    assert "pudong" in excluded  # the English name ...
    assert {"浦东", "浦東"} & excluded or {"浦东店", "浦東店"} & excluded  # ... and both Chinese ones
    assert any("浦東" in w for w in excluded) and any("浦东" in w for w in excluded)
