"""The one formatter per kind of figure (cxdash.formatting): tables, reports and downloads."""

from __future__ import annotations

import io
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from cxdash import formatting as fmt
from cxdash.export import to_csv_bytes, to_xlsx_bytes


def test_counts_are_whole_numbers_with_separators() -> None:
    assert fmt.count(2733.0) == "2,733"
    assert fmt.count(np.int64(12)) == "12"
    assert fmt.count(None) == fmt.MISSING
    assert fmt.count(float("nan")) == fmt.MISSING


def test_shares_are_percent() -> None:
    assert fmt.percent(0.4532) == "45.3%"
    assert fmt.percent(1) == "100.0%"
    assert fmt.percent(pd.NA) == fmt.MISSING


def test_gaps_scores_nps_carry_sign_and_fixed_decimals() -> None:
    assert fmt.gap(-0.1) == "−0.100"
    assert fmt.gap(0.04249) == "+0.042"
    assert fmt.gap(-0.0001) == "0.000"  # no "−0.000"
    assert fmt.points(-0.6) == "−0.60"
    assert fmt.nps(32.44) == "+32.4"
    assert fmt.score(4.12345) == "4.12"
    assert fmt.FORMATTERS["score3"](0.7345, "en") == "0.734" or fmt.FORMATTERS["score3"](0.7345, "en") == "0.735"


@pytest.mark.parametrize(("p", "cell", "running"), [
    (0.0, "< 0.001", "p < 0.001"),
    (0.00049, "< 0.001", "p < 0.001"),
    (0.0234, "0.023", "p = 0.023"),
    (0.5, "0.500", "p = 0.500"),
])
def test_p_values_never_read_zero(p: float, cell: str, running: str) -> None:
    assert fmt.p_value(p) == cell
    assert fmt.p_value(p, prefix=True) == running


def test_dates_and_times() -> None:
    assert fmt.date_text(pd.Timestamp("2026-02-23 00:00:00")) == "2026-02-23"
    assert fmt.date_text(date(2026, 2, 23)) == "2026-02-23"
    assert fmt.datetime_text(datetime(2026, 2, 23, 14, 5, 31)) == "2026-02-23 14:05"
    assert fmt.datetime_text(date(2026, 2, 23)) == "2026-02-23"
    assert fmt.date_text(pd.NaT) == fmt.MISSING


def test_durations_in_words_in_each_language() -> None:
    assert fmt.duration(45) == "45 min"
    assert fmt.duration(200) == "3 h 20 min"
    assert fmt.duration(65) == "1 h 05 min"
    assert fmt.duration(60 * 52) == "52 h 00 min"  # business minutes: never 24-hour days
    assert fmt.duration(200, "zh-Hans") == "3 小时 20 分钟"
    assert fmt.duration(None) == fmt.MISSING


def test_direction_is_words_with_arrows() -> None:
    assert fmt.direction(1) == "↑ positive"
    assert fmt.direction(-1, "zh-Hans").startswith("↓")
    assert fmt.direction(0) == fmt.MISSING


def test_kind_of_names_and_dtypes() -> None:
    assert fmt.kind_of("n", pd.Series([1.0, float("nan")])) == "count"
    assert fmt.kind_of("share_disappointed", pd.Series([0.1])) == "percent"
    assert fmt.kind_of("share_basic_ci_low", pd.Series([0.1])) == "percent"
    assert fmt.kind_of("ci_low", pd.Series([0.1])) == "gap"
    assert fmt.kind_of("ci_low_points", pd.Series([0.1])) == "points"
    assert fmt.kind_of("p_value", pd.Series([0.1])) == "p"
    assert fmt.kind_of("nps_ci_high", pd.Series([10.0])) == "nps"
    assert fmt.kind_of("mean_p", pd.Series([0.5])) == "score3"
    assert fmt.kind_of("low_sample", pd.Series([True])) is None
    assert fmt.kind_of("visit_date", pd.Series(pd.to_datetime(["2026-02-23"]))) == "date"
    assert fmt.kind_of("created_at", pd.Series(pd.to_datetime(["2026-02-23 10:00"]))) == "datetime"
    assert fmt.kind_of("name", pd.Series(["a", None])) is None


def test_display_frame_has_no_none_nan_midnight_or_fraction() -> None:
    df = pd.DataFrame({
        "name": ["Site A", None],
        "n": [2733.0, float("nan")],
        "share_delighted": [0.4532, None],
        "p_value": [0.0, 0.2],
        "visit_date": pd.to_datetime(["2026-02-23", None]),
        "direction": [1, -1],
        "low_sample": [False, True],
    })
    out = fmt.display_frame(df, "en")
    cells = " ".join(str(v) for v in out.drop(columns=["low_sample"]).to_numpy().ravel())
    for bad in ("None", "nan", "NaN", "NaT", "00:00:00", "0.4532", "2733.0"):
        assert bad not in cells
    assert out["share_delighted"].tolist() == ["45.3%", fmt.MISSING]
    assert out["p_value"].tolist() == ["< 0.001", "0.200"]
    assert out["direction"].tolist() == ["↑ positive", "↓ negative"]
    assert out["low_sample"].tolist() == [False, True]  # flags stay check boxes
    assert fmt.display_frame(df, "en", kinds={"n": None})["n"].isna().iloc[1]  # None keeps a column as it is


def test_export_frame_writes_counts_as_integers_and_dates_without_time() -> None:
    df = pd.DataFrame({
        "n": [2733.0, float("nan")],
        "gap": [1.0, 0.5],
        "share": [1.0, 0.0],
        "day": pd.to_datetime(["2026-02-23", "2026-02-24"]),
        "at": pd.to_datetime(["2026-02-23 10:01:02.5", None]),
    })
    csv = to_csv_bytes(fmt.export_frame(df)).decode("utf-8-sig")
    assert "2733," in csv and "2733.0" not in csv
    assert "00:00:00" not in csv and "2026-02-23," in csv
    assert "2026-02-23 10:01:02" in csv and "10:01:02.5" not in csv
    back = pd.read_csv(io.StringIO(csv))
    assert back["share"].tolist() == [1.0, 0.0]  # shares stay shares
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(to_xlsx_bytes(fmt.export_frame(df)))).active
    assert ws["A2"].value == 2733 and isinstance(ws["A2"].value, int)
    assert ws["A3"].value is None
