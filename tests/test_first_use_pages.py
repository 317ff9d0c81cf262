"""First real use (#20): the pages a new installation opens first, on a database with nothing in it yet (or with
only a touchpoint catalog), draw without an exception or an error box. SQLite and PostgreSQL, not the demo.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine

from cxdash.i18n import t
from cxdash.schema import stage, touchpoint
from cxdash.ui.navigation import PAGES
from tests.support.app import LANGS, make_app, no_errors
from tests.support.auth import no_pages_directory_mode
from tests.world import OVERVIEW

pytestmark = pytest.mark.apptest


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _page(engine: Engine, script: str, lang: str = "en", params: dict[str, str] | None = None) -> Any:
    at = make_app(lang, _url(engine), params=params)
    at.run()
    at.switch_page(f"ui/pages/{script}")
    at.run()
    return at


def test_every_page_draws_on_an_empty_database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    no_pages_directory_mode(monkeypatch)
    for spec in PAGES:
        at = _page(engine, spec.script)
        assert not at.exception, (spec.script, [e.value for e in at.exception])


@pytest.mark.parametrize("lang", LANGS)
def test_checklist_view_of_a_new_installation(engine: Engine, lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Responses but no checklist item yet (it raised KeyError: None) and no touchpoint either (nothing to check
    against: say so); then a touchpoint: the form to add the first item."""
    no_pages_directory_mode(monkeypatch)
    OVERVIEW.org(engine)
    OVERVIEW.responses(engine, [{"ltr": 9}], day=date.today())
    at = _page(engine, "inspections.py", lang, {"insp_view": "checklist"})
    no_errors(at)
    assert t("improve.checklist.no_touchpoints", lang) in [i.value for i in at.info]
    with engine.begin() as conn:
        sid = conn.execute(stage.insert().values(code="REC", name_en="Reception")).inserted_primary_key[0]
        conn.execute(touchpoint.insert().values(stage_id=sid, code="REC01", name_en="Greeting"))
    at = _page(engine, "inspections.py", lang, {"insp_view": "checklist"})
    no_errors(at)
    labels = [e.label for e in at.expander]
    assert t("improve.checklist.add", lang) in labels and t("improve.checklist.edit", lang) not in labels
