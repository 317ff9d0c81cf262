"""An upload that only adds responses adds its sums to the summaries instead of rebuilding months (#9), and the
figures stay those of the raw rows; an upload that updates rows rebuilds the months. Both databases."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from cxdash.filters import Filters
from cxdash.metrics.gaps import raw_touchpoint_sums, touchpoint_sums
from cxdash.metrics.tier_settings import get_tolerance
from cxdash.schema import figure_summary, response_sample, survey_response
from cxdash.summaries import GRAIN_MONTH, plan_parts
from cxdash.summaries.figures import figure_measures, figure_sums, raw_figure_sums
from cxdash.summaries.sample import in_sample
from tests.imports_support import load, seed

HEAD = "response_id,customer_id,site,team,service advisor,visit_date,REC01_P,REC01_E,CON01_P,CON01_E,nps,csat,ces\n"


def _csv(first: int, n: int) -> str:
    lines = []
    for i in range(first, first + n):
        day = 1 + i % 27
        lines.append(f"r{i},C{i % 7},S0{1 + i % 2},{'A' if i % 2 == 0 else ''},{'wang' if i % 2 == 0 else ''},"
                     f"2026-{9 + i % 3:02d}-{day:02d},{1 + i % 7},{1 + (i * 3) % 7},{1 + (i * 5) % 7},4,{i % 11},"
                     f"{1 + i % 5},{1 + i % 7}")
    return HEAD + "\n".join(lines) + "\n"


def _same_as_raw(engine: Engine) -> None:
    tol = get_tolerance(engine.connect())
    for filters in (Filters(), Filters(site_ids=(1,)), Filters(channels=("workshop",))):
        with engine.connect() as conn:
            assert any(p.grain is not None for p in plan_parts(conn, filters)), "summaries must be usable"
            for keys in ([], ["month"]):
                fast, raw = figure_sums(conn, filters, keys), raw_figure_sums(conn, filters, keys)
                for frame in (fast, raw):
                    for m in figure_measures():
                        frame[m] = pd.to_numeric(frame[m]).astype(float).fillna(0.0)
                by = keys or None
                fast = fast.sort_values(by).reset_index(drop=True) if by else fast
                raw = raw.sort_values(by).reset_index(drop=True) if by else raw
                pd.testing.assert_frame_equal(fast, raw, check_dtype=False, check_exact=False, rtol=1e-12)
            tp_fast = touchpoint_sums(conn, filters, tol, ["touchpoint_id"]).sort_values("touchpoint_id")
            tp_raw = raw_touchpoint_sums(conn, filters, tol, ["touchpoint_id"]).sort_values("touchpoint_id")
            for m in ("n", "s_d", "n_dis", "n_p"):
                assert list(pd.to_numeric(tp_fast[m]).astype(float).round(9)) == \
                    list(pd.to_numeric(tp_raw[m]).astype(float).round(9)), m


def _duplicate_keys(engine: Engine) -> int:
    """Month rows of the figure summary that share their key with another row (only an addition makes them)."""
    fs = figure_summary.c
    keys = select(fs.visit_date, fs.site_id, fs.team_id).where(fs.grain == GRAIN_MONTH) \
        .group_by(fs.visit_date, fs.site_id, fs.team_id).having(func.count() > 1).subquery()
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(keys)).scalar_one())


def test_an_upload_of_new_rows_adds_its_sums(engine: Engine) -> None:
    seed(engine)
    assert load(engine, _csv(0, 60)).inserted == 60  # no summaries yet: the months are built
    _same_as_raw(engine)
    assert _duplicate_keys(engine) == 0
    result = load(engine, _csv(60, 90))
    assert result.inserted == 90 and result.updated == 0
    assert _duplicate_keys(engine) > 0  # added beside the old rows, not rebuilt
    _same_as_raw(engine)
    with engine.connect() as conn:
        sampled = conn.execute(select(func.count()).where(in_sample(survey_response.c.id))).scalar_one()
        assert conn.execute(select(func.count()).select_from(response_sample)).scalar_one() == sampled


def test_an_upload_that_updates_rows_rebuilds_the_months(engine: Engine) -> None:
    seed(engine)
    load(engine, _csv(0, 60))
    load(engine, _csv(60, 30))
    changed = _csv(0, 60).replace(",2026-09-01,", ",2026-11-20,")
    result = load(engine, changed, on_duplicate="update")
    assert result.updated > 0
    _same_as_raw(engine)
