"""AppTest of the upload page (file uploader driven through every step) and of the import history's delete.

The pages run inside a small frame that stores the :class:`PageContext` the way ``app.py`` does, in the three
languages.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from cxdash.i18n import t
from cxdash.schema import import_batch, survey_response, ticket, touchpoint_score
from tests.support.app import no_errors, page_app
from tests.support.imports import count, load
from tests.world import IMPORTS

pytestmark = pytest.mark.apptest

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "imports"
LANGS = ("en", "zh-Hans", "zh-Hant")
CSV = ("response_id,site,visit_date,REC01_P,REC01_E,nps,comment\n"
       "u1,S01,2026-11-02,6,5,9,=HYPERLINK(\"x\")\nu2,S01,2026-11-03,3,6,0,<script>x</script>\n"
       "u3,Nowhere,2026-11-03,4,4,7,\nu4,S02,2026-02-30,4,4,7,\n")


@pytest.mark.parametrize("lang", LANGS)
def test_upload_flow_check_preview_load(sqlite_engine: Engine, lang: str) -> None:
    IMPORTS.org(sqlite_engine)
    at = page_app(sqlite_engine, "upload.py", lang)
    at.run()
    no_errors(at)
    at.file_uploader(key="imp_file").set_value(("survey.csv", CSV.encode(), "text/csv")).run()
    no_errors(at)
    assert at.selectbox(key=[s.key for s in at.selectbox if s.key.startswith("imp_col_ltr_")][0]).value == "nps"
    at.button(key="imp_check").click().run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    assert list(metrics.values())[:5] == ["4", "2", "2", "2", "0"]
    assert count(sqlite_engine, survey_response) == 0  # the check writes nothing
    at.checkbox(key="imp_create").check().run()
    assert [i.value for i in at.info] == [t("imports.ui.stale", lang)]  # options changed: check again
    at.button(key="imp_check").click().run()
    assert [m.value for m in at.metric][:3] == ["4", "3", "1"]
    at.button(key="imp_load").click().run()
    no_errors(at)
    assert at.success, "no success message after loading"
    assert count(sqlite_engine, survey_response) == 3
    assert count(sqlite_engine, touchpoint_score) == 3
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(import_batch.c.created_by)).scalar() == "lead@example.com"


def test_upload_gb18030_wenjuanxing_export_and_reupload_without_duplicates(sqlite_engine: Engine) -> None:
    IMPORTS.org(sqlite_engine)
    data = (FIX / "wenjuanxing_gb18030.csv").read_bytes()
    for attempt in range(2):
        at = page_app(sqlite_engine, "upload.py", "zh-Hans")
        at.run()
        at.file_uploader(key="imp_file").set_value(("问卷.csv", data, "text/csv")).run()
        no_errors(at)
        assert "gb18030" in " ".join(c.value for c in at.caption)
        # The second time the page says before loading that this very file was loaded as batch 1.
        assert any("批次 1" in w.value for w in at.warning) == (attempt == 1)
        # Three answers (9, 4, 10) cannot show whether the NPS is 0-10 or coded 1-11: the page asks.
        assert at.button(key="imp_check").disabled
        at.radio(key=next(r.key for r in at.radio if r.key.startswith("imp_scale_q_ltr_"))).set_value("0-10").run()
        at.button(key="imp_check").click().run()
        at.button(key="imp_load").click().run()
        no_errors(at)
        assert count(sqlite_engine, survey_response) == 3
        assert bool(at.success) == (attempt == 0)  # nothing new the second time: a warning, no empty batch
    assert any(t("imports.result.nothing_new", "zh-Hans", skipped=3, rejected=0) in w.value for w in at.warning)
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(import_batch)).scalar() == 1


def test_upload_xlsx_sheet_choice_and_bad_file_message(sqlite_engine: Engine, tmp_path: Path) -> None:
    import openpyxl

    IMPORTS.org(sqlite_engine)
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    data = book.create_sheet("Data")
    for row in [["response_id", "site", "visit_date", "nps"], ["x1", "S01", "2026-11-02", 9], ["x2", "S02", "2026-11-02", 0]]:
        data.append(row)
    path = tmp_path / "b.xlsx"
    book.save(path)
    at = page_app(sqlite_engine, "upload.py")
    at.run()
    at.file_uploader(key="imp_file").set_value(("b.xlsx", path.read_bytes(), "application/vnd.ms-excel")).run()
    assert any("Notes, Data" in e.value for e in at.error)  # the first sheet is empty: the message names the sheets
    at.selectbox(key="imp_sheet").set_value("Data").run()
    no_errors(at)
    at.button(key="imp_check").click().run()
    at.button(key="imp_load").click().run()
    no_errors(at)
    assert count(sqlite_engine, survey_response) == 2
    at.file_uploader(key="imp_file").set_value(("g.csv", bytes(range(256)) * 10, "text/csv")).run()
    assert any("not a text table" in e.value for e in at.error)


@pytest.mark.parametrize("lang", LANGS)
def test_ticket_upload_time_zone_shown_and_changeable(sqlite_engine: Engine, lang: str) -> None:
    """The mapping step offers the zone of times without an offset, defaulting to the SLA calendar's zone."""
    IMPORTS.org(sqlite_engine)
    at = page_app(sqlite_engine, "upload.py", lang)
    at.run()
    at.segmented_control(key="imp_kind").set_value("tickets").run()
    text = "Ticket ID,Created,Site\nT1,2026-03-02 09:00,S01\n"
    at.file_uploader(key="imp_file").set_value(("desk.csv", text.encode(), "text/csv")).run()
    no_errors(at)
    zone = at.selectbox(key=[s.key for s in at.selectbox if s.key.startswith("imp_timezone_")][0])
    assert zone.value == "Asia/Shanghai" and zone.label == t("imports.ui.timezone", lang)
    assert all(any(z in o for o in zone.options) for z in ("Asia/Hong_Kong", "Asia/Taipei", "Europe/London"))
    zone.set_value("UTC").run()
    at.button(key="imp_check").click().run()
    at.button(key="imp_load").click().run()
    no_errors(at)
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(ticket.c.created_at)).scalar().hour == 9  # read as UTC, as chosen
        assert conn.execute(select(import_batch.c.mapping)).scalar()["timezone"] == "UTC"


