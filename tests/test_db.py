"""The store: migrations match the model, SQLite pragmas, the data version."""

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from cxdash.db import bump_data_version, data_version, get_setting, is_empty, make_engine, put_setting
from cxdash.schema import metadata


def test_migrations_match_the_model(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []


def test_upgrade_is_idempotent(engine):
    make_engine(engine.url.render_as_string(hide_password=False)).dispose()
    assert is_empty(engine)


def test_sqlite_pragmas(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 60000


@pytest.mark.postgres
def test_postgresql_sessions_run_without_jit_on_solid_state_costs(pg_url):
    from sqlalchemy import make_url

    with make_engine(pg_url).connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar() == "off"
        assert conn.execute(text("SHOW random_page_cost")).scalar() == "1.5"
    url = make_url(pg_url).update_query_dict({"options": "-c statement_timeout=12345 -c random_page_cost=2"})
    eng = make_engine(url.render_as_string(hide_password=False), migrate=False)
    with eng.connect() as conn:  # the URL's own options are kept and win
        assert conn.execute(text("SHOW jit")).scalar() == "off"
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "12345ms"
        assert conn.execute(text("SHOW random_page_cost")).scalar() == "2"
    eng.dispose()


def test_data_version_and_settings(engine):
    assert data_version(engine) == 0
    with engine.begin() as conn:
        assert bump_data_version(conn) == 1
        put_setting(conn, "tier_tolerance", 0.1)
    assert data_version(engine) == 2
    with engine.connect() as conn:
        assert get_setting(conn, "tier_tolerance") == 0.1
        assert get_setting(conn, "missing", 7) == 7


def _table_sql(conn, name):  # noqa: ANN001, ANN202
    return conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": name}).scalar_one()


def test_touchpoint_scores_are_stored_in_key_order_and_the_migration_keeps_them(sqlite_engine):
    from alembic import command
    from alembic.config import Config

    from cxdash.db import MIGRATIONS, upgrade
    from cxdash.schema import survey_response, touchpoint, touchpoint_score

    with sqlite_engine.begin() as conn:
        assert "WITHOUT ROWID" in _table_sql(conn, "touchpoint_score")
        tp = conn.execute(text("INSERT INTO stage (code, sort_order, name_en) VALUES ('S', 1, 'S') RETURNING id"))
        stage_id = tp.scalar_one()
        conn.execute(touchpoint.insert().values(id=7, stage_id=stage_id, code="T7", sort_order=1, name_en="T7"))
        conn.execute(survey_response.insert(), [
            {"id": i, "source": "file", "external_id": f"r{i}", "visit_date": date(2026, 11, 1)} for i in (1, 2)])
        conn.execute(touchpoint_score.insert(), [
            {"response_id": 2, "touchpoint_id": 7, "p": 4.0, "e": 5.0}, {"response_id": 1, "touchpoint_id": 7, "p": 3.0, "e": None}])
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with sqlite_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004")
        assert "WITHOUT ROWID" not in _table_sql(conn, "touchpoint_score")
    upgrade(sqlite_engine)
    with sqlite_engine.connect() as conn:
        assert "WITHOUT ROWID" in _table_sql(conn, "touchpoint_score")
        got = conn.execute(text("SELECT response_id, touchpoint_id, p, e FROM touchpoint_score")).all()
        assert [tuple(r) for r in got] == [(1, 7, 3.0, None), (2, 7, 4.0, 5.0)]
        names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE tbl_name = 'touchpoint_score'"))}
        assert names == {"touchpoint_score"}  # no index on touchpoint alone (0006)
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == []
