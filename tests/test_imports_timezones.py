"""The time zone of times written without an offset: helpdesk exports write local wall-clock times, the store keeps
naive UTC, and the SLA calendars count business hours in their own zone.

Times without an offset are read in the upload's zone (default: the zone of the default SLA policy's calendar,
else UTC) and converted to UTC; times with an offset or ``Z`` are absolute and ignore the choice. The choice is
on the mapping (saved with it, recorded on the batch) and on the command line (``--timezone``).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select, update

from cxdash.cli import main
from cxdash.imports.errors import UploadError
from cxdash.imports.mapping import Mapping
from cxdash.imports.parsing import parse_dates
from cxdash.imports.saved import get_mapping, save_mapping
from cxdash.imports.timezones import default_zone, local_to_utc, utc_to_local
from cxdash.schema import import_batch, sla_policy, survey_response, ticket
from cxdash.service.calendar import Calendar
from cxdash.service.policies import save_calendar
from tests.support.imports import counts, load, rows, scalar
from tests.world import IMPORTS

HEADER = "Ticket ID,Created,First response,Priority,Site\n"
# 2026-03-02 is a Monday; both tickets are "normal" priority, so they count on the default policy's calendar.
TICKETS = (
    "T1,2026-03-02 09:00,2026-03-02 11:30,Normal,S01\n"  # 150 business minutes on 09:00-18:00 local
    "T2,2026-03-02 17:00,2026-03-03 10:15,Normal,S01\n"  # 60 on Monday + 75 on Tuesday = 135
)
OFFSETS = (
    "Z1,2026-03-02T01:00:00Z,2026-03-02T03:30:00Z,Normal,S01\n"
    "Z2,2026-03-02 09:00+08:00,2026-03-02 11:30+08:00,Normal,S01\n"
)


def office_hours(engine: Engine, zone: str = "Asia/Shanghai") -> None:
    """Make the default policy's calendar 09:00-18:00 on weekdays, in ``zone``, without holidays."""
    weekly = {**{str(d): [["09:00", "18:00"]] for d in range(5)}, "5": [], "6": []}
    with engine.begin() as conn:
        cal_id = conn.execute(
            select(sla_policy.c.calendar_id).where(sla_policy.c.priority == "normal")
        ).scalar_one()
        save_calendar(conn, "Office hours", Calendar.from_json(zone, weekly), calendar_id=cal_id)


def ticket_times(engine: Engine) -> dict[str, tuple]:
    stmt = select(ticket.c.external_id, ticket.c.created_at, ticket.c.first_response_at, ticket.c.frt_business_min)
    return {r[0]: r[1:] for r in rows(engine, stmt.order_by(ticket.c.external_id))}


def test_local_ticket_times_are_stored_in_utc_and_count_business_minutes_locally(engine: Engine) -> None:
    IMPORTS.org(engine)
    office_hours(engine)
    result = load(engine, HEADER + TICKETS, kind="tickets")
    assert (result.inserted, result.rows_rejected) == (2, 0)
    got = ticket_times(engine)
    assert got["T1"][:2] == (datetime(2026, 3, 2, 1, 0), datetime(2026, 3, 2, 3, 30))
    assert got["T2"][:2] == (datetime(2026, 3, 2, 9, 0), datetime(2026, 3, 3, 2, 15))
    # Hand-computed on 09:00-18:00 Shanghai: 09:00-11:30 = 150; 17:00-18:00 + 09:00-10:15 = 60 + 75 = 135.
    assert (got["T1"][2], got["T2"][2]) == (150, 135)
    with engine.connect() as conn:
        recorded = conn.execute(select(import_batch.c.mapping)).scalar_one()
    assert recorded["timezone"] == "Asia/Shanghai"


def test_the_old_reading_as_utc_would_be_eight_hours_off(engine: Engine) -> None:
    """The same file read as UTC (the explicit choice) lands in the evening and counts other minutes."""
    IMPORTS.org(engine)
    office_hours(engine)
    load(engine, HEADER + TICKETS, kind="tickets", edit={"timezone": "UTC"})
    got = ticket_times(engine)
    assert got["T1"][0] == datetime(2026, 3, 2, 9, 0)
    assert got["T1"][2] == 60  # 17:00-18:00 local on Monday; 19:30 local is after hours


def test_values_with_an_offset_ignore_the_zone(engine: Engine) -> None:
    IMPORTS.org(engine)
    office_hours(engine)
    load(engine, HEADER + OFFSETS, kind="tickets", edit={"timezone": "America/New_York"})
    got = ticket_times(engine)
    for key in ("Z1", "Z2"):
        assert got[key] == (datetime(2026, 3, 2, 1, 0), datetime(2026, 3, 2, 3, 30), 150)


def test_default_zone_follows_the_default_policys_calendar(engine: Engine) -> None:
    assert default_zone(engine) == "UTC"  # no SLA policy yet
    IMPORTS.org(engine)
    assert default_zone(engine) == "Asia/Shanghai"
    office_hours(engine, "Asia/Taipei")
    assert default_zone(engine) == "Asia/Taipei"
    with engine.begin() as conn:
        conn.execute(update(sla_policy).where(sla_policy.c.priority == "normal").values(active=False))
    assert default_zone(engine) == "Asia/Shanghai"  # the first active policy: urgent, on "Extended hours"
    with engine.begin() as conn:
        conn.execute(update(sla_policy).values(active=False))
    assert default_zone(engine) == "UTC"


