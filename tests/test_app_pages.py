"""Every registered page runs from the entry script ``cxdash/app.py`` without an exception or error box, in every language.

Parametrised over :data:`cxdash.ui.navigation.PAGES`, so a page another area registers is covered here too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cxdash.i18n import t
from cxdash.ui.navigation import PAGES, PageSpec
from tests.support.app import LANGS, ROOT, empty_url, make_app, no_errors

pytestmark = pytest.mark.apptest


def _script(spec: PageSpec) -> str:
    return f"ui/pages/{spec.script}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("spec", PAGES, ids=lambda p: p.url_path)
def test_page_runs(spec: PageSpec, lang: str) -> None:
    if not (ROOT / "cxdash" / _script(spec)).is_file():
        pytest.skip(f"{spec.script} is registered but not written yet")
    at = make_app(lang)
    at.run()  # AppTest knows the pages' custom URL paths only after st.navigation has run once
    at.switch_page(_script(spec))
    at.run()
    no_errors(at)
    assert at.title, "every page shows its title"
    assert at.title[0].value == t(spec.title_key, lang)


def test_default_page_is_the_overview() -> None:
    at = make_app("en")
    at.run()
    no_errors(at)
    assert at.title[0].value == t("overview.page.title", "en")


@pytest.mark.parametrize("lang", LANGS)
def test_empty_database_says_how_to_load_demo(tmp_path: Path, lang: str) -> None:
    at = make_app(lang, database_url=empty_url(tmp_path))
    at.run()
    no_errors(at)
    assert at.info[0].value == t("shell.empty.title", lang)
    assert "python -m cxdash demo" in at.code[0].value


def test_data_pages_still_open_on_an_empty_database(tmp_path: Path) -> None:
    specs = [p for p in PAGES if p.section == "data" and (ROOT / "cxdash" / _script(p)).is_file()]
    if not specs:
        pytest.skip("no data page written yet")
    at = make_app("en", database_url=empty_url(tmp_path))
    at.run()
    at.switch_page(_script(specs[0]))
    at.run()
    no_errors(at)
    assert not [i for i in at.info if i.value == t("shell.empty.title", "en")]
