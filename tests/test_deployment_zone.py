"""The deployment's local time zone (#20): where it comes from, what the upload page says about it, and the
sidebar's data span counted in it; plus the import history's layout and the refusal of old .xls files.

The zone is the ``imports.default_timezone`` setting when set, else the default SLA calendar's zone, else UTC, so a
deployment without the demo (no SLA policy) never reads uploads as Shanghai time.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine, select

from cxdash.cli import main
from cxdash.i18n import t
from cxdash.imports.timezones import ZONE_SETTING, default_zone, deployment_zone, set_default_zone
from cxdash.organisation import data_span
from cxdash.schema import audit_log, import_batch, ticket
from cxdash.ui.text import plain
from tests.support.app import no_errors, page_app
from tests.support.imports import load
from tests.world import IMPORTS

LANGS = ("en", "zh-Hans", "zh-Hant")
# 00:30 on New Year's Day in Shanghai is 16:30 UTC on New Year's Eve.
NEW_YEAR = "Ticket ID,Created,Priority,Site\nT1,2020-01-01 00:30,Normal,S01\nT2,2020-01-02 12:00,Normal,S01\n"


def zone_of(engine: Engine) -> tuple[str, str]:
    with engine.connect() as conn:
        return deployment_zone(conn)


def test_zone_setting_then_sla_calendar_then_utc(engine: Engine) -> None:
    assert zone_of(engine) == ("UTC", "utc")  # no demo, no SLA policy: never a guessed zone
    set_default_zone(engine, "Europe/Berlin", actor="admin")
    assert zone_of(engine) == ("Europe/Berlin", "setting")
    IMPORTS.org(engine)  # the default SLA policies (calendars in Asia/Shanghai)
    assert zone_of(engine) == ("Europe/Berlin", "setting")  # the configured setting wins
    set_default_zone(engine, None, actor="admin")
    assert zone_of(engine) == ("Asia/Shanghai", "sla")
    assert default_zone(engine) == "Asia/Shanghai"
    with pytest.raises(ValueError, match="unknown time zone"):
        set_default_zone(engine, "Mars/Olympus")
    assert zone_of(engine) == ("Asia/Shanghai", "sla")  # a refused zone changes nothing
    with engine.connect() as conn:
        audited = conn.execute(select(audit_log.c.entity_id).where(audit_log.c.action == "edit_settings")).scalars()
        assert list(audited) == [ZONE_SETTING, ZONE_SETTING]


def test_cli_timezone_show_set_clear(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", engine.url.render_as_string(hide_password=False)]
    assert main([*url, "timezone", "show"]) == 0
    assert json.loads(capsys.readouterr().out) == {"timezone": "UTC", "reason": "utc"}
    assert main([*url, "timezone", "set", "Asia/Taipei", "--actor", "ops"]) == 0
    assert json.loads(capsys.readouterr().out) == {"timezone": "Asia/Taipei", "reason": "setting"}
    assert main([*url, "timezone", "set", "Nowhere/Land"]) == 2
    assert "unknown time zone" in capsys.readouterr().err
    assert main([*url, "timezone", "clear"]) == 0
    assert json.loads(capsys.readouterr().out)["reason"] == "utc"


def test_uploads_read_times_in_the_configured_zone(engine: Engine) -> None:
    IMPORTS.org(engine)
    set_default_zone(engine, "UTC")
    load(engine, NEW_YEAR, kind="tickets")
    with engine.connect() as conn:
        assert conn.execute(select(ticket.c.created_at).where(ticket.c.external_id == "T1")).scalar().hour == 0
        assert conn.execute(select(import_batch.c.mapping)).scalar()["timezone"] == "UTC"


def test_data_span_counts_ticket_times_on_their_local_day(engine: Engine) -> None:
    IMPORTS.org(engine)
    load(engine, NEW_YEAR, kind="tickets")  # read in Asia/Shanghai (the SLA calendar's zone), stored in UTC
    assert data_span(engine) == (date(2020, 1, 1), date(2020, 1, 2))
    assert data_span(engine, "UTC") == (date(2019, 12, 31), date(2020, 1, 2))  # what the sidebar used to say
    set_default_zone(engine, "America/New_York")
    assert data_span(engine) == (date(2019, 12, 31), date(2020, 1, 1))  # the deployment's zone, whatever it is


@pytest.mark.apptest
@pytest.mark.parametrize("lang", LANGS)
def test_mapping_step_says_which_zone_is_the_default_and_why(sqlite_engine: Engine, lang: str) -> None:
    at = page_app(sqlite_engine, "upload.py", lang)  # no SLA policy: UTC
    at.run()
    at.segmented_control(key="imp_kind").set_value("tickets").run()
    at.file_uploader(key="imp_file").set_value(("desk.csv", b"Ticket ID,Created\nT1,2026-03-02 09:00\n",
                                                "text/csv")).run()
    zone = at.selectbox(key=[s.key for s in at.selectbox if s.key.startswith("imp_timezone_")][0])
    assert zone.value == "UTC"
    from cxdash.ui.imports import zone_label

    assert t("imports.tz_reason.utc", lang, zone=zone_label("UTC", lang)) in [c.value for c in at.caption]


@pytest.mark.apptest
def test_old_xls_gets_the_translated_message_not_streamlits(sqlite_engine: Engine) -> None:
    IMPORTS.org(sqlite_engine)
    at = page_app(sqlite_engine, "upload.py", "zh-Hans")
    at.run()
    old_excel = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    at.file_uploader(key="imp_file").set_value(("old.xls", old_excel, "application/vnd.ms-excel")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [plain(t("imports.error.old_xls", "zh-Hans"), 1000)]


@pytest.mark.apptest
@pytest.mark.parametrize("lang", LANGS)
def test_import_history_shows_status_and_who_when_first_and_a_short_hash(sqlite_engine: Engine, lang: str) -> None:
    IMPORTS.org(sqlite_engine)
    load(sqlite_engine, "response_id,site,visit_date,nps\na1,S01,2026-11-02,9\n")
    at = page_app(sqlite_engine, "import_history.py", lang)
    at.run()
    no_errors(at)
    table = at.dataframe[0].value
    assert list(table.columns[:4]) == ["id", "status", "created_by", "created_at"]
    assert table.columns[-1] == "sha256" and len(table["sha256"][0]) <= 11
    with sqlite_engine.connect() as conn:
        sha = conn.execute(select(import_batch.c.sha256)).scalar_one()
    assert any(sha in c.value for c in at.caption)  # the whole hash is in the batch's details
