"""AppTest helpers shared by every page test: one small demo database per test run, and the app from ``app.py``.

``demo_url()`` builds a seeded demo database (3,000 responses, 3,000 tickets, a fixed end date) in a temporary
directory the first time it is called and returns its URL afterwards. ``make_app(lang)`` returns an
:class:`AppTest` of ``app.py`` pointed at it (through ``CXDASH_DATABASE_URL``) with ``?lang=`` and any other URL
parameters set, after clearing Streamlit's caches so no test sees another's figures.

Usage::

    from tests.support.app import make_app, no_errors

    at = make_app("zh-Hans")
    at.run()  # st.navigation must have run once before switch_page knows the pages
    at.switch_page("ui/pages/overview.py")
    at.run()
    no_errors(at)
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import date
from functools import lru_cache
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from cxdash.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "cxdash" / "app.py"  # the entry script: ui/pages/... links resolve from its folder
LANGS = ("en", "zh-Hans", "zh-Hant")
DEMO_RESPONSES = 3000
DEMO_TICKETS = 3000
DEMO_SEED = 7
DEMO_END = date(2026, 6, 30)  # fixed, so every run sees the same data and the same default date range
TIMEOUT = 180  # seconds per AppTest run: 2 shared cores, cold caches


@lru_cache(maxsize=1)
def demo_url() -> str:
    """The URL of this run's demo database (SQLite in a temp dir), built on first use, removed at exit."""
    from cxdash.demo import build_demo

    folder = Path(tempfile.mkdtemp(prefix="cxdash-apptest-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    url = f"sqlite:///{folder / 'demo.db'}"
    engine = make_engine(url)
    build_demo(engine, responses=DEMO_RESPONSES, tickets=DEMO_TICKETS, seed=DEMO_SEED, end_date=DEMO_END)
    engine.dispose()
    return url


def empty_url(folder: Path) -> str:
    """A migrated, empty SQLite database in ``folder`` (for the "no data yet" message)."""
    url = f"sqlite:///{folder / 'empty.db'}"
    make_engine(url).dispose()
    return url


def clear_caches() -> None:
    """Forget every cached figure and engine (between tests)."""
    st.cache_data.clear()
    st.cache_resource.clear()


def make_app(lang: str = "en", database_url: str | None = None, params: dict[str, str | list[str]] | None = None,
             timeout: float = TIMEOUT) -> AppTest:
    """An AppTest of ``app.py`` on ``database_url`` (default: the demo database) with ``?lang=`` and ``params``.

    Sets ``CXDASH_DATABASE_URL`` in this process (the app reads it when it runs) and clears Streamlit's caches.
    """
    os.environ["CXDASH_DATABASE_URL"] = database_url or demo_url()
    clear_caches()
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.query_params["lang"] = lang
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at


def no_errors(at: AppTest) -> None:
    """Assert the run raised nothing and showed no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _page_frame() -> None:
    """The script of :func:`page_app`: store the page context from the environment, then run the page."""
    import os
    import runpy

    from cxdash.db import make_engine
    from cxdash.filters import Filters
    from cxdash.ui.context import PageContext, set_context

    url = os.environ["CXDASH_TEST_PAGE_DB"]
    set_context(PageContext(make_engine(url), url, os.environ["CXDASH_TEST_PAGE_LANG"], Filters(),
                            role=os.environ["CXDASH_TEST_PAGE_ROLE"], user="lead@example.com"))
    runpy.run_path(os.environ["CXDASH_TEST_PAGE"], run_name="__main__")


def page_app(engine: Engine, page: str, lang: str = "en", role: str = "cx_lead") -> AppTest:
    """An AppTest of ``ui/pages/<page>`` alone on ``engine``'s database, in ``lang``, for a user of ``role``."""
    os.environ.update({
        "CXDASH_TEST_PAGE_DB": engine.url.render_as_string(hide_password=False),
        "CXDASH_TEST_PAGE_LANG": lang, "CXDASH_TEST_PAGE_ROLE": role,
        "CXDASH_TEST_PAGE": str(ROOT / "cxdash" / "ui" / "pages" / page),
    })
    st.cache_data.clear()
    return AppTest.from_function(_page_frame, default_timeout=120)