def test_upload_page_refuses_roles_without_upload(sqlite_engine: Engine) -> None:
    at = page_app(sqlite_engine, "upload.py", role="executive")
    at.run()
    no_errors(at)
    assert at.warning and not at.file_uploader


@pytest.mark.parametrize("lang", LANGS)
def test_import_history_delete_with_confirmation(sqlite_engine: Engine, lang: str) -> None:
    IMPORTS.org(sqlite_engine)
    first = load(sqlite_engine, "response_id,site,visit_date,nps\na1,S01,2026-11-02,9\na2,S01,2026-11-02,0\n")
    load(sqlite_engine, "response_id,site,visit_date,nps\nb1,S02,2026-11-03,7\n")
    at = page_app(sqlite_engine, "import_history.py", lang)
    at.run()
    no_errors(at)
    assert len(at.dataframe[0].value) == 2
    at.selectbox(key="hist_batch").set_value(first.batch_id).run()
    at.button(key="hist_delete").click().run()
    assert at.warning  # the confirmation says what will go
    assert count(sqlite_engine, survey_response) == 3
    at.button(key="hist_confirm").click().run()
    no_errors(at)
    assert at.success
    assert count(sqlite_engine, survey_response) == 1
    with sqlite_engine.connect() as conn:
        status = conn.execute(select(import_batch.c.status).where(import_batch.c.id == first.batch_id)).scalar()
    assert status == "deleted"
