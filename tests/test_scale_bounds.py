"""The survey scale bounds the touchpoints page reads are stored per data version (#20 performance): one pass over
the responses after a write, one row afterwards, and never stale after a load."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cxdash.filters import Filters
from cxdash.metrics.experience.gaps import SCALES_KEY, stored_scale_bounds, touchpoint_scales
from cxdash.schema import setting
from tests.world import EXPERIENCE


def test_bounds_are_stored_and_follow_every_load(engine) -> None:
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, [{"scores": [("REC01", 5, 6)]}, {"scores": [("REC01", 3, 4)]}])
    with engine.connect() as conn:
        assert stored_scale_bounds(conn) == (1.0, 1.0, 7.0, 7.0)
    with engine.connect() as conn:
        saved = conn.execute(select(setting.c.value).where(setting.c.key == SCALES_KEY)).scalar()
        assert saved["bounds"] == [1.0, 1.0, 7.0, 7.0]
        assert stored_scale_bounds(conn) == (1.0, 1.0, 7.0, 7.0)  # read from the stored row
    EXPERIENCE.responses(engine, [{"tp_scale_min": 0.0, "tp_scale_max": 10.0, "scores": [("REC01", 6, 9)]}])
    with engine.connect() as conn:
        assert stored_scale_bounds(conn) == (0.0, 1.0, 7.0, 10.0)  # the load bumped the version: read again
        scales = touchpoint_scales(conn, Filters()).set_index("touchpoint_id")
    assert scales["scale_mixed"].any()  # REC01 now mixes 1-7 and 0-10


def test_a_forgotten_bump_does_not_serve_old_bounds(engine) -> None:
    from sqlalchemy import insert

    from cxdash.schema import survey_response

    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, [{"scores": [("REC01", 5, 6)]}])
    with engine.connect() as conn:
        assert stored_scale_bounds(conn) == (1.0, 1.0, 7.0, 7.0)
    with engine.begin() as conn:  # a row written without bumping the data version
        conn.execute(insert(survey_response).values(id=999, external_id="x999", team_id=1, site_id=1, region_id=1,
                                                    visit_date=date(2026, 3, 2),
                                                    tp_scale_min=0.0, tp_scale_max=10.0))
    with engine.connect() as conn:
        assert stored_scale_bounds(conn) == (0.0, 1.0, 7.0, 10.0)


def test_a_write_that_leaves_the_responses_alone_keeps_them(engine) -> None:
    from cxdash.db import bump_data_version, data_version

    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, [{"scores": [("REC01", 5, 6)]}])

    def saved_version() -> int:
        with engine.connect() as conn:
            return conn.execute(select(setting.c.value).where(setting.c.key == SCALES_KEY)).scalar()["data_version"]

    with engine.connect() as conn:
        assert stored_scale_bounds(conn) == (1.0, 1.0, 7.0, 7.0)
    with engine.begin() as conn:  # a case step, a plan's edit: the stored bounds move to the new version
        bump_data_version(conn, responses_unchanged=True)
    assert saved_version() == data_version(engine)
    with engine.begin() as conn:  # any other write leaves them behind, so the next reader reads them again
        bump_data_version(conn)
    assert saved_version() == data_version(engine) - 1
    with engine.begin() as conn:  # and one that leaves the responses alone does not bring them back
        bump_data_version(conn, responses_unchanged=True)
    assert saved_version() == data_version(engine) - 2
    with engine.connect() as conn:
        assert stored_scale_bounds(conn) == (1.0, 1.0, 7.0, 7.0)
    assert saved_version() == data_version(engine)
