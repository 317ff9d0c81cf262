"""Migrations carry their own SQL: base to head on an empty database, and a grain change asks for a rebuild."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select

from cxdash.db import MIGRATIONS, get_setting, make_engine, upgrade
from cxdash.filters import Filters
from cxdash.schema import metadata, setting, touchpoint_summary
from cxdash.schema.followup import followup_case
from cxdash.summaries import Part, plan_parts, refresh_summaries, summaries_fresh
from cxdash.summaries.common import REBUILD_RECORD, REGION_MONTH, STATE_KEY
from cxdash.summaries.figures import figure_sums, raw_figure_sums
from cxdash.summaries.rebuild import rebuild_requested_summaries
from tests.support.cases import build_cases
from tests.support.pg import BACKENDS, scratch_database
from tests.world import EXPERIENCE


@pytest.fixture(params=BACKENDS)
def new_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no tables at all, on each backend (its own, so downgrades touch no other test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    server = request.getfixturevalue("pg_url")
    with scratch_database(server, f"cxdash_migr_{uuid.uuid4().hex[:8]}") as url:
        yield url


def _config(conn) -> Config:  # noqa: ANN001
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def test_an_empty_database_upgrades_from_base_to_head_and_matches_the_model(new_url: str) -> None:
    engine = make_engine(new_url)  # runs every migration from base
    try:
        heads = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert set(ctx.get_current_heads()) == heads
            assert compare_metadata(ctx, metadata) == []
    finally:
        engine.dispose()


def test_migrations_import_no_cxdash_code() -> None:
    # A migration that called today's code would run next year's code on a database upgraded next year.
    pattern = re.compile(r"^\s*(from|import)\s+cxdash\b", re.MULTILINE)
    found = [p.name for p in sorted((MIGRATIONS / "versions").glob("*.py")) if pattern.search(p.read_text("utf-8"))]
    assert found == []


def _rows() -> list[dict]:
    return [{"team_id": 1 + i % 4, "visit_date": date(2026, 1, 5) + timedelta(days=3 * i), "ltr": i % 11,
             "scores": [("REC01", 1 + i % 7, 1 + (i * 3) % 7)]} for i in range(30)]


def test_summaries_built_before_a_grain_change_are_rebuilt_whole_by_the_next_refresh(new_url: str) -> None:
    engine = make_engine(new_url)
    try:
        EXPERIENCE.org(engine)
        EXPERIENCE.responses(engine, _rows())
        with engine.begin() as conn:
            refresh_summaries(conn)
            command.downgrade(_config(conn), "0009")  # before the region grains: as an older version left it
            old = {"responses": 30, "max_id": 30, "format": 1, "tolerance": 1 / 12}
            conn.execute(insert(setting).values(key=STATE_KEY, value=old))
        upgrade(engine)
        with engine.connect() as conn:
            assert get_setting(conn, STATE_KEY) == REBUILD_RECORD
            assert not summaries_fresh(conn)
            assert plan_parts(conn, Filters()) == [Part(None, None, None)]  # raw rows until the rebuild
        with engine.begin() as conn:
            refresh_summaries(conn, date(2026, 3, 1), date(2026, 3, 31))  # one month asked: every month rebuilt
        with engine.connect() as conn:
            assert summaries_fresh(conn)
            ts = touchpoint_summary.c
            months = conn.execute(select(func.count(func.distinct(ts.visit_date))).where(ts.grain == REGION_MONTH.id))
            assert months.scalar_one() == 4  # January to April, not only March
            fast = figure_sums(conn, Filters(), ["month"]).sort_values("month").reset_index(drop=True)
            raw = raw_figure_sums(conn, Filters(), ["month"]).sort_values("month").reset_index(drop=True)
            cols = list(raw.columns[1:])
            pd.testing.assert_frame_equal(fast[cols].astype(float), raw[cols].fillna(0).astype(float))
            assert rebuild_requested_summaries(conn) == []  # nothing left to rebuild
    finally:
        engine.dispose()


def test_a_rebuild_request_is_served_before_the_first_reader(new_url: str) -> None:
    engine = make_engine(new_url)
    try:
        EXPERIENCE.org(engine)
        EXPERIENCE.responses(engine, _rows())
        with engine.begin() as conn:
            conn.execute(insert(setting).values(key=STATE_KEY, value=REBUILD_RECORD))
            assert rebuild_requested_summaries(conn) == [STATE_KEY]
        with engine.connect() as conn:
            assert summaries_fresh(conn)
    finally:
        engine.dispose()


def test_resolved_cases_get_their_next_answer_when_upgraded(new_url: str) -> None:
    engine = make_engine(new_url)
    try:
        build_cases(engine)  # at head: each resolved case keeps its next answer
        fc = followup_case.c
        columns = (fc.id, fc.next_response_id, fc.next_ltr, fc.next_csat)
        with engine.connect() as conn:
            kept = conn.execute(select(*columns).order_by(fc.id)).all()
        assert sum(r.next_response_id is not None for r in kept) == 2  # cases 1 and 2
        with engine.begin() as conn:
            command.downgrade(_config(conn), "0017")  # as an older version left them: nothing kept
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(select(*columns).order_by(fc.id)).all() == kept
    finally:
        engine.dispose()
