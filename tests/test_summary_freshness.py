"""A write that leaves the responses and tickets alone keeps the summaries' freshness records on the current data
version (no reader needs to count rows), one that changes them does not; concurrent bumps never share a version.
Both databases."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import Engine, update

from cxdash.db import bump_data_version, data_version, get_setting, put_setting
from cxdash.schema import setting
from cxdash.summaries import refresh_summaries
from cxdash.summaries.common import STATE_KEY
from cxdash.summaries.read import summaries_fresh
from cxdash.summaries.tickets import STATE_KEY as TICKET_STATE_KEY
from cxdash.summaries.tickets import refresh_ticket_summary, ticket_summary_fresh
from tests.world import EXPERIENCE


def _refreshed(engine: Engine) -> None:
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, [{"visit_date": date(2026, 2, 3), "scores": [("REC01", 5, 6)]}])
    with engine.begin() as conn:
        refresh_summaries(conn)
        refresh_ticket_summary(conn)


def test_unrelated_write_carries_both_records(engine: Engine) -> None:
    _refreshed(engine)
    with engine.begin() as conn:
        put_setting(conn, "some_other_setting", {"x": 1})  # an edit that touches neither table
    with engine.connect() as conn:
        version = data_version(conn)
        assert get_setting(conn, STATE_KEY)["data_version"] == version
        assert get_setting(conn, TICKET_STATE_KEY)["data_version"] == version
        assert summaries_fresh(conn) and ticket_summary_fresh(conn)


def test_new_responses_leave_the_survey_record_behind(engine: Engine) -> None:
    _refreshed(engine)
    with engine.connect() as conn:
        before = get_setting(conn, STATE_KEY)["data_version"]
    EXPERIENCE.responses(engine, [{"visit_date": date(2026, 2, 4), "scores": [("REC01", 2, 6)]}])  # no summary upkeep
    with engine.connect() as conn:
        assert data_version(conn) > before
        assert get_setting(conn, STATE_KEY)["data_version"] == before
        assert get_setting(conn, TICKET_STATE_KEY)["data_version"] == data_version(conn)  # tickets untouched
        assert not summaries_fresh(conn)


def test_a_stale_record_stays_stale(engine: Engine) -> None:
    _refreshed(engine)
    EXPERIENCE.responses(engine, [{"visit_date": date(2026, 2, 4), "scores": [("REC01", 2, 6)]}])
    with engine.connect() as conn:
        stale = get_setting(conn, STATE_KEY)["data_version"]
    with engine.begin() as conn:
        put_setting(conn, "some_other_setting", {"x": 2})
    with engine.connect() as conn:
        assert get_setting(conn, STATE_KEY)["data_version"] == stale
        assert not summaries_fresh(conn)


def test_a_record_behind_but_holding_catches_up(engine: Engine) -> None:
    _refreshed(engine)
    with engine.begin() as conn:  # as an older cxdash left it: the counts hold, the version is old
        saved = get_setting(conn, STATE_KEY)
        conn.execute(update(setting).where(setting.c.key == STATE_KEY).values(value={**saved, "data_version": 1}))
    with engine.begin() as conn:
        put_setting(conn, "some_other_setting", {"x": 3})
    with engine.connect() as conn:
        assert get_setting(conn, STATE_KEY)["data_version"] == data_version(conn)


def test_concurrent_bumps_get_distinct_versions(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: its bumps cannot interleave")
    with engine.begin() as conn:
        start = bump_data_version(conn)
    got: list[int] = []
    first = engine.connect()
    tx = first.begin()
    got.append(bump_data_version(first))  # holds the version row until commit

    def second() -> None:
        with engine.begin() as conn:
            got.append(bump_data_version(conn))

    worker = threading.Thread(target=second)
    worker.start()
    worker.join(0.5)
    assert worker.is_alive()  # waits for the first writer instead of reading its old value
    tx.commit()
    first.close()
    worker.join(10)
    assert sorted(got) == [start + 1, start + 2]
    assert data_version(engine) == start + 2
