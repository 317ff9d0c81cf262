"""Row-level scope (#8): a team lead never sees another scope's rows on any page, download, list or report.

The database is seeded with two scopes whose text is marked (see :mod:`tests.support.auth`): site A (``AAAMARK``)
and team T of site B (``TTTMARK``); everything else carries ``ZZHIDDEN``. Each team lead opens every page and
view they may open, including URLs that point into the other scope, and neither what the page draws (tables,
charts, options, captions) nor the files its download buttons offer may contain another scope's marker. The
same holds for the comment lists and ticket lists of the query layer and for CLI reports run with
``--as-user``. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import datetime

import pytest
from sqlalchemy import select

from cxdash.auth import apply_scope, resolve_user
from cxdash.cli import main as cli
from cxdash.db import make_engine
from cxdash.filters import Filters
from cxdash.metrics.experience.drilldown import DrillState
from cxdash.metrics.improve.plans import plan_board
from cxdash.metrics.loyalty.themes import theme_comments
from cxdash.metrics.response_list import response_export
from cxdash.metrics.service.lists import early_warning, ticket_list
from cxdash.schema import action_plan, site, team
from tests.support.auth import (
    END,
    HIDDEN,
    MARK_A,
    MARK_T,
    Downloads,
    Scoped,
    all_text,
    file_text,
    private_database,
    scoped_database,
    signed_in_app,
)
from tests.support.pg import BACKENDS

LEADS = {"lead.a@x.org": (MARK_A, (MARK_T, HIDDEN)), "lead.t@x.org": (MARK_T, (MARK_A, HIDDEN))}
RANGE = Filters(date_from=END.replace(year=END.year - 2), date_to=END)


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scoped]:
    """The two-scope database on each backend."""
    pg = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    with private_database(request.param, tmp_path_factory.mktemp("scope"), pg, "scope") as url:
        yield scoped_database(url)


def _foreign(db: Scoped) -> dict[str, str]:
    """URL parameters that point into the rest of the organisation: another site, team and plan."""
    engine = make_engine(db.url)
    with engine.connect() as conn:
        other_site = conn.execute(select(site.c.id).where(site.c.name.like(HIDDEN + "%")).limit(1)).scalar_one()
        other_team = conn.execute(select(team.c.id).where(team.c.name.like(HIDDEN + "%")).limit(1)).scalar_one()
        plan = conn.execute(select(action_plan.c.id).where(action_plan.c.title.like(HIDDEN + "%")).limit(1)).scalar()
    engine.dispose()
    return {"site": str(other_site), "team": str(other_team), "plan": str(plan or 0)}


# (page script, URL parameters, session-state values): every view a team lead can open.
CASES: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("overview.py", {}, {}),
    ("tiers.py", {}, {}),
    ("tiers.py", {"tier_by": "team"}, {}),
    ("tiers.py", {"tier_by": "person"}, {}),
    *[("touchpoints.py", {"tp_view": v}, {}) for v in ("map", "matrix", "compare", "drill")],
    ("touchpoints.py", {"tp_view": "compare", "cmp_by": "team"}, {}),
    *[("loyalty.py", {}, {"loy_view": v}) for v in ("trends", "breakdowns", "effort", "failures")],
    ("drivers.py", {}, {}),
    ("voice.py", {}, {}),
    *[("inspections.py", {"insp_view": v}, {}) for v in ("weak", "heatmap", "record", "results", "checklist")],
    *[("action_plans.py", {"plan_view": v}, {}) for v in ("board", "create", "effects")],
    *[("service.py", {}, {"sla_view": v}) for v in ("compliance", "warning", "ftf", "recurring")],
]


@pytest.mark.apptest
@pytest.mark.parametrize("email", list(LEADS))
def test_team_lead_sees_only_their_scope_on_every_page_and_download(db: Scoped, email: str) -> None:
    own, forbidden = LEADS[email]
    seen_own = False
    for n, (script, params, state) in enumerate(CASES):
        at = signed_in_app(db.url, email, params={"from": RANGE.date_from.isoformat(), **params}, clear=n == 0)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        with Downloads() as downloads:
            at.switch_page(f"ui/pages/{script}")
            at.run()
        assert not at.exception, (script, params, [e.value for e in at.exception])
        text = all_text(at) + "\n".join(file_text(d) for d in downloads.files.values())
        for marker in forbidden:
            assert marker not in text, (email, script, params, state, marker)
        seen_own = seen_own or own in text
    assert seen_own, "the lead's own rows show somewhere (the markers work)"


@pytest.mark.apptest
@pytest.mark.parametrize("email", list(LEADS))
def test_urls_into_another_scope_show_nothing_of_it(db: Scoped, email: str) -> None:
    _, forbidden = LEADS[email]
    other = _foreign(db)
    cases = [
        ("overview.py", {"site": other["site"], "team": other["team"]}),
        ("touchpoints.py", {"tp_view": "drill", "d_stage": "S1", "d_touchpoint": "1", "d_region": "1",
                            "d_site": other["site"], "d_team": other["team"]}),
        ("action_plans.py", {"plan_view": "detail", "detail_plan": other["plan"]}),
        ("service.py", {"site": other["site"]}),
    ]
    for script, params in cases:
        at = signed_in_app(db.url, email, params=params, clear=False)
        at.run()
        with Downloads() as downloads:
            at.switch_page(f"ui/pages/{script}")
            at.run()
        assert not at.exception, (script, [e.value for e in at.exception])
        text = all_text(at) + "\n".join(file_text(d) for d in downloads.files.values())
        for marker in forbidden:
            assert marker not in text, (email, script, params, marker)


@pytest.mark.parametrize("email", list(LEADS))
def test_query_layer_lists_stay_in_scope(db: Scoped, email: str) -> None:
    own, forbidden = LEADS[email]
    engine = make_engine(db.url)
    f = apply_scope(RANGE, resolve_user(engine, email))
    now = datetime.combine(END, datetime.min.time())
    frames = [
        response_export(engine, f, DrillState()),
        theme_comments(engine, f, "comment"),
        ticket_list(engine, f, now=now, limit=1000).rows,
        early_warning(engine, f, now=now).rows,
        plan_board(engine, f, "en"),
    ]
    text = "\n".join(frame.to_csv() for frame in frames)
    assert own in text
    for marker in forbidden:
        assert marker not in text
    engine.dispose()


# The overview report (it composes most of the others' figures) stays in the fast lane; the other reports, one
# command line each on the whole demo, run in the full suite.
REPORTS = ["plans", "inspections", "tiers", "touchpoints", "loyalty", "drivers", "churn", "themes", "overview", "sla"]


@pytest.mark.parametrize("email", list(LEADS))
@pytest.mark.parametrize("command", [c if c == "overview" else pytest.param(c, marks=pytest.mark.slow) for c in REPORTS])
def test_cli_reports_as_a_team_lead_stay_in_scope(db: Scoped, email: str, command: str) -> None:
    _, forbidden = LEADS[email]
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli(["--database-url", db.url, "report", command, "--from", RANGE.date_from.isoformat(),
                    "--to", END.isoformat(), "--as-user", email, "--format", "json"])
    assert code == 0
    for marker in forbidden:
        assert marker not in out.getvalue()
    json.loads(out.getvalue() or "[]")


def test_cli_refuses_a_user_without_role(db: Scoped) -> None:
    with pytest.raises(SystemExit, match="has no role"):
        cli(["--database-url", db.url, "report", "overview", "--as-user", "nobody@x.org"])