def test_zone_is_saved_with_the_mapping_and_an_unknown_zone_refuses_the_upload(engine: Engine) -> None:
    IMPORTS.org(engine)
    save_mapping(engine, "desk", Mapping(kind="tickets", columns={"external_id": "Ticket ID", "created_at": "Created"},
                                         timezone="Europe/Berlin"))
    saved = get_mapping(engine, "tickets", "desk")
    assert saved.timezone == "Europe/Berlin"
    load(engine, HEADER + TICKETS, kind="tickets", mapping=saved)
    assert ticket_times(engine)["T1"][0] == datetime(2026, 3, 2, 8, 0)  # 09:00 CET = 08:00 UTC
    # A mapping saved before zones existed gets the default.
    assert Mapping.from_dict({"kind": "tickets"}).timezone is None
    before = counts(engine)
    with pytest.raises(UploadError) as info:
        load(engine, HEADER + TICKETS, kind="tickets", edit={"timezone": "Mars/Olympus"})
    assert "Mars/Olympus" in info.value.message("en")
    assert counts(engine) == before


def test_survey_response_times_are_utc_and_their_visit_date_is_local(engine: Engine) -> None:
    IMPORTS.org(engine)
    text = "response_id,site,submitted at,nps\nr1,S01,2026-03-02 07:00,9\nr2,S01,2026-03-02 07:00Z,8\n"
    result = load(engine, text)
    assert result.inserted == 2
    got = rows(engine, select(survey_response.c.external_id, survey_response.c.responded_at,
                              survey_response.c.visit_date).order_by(survey_response.c.external_id))
    assert [(r[0], r[1], str(r[2])) for r in got] == [
        ("r1", datetime(2026, 3, 1, 23, 0), "2026-03-02"),  # 07:00 in Shanghai is the day before in UTC
        ("r2", datetime(2026, 3, 2, 7, 0), "2026-03-02"),  # 15:00 in Shanghai
    ]


def test_calendar_dates_are_not_shifted(engine: Engine) -> None:
    IMPORTS.org(engine)
    load(engine, "response_id,site,visit_date,nps\nr1,S01,2026-03-02,9\n")
    assert str(scalar(engine, select(survey_response.c.visit_date))) == "2026-03-02"


def test_cli_timezone_option(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    IMPORTS.org(engine)
    office_hours(engine)
    path = tmp_path / "tickets.csv"
    path.write_text(HEADER + TICKETS, encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    code = main(["--database-url", url, "import", "tickets", str(path), "--timezone", "Europe/London", "--quiet"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["timezone"] == "Europe/London" and summary["inserted"] == 2
    assert ticket_times(engine)["T1"][0] == datetime(2026, 3, 2, 9, 0)  # London is UTC+0 in March
    code = main(["--database-url", url, "import", "tickets", str(path), "--timezone", "Nowhere/City", "--quiet"])
    assert code == 2 and "Nowhere/City" in capsys.readouterr().err


def test_cli_default_zone_is_the_sla_calendars(engine: Engine, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    IMPORTS.org(engine)
    path = tmp_path / "tickets.csv"
    path.write_text(HEADER + TICKETS, encoding="utf-8")
    code = main(["--database-url", engine.url.render_as_string(hide_password=False), "import", "tickets", str(path),
                 "--quiet"])
    assert code == 0 and json.loads(capsys.readouterr().out)["timezone"] == "Asia/Shanghai"
    assert ticket_times(engine)["T1"][0] == datetime(2026, 3, 2, 1, 0)


def test_parse_dates_localises_only_values_without_an_offset() -> None:
    values = pd.Series(["2026-03-02 09:00", "2026-03-02T09:00:00Z", "2026/3/2 9:00+08:00", "2026年3月2日 9时0分",
                        "03/02/2026 09:00", None, "45718.375"])
    parsed, reason = parse_dates(values, timezone="Asia/Hong_Kong")
    assert reason.isna().all()
    assert parsed.tolist()[:5] == [pd.Timestamp("2026-03-02 01:00"), pd.Timestamp("2026-03-02 09:00"),
                                   pd.Timestamp("2026-03-02 01:00"), pd.Timestamp("2026-03-02 01:00"),
                                   pd.Timestamp("2026-03-02 01:00")]
    assert pd.isna(parsed[5]) and parsed[6] == pd.Timestamp("2025-03-02 01:00")  # Excel serial, local 09:00
    kept, _ = parse_dates(values)  # no zone (calendar dates): as written
    assert kept[0] == pd.Timestamp("2026-03-02 09:00")


def test_daylight_saving_gaps_and_repeats() -> None:
    """New York 2026: clocks go forward on 8 March (02:00-03:00 does not exist) and back on 1 November (01:00-02:00
    happens twice). A skipped time moves on to 03:00 EDT; a repeated one is read as its first (EDT) instant."""
    local = pd.Series(pd.to_datetime(["2026-03-08 01:30", "2026-03-08 02:30", "2026-03-08 03:30", "2026-11-01 01:30",
                                      "2026-11-01 02:30", None]))
    utc = local_to_utc(local, "America/New_York")
    assert utc.tolist()[:5] == [pd.Timestamp(x) for x in ("2026-03-08 06:30", "2026-03-08 07:00", "2026-03-08 07:30",
                                                          "2026-11-01 05:30", "2026-11-01 07:30")]
    assert pd.isna(utc.iloc[5])
    assert utc_to_local(utc.iloc[[0, 2, 4]], "America/New_York").tolist() == local.iloc[[0, 2, 4]].tolist()
