"""An upload that only adds responses adds its sums to the summaries instead of rebuilding months (#9), and the
figures stay those of the raw rows; an upload that updates rows rebuilds the months. Both databases."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from cxdash.domain.tiers import get_tolerance
from cxdash.filters import Filters
from cxdash.metrics.experience.gap_sums import raw_touchpoint_sums, touchpoint_sums
from cxdash.schema import figure_summary, response_sample, survey_response
from cxdash.summaries import GRAIN_MONTH, plan_parts
from cxdash.summaries.figures import figure_measures, figure_sums, raw_figure_sums
from cxdash.summaries.sample import in_sample
from tests.support.imports import load
from tests.world import IMPORTS

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
    keys = select(fs.visit_date, fs.site_id, fs.team_id).where(fs.grain == GRAIN_MONTH.id) \
        .group_by(fs.visit_date, fs.site_id, fs.team_id).having(func.count() > 1).subquery()
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(keys)).scalar_one())


def test_an_upload_of_new_rows_adds_its_sums(engine: Engine) -> None:
    IMPORTS.org(engine)
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
    IMPORTS.org(engine)
    load(engine, _csv(0, 60))
    load(engine, _csv(60, 30))
    changed = _csv(0, 60).replace(",2026-09-01,", ",2026-11-20,")
    result = load(engine, changed, on_duplicate="update")
    assert result.updated > 0
    _same_as_raw(engine)


TP_HEAD = ("response_id,customer_id,site,team,channel,visit_date,REC01_P,REC01_E,REC01_I,CON01_P,CON01_E,"
           "nps,csat,ces\n")


def _tp_csv(first: int, n: int) -> str:
    """Responses with stated importance, a P without its E, an E without its P, both missing, and two channels."""
    lines = []
    for i in range(first, first + n):
        p = "" if i % 5 == 0 else str(1 + i % 7)
        e = "" if i % 6 == 0 else str(1 + (i * 3) % 7)
        cp, ce = ("", "") if i % 4 == 0 else (str(1 + (i * 5) % 7), "4")
        imp = "" if i % 3 == 0 else str(1 + i % 5)
        lines.append(f"t{i},C{i % 7},S0{1 + i % 2},{'A' if i % 2 == 0 else ''},{'wechat' if i % 3 else 'phone'},"
                     f"2026-{9 + i % 3:02d}-{1 + i % 27:02d},{p},{e},{imp},{cp},{ce},{i % 11},{1 + i % 5},"
                     f"{1 + i % 7}")
    return TP_HEAD + "\n".join(lines) + "\n"


def _touchpoint_summary(engine: Engine) -> pd.DataFrame:
    """The touchpoint summary summed per key (an addition leaves several rows per key)."""
    from cxdash.schema import touchpoint_summary
    from cxdash.summaries.common import TP_MEASURES

    ts = touchpoint_summary.c
    keys = [ts.grain, ts.visit_date, ts.region_id, ts.site_id, ts.team_id, ts.channel, ts.segment, ts.touchpoint_id]
    stmt = select(*keys, *[func.sum(ts[m]).label(m) for m in TP_MEASURES]).group_by(*keys)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).mappings().all())
    frame["visit_date"] = frame["visit_date"].astype(str)
    for m in TP_MEASURES:
        frame[m] = pd.to_numeric(frame[m]).astype(float)
    key_names = [k.name for k in keys]
    return frame.fillna({k: -1 for k in key_names if k not in ("visit_date", "channel", "segment")}) \
        .fillna({"channel": "", "segment": ""}).sort_values(key_names).reset_index(drop=True)


def _rebuilt(engine: Engine) -> pd.DataFrame:
    from cxdash.summaries import refresh_summaries

    with engine.begin() as conn:
        refresh_summaries(conn)
    return _touchpoint_summary(engine)


def test_sums_taken_while_loading_equal_a_rebuild(engine: Engine, monkeypatch) -> None:  # noqa: ANN001
    """SQLite sums an upload's new scores from its own chunks; the summary must be the one a rebuild makes."""
    import cxdash.summaries.build as build

    IMPORTS.org(engine)
    monkeypatch.setattr(build, "COMPACT_ROWS", 10)  # fold the chunks' sums together as a large upload does
    if engine.dialect.name == "sqlite":  # neither the first build nor the addition reads its scores back
        monkeypatch.setattr(build, "_read_pair_sums", lambda *a: (_ for _ in ()).throw(AssertionError("read back")))
    assert load(engine, _tp_csv(0, 40), chunk_rows=15).inserted == 40
    first = _touchpoint_summary(engine)
    assert load(engine, _tp_csv(40, 130), chunk_rows=20).inserted == 130
    monkeypatch.undo()
    added = _touchpoint_summary(engine)
    pd.testing.assert_frame_equal(added, _rebuilt(engine), check_exact=False, rtol=1e-12)
    _same_as_raw(engine)
    with engine.begin() as conn:  # back to the first upload's rows: a rebuild gives the first build's summary
        conn.execute(survey_response.delete().where(survey_response.c.external_id.notin_(
            [f"t{i}" for i in range(40)])))
    pd.testing.assert_frame_equal(first, _rebuilt(engine), check_exact=False, rtol=1e-12)


def test_an_upload_with_rows_already_loaded_reads_the_new_scores_back(engine: Engine) -> None:
    IMPORTS.org(engine)
    load(engine, _tp_csv(0, 40))
    result = load(engine, _tp_csv(20, 60))  # 20 already loaded: skipped
    assert (result.inserted, result.skipped) == (40, 20)
    pd.testing.assert_frame_equal(_touchpoint_summary(engine), _rebuilt(engine), check_exact=False, rtol=1e-12)
