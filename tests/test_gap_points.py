"""#19.9: n of perceived-only touchpoints, gaps in the scale's own points, Wilson intervals in ``report tiers``.

Data is built here; expected figures are computed by hand (raw P - E in points, the Wilson formula written out).
"""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxdash.cli import main
from cxdash.export import to_csv_bytes
from cxdash.filters import Filters
from cxdash.metrics.experience.gaps import gap_table
from tests.world import EXPERIENCE

# (P, E) at REC01 on a 1-7 scale.
REC01 = [(5, 6), (4, 6), (6, 6), (3, 5), (7, 6), (5, 7), (4, 4), (2, 5), (6, 7), (5, 5)]


def _run(engine, capsys, *args: str) -> str:
    assert main(["--database-url", engine.url.render_as_string(hide_password=False), "report", *args]) == 0
    return capsys.readouterr().out


def _one_scale(engine, p_only: int = 35) -> None:
    """REC01 pairs, HND02 answered with P only (``p_only`` answers), all on the 1-7 scale."""
    EXPERIENCE.org(engine)
    rows = [{"scores": [("REC01", p, e)]} for p, e in REC01]
    rows += [{"scores": [("HND02", 3 + i % 5, None)]} for i in range(p_only)]
    EXPERIENCE.responses(engine, rows)


def test_perceived_only_touchpoint_counts_its_answers(engine) -> None:
    _one_scale(engine, p_only=35)
    table = gap_table(engine, Filters(), with_importance=False).set_index("touchpoint_code")
    hnd = table.loc["HND02"]
    assert hnd["n"] == 35 and hnd["n_pairs"] == 0 and not hnd["low_sample"]
    assert hnd["mean_p"] == pytest.approx(np.mean([(3 + i % 5 - 1) / 6 for i in range(35)]))
    assert math.isnan(hnd["gap"]) and math.isnan(hnd["gap_points"])
    rec = table.loc["REC01"]
    assert rec["n"] == rec["n_pairs"] == len(REC01) and rec["low_sample"]  # 10 pairs: a low sample
    assert table.loc["VAL01", "n"] == 0 and table.loc["VAL01", "low_sample"]


def test_a_few_perceived_only_answers_are_a_low_sample(engine) -> None:
    _one_scale(engine, p_only=5)
    hnd = gap_table(engine, Filters(), with_importance=False).set_index("touchpoint_code").loc["HND02"]
    assert hnd["n"] == 5 and hnd["low_sample"]


def test_gap_in_points_of_a_single_scale(engine) -> None:
    _one_scale(engine)
    rec = gap_table(engine, Filters(), with_importance=False).set_index("touchpoint_code").loc["REC01"]
    raw = np.array([p - e for p, e in REC01], dtype=float)  # P - E in points of the 1-7 scale
    ci = sps.ttest_1samp(raw, 0.0).confidence_interval(0.95)
    assert rec["scale"] == "1-7"
    assert rec["gap_points"] == pytest.approx(raw.mean()) == pytest.approx(-1.0)
    assert rec["gap"] == pytest.approx(raw.mean() / 6)  # the 0-1 figure beside it
    assert (rec["ci_low_points"], rec["ci_high_points"]) == (pytest.approx(ci.low), pytest.approx(ci.high))


def test_mixed_scales_leave_points_empty_only_where_they_mix(engine) -> None:
    EXPERIENCE.org(engine)
    rows = [{"scores": [("REC01", p, e)]} for p, e in REC01]  # 1-7
    rows += [{"tp_scale_min": 0.0, "tp_scale_max": 10.0, "scores": [("CON02", p, e)]} for p, e in [(6, 9), (3, 5)]]
    rows += [{"team_id": 2, "scores": [("CON02", 5, 6)]}]  # CON02 also on 1-7 (team two): mixed
    rows += [{"tp_scale_min": 0.0, "tp_scale_max": 10.0, "scores": [("VAL01", p, e)]} for p, e in [(8, 6), (7, 7)]]
    EXPERIENCE.responses(engine, rows)
    table = gap_table(engine, Filters(), with_importance=False).set_index("touchpoint_code")
    assert table.loc["REC01", "scale"] == "1-7" and table.loc["REC01", "gap_points"] == pytest.approx(-1.0)
    assert table.loc["VAL01", "scale"] == "0-10" and table.loc["VAL01", "gap_points"] == pytest.approx(1.0)
    con = table.loc["CON02"]
    assert con["scale_mixed"] and pd.isna(con["scale"]) and math.isnan(con["gap_points"])
    assert con["gap"] == pytest.approx(np.mean([-3 / 10, -2 / 10, -1 / 6]))  # the 0-1 gap still pools them
    # A filter that keeps one scale at CON02 (team one: 0-10 only) gives it its points back.
    one = gap_table(engine, Filters(team_ids=(1,)), with_importance=False).set_index("touchpoint_code")
    assert one.loc["CON02", "scale"] == "0-10" and one.loc["CON02", "gap_points"] == pytest.approx(-2.5)
    # A selection on one scale (team two: CON02 on 1-7) in a database of several.
    two = gap_table(engine, Filters(team_ids=(2,)), with_importance=False).set_index("touchpoint_code")
    assert two.loc["CON02", "scale"] == "1-7" and two.loc["CON02", "gap_points"] == pytest.approx(-1.0)


