"""Text users and files wrote is never markup (#21): Markdown and HTML payloads planted in names, titles, owners,
checklist items, file and mapping names, rendered through every page in AppTest on SQLite and PostgreSQL.

On every page no string Streamlit reads as Markdown (bodies, labels, help texts, table cells) holds a payload
piece unescaped, and where the page shows the text it appears escaped (so it is drawn verbatim).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cxdash.ui.frame import existing_pages
from cxdash.ui.text import plain
from tests.support.auth import (
    ROLE_USERS,
    no_pages_directory_mode,
    private_database,
    scoped_database,
    signed_in_app,
)
from tests.support.pg import BACKENDS
from tests.support.plain import check_plain, payload, plant

pytestmark = pytest.mark.apptest

PORT = 9  # nothing listens: the AppTest never fetches; the browser test uses a live beacon
PAGES = existing_pages()
# Pages (and URL parameters) that show planted text, and whether it must be visible there.
SHOWN = [
    ("action-plans", {}, True),  # the board's card: title, owner, touchpoint, site
    ("action-plans", {"plan_view": "detail"}, True),  # the facts table (st.table reads Markdown in cells)
    ("inspections", {"insp_view": "record"}, True),  # checklist labels and help, touchpoint names
    ("inspections", {}, True),  # the weak item's caption
    ("touchpoints", {"tp_view": "compare", "cmp_by": "site"}, False),
    ("import-history", {}, False),
]


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    pg = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    with private_database(request.param, tmp_path_factory.mktemp("plain"), pg, "plain") as url:
        scoped_database(url)
        ids = plant(url, PORT)
        yield url, ids


@pytest.fixture
def interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    no_pages_directory_mode(monkeypatch)


def _admin(url: str, params: dict | None = None, clear: bool = False):
    return signed_in_app(url, ROLE_USERS["admin"], name=payload(PORT), params=params, clear=clear)


@pytest.mark.parametrize("spec", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_shows_user_text_only_as_text(db: tuple[str, dict], spec) -> None:
    url, _ids = db
    at = _admin(url, clear=spec is PAGES[0])
    at.run()
    at.switch_page(f"ui/pages/{spec.script}")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    check_plain(at, PORT)
    # The sidebar's user box shows the signed-in name (the payload), escaped.
    assert any(plain(payload(PORT), 120) in m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize(("url_path", "params", "visible"), SHOWN, ids=[f"{s[0]}-{len(s[1])}" for s in SHOWN])
def test_pages_that_show_planted_text_show_it_escaped(db: tuple[str, dict], url_path: str, params: dict,
                                                      visible: bool) -> None:
    url, ids = db
    if url_path == "action-plans" and params.get("plan_view") == "detail":
        params = {**params, "plan": str(ids["plan"])}
    spec = next(p for p in PAGES if p.url_path == url_path)
    at = _admin(url, params)
    at.run()
    at.switch_page(f"ui/pages/{spec.script}")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = check_plain(at, PORT)
    if visible:
        assert shown, f"the planted text should be shown on {url_path} {params}"


def test_import_history_delete_confirmation_shows_the_file_name_as_text(db: tuple[str, dict],
                                                                        interactive: None) -> None:
    url, ids = db
    at = _admin(url)
    at.run()
    at.switch_page("ui/pages/import_history.py")
    at.run()
    at.selectbox(key="hist_batch").set_value(ids["batch"]).run()
    at.button(key="hist_delete").click().run()
    assert not at.exception
    warning = at.warning[0].value
    assert plain(payload(PORT) + ".csv") in warning
    check_plain(at, PORT)

