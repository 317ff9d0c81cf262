"""The views of the overview, tiers and touchpoints pages (:mod:`cxdash.views`): on both databases each returns
the figures of the metric functions it composes, falls back to a valid choice when asked for one that is not
there, survives the cache's pickling, and shows nothing (without failing) on an empty database."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, fields, replace
from datetime import date

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from sqlalchemy import Engine, func, select

from cxdash.demo import build_demo
from cxdash.domain.tiers import TIER_NAMES as TIERS
from cxdash.filters import Filters
from cxdash.metrics.comparisons import group_vs_rest, unit_ranking
from cxdash.metrics.experience.drilldown import DrillState, breadcrumb, level_table
from cxdash.metrics.experience.gap_trend import gap_trend
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.experience.ipa import ipa_matrix
from cxdash.metrics.experience.tier_analysis import (
    compare_group,
    compare_previous,
    tier_breakdown,
    tier_counts,
    tier_trend,
)
from cxdash.metrics.experience.tier_settings import tolerance_setting
from cxdash.metrics.experience.tier_value import tier_value
from cxdash.metrics.loyalty.churn_notes import trend_lines
from cxdash.metrics.overview.cards import overview, overview_trends, worst_touchpoints
from cxdash.metrics.response_list import response_export, response_list
from cxdash.schema import stage, survey_response, touchpoint, touchpoint_score
from cxdash.views.overview import OverviewView, overview_view, trailing_year
from cxdash.views.tiers import tiers_view
from cxdash.views.touchpoints import (
    GAP_COLS,
    compare_view,
    drilldown_export,
    drilldown_view,
    matrix_view,
    touchpoints_view,
)
from tests.support.snapshots import Snapshots


def _demo(engine: Engine, snapshots: Snapshots) -> Filters:
    """A small demo and the last 180 days up to its latest visit (so a previous period exists)."""
    snapshots.seed(engine, build_demo, responses=500, tickets=200, seed=5)
    with engine.connect() as conn:
        end = conn.execute(select(func.max(survey_response.c.visit_date))).scalar()
    end = end if isinstance(end, date) else date.fromisoformat(str(end)[:10])
    return Filters(date_from=date.fromordinal(end.toordinal() - 179), date_to=end)


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


def _picklable(view: object) -> None:
    """The app caches views with st.cache_data, which pickles them; they are frozen."""
    again = pickle.loads(pickle.dumps(view))
    assert type(again) is type(view)
    with pytest.raises(FrozenInstanceError):
        setattr(view, fields(view)[0].name, None)  # type: ignore[arg-type]


def test_overview_view_is_the_overview(engine: Engine, snapshots: Snapshots) -> None:
    f = _demo(engine, snapshots)
    view = overview_view(engine, f, "zh-Hans")
    assert view.overview.records() == overview(engine, f).records()
    _same_frame(view.trend, overview_trends(engine, f.with_dates(*trailing_year(f.date_to))))  # type: ignore[arg-type]
    _same_frame(view.worst, worst_touchpoints(engine, f, "zh-Hans"))
    assert list(view.trend_notes) == trend_lines(engine, f, "zh-Hans")
    assert list(view.cards_table["key"]) == [c.key for c in view.cards] and view.cards_table.columns[1] == "title"
    nps_values = view.trend.loc[view.trend["kpi"] == "nps", "value"].dropna().tolist()
    assert view.sparkline("nps") == nps_values and view.has_trend("nps") and not view.has_trend("nope")
    assert view.targets == {c.key: c.target for c in view.cards}
    ranged = overview_view(engine, f, window="range", as_of=f.date_to, churn_mode="inactivity")
    _same_frame(ranged.trend, overview_trends(engine, f, f.date_to, "inactivity"))
    assert ranged.overview.records() == overview(engine, f, f.date_to, "inactivity").records()
    assert trailing_year(date(2026, 2, 10)) == (date(2025, 3, 1), date(2026, 2, 10))
    with pytest.raises(ValueError):
        overview_view(engine, f, window="forever")
    _picklable(view)


def test_tiers_view_is_the_tiers_figures(engine: Engine, snapshots: Snapshots) -> None:
    f = _demo(engine, snapshots)
    view = tiers_view(engine, f, "zh-Hant")
    assert view.tolerance == tolerance_setting(engine)
    _same_frame(view.trend, tier_trend(engine, f, "month"))
    wide = tier_breakdown(engine, f, "site", "zh-Hant")
    _same_frame(view.breakdown[wide.columns], wide)
    assert {f"share_{x}_ci_low" for x in TIERS} <= set(view.breakdown.columns)
    previous = compare_previous(engine, f, "zh-Hant")
    assert previous is not None and view.previous is not None and view.previous.sentence == previous.sentence
    first = str(wide.loc[wide["key"].notna(), "key"].iloc[0])
    assert view.group == first and list(view.groups)[0] == first
    group = compare_group(engine, f, "site", int(first), "zh-Hant", view.groups[first])
    assert view.group_compare is not None and view.group_compare.sentence == group.sentence
    _same_frame(view.value, tier_value(engine, f))
    assert view.churn_note is not None
    counts = tier_counts(engine, f)
    assert {x: view.overall.proportion(x).k for x in TIERS} == counts
    assert list(view.trend_intervals.columns[-2:]) == ["share_ci_low", "share_ci_high"]
    # Another breakdown, period and group; a group not in the breakdown falls back to its first unit.
    last = list(view.groups)[-1]
    other = tiers_view(engine, f, period="week", by="site", group=last)
    assert other.group == last and other.group_compare is not None
    _same_frame(other.trend, tier_trend(engine, f, "week"))
    channels = tiers_view(engine, f, by="channel", group=last)
    assert channels.group == next(iter(channels.groups))
    _picklable(view)


def test_touchpoint_views_are_the_gap_figures(engine: Engine, snapshots: Snapshots) -> None:
    f = _demo(engine, snapshots)
    table = gap_table(engine, f, "en")
    view = touchpoints_view(engine, f)
    _same_frame(view.table, table)
    assert list(view.rows.columns) == GAP_COLS and view.has_data
    answered = [int(i) for i in table.loc[table["n"] > 0, "touchpoint_id"]]
    assert list(view.options) == answered
    short = table[table["significant"] & (table["gap"] < 0)].sort_values("gap")
    assert list(view.shortfalls["touchpoint_id"]) == list(short["touchpoint_id"])
    lean = touchpoints_view(engine, f, with_importance=False)
    _same_frame(lean.table, gap_table(engine, f, "en", with_importance=False))

    matrix = matrix_view(engine, f)
    points, kind, x_cut, y_cut = ipa_matrix(table)
    _same_frame(matrix.points, points)
    assert (matrix.x_kind, matrix.x_cut, matrix.y_cut) == (kind, x_cut, y_cut)
    assert matrix.touchpoint == answered[0]
    _same_frame(matrix.trend, gap_trend(engine, f, answered[0], "month"))
    chosen = matrix_view(engine, f, touchpoint=answered[-1], period="week")
    assert chosen.touchpoint == answered[-1]
    _same_frame(chosen.trend, gap_trend(engine, f, answered[-1], "week"))

    compare = compare_view(engine, f, "zh-Hans", by="team")
    teams = tier_breakdown(engine, f, "team", "zh-Hans")
    first = int(teams.loc[teams["key"].notna(), "key"].iloc[0])
    assert compare.unit == first and compare.comparison is not None
    _same_frame(compare.comparison, group_vs_rest(engine, f, "team", first, "zh-Hans"))
    worst = int(table.loc[table["n"] > 0].sort_values("gap")["touchpoint_id"].iloc[0])
    assert compare.touchpoint == worst and compare.ranking is not None
    _same_frame(compare.ranking, unit_ranking(engine, f, worst, "team", "zh-Hans"))
    picked = compare_view(engine, f, by="team", unit=list(compare.units)[-1], touchpoint=answered[0])
    assert (picked.unit, picked.touchpoint) == (list(compare.units)[-1], answered[0])
    assert not compare.chart_data["diff"].isna().any()
    with pytest.raises(ValueError):
        compare_view(engine, f, by="region")
    for v in (view, matrix, compare):
        _picklable(v)


def _path(engine: Engine) -> DrillState:
    """Stage, touchpoint and organisation of a response answered at CON02, down to its responses."""
    with engine.connect() as conn:
        row = conn.execute(
            select(stage.c.code, touchpoint.c.id, survey_response.c.region_id, survey_response.c.site_id,
                   survey_response.c.team_id, survey_response.c.person_id)
            .select_from(touchpoint_score.join(survey_response, survey_response.c.id == touchpoint_score.c.response_id)
                         .join(touchpoint, touchpoint.c.id == touchpoint_score.c.touchpoint_id)
                         .join(stage, stage.c.id == touchpoint.c.stage_id))
            .where(touchpoint.c.code == "CON02", survey_response.c.person_id.is_not(None))
            .order_by(survey_response.c.id).limit(1)).one()
    return DrillState(str(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]), int(row[5]))


def test_drilldown_view_is_the_drill_figures(engine: Engine, snapshots: Snapshots) -> None:
    f = Filters()
    _demo(engine, snapshots)
    full = _path(engine)
    for level in ("stage", "touchpoint", "region", "site", "team", "person"):
        state = full.up_to(level)
        view = drilldown_view(engine, f, "zh-Hant", state=state)
        assert view.level == level and not view.outside_scope and not view.outside_selection
        assert list(view.crumbs) == breadcrumb(engine, state, "zh-Hant", f)
        assert view.table is not None and view.responses is None
        _same_frame(view.table, level_table(engine, f, state, "zh-Hant"))
        assert view.keys == view.table["key"].tolist() and len(view.names) == len(view.table)
    view = drilldown_view(engine, f, state=full, search="", page=1)
    expected = response_list(engine, f, full)
    assert view.responses is not None and view.table is None
    assert (view.responses.total, view.responses.page) == (expected.total, expected.page) and expected.total > 0
    _same_frame(view.responses.rows, expected.rows)
    assert len(view.comments) <= len(view.responses.rows)
    assert drilldown_view(engine, f, state=full, page=99).responses.page == expected.pages  # type: ignore[union-attr]
    _same_frame(drilldown_export(engine, f, state=full).rows, response_export(engine, f, full))
    assert drilldown_view(engine, f).level == "stage"
    # A unit outside the selection's own list (a hand-made URL): said so, with the way back up.
    narrowed = replace(f, site_ids=(full.site + 1,))  # type: ignore[operator]
    outside = drilldown_view(engine, narrowed, state=full.up_to("team"))
    assert outside.outside_selection and outside.table is None and len(outside.crumbs) == 5
    _picklable(view)


def test_views_on_an_empty_database(engine: Engine) -> None:
    f = Filters()
    ov = overview_view(engine, f)
    assert isinstance(ov, OverviewView) and ov.trend.empty and ov.worst.empty and ov.sparkline("nps") == []
    tiers = tiers_view(engine, f)
    assert tiers.group is None and tiers.group_compare is None and tiers.revisit_hint is None
    assert tiers.overall.n == 0 and tiers.previous is None
    tps = touchpoints_view(engine, f)
    assert not tps.has_data and tps.options == ()
    matrix = matrix_view(engine, f)
    assert matrix.points.empty and matrix.touchpoint is None and matrix.trend.empty
    compare = compare_view(engine, f)
    assert compare.unit is None and compare.comparison is None and compare.chart_data.empty
    drill = drilldown_view(engine, f)
    assert drill.table is not None and drill.table["n"].fillna(0).sum() == 0
