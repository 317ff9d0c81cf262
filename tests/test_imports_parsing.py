"""Parsing cell values: dates in the forms people type, numbers, yes/no and coded answers."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from cxdash.imports.fields import PRIORITIES, STATUSES
from cxdash.imports.parsing import as_text, parse_bools, parse_choices, parse_dates, parse_numbers

NOW = datetime(2026, 12, 1, 12, 0)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-22", "2026-11-22 00:00"),
        ("2026/11/22", "2026-11-22 00:00"),
        ("2026.11.22", "2026-11-22 00:00"),
        ("22.11.2026", "2026-11-22 00:00"),
        ("11/22/2026", "2026-11-22 00:00"),
        ("2026年11月22日", "2026-11-22 00:00"),
        ("2026年11月22日 14时30分", "2026-11-22 14:30"),
        ("2026-11-22 14:30:00", "2026-11-22 14:30"),
        ("2026-11-22T14:30:00Z", "2026-11-22 14:30"),
        ("2026/3/2 9:05:01", "2026-03-02 09:05"),
        ("3/4/2026 2:05 PM", "2026-03-04 14:05"),
        ("46348", "2026-11-22 00:00"),  # Excel serial
        ("２０２６-１１-２２", "2026-11-22 00:00"),  # full-width digits
    ],
)
def test_date_forms(text: str, expected: str) -> None:
    value, reason = parse_dates(pd.Series([text]), now=NOW)
    assert reason.isna().all()
    assert value.iloc[0].strftime("%Y-%m-%d %H:%M") == expected


def test_excel_serial_numbers_and_real_dates() -> None:
    value, reason = parse_dates(pd.Series([46348.0, 46348.5]), now=NOW)
    assert value.dt.strftime("%Y-%m-%d %H:%M").tolist() == ["2026-11-22 00:00", "2026-11-22 12:00"]
    real = pd.Series([datetime(2026, 1, 2, 3, 4)], dtype=object)
    assert parse_dates(real, now=NOW)[0].iloc[0] == pd.Timestamp("2026-01-02 03:04")


def test_day_month_order_is_choosable_and_inferred() -> None:
    s = pd.Series(["03/04/2026"])
    assert parse_dates(s, "mdy", NOW)[0].iloc[0] == pd.Timestamp("2026-03-04")
    assert parse_dates(s, "dmy", NOW)[0].iloc[0] == pd.Timestamp("2026-04-03")
    inferred = parse_dates(pd.Series(["03/04/2026", "25/04/2026"]), "auto", NOW)[0]
    assert inferred.tolist() == [pd.Timestamp("2026-04-03"), pd.Timestamp("2026-04-25")]


def test_bad_dates_have_reasons() -> None:
    s = pd.Series(["2026-02-30", "13/13/2026", "soon", "2027-01-01", "1850-01-01", None, ""])
    value, reason = parse_dates(s, now=NOW)
    assert reason.tolist()[:5] == ["impossible_date", "impossible_date", "unparseable_date", "future_date",
                                   "impossible_date"]
    assert reason.iloc[5:].isna().all() and value.isna().all()


def test_numbers_flag_text_and_accept_full_width_and_decimal_commas() -> None:
    values, bad = parse_numbers(pd.Series(["7", "4.5", "4,5", "１０", "seven", "", None, "inf"]))
    assert values.tolist()[:4] == [7.0, 4.5, 4.5, 10.0]
    assert bad.tolist() == [False, False, False, False, True, False, False, True]
    clean, none_bad = parse_numbers(pd.Series([1, 2, np.nan]))
    assert not none_bad.any() and clean.iloc[1] == 2.0


def test_bools_and_choices() -> None:
    b, bad = parse_bools(pd.Series(["Yes", "no", "是", "否", "1", "maybe", None]))
    assert b.tolist()[:5] == [True, False, True, False, True]
    assert bad.tolist() == [False] * 5 + [True, False]
    pr, bad = parse_choices(pd.Series(["Critical", "Medium", "紧急", "P9"]), PRIORITIES)
    assert pr.tolist()[:3] == ["urgent", "normal", "urgent"] and bad.tolist() == [False, False, False, True]
    st, _ = parse_choices(pd.Series(["Pending Customer Response", "已解决"]), STATUSES)
    assert st.tolist() == ["pending", "resolved"]


def test_as_text_keeps_whole_numbers_whole() -> None:
    assert as_text(pd.Series([12.0, 2.5, np.nan])).tolist()[:2] == ["12", "2.5"]
    assert as_text(pd.Series(["  a ", "", None], dtype=object)).isna().tolist() == [False, True, True]
