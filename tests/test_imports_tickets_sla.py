"""Ticket uploads and the SLA module: event times before creation are rejected row by row with a clear reason (the
same rows :mod:`cxdash.service.validation` calls invalid), and loaded tickets carry their business-hours elapsed times
exactly as :func:`cxdash.service.compute.recompute_tickets` computes them.

Times in the files are local wall-clock times without an offset, as helpdesks export them; they are read in the
zone of the default SLA policy's calendar ("Service hours": Asia/Shanghai, UTC+8, 09:00-12:00 and 13:00-18:00 on
weekdays) and stored as naive UTC, so 10:00 on Wednesday 2026-11-04 in the file is 02:00 UTC in the store.
"""

from __future__ import annotations

import io

import pandas as pd
from sqlalchemy import Engine, select

from cxdash.imports.errors import error_report, reason_text
from cxdash.schema import ticket
from cxdash.service.compute import recompute_tickets
from cxdash.service.validation import invalid_mask
from tests.support.imports import counts, load, rows
from tests.world import IMPORTS

HEADER = "Ticket ID,Created,First response,Resolved,Closed,Priority,Site,Customer\n"
GOOD = (
    "K1,2026-11-04 10:00,2026-11-04 10:30,2026-11-04 16:00,,Normal,S01,C1\n"  # 30 and 300 business minutes
    "K2,2026-11-04 10:00,,,,Normal,S02,C2\n"  # still waiting for a first response
    "K3,2026-11-04 10:00,2026-11-04 10:00,,,High,S01,C3\n"  # answered at once: 0 minutes, not an error
)
BAD = (
    "K4,2026-11-04 10:00,2026-11-04 09:59,,,Normal,S01,C1\n"  # first response one minute before creation
    "K5,2026-11-04 10:00,2026-11-04 10:30,2026-11-03 10:00,,Normal,S01,C1\n"  # resolved the day before
    "K6,2026-11-04 10:00,,,2026-11-04 09:00,Low,S02,C2\n"  # closed before creation
)
TIMING = [ticket.c.frt_business_min, ticket.c.res_business_min, ticket.c.frt_target_min, ticket.c.res_target_min,
          ticket.c.frt_due_at, ticket.c.res_due_at, ticket.c.sla_flags]


def test_event_before_creation_is_a_row_level_rejection(engine: Engine) -> None:
    IMPORTS.org(engine)
    result = load(engine, HEADER + GOOD + BAD, kind="tickets", name="helpdesk.csv")
    assert (result.rows_read, result.inserted, result.rows_rejected) == (6, 3, 3)
    # File rows count the header as row 1: K4 is on row 5.
    assert result.errors[["row", "column", "value", "reason"]].values.tolist() == [
        [5, "First response", "2026-11-04 09:59", "before_created"],
        [6, "Resolved", "2026-11-03 10:00", "before_created"],
        [7, "Closed", "2026-11-04 09:00", "before_created"],
    ]
    for lang, words in (("en", "creation time"), ("zh-Hans", "创建时间"), ("zh-Hant", "建立時間")):
        report = error_report(result.errors, lang)
        assert set(report.iloc[:, 3]) == {reason_text("before_created", "", lang)}
        assert words in report.iloc[0, 3]
    assert [r[0] for r in rows(engine, select(ticket.c.external_id).order_by(ticket.c.external_id))] == ["K1", "K2", "K3"]


def test_rejections_match_the_sla_modules_own_check(engine: Engine) -> None:
    """The importer and :func:`cxdash.service.validation.invalid_mask` agree on which tickets are impossible."""
    IMPORTS.org(engine)
    result = load(engine, HEADER + GOOD + BAD, kind="tickets", dry_run=True)
    frame = pd.read_csv(io.StringIO(HEADER + GOOD + BAD), dtype=str).rename(columns={
        "Created": "created_at", "First response": "first_response_at", "Resolved": "resolved_at",
        "Closed": "closed_at"})
    sla_rows = (frame.index[invalid_mask(frame)] + 2).tolist()  # + header row, 1-based
    assert sorted(set(result.errors["row"])) == sla_rows == [5, 6, 7]
    assert counts(engine)["ticket"] == 0


def test_loaded_tickets_have_their_sla_elapsed_times(engine: Engine) -> None:
    IMPORTS.org(engine)
    result = load(engine, HEADER + GOOD, kind="tickets")
    assert result.inserted == 3 and "sla" in result.timings
    stmt = select(ticket.c.external_id, *TIMING).order_by(ticket.c.external_id)
    got = {r[0]: r[1:] for r in rows(engine, stmt)}
    assert got["K1"][:2] == (30, 300)  # 10:00-10:30 local; 10:00-12:00 plus 13:00-16:00 local
    assert got["K2"][0] is None and got["K2"][2] == 4 * 60  # no response yet: no elapsed time, the target is set
    assert got["K3"][0] == 0
    assert all(v[2] is not None and v[3] is not None and v[4] is not None for v in got.values())
    # The stored figures are exactly what a full recompute by the SLA module writes.
    with engine.begin() as conn:
        recompute_tickets(conn)
    assert {r[0]: r[1:] for r in rows(engine, stmt)} == got


def test_updating_a_ticket_recomputes_its_elapsed_times(engine: Engine) -> None:
    IMPORTS.org(engine)
    load(engine, HEADER + GOOD, kind="tickets")
    later = HEADER + "K2,2026-11-04 10:00,2026-11-04 11:00,,,Normal,S02,C2\n"
    result = load(engine, later, kind="tickets", on_duplicate="update")
    assert (result.updated, result.inserted) == (1, 0)
    frt = rows(engine, select(ticket.c.frt_business_min).where(ticket.c.external_id == "K2"))
    assert frt == [(60,)]
