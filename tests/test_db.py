"""The store: migrations match the model, SQLite pragmas, the data version."""

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


def test_data_version_and_settings(engine):
    assert data_version(engine) == 0
    with engine.begin() as conn:
        assert bump_data_version(conn) == 1
        put_setting(conn, "tier_tolerance", 0.1)
    assert data_version(engine) == 2
    with engine.connect() as conn:
        assert get_setting(conn, "tier_tolerance") == 0.1
        assert get_setting(conn, "missing", 7) == 7
