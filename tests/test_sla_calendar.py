"""Business-minutes arithmetic checked against minutes worked out by hand.

The service calendar below: Asia/Shanghai (UTC+8, no DST), Mon-Fri 09:00-12:00 and 13:00-18:00 (lunch break),
Saturday 09:00-12:00, Sunday closed; National Day 2026-10-01..07 closed; make-up days Sunday 2026-09-20 and
Saturday 2026-10-10 worked with Monday's hours. Local time = UTC + 8 h, so local 09:00 is 01:00 UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from cxdash.service.calendar import (
    Calendar,
    CalendarError,
    add_business_minutes,
    business_minutes,
    parse_hhmm,
)
from cxdash.service.holidays import holiday_csv, parse_holiday_csv
from cxdash.service.validation import invalid_mask, ticket_time_errors

OFFICE = [["09:00", "12:00"], ["13:00", "18:00"]]
WEEK = {**{str(d): OFFICE for d in range(5)}, "5": [["09:00", "12:00"]], "6": []}
HOLIDAYS = [f"2026-10-0{d}" for d in range(1, 8)]
CAL = Calendar.from_json("Asia/Shanghai", WEEK, HOLIDAYS, [["2026-09-20", "0"], ["2026-10-10", "0"]])


def sh(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    """A Shanghai wall time as the naive UTC timestamp the database stores."""
    return datetime(y, mo, d, h, mi) - timedelta(hours=8)


def minutes(cal: Calendar, start: datetime, end: datetime) -> float:
    return float(business_minutes(cal, [start], [end])[0])


@pytest.mark.parametrize(
    ("label", "start", "end", "expected"),
    [
        ("same morning", sh(2026, 11, 23, 9), sh(2026, 11, 23, 10), 60),
        ("created at night", sh(2026, 11, 24, 22), sh(2026, 11, 25, 9, 30), 30),
        ("created before opening", sh(2026, 11, 25, 6), sh(2026, 11, 25, 9, 15), 15),
        ("created on Sunday", sh(2026, 11, 22, 10), sh(2026, 11, 23, 10), 60),
        ("Saturday morning then Monday", sh(2026, 11, 28, 11), sh(2026, 11, 30, 9, 30), 60 + 30),
        ("Saturday afternoon is closed", sh(2026, 11, 28, 14), sh(2026, 11, 28, 17), 0),
        ("across the lunch break", sh(2026, 11, 23, 11), sh(2026, 11, 23, 14), 60 + 60),
        ("inside the lunch break", sh(2026, 11, 23, 12, 10), sh(2026, 11, 23, 12, 50), 0),
        ("full week", sh(2026, 11, 23, 0), sh(2026, 11, 30, 0), 5 * 480 + 180),
        ("over National Day", sh(2026, 9, 30, 17), sh(2026, 10, 8, 10), 60 + 60),
        ("created on a holiday", sh(2026, 10, 3, 10), sh(2026, 10, 8, 9, 45), 45),
        ("make-up Saturday counts a full Monday", sh(2026, 10, 9, 17), sh(2026, 10, 12, 9), 60 + 480),
        ("make-up Sunday counts a full Monday", sh(2026, 9, 19, 11), sh(2026, 9, 21, 9), 60 + 480),
        ("spanning months", sh(2026, 1, 30, 17), sh(2026, 2, 3, 10), 60 + 180 + 480 + 60),
        ("seconds count", sh(2026, 11, 23, 9, 0) + timedelta(seconds=30), sh(2026, 11, 23, 9, 2), 1.5),
    ],
)
def test_business_minutes_hand_computed(label: str, start: datetime, end: datetime, expected: float) -> None:
    assert minutes(CAL, start, end) == pytest.approx(expected), label


def test_split_shifts() -> None:
    cal = Calendar.from_json("UTC", {"0": [["08:00", "11:00"], ["14:00", "17:00"], ["19:00", "21:00"]]})
    # Monday 2026-11-23 10:00 -> 20:00: 60 (to 11:00) + 180 (14-17) + 60 (19-20)
    assert minutes(cal, datetime(2026, 11, 23, 10), datetime(2026, 11, 23, 20)) == 300
    assert add_business_minutes(cal, [datetime(2026, 11, 23, 10)], [300])[0] == datetime(2026, 11, 23, 20)
    # Only Monday is open: the 61st minute after Monday 20:00 falls on the next Monday at 08:01.
    assert add_business_minutes(cal, [datetime(2026, 11, 23, 20)], [60])[0] == datetime(2026, 11, 23, 21)
    assert add_business_minutes(cal, [datetime(2026, 11, 23, 20)], [61])[0] == datetime(2026, 11, 30, 8, 1)


def test_other_time_zone() -> None:
    ny = Calendar.from_json("America/New_York", {str(d): [["09:00", "17:00"]] for d in range(5)})
    # 2026-11-23 is in EST (UTC-5): 13:00 UTC = 08:00 local, 15:00 UTC = 10:00 local -> 60 minutes.
    assert minutes(ny, datetime(2026, 11, 23, 13), datetime(2026, 11, 23, 15)) == 60
    # The same instants are 21:00-23:00 in Shanghai: closed.
    assert minutes(CAL, datetime(2026, 11, 23, 13), datetime(2026, 11, 23, 15)) == 0
    # In July New York is on EDT (UTC-4): 13:00 UTC = 09:00 local -> 120 minutes to 15:00 UTC.
    assert minutes(ny, datetime(2026, 7, 6, 13), datetime(2026, 7, 6, 15)) == 120


def test_daylight_saving_changes() -> None:
    berlin_24_7 = Calendar.from_json("Europe/Berlin", {str(d): [["00:00", "24:00"]] for d in range(7)})
    # Spring forward on Sunday 2026-03-29: that local day lasts 23 hours.
    assert minutes(berlin_24_7, datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22)) == 23 * 60
    # Fall back on Sunday 2026-10-25: that local day lasts 25 hours (00:00 CEST = 22:00 UTC the day before).
    assert minutes(berlin_24_7, datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 23)) == 25 * 60
    # A 24/7 calendar counts real elapsed time across the change.
    s, e = datetime(2026, 3, 27, 5, 17), datetime(2026, 4, 2, 19, 3)
    assert minutes(berlin_24_7, s, e) == pytest.approx((e - s).total_seconds() / 60)
    office = Calendar.from_json("Europe/Berlin", {str(d): [["09:00", "17:00"]] for d in range(5)})
    # Friday 2026-03-27 16:00 CET (15:00 UTC) -> Monday 2026-03-30 10:00 CEST (08:00 UTC): 60 + 60.
    assert minutes(office, datetime(2026, 3, 27, 15), datetime(2026, 3, 30, 8)) == 120
    # Due time across the change: 120 minutes from Friday 16:00 CET end at Monday 10:00 CEST = 08:00 UTC.
    assert add_business_minutes(office, [datetime(2026, 3, 27, 15)], [120])[0] == datetime(2026, 3, 30, 8)


def test_add_business_minutes_hand_computed() -> None:
    starts = [sh(2026, 11, 23, 9), sh(2026, 11, 22, 22), sh(2026, 11, 23, 11, 30), sh(2026, 9, 30, 17), sh(2026, 11, 23, 9)]
    mins = [60, 600, 120, 120, 180]
    got = add_business_minutes(CAL, starts, mins)
    expected = [
        sh(2026, 11, 23, 10),
        sh(2026, 11, 24, 11),  # Monday 480, Tuesday 09:00 + 120
        sh(2026, 11, 23, 14, 30),  # 30 before lunch, 90 after
        sh(2026, 10, 8, 10),  # 60 on Sep 30, holidays, 60 on Oct 8
        sh(2026, 11, 23, 12),  # exactly the morning: due at 12:00, not after lunch
    ]
    assert list(got) == expected


def test_add_zero_and_missing() -> None:
    got = add_business_minutes(CAL, [sh(2026, 11, 22, 10), None, sh(2026, 11, 23, 9)], [0, 30, np.nan])
    assert got[0] == sh(2026, 11, 22, 10)
    assert pd.isna(got[1]) and pd.isna(got[2])


def test_inverse_round_trip() -> None:
    rng = np.random.default_rng(3)
    base = np.datetime64("2026-01-01T00:00")
    starts = base + rng.integers(0, 300 * 24 * 60, 2000).astype("timedelta64[m]")
    mins = rng.integers(1, 5000, 2000).astype(float)
    due = add_business_minutes(CAL, starts, mins)
    assert business_minutes(CAL, starts, due) == pytest.approx(mins, abs=1e-6)
    assert (due.to_numpy() > starts).all()


def test_long_target_extends_the_calendar() -> None:
    # 100 working weeks from one start: the expansion must grow well past its first guess.
    got = add_business_minutes(CAL, [sh(2026, 1, 5, 9)], [100 * 2580])
    assert minutes(CAL, sh(2026, 1, 5, 9), got[0].to_pydatetime()) == pytest.approx(100 * 2580)


def test_missing_and_negative() -> None:
    got = business_minutes(CAL, [sh(2026, 11, 23, 9), None], [None, sh(2026, 11, 23, 10)])
    assert np.isnan(got).all()
    # A first response before creation gives negative time; the importer rejects such rows.
    assert minutes(CAL, sh(2026, 11, 23, 10), sh(2026, 11, 23, 9)) == -60


def test_event_before_creation_is_rejected() -> None:
    created = [sh(2026, 11, 23, 10), sh(2026, 11, 23, 10), sh(2026, 11, 23, 10), None]
    first = [sh(2026, 11, 23, 9), sh(2026, 11, 23, 11), None, None]
    resolved = [None, sh(2026, 11, 23, 9), None, None]
    errors = ticket_time_errors(created, first, resolved)
    assert errors.tolist() == [
        "service.error.first_response_before_created",
        "service.error.resolved_before_created",
        None,
        "service.error.created_missing",
    ]
    frame = pd.DataFrame({"created_at": created, "first_response_at": first, "resolved_at": resolved})
    assert invalid_mask(frame).tolist() == [True, True, False, True]


def test_make_up_day_wins_over_holiday() -> None:
    cal = Calendar.from_json("UTC", {"0": [["09:00", "10:00"]]}, ["2026-11-28"], [["2026-11-28", "0"]])
    assert minutes(cal, datetime(2026, 11, 28), datetime(2026, 11, 29)) == 60


def test_calendar_validation() -> None:
    assert parse_hhmm("24:00") == 1440
    for bad in ("25:00", "9", "12:60", "ab:cd"):
        with pytest.raises(CalendarError):
            parse_hhmm(bad)
    with pytest.raises(CalendarError):
        Calendar.from_json("UTC", {"0": [["09:00", "12:00"], ["11:00", "13:00"]]})
    with pytest.raises(CalendarError):
        Calendar.from_json("UTC", {"0": [["12:00", "09:00"]]})
    with pytest.raises(CalendarError):
        Calendar.from_json("Mars/Olympus", {})
    with pytest.raises(CalendarError):
        add_business_minutes(Calendar.from_json("UTC", {}), [datetime(2026, 1, 1)], [10])


def test_json_round_trip() -> None:
    again = Calendar.from_json(**CAL.to_json())
    assert again == CAL
    assert CAL.weekly_minutes() == 5 * 480 + 180


def test_holiday_csv_upload() -> None:
    text = "date,kind,weekday\n2026-10-01,holiday,\n2026-10-02,,\n2026-10-10,workday,5\n2026-09-20,workday\n"
    holidays, workdays = parse_holiday_csv(text.encode("utf-8-sig"))
    assert holidays == ["2026-10-01", "2026-10-02"]
    assert workdays == [["2026-09-20", "0"], ["2026-10-10", "5"]]
    assert parse_holiday_csv(holiday_csv(holidays, workdays)) == (holidays, workdays)
    for bad in ("2026-13-01,holiday", "2026-10-01,party", "2026-10-01,workday,9"):
        with pytest.raises(CalendarError, match="line 1"):
            parse_holiday_csv(bad)


def test_day_text_round_trip() -> None:
    from cxdash.service.calendar import format_day_text, parse_day_text

    assert parse_day_text("09:00-12:00, 13:00-18:00") == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert parse_day_text("9:00-12:00，13:00-18:00") == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert parse_day_text("") == [] and parse_day_text("closed") == []
    assert format_day_text([["09:00", "12:00"], ["13:00", "18:00"]]) == "09:00-12:00, 13:00-18:00"
    for bad in ("09:00", "12:00-09:00", "09:00-12:00, 11:00-13:00", "9-12"):
        with pytest.raises(CalendarError):
            parse_day_text(bad)
