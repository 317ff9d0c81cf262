"""The data and admin pages' views (targets, users) hold what their pages show: the same rows as the library
functions they compose, with the pages' own derivations (open targets, the target a new one replaces)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from cxdash.auth import list_users, save_user
from cxdash.filters import Filters
from cxdash.organisation import site_options, team_options
from cxdash.targets import list_targets, parse_scope, scope_options, set_target, target_history
from cxdash.views.targets import current_target_view, targets_view
from cxdash.views.users import users_view
from tests.world import OVERVIEW

TODAY = date(2026, 12, 7)
F = Filters()


def _set(engine: Engine, kpi: str, scope: str, value: float, start: date | None = None,
         end: date | None = None) -> int:
    with engine.begin() as conn:
        return set_target(conn, "ana@x.org", kpi, parse_scope(conn, scope), value, start, end, None)


def test_targets_view(engine: Engine) -> None:
    OVERVIEW.org(engine)
    now = _set(engine, "nps", "all", 40)
    _set(engine, "nps", "site:S1", 30, date(2026, 1, 1), date(2026, 6, 30))  # past by TODAY
    _set(engine, "csat", "region:N", 85)
    view = targets_view(engine, F, "zh-Hans", today=TODAY)
    assert view.scopes == scope_options(engine, "zh-Hans")
    assert view.labels["site:S1"] == "Site 1 (S1)"
    assert view.targets.equals(list_targets(engine, today=TODAY))
    assert view.open_targets["status"].tolist() == ["current", "current"]
    assert view.history.equals(target_history(engine))
    nps = targets_view(engine, F, kpi="nps", today=TODAY)
    assert set(nps.targets["kpi"]) == {"nps"} and len(nps.history) == 2
    current = current_target_view(engine, F, kpi="nps", scope_text="all", today=TODAY)
    assert (current.target_id, current.value) == (now, 40.0)
    none = current_target_view(engine, F, kpi="nps", scope_text="site:S1", today=TODAY)
    assert (none.target_id, none.value) == (None, None)


def test_users_view(engine: Engine) -> None:
    OVERVIEW.org(engine)
    with engine.begin() as conn:
        save_user(conn, "admin@x.org", "lead@x.org", "team_lead", "Li Lei", site_ids=[2], team_ids=[])
    view = users_view(engine, F, "zh-Hant")
    assert view.users == list_users(engine)
    assert view.sites == dict(site_options(engine, (), "zh-Hant")) and len(view.sites) == 3
    assert view.teams == dict(team_options(engine, (), (), "zh-Hant"))