def test_export_and_cli_carry_the_gap_in_points(engine, capsys) -> None:
    _one_scale(engine)
    table = gap_table(engine, Filters(), with_importance=False)
    header = to_csv_bytes(table).decode("utf-8-sig").splitlines()[0].split(",")
    assert {"gap", "gap_points", "ci_low_points", "ci_high_points", "scale"} <= set(header)
    for command in ("touchpoints", "gaps"):
        rows = {r["touchpoint_code"]: r for r in json.loads(_run(engine, capsys, command, "--format", "json"))}
        assert rows["REC01"]["gap_points"] == pytest.approx(-1.0) and rows["REC01"]["scale"] == "1-7"
        assert rows["HND02"]["n"] == 35 and rows["HND02"]["n_pairs"] == 0 and rows["HND02"]["gap_points"] is None
    out = _run(engine, capsys, "touchpoints", "--format", "csv")
    assert "gap_points" in next(csv.reader(io.StringIO(out)))


def _wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval written out (z = 1.96, as DESIGN.md §3 rounds it)."""
    z, p = 1.96, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_report_tiers_prints_wilson_intervals(engine, capsys) -> None:
    EXPERIENCE.org(engine)
    tiers = [0] * 14 + [1] * 13 + [2] * 11 + [None] * 2  # 40 responses
    EXPERIENCE.responses(engine, [{"tier": tier, "team_id": 1 + i % 2} for i, tier in enumerate(tiers)])
    rows = {r["tier"]: r for r in json.loads(_run(engine, capsys, "tiers"))}
    for name, k in (("disappointed", 14), ("basic", 13), ("delighted", 11), ("none", 2)):
        low, high = _wilson(k, 40)
        assert rows[name]["n"] == k and rows[name]["share"] == pytest.approx(k / 40)
        assert rows[name]["share_ci_low"] == pytest.approx(low) and rows[name]["share_ci_high"] == pytest.approx(high)
    by_team = json.loads(_run(engine, capsys, "tiers", "--by", "team"))
    team1 = next(r for r in by_team if r["key"] == 1)
    k1 = sum(1 for i, t in enumerate(tiers) if t == 0 and i % 2 == 0)
    assert team1["share_disappointed_ci_low"] == pytest.approx(_wilson(k1, 20)[0])
    monthly = json.loads(_run(engine, capsys, "tiers", "--by", "month"))
    dis = next(r for r in monthly if r["tier"] == "disappointed")
    assert (dis["share_ci_low"], dis["share_ci_high"]) == tuple(pytest.approx(v) for v in _wilson(14, 40))


@pytest.mark.apptest
def test_touchpoints_page_shows_points_answers_and_why_points_are_empty(engine) -> None:
    from tests.support.app import make_app, no_errors

    _one_scale(engine)
    EXPERIENCE.responses(engine, [{"tp_scale_min": 0.0, "tp_scale_max": 10.0, "scores": [("REC01", 6, 9)]}])
    at = make_app("zh-Hans", engine.url.render_as_string(hide_password=False))
    at.run()
    at.switch_page("ui/pages/touchpoints.py")
    at.run()
    no_errors(at)
    shown = at.dataframe[0].value.set_index("touchpoint_name")
    assert {"gap", "gap_points", "scale"} <= set(shown.columns)
    # the table shows display text (#20): counts as whole numbers, an empty figure as "–"
    assert shown.loc["保安问候客户", "n"] == str(len(REC01) + 1) and shown.loc["保安问候客户", "gap_points"] == "–"
    assert (shown["n"] == "35").any()  # the P-only touchpoint: its answers, not 0
    assert any("REC01" in x.value and "量表" in x.value for x in at.text)  # why REC01 has no points
