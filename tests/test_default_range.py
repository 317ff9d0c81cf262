"""The default date range ends today, so what was recorded today is in view (#20.8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from cxdash.auth import local_user
from cxdash.filters import DEFAULT_DAYS, default_date_range
from cxdash.improve.inspection_results import record_inspection
from tests.support.app import make_app, no_errors
from tests.world import CLOSEDLOOP, item_ids, spread

TODAY = date(2026, 6, 30)


def test_current_data_gives_the_last_90_days_up_to_today() -> None:
    start, end = default_date_range(TODAY - timedelta(days=3), today=TODAY)
    assert (start, end) == (date(2026, 4, 2), TODAY)
    assert (end - start).days + 1 == DEFAULT_DAYS
    assert default_date_range(TODAY, today=TODAY) == (date(2026, 4, 2), TODAY)


def test_an_empty_database_gives_the_last_90_days() -> None:
    assert default_date_range(None, today=TODAY) == (date(2026, 4, 2), TODAY)


def test_old_data_keeps_its_last_90_days_and_the_range_still_ends_today() -> None:
    latest = date(2026, 1, 31)
    assert default_date_range(latest, today=TODAY) == (latest - timedelta(days=89), TODAY)


def test_data_dated_after_today_stays_in_the_range() -> None:
    assert default_date_range(TODAY + timedelta(days=2), today=TODAY) == (date(2026, 4, 2), TODAY + timedelta(days=2))


@pytest.mark.apptest
def test_an_inspection_recorded_today_shows_in_the_default_range(engine: Engine) -> None:
    today = date.today()
    tp = CLOSEDLOOP.org(engine)["CON02"]
    CLOSEDLOOP.gaps(engine, tp, 1, spread(today - timedelta(days=40), 10, 3), [0.1] * 10)  # the last survey: 13 days ago
    with engine.begin() as conn:
        record_inspection(conn, site_id=2, inspected_on=today, scores={item_ids(engine)["CL-CON02-1"]: 3.0},
                          inspector="Inspector Today", user=local_user())
    at = make_app("en", engine.url.render_as_string(hide_password=False))
    at.run()
    at.session_state["insp_view"] = "results"
    at.switch_page("ui/pages/inspections.py")
    at.run()
    no_errors(at)
    assert at.date_input(key="flt_to").value == today
    rows = at.dataframe[-1].value
    assert "Inspector Today" in rows.astype(str).to_string()
