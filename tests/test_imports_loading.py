"""Loading uploads on both databases: one transaction, idempotent, derived values, exact batch deletion."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cxdash.db import data_version
from cxdash.imports.batches import delete_batch, list_batches
from cxdash.imports.catalog_upload import catalog_frame, save_catalog
from cxdash.imports.errors import UploadError
from cxdash.imports.mapping import NewTouchpoint
from cxdash.schema import (
    audit_log,
    checklist_item,
    customer,
    import_batch,
    inspection,
    site,
    stage,
    survey_response,
    team,
    ticket,
    touchpoint,
    touchpoint_score,
)
from tests.support.imports import counts, load, rows, scalar
from tests.world import IMPORTS

FIX = Path(__file__).resolve().parent / "fixtures" / "imports"
SURVEY = """response_id,customer_id,site,team,service advisor,visit_date,REC01_P,REC01_E,CON01_P,CON01_E,nps,csat,comment
r1,C1,S01,A,wang,2026-11-02,7,5,5,5,9,5,Great =HYPERLINK("x")
r2,C2,East Store,,,2026/11/03,3,6,4,6,4,2,<script>alert(1)</script>
r3,C1,S01,A,wang,03.11.2026,5,5,,,10,4,'; DROP TABLE survey_response; --
"""


def test_wide_survey_loads_scores_tiers_customers_and_audit(engine: Engine) -> None:
    ids = IMPORTS.org(engine)
    version = data_version(engine)
    result = load(engine, SURVEY, actor="lead@example.com")
    assert (result.status, result.rows_read, result.inserted, result.rows_rejected) == ("loaded", 3, 3, 0)
    got = rows(engine, select(survey_response.c.external_id, survey_response.c.site_id, survey_response.c.team_id,
                              survey_response.c.region_id, survey_response.c.ltr, survey_response.c.tier,
                              survey_response.c.comment, survey_response.c.batch_id).order_by(survey_response.c.id))
    b = result.batch_id
    assert got == [
        ("r1", ids["s1"], ids["t1"], ids["north"], 9, 2, 'Great =HYPERLINK("x")', b),  # mean gap (2/6 + 0)/2 > 1/12
        ("r2", ids["s2"], None, ids["north"], 4, 0, "<script>alert(1)</script>", b),  # (-3/6 - 2/6)/2
        ("r3", ids["s1"], ids["t1"], ids["north"], 10, 1, "'; DROP TABLE survey_response; --", b),
    ]
    assert scalar(engine, select(func.count()).select_from(touchpoint_score)) == 5
    assert scalar(engine, select(survey_response.c.tp_scale_max).limit(1)) == 7
    spans = rows(engine, select(customer.c.external_id, customer.c.first_event_at, customer.c.last_event_at)
                 .order_by(customer.c.external_id))
    assert [(c, f.date().isoformat(), last.date().isoformat()) for c, f, last in spans] == [
        ("C1", "2026-11-02", "2026-11-03"), ("C2", "2026-11-03", "2026-11-03")]
    batch = rows(engine, select(import_batch.c.kind, import_batch.c.rows_read, import_batch.c.rows_loaded,
                                import_batch.c.created_by, import_batch.c.status))
    assert batch == [("surveys", 3, 3, "lead@example.com", "loaded")]
    assert rows(engine, select(audit_log.c.action, audit_log.c.entity_id)) == [("import", str(b))]
    assert data_version(engine) > version


def test_an_import_sorts_on_disk_and_leaves_the_pages_setting(engine: Engine) -> None:
    IMPORTS.org(engine)
    load(engine, SURVEY, "surveys")
    if engine.dialect.name == "sqlite":
        from cxdash.imports.loading import write_transaction

        with write_transaction(engine) as conn:
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 1  # file
        for _ in range(3):  # every pooled connection is back on the pages' in-memory store
            with engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2


def test_keys_checked_at_the_end_refuse_a_broken_row_and_come_back_on(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL checks its keys row by row")
    from cxdash.imports.loading import ForeignKeyViolation, write_transaction

    IMPORTS.org(engine)
    before = counts(engine)
    with pytest.raises(ForeignKeyViolation, match="touchpoint_score"), write_transaction(
            engine, check_keys_at_end=True) as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        conn.execute(touchpoint_score.insert().values(response_id=987654, touchpoint_id=1, p=5, e=5))
    assert counts(engine) == before
    for _ in range(3):  # every pooled connection checks keys row by row again
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_bulk_load_is_decided_by_the_rows_it_adds(engine: Engine) -> None:
    from cxdash.imports.load_surveys import BULK_MIN_ROWS, is_bulk_load

    IMPORTS.org(engine)
    with engine.connect() as conn:
        bulk = is_bulk_load(conn, BULK_MIN_ROWS)
        assert bulk == (engine.dialect.name == "sqlite")  # into an empty table
        assert not is_bulk_load(conn, BULK_MIN_ROWS - 1)  # too small to pay for an index rebuild


def test_same_rows_again_are_skipped_or_updated_never_doubled(engine: Engine) -> None:
    IMPORTS.org(engine)
    first = load(engine, SURVEY)
    again = load(engine, SURVEY)
    assert (again.inserted, again.skipped, again.updated) == (0, 3, 0)
    changed = SURVEY.replace("r1,C1,S01,A,wang,2026-11-02,7,5", "r1,C1,S01,A,wang,2026-11-02,2,5")
    updated = load(engine, changed, on_duplicate="update")
    assert (updated.inserted, updated.skipped, updated.updated) == (0, 0, 3)
    assert scalar(engine, select(func.count()).select_from(survey_response)) == 3
    assert scalar(engine, select(func.count()).select_from(touchpoint_score)) == 5
    r1 = scalar(engine, select(survey_response.c.id).where(survey_response.c.external_id == "r1"))
    assert scalar(engine, select(touchpoint_score.c.p).where(touchpoint_score.c.response_id == r1,
                                                             touchpoint_score.c.touchpoint_id == 1)) == 2
    assert scalar(engine, select(survey_response.c.tier).where(survey_response.c.id == r1)) == 0
    # updated rows stay in the batch that first loaded them
    assert scalar(engine, select(func.count()).where(survey_response.c.batch_id == first.batch_id)) == 3


def test_long_layout_builds_one_response_per_id(engine: Engine) -> None:
    IMPORTS.org(engine)
    text = ("response_id,site,visit_date,touchpoint,perceived,expected\n"
            "L1,S01,2026-11-02,REC01,6,5\nL1,S01,2026-11-02,Confirm repair items,4,6\n"
            "L2,S02,2026-11-03,维修项目确认,5,5\nL2,S02,2026-11-03,XYZ,5,5\nL1,S01,2026-11-02,REC01,1,1\n")
    result = load(engine, text)
    assert result.inserted == 2 and result.rows_rejected == 2
    assert sorted(result.errors["reason"]) == ["duplicate_id", "unknown_touchpoint"]
    assert scalar(engine, select(func.count()).select_from(touchpoint_score)) == 3
    tiers = dict(rows(engine, select(survey_response.c.external_id, survey_response.c.tier)))
    assert tiers == {"L1": 1, "L2": 1}  # L1: mean of +1/6 and -2/6 = -1/12, within the tolerance


def test_unknown_sites_teams_people_are_created_only_with_consent(engine: Engine) -> None:
    IMPORTS.org(engine)
    text = "response_id,site,region,team,advisor,visit_date,nps\nn1,West Store,South,B,Li Na,2026-11-02,8\n"
    refused = load(engine, text)
    assert refused.status == "nothing_loaded"
    assert set(refused.errors["reason"]) == {"unknown_site", "unknown_team", "unknown_person"}
    assert refused.unknown == {"sites": ["West Store"], "teams": ["('West Store', 'B')"], "people": ["Li Na"]}
    made = load(engine, text, create_missing=True)
    assert made.created == {"sites": 1, "teams": 1, "people": 1}
    sid, region_id = rows(engine, select(site.c.id, site.c.region_id).where(site.c.code == "West Store"))[0]
    assert region_id is not None and scalar(engine, select(team.c.site_id).where(team.c.code == "B")) == sid
    deleted = delete_batch(engine, made.batch_id, actor="lead")
    assert deleted["sites"] == 1 and deleted["teams"] == 1 and deleted["people"] == 1
    assert scalar(engine, select(func.count()).where(site.c.code == "West Store")) == 0


def test_new_touchpoints_are_added_to_a_new_stage(engine: Engine) -> None:
    IMPORTS.org(engine)
    text = "response_id,site,visit_date,Parking space_P,Parking space_E\np1,S01,2026-11-02,4,6\n"
    new = [NewTouchpoint(code="PARK", p="Parking space_P", e="Parking space_E", name="Parking space",
                         stage="Arrival 到达")]
    result = load(engine, text, edit={"new_touchpoints": new})
    assert result.inserted == 1 and result.created == {"touchpoints": 1, "stages": 1}
    tp = rows(engine, select(touchpoint.c.code, touchpoint.c.name_en, stage.c.name_en)
              .join(stage, stage.c.id == touchpoint.c.stage_id).where(touchpoint.c.code == "PARK"))
    assert tp == [("PARK", "Parking space", "Arrival 到达")]
    assert scalar(engine, select(touchpoint_score.c.e)) == 6
    assert scalar(engine, select(survey_response.c.tier)) == 0


def test_tickets_load_with_sla_facts(engine: Engine) -> None:
    IMPORTS.org(engine)
    text = ("Ticket ID,Created,First response,Resolved,Ticket Priority,Status,Site,Category,Customer\n"
            "T1,2026-11-02 09:00,2026-11-02 09:30,2026-11-02 15:00,High,Resolved,S01,billing,C9\n"
            "T2,2026-11-03 10:00,,,Critical,,S02,repair,C9\n"
            "T3,2026-11-03 10:00,2026-11-03 09:00,,Low,open,S02,repair,C8\n")
    result = load(engine, text, kind="tickets")
    assert (result.inserted, result.rows_rejected) == (2, 1)
    assert result.errors["reason"].tolist() == ["before_created"]
    got = rows(engine, select(ticket.c.external_id, ticket.c.priority, ticket.c.status,
                              ticket.c.frt_target_min.isnot(None)).order_by(ticket.c.external_id))
    assert got == [("T1", "high", "resolved", True), ("T2", "urgent", "open", True)]
    # 10:00 in the file is local time of the SLA calendar (Asia/Shanghai), stored as 02:00 UTC.
    assert scalar(engine, select(customer.c.last_event_at).where(customer.c.external_id == "C9")).hour == 2


def test_customers_and_inspections(engine: Engine) -> None:
    IMPORTS.org(engine)
    cust = "customerID,Churn,segment,first seen\nC1,Yes,fleet,2025-01-04\nC2,No,private,2025-02-01\nC3,maybe,,\n"
    result = load(engine, cust, kind="customers")
    assert (result.inserted, result.errors["reason"].tolist()) == (2, ["not_yes_no"])
    assert rows(engine, select(customer.c.external_id, customer.c.churn_flag, customer.c.segment)
                .order_by(customer.c.external_id)) == [("C1", True, "fleet"), ("C2", False, "private")]
    codes = [c for (c,) in rows(engine, select(checklist_item.c.code).order_by(checklist_item.c.id).limit(2))]
    insp = (f"检查项,门店,检查日期,得分,检查人\n{codes[0]},S01,2026年11月2日,8,张三\n{codes[1]},S02,2026-11-02,10.5,李四\n"
            f"NOPE,S01,2026-11-02,7,王五\n")
    result = load(engine, insp, kind="inspections")
    assert result.inserted == 1 and sorted(result.errors["reason"]) == ["out_of_scale", "unknown_item"]
    again = load(engine, insp, kind="inspections")
    assert again.skipped == 1 and scalar(engine, select(func.count()).select_from(inspection)) == 1


def test_catalog_upload_and_edit(engine: Engine) -> None:
    IMPORTS.org(engine)
    text = "阶段,触点编号,简体名称,name (en)\nREC,REC01,保安问候客户,\n到达,ARR01,停车引导,Parking guidance\n"
    result = load(engine, text, kind="catalog")
    assert (result.inserted, result.skipped) == (1, 1)
    frame = catalog_frame(engine)
    new = frame[frame["code"] == "ARR01"].iloc[0]
    assert (new["stage_name_zh_hans"], new["name_en"], new["name_zh_hans"]) == ("到达", "Parking guidance", "停车引导")
    frame.loc[frame["code"] == "ARR01", "name_zh_hant"] = "停車引導"
    assert save_catalog(engine, frame, actor="admin")["updated"] == len(frame)
    assert scalar(engine, select(touchpoint.c.name_zh_hant).where(touchpoint.c.code == "ARR01")) == "停車引導"


def test_delete_batch_removes_exactly_its_rows(engine: Engine) -> None:
    IMPORTS.org(engine)
    first = load(engine, SURVEY)
    second = load(engine, "response_id,customer_id,site,visit_date,nps\nx1,C1,S02,2026-11-05,7\n")
    tickets = load(engine, "id,created,customer\nT1,2026-11-06 09:00,C2\n", kind="tickets")
    before = counts(engine)
    deleted = delete_batch(engine, first.batch_id, actor="lead")
    after = counts(engine)
    assert deleted == {"touchpoint_score": 5, "survey_response": 3, "customer_kept": 2}
    assert after["survey_response"] == before["survey_response"] - 3
    assert after["touchpoint_score"] == 0 and after["ticket"] == 1 and after["customer"] == 2
    assert [r for (r,) in rows(engine, select(survey_response.c.external_id))] == ["x1"]
    c1 = rows(engine, select(customer.c.first_event_at).where(customer.c.external_id == "C1"))[0][0]
    assert c1.date().isoformat() == "2026-11-05"  # its span now comes from the remaining response only
    history = list_batches(engine)
    assert history.set_index("id").loc[first.batch_id, "status"] == "deleted"
    assert rows(engine, select(audit_log.c.action).order_by(audit_log.c.id))[-1] == ("delete_batch",)
    with pytest.raises(UploadError, match="already been deleted"):
        delete_batch(engine, first.batch_id)
    # the kept customers moved to the batches that still use them, so deleting those removes them too
    assert delete_batch(engine, tickets.batch_id) == {"ticket": 1, "customer": 1}
    assert delete_batch(engine, second.batch_id) == {"survey_response": 1, "customer": 1}
    assert counts(engine)["customer"] == 0


def test_dry_run_and_all_or_nothing_write_nothing(engine: Engine) -> None:
    IMPORTS.org(engine)
    before = counts(engine)
    dry = load(engine, SURVEY, dry_run=True)
    assert (dry.status, dry.inserted, dry.batch_id) == ("dry_run", 3, None)
    bad = SURVEY + "r4,C1,S01,A,wang,2026-11-02,5,5,5,5,12,5,x\n"
    refused = load(engine, bad, all_or_nothing=True)
    # The out-of-scale answer rejects only its cell; all or nothing refuses the file for one bad value too.
    assert (refused.status, refused.rows_rejected, refused.cells_rejected) == ("refused", 0, 1)
    assert counts(engine) == before


@pytest.mark.parametrize(
    "name, expected",
    [("qualtrics_like.csv", 3), ("wenjuanxing_gb18030.csv", 3), ("survey_big5.csv", 2), ("survey_utf16.txt", 2),
     ("surveymonkey_like.csv", 2)],
)
def test_platform_exports_load_end_to_end(engine: Engine, name: str, expected: int) -> None:
    IMPORTS.org(engine)
    result = load(engine, (FIX / name).read_bytes(), name=name, create_missing=True)
    assert (result.status, result.inserted, result.rows_rejected) == ("loaded", expected, 0)
    assert scalar(engine, select(func.count()).select_from(survey_response)) == expected
