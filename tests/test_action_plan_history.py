"""A plan made in the app keeps its details page working through every PDCA step (#20.2).

The history of a new plan holds JSON nulls (``touchpoint_id: [null, 21]``); once a stage move added text to the
"old" column, pandas read the column as strings with NaN for null and the history view crashed. These tests create
plans the way the page does, walk them through plan-do-check-act, close, reopen and cancel, and render the page's
details view at every step, on both databases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from cxdash.auth import local_user
from cxdash.i18n import t
from cxdash.improve import plans
from tests.support.app import make_app, no_errors
from tests.world import CLOSEDLOOP, item_ids, spread

pytestmark = pytest.mark.apptest

ADMIN = local_user()
TODAY = date.today()


def _page_values(tp: int, **kw: Any) -> dict[str, Any]:
    """What the create form submits (empty department, no target, a source and its scope)."""
    values: dict[str, Any] = {
        "title": "Gap at CON02", "root_cause": "training", "action": "Coach advisors", "metric": "Mean gap",
        "baseline": 0.1, "target": None, "owner": "Li Wei", "department": "", "start_date": TODAY,
        "due_date": TODAY + timedelta(days=60), "touchpoint_id": tp, "site_id": None, "team_id": None,
        "source_kind": "gap", "checklist_item_id": None,
    }
    values.update(kw)
    return values


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _render_detail(engine: Engine, pid: int, lang: str = "en") -> Any:
    at = make_app(lang, _url(engine))
    at.run()
    at.session_state["plan_view"] = "detail"
    at.session_state["detail_plan"] = pid
    at.switch_page("ui/pages/action_plans.py")
    at.run()
    no_errors(at)
    history = at.dataframe[-1].value  # the history table is the last one on the details view
    assert not history.empty
    return history


def _step(engine: Engine, fn: Callable[..., Any], pid: int, **kw: Any) -> None:
    with engine.begin() as conn:
        fn(conn, pid, user=ADMIN, **kw)


@pytest.mark.parametrize("kind", ["gap_brand_wide", "weak_item_at_a_team"])
def test_a_new_plan_shows_its_details_after_every_step(engine: Engine, kind: str) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    CLOSEDLOOP.gaps(engine, tp, 1, spread(TODAY - timedelta(days=40), 20), [0.1] * 20)
    extra: dict[str, Any] = {}
    if kind == "weak_item_at_a_team":
        extra = {"source_kind": "weak_item", "checklist_item_id": item_ids(engine)["CL-CON02-1"], "site_id": 1,
                 "team_id": 1}
    with engine.begin() as conn:
        pid = plans.create_plan(conn, _page_values(tp, **extra), user=ADMIN)

    hist = plans.plan_history(engine, pid)
    created = hist.set_index("field")
    assert created.loc["touchpoint_id", "old"] is None and created.loc["touchpoint_id", "new"] == tp
    shown = _render_detail(engine, pid)
    assert shown["new"].str.contains("CON02").any()  # the touchpoint by code and name, not its id

    steps: list[tuple[Callable[..., Any], dict[str, Any]]] = [
        (plans.advance_stage, {}), (plans.advance_stage, {}), (plans.advance_stage, {}),
        (plans.close_plan, {"on": TODAY}), (plans.reopen_plan, {}), (plans.advance_stage, {}),
        (plans.cancel_plan, {}),
    ]
    for fn, kw in steps:
        _step(engine, fn, pid, **kw)
        hist = plans.plan_history(engine, pid)
        assert hist[hist["field"] == "touchpoint_id"]["old"].tolist() == [None]
        assert len(_render_detail(engine, pid)) == len(hist)
    moves = hist[hist["field"] == "pdca_stage"][["old", "new"]].values.tolist()
    assert moves == [[None, "plan"], ["plan", "do"], ["do", "check"], ["check", "act"], ["act", "plan"]]


def test_history_of_a_moved_plan_in_chinese(engine: Engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    CLOSEDLOOP.gaps(engine, tp, 1, spread(TODAY - timedelta(days=40), 20), [0.1] * 20)
    with engine.begin() as conn:
        pid = plans.create_plan(conn, _page_values(tp), user=ADMIN)
    _step(engine, plans.advance_stage, pid)
    shown = _render_detail(engine, pid, "zh-Hans")
    assert t("improve.stage.do", "zh-Hans") in shown["new"].tolist()
