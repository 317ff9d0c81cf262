"""The summary tables give the same sums as the raw rows for any selection, and fall back when stale."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from cxdash.filters import Filters
from cxdash.metrics.experience.gap_sums import one_touchpoint_sums, raw_touchpoint_sums, touchpoint_sums
from cxdash.metrics.experience.gaps import TP_MEASURES
from cxdash.summaries import GRAIN_DAY, GRAIN_MONTH, GRAIN_MONTH_CS, Part, plan_parts, refresh_summaries
from cxdash.summaries.common import REGION_DAY, REGION_MONTH, REGION_MONTH_CS
from tests.world import EXPERIENCE

TOL = 1 / 12


def _random_rows(n: int, seed: int = 5) -> list[dict]:
    rng = np.random.default_rng(seed)
    codes = ["REC01", "CON02", "HND02"]
    rows = []
    for i in range(n):
        scale = [(1.0, 7.0), (0.0, 10.0), (0.0, 100.0)][i % 3]
        hi = int(scale[1])
        scores = [(c, int(rng.integers(scale[0], hi + 1)), int(rng.integers(scale[0], hi + 1)) if i % 7 else None,
                   float(rng.integers(1, 6))) for c in codes]
        rows.append({
            "team_id": int(rng.integers(1, 5)),
            "visit_date": date(2026, 1, 1) + timedelta(days=int(rng.integers(0, 120))),
            "channel": ["workshop", "phone"][i % 2],
            "segment": ["private", "fleet", None][i % 3],
            "tp_scale_min": scale[0], "tp_scale_max": scale[1],
            "scores": scores,
        })
    return rows


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = df.copy()
    for m in TP_MEASURES:
        out[m] = pd.to_numeric(out[m]).astype(float)
    return out.sort_values(keys).reset_index(drop=True)


SELECTIONS = [
    Filters(),
    Filters(date_from=date(2026, 1, 10), date_to=date(2026, 3, 20)),
    Filters(date_from=date(2026, 2, 1), date_to=date(2026, 2, 28)),
    Filters(date_from=date(2026, 2, 3), date_to=date(2026, 2, 9)),
    Filters(date_from=date(2026, 1, 15), date_to=date(2026, 4, 2), channels=("phone",)),
    Filters(segments=("fleet",), site_ids=(3,)),
    Filters(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31), region_ids=(1,), scope_teams=(2,)),
    Filters(date_from=date(2026, 1, 20), date_to=date(2026, 4, 30), region_ids=(2,)),
    Filters(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31), region_ids=(1,), segments=("private",)),
]


def _summarised(engine: Engine) -> None:
    """EXPERIENCE with 240 random responses and its summaries (seeded once a session: see tests/support/snapshots.py)."""
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, _random_rows(240))
    with engine.begin() as conn:
        refresh_summaries(conn, tolerance=TOL)


@pytest.mark.parametrize("filters", SELECTIONS)
def test_summaries_equal_raw(engine, snapshots, filters):
    snapshots.seed(engine, _summarised)
    with engine.connect() as conn:
        assert any(p.grain is not None for p in plan_parts(conn, filters, tolerance=TOL))
        for keys in (["touchpoint_id"], ["site_id", "touchpoint_id"], ["month", "touchpoint_id"]):
            fast = _sorted(touchpoint_sums(conn, filters, TOL, keys), keys)
            raw = _sorted(raw_touchpoint_sums(conn, filters, TOL, keys), keys)
            pd.testing.assert_frame_equal(fast, raw, check_dtype=False, check_exact=False, rtol=1e-9)
            one = int(raw["touchpoint_id"].iloc[0]) if not raw.empty else 1  # one touchpoint, read alone
            fast_one = _sorted(touchpoint_sums(conn, filters, TOL, keys, touchpoint_ids=[one]), keys)
            raw_one = raw[raw["touchpoint_id"].astype(int) == one].reset_index(drop=True)
            pd.testing.assert_frame_equal(fast_one, raw_one, check_dtype=False, check_exact=False, rtol=1e-9)
            two = touchpoint_sums(conn, filters, TOL, keys, measures=("n", "s_d"))  # only the measures asked
            assert list(two.columns) == [*keys, "n", "s_d"]
            two = two.astype({"n": float, "s_d": float}).sort_values(keys).reset_index(drop=True)
            pd.testing.assert_frame_equal(two, raw[[*keys, "n", "s_d"]], check_dtype=False, check_exact=False,
                                          rtol=1e-9)


@pytest.mark.parametrize("fresh", [True, False], ids=["summaries", "raw"])
def test_one_touchpoint_equals_its_row(engine, fresh):
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, _random_rows(240))
    if fresh:
        with engine.begin() as conn:
            refresh_summaries(conn, tolerance=TOL)
    with engine.connect() as conn:
        for filters in SELECTIONS:
            table = raw_touchpoint_sums(conn, filters, TOL).set_index("touchpoint_id")
            for tp_id in [*table.index, 10_000]:  # and a touchpoint without answers
                n, s, ss = one_touchpoint_sums(conn, filters, TOL, int(tp_id))
                row = table.loc[tp_id] if tp_id in table.index else {"n": 0, "s_d": 0.0, "ss_d": 0.0}
                assert n == int(row["n"])
                assert s == pytest.approx(float(row["s_d"] or 0.0), rel=1e-9, abs=1e-12)
                assert ss == pytest.approx(float(row["ss_d"] or 0.0), rel=1e-9, abs=1e-12)


def test_plan_parts(engine):
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, _random_rows(10))
    with engine.connect() as conn:
        assert plan_parts(conn, Filters()) == [Part(None, None, None)]  # never refreshed: raw
    with engine.begin() as conn:
        refresh_summaries(conn)
    with engine.connect() as conn:
        f = Filters(date_from=date(2026, 1, 10), date_to=date(2026, 3, 20))
        assert plan_parts(conn, f, by_team=True) == [
            Part(GRAIN_MONTH, date(2026, 2, 1), date(2026, 2, 28)),
            Part(GRAIN_DAY, date(2026, 1, 10), date(2026, 1, 31)),
            Part(GRAIN_DAY, date(2026, 3, 1), date(2026, 3, 20)),
        ]
        # brand-wide or by region: the region grains, whatever the regions
        for g in (f, replace(f, region_ids=(1,))):
            assert plan_parts(conn, g) == [
                Part(REGION_MONTH, date(2026, 2, 1), date(2026, 2, 28)),
                Part(REGION_DAY, date(2026, 1, 10), date(2026, 1, 31)),
                Part(REGION_DAY, date(2026, 3, 1), date(2026, 3, 20)),
            ]
        # a site, a team or a team lead's scope: sites and teams kept
        for g in (replace(f, site_ids=(3,)), replace(f, team_ids=(2,)), replace(f, scope_sites=())):
            assert [p.grain for p in plan_parts(conn, g)] == [GRAIN_MONTH, GRAIN_DAY, GRAIN_DAY]
        cs = plan_parts(conn, Filters(date_from=date(2026, 1, 1), date_to=date(2026, 3, 5), channels=("x",)))
        assert cs == [Part(REGION_MONTH_CS, date(2026, 1, 1), date(2026, 2, 28)), Part(None, date(2026, 3, 1), date(2026, 3, 5))]
        cs = plan_parts(conn, Filters(date_from=date(2026, 1, 1), date_to=date(2026, 3, 5), channels=("x",), site_ids=(3,)))
        assert cs == [Part(GRAIN_MONTH_CS, date(2026, 1, 1), date(2026, 2, 28)), Part(None, date(2026, 3, 1), date(2026, 3, 5))]
        assert plan_parts(conn, Filters(person_ids=(1,))) == [Part(None, None, None)]
        assert plan_parts(conn, Filters(), tolerance=0.2) == [Part(None, None, None)]  # built with another tolerance
    EXPERIENCE.responses(engine, _random_rows(1))  # a loader that forgot to refresh: raw again, never wrong
    with engine.connect() as conn:
        assert plan_parts(conn, Filters()) == [Part(None, None, None)]


def test_each_grain_is_written_in_date_order(engine):
    """A day's rows of a grain lie together: a hash aggregate on PostgreSQL wrote them in no order, and reading a
    month of day rows at 1,000 sites touched 78,000 blocks (0.8 s; 0.03 s in date order)."""
    from sqlalchemy import literal_column, select, text

    from cxdash.schema import figure_summary, response_summary, touchpoint_summary

    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, _random_rows(240))
    tables = (touchpoint_summary, response_summary, figure_summary)
    with engine.begin() as conn:
        for table in tables:  # empty files, as in a first build: PostgreSQL fills freed space first
            conn.execute(text(f"TRUNCATE {table.name}") if engine.dialect.name == "postgresql" else table.delete())
        refresh_summaries(conn, tolerance=TOL)
    position = literal_column("ctid" if engine.dialect.name == "postgresql" else "rowid")
    with engine.connect() as conn:
        for table in tables:
            rows = conn.execute(select(table.c.grain, table.c.visit_date).order_by(position)).all()
            for grain in {g for g, _ in rows}:
                days = [d for g, d in rows if g == grain]
                # PostgreSQL may put a short row into an earlier page's free space; a hash order had half of
                # the neighbours out of order
                descents = sum(b < a for a, b in zip(days, days[1:], strict=False))
                assert len(days) > 1 and descents <= len(days) // 50, (table.name, grain, descents, len(days))


def test_incremental_refresh(engine):
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, _random_rows(100))
    with engine.begin() as conn:
        refresh_summaries(conn, tolerance=TOL)
    EXPERIENCE.responses(engine, [{"visit_date": date(2026, 2, 14), "scores": [("REC01", 2, 6)]}])
    with engine.begin() as conn:
        refresh_summaries(conn, date(2026, 2, 14), date(2026, 2, 14), tolerance=TOL)
    with engine.connect() as conn:
        fast = _sorted(touchpoint_sums(conn, Filters(), TOL), ["touchpoint_id"])
        raw = _sorted(raw_touchpoint_sums(conn, Filters(), TOL), ["touchpoint_id"])
    pd.testing.assert_frame_equal(fast, raw, check_dtype=False, check_exact=False, rtol=1e-9)


def test_the_region_grain_migration_has_older_summaries_rebuilt(engine):
    from alembic import command
    from alembic.config import Config

    from cxdash.db import MIGRATIONS, get_setting, put_setting, upgrade
    from cxdash.summaries.common import STATE_KEY
    from cxdash.summaries.rebuild import rebuild_requested_summaries

    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, _random_rows(60))
    with engine.begin() as conn:
        refresh_summaries(conn)
        saved = get_setting(conn, STATE_KEY)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
        put_setting(conn, STATE_KEY, {**saved, "format": 1})  # what the previous version recorded
    f = Filters(date_from=date(2026, 1, 10), date_to=date(2026, 3, 20))
    with engine.connect() as conn:
        assert plan_parts(conn, f) == [Part(None, f.date_from, f.date_to)]  # older summaries: raw rows
    upgrade(engine)  # the migration runs only its own SQL: it asks for a rebuild, readers take the raw rows
    with engine.connect() as conn:
        assert plan_parts(conn, f) == [Part(None, f.date_from, f.date_to)]
    with engine.begin() as conn:
        assert rebuild_requested_summaries(conn) == [STATE_KEY]
    with engine.connect() as conn:
        assert [p.grain for p in plan_parts(conn, f)] == [REGION_MONTH, REGION_DAY, REGION_DAY]
        tol = get_setting(conn, STATE_KEY)["tolerance"]
        fast = _sorted(touchpoint_sums(conn, f, tol), ["touchpoint_id"])
        raw = _sorted(raw_touchpoint_sums(conn, f, tol), ["touchpoint_id"])
    pd.testing.assert_frame_equal(fast, raw, check_dtype=False, check_exact=False, rtol=1e-9)
