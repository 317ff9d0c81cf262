"""Tests for cxdash.bulk: fast inserts on both backends, with the same stored values as Core inserts."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pytest
from sqlalchemy import Engine, func, select

from cxdash.bulk import bulk_insert, date_strings, datetime_strings, next_id, reset_sequences, trusted_load
from cxdash.schema import app_user, audit_log, region


def test_bulk_insert_round_trips_values(engine: Engine) -> None:
    stamps = np.array(["2026-01-02T03:04:05", "NaT"], dtype="datetime64[s]")
    rows = [
        (1, datetime(2026, 1, 2, 3, 4, 5), "login", {"a": 1, "zh": "华东"}),
        (2, datetime_strings(stamps)[0], "it's\ttab\nline", None),
        (3, datetime(2026, 1, 3), "plain", [1, 2]),
    ]
    with engine.begin() as conn:
        n = bulk_insert(conn, audit_log, ["id", "at", "action", "detail"], iter(rows), chunk_size=2)
        reset_sequences(conn, [audit_log])
    assert n == 3
    with engine.connect() as conn:
        got = conn.execute(select(audit_log.c.id, audit_log.c.at, audit_log.c.action, audit_log.c.detail)
                           .order_by(audit_log.c.id)).all()
        # A bound datetime parameter compares correctly with the bulk-written text on SQLite.
        later = conn.execute(
            select(func.count()).select_from(audit_log).where(audit_log.c.at > datetime(2026, 1, 2, 3, 4, 5))
        ).scalar_one()
    assert [r.at for r in got] == [datetime(2026, 1, 2, 3, 4, 5)] * 2 + [datetime(2026, 1, 3)]
    assert got[0].detail == {"a": 1, "zh": "华东"}
    assert got[1].action == "it's\ttab\nline" and got[1].detail is None
    assert got[2].detail == [1, 2]
    assert later == 1


def test_bulk_insert_rolls_back_with_the_transaction(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        bulk_insert(conn, region, ["id", "code", "name_en"], [(1, "N", "North")])
        raise RuntimeError("abort")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(region)).scalar_one() == 0


def test_next_id_and_sequences_let_ordinary_inserts_follow(engine: Engine) -> None:
    with engine.begin() as conn:
        assert next_id(conn, app_user) == 1
        bulk_insert(conn, app_user, ["id", "email", "role", "active", "created_at"],
                    [(i, f"u{i}@x", "admin", True, datetime(2026, 1, 1)) for i in range(1, 6)])
        reset_sequences(conn, [app_user])
        assert next_id(conn, app_user) == 6
        new_id = conn.execute(
            app_user.insert().values(email="new@x", role="admin", active=False, created_at=datetime(2026, 1, 1))
        ).inserted_primary_key[0]
        active = conn.execute(select(func.count()).select_from(app_user).where(app_user.c.active)).scalar_one()
    assert new_id == 6
    assert active == 5


def test_string_helpers_format_like_sqlalchemy() -> None:
    days = np.array(["2026-02-03", "NaT"], dtype="datetime64[D]")
    assert date_strings(days) == ["2026-02-03", None]
    assert date_strings(days)[0] == date(2026, 2, 3).isoformat()
    stamp = np.array(["2026-02-03T04:05:06.5"], dtype="datetime64[ms]")
    assert datetime_strings(stamp) == ["2026-02-03 04:05:06.500000"]


def test_trusted_load_switches_checks_off_only_inside(engine: Engine) -> None:
    with engine.begin() as conn:
        with trusted_load(conn) as off:
            if engine.dialect.name == "postgresql":
                assert off is True  # the test server's user is a superuser
                assert conn.exec_driver_sql("SHOW session_replication_role").scalar() == "replica"
            else:
                assert off is False
            bulk_insert(conn, region, ["id", "code", "name_en"], [(1, "N", "North")])
        if engine.dialect.name == "postgresql":
            assert conn.exec_driver_sql("SHOW session_replication_role").scalar() == "origin"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(region)).scalar_one() == 1
