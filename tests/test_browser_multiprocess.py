"""Two app processes on one PostgreSQL (#9): an upload through one process shows on the other at once.

Each process keeps its own ``st.cache_data``; both key their entries on the data version stored in the database,
which the upload bumps in its own transaction. So the second process, whose cache already holds the overview,
must show the new figures on its next run without any message between the processes. Headless Chromium drives
both: the CX lead uploads a Qualtrics export through process A's upload page, an executive reloads the overview
on process B.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from cxdash.db import make_engine
from tests.support.browser import chromium_page, require_chromium, screenshot, serve_app
from tests.support.pg import scratch_database
from tests.support.uploads import check_qualtrics, load_file, nps_n, overview_n

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture(scope="module")
def shared_pg(pg_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own holding a small demo (dropped afterwards)."""
    from cxdash.demo import build_demo

    require_chromium()
    with scratch_database(pg_url, f"cxdash_multi_{uuid.uuid4().hex[:8]}") as url:
        engine = make_engine(url)
        build_demo(engine, responses=1500, tickets=300, seed=7)
        engine.dispose()
        yield url


def test_an_upload_through_one_process_shows_on_the_other(shared_pg: str) -> None:
    with serve_app(shared_pg) as base_a, serve_app(shared_pg) as base_b, chromium_page() as lead:
        executive = lead.context.browser.new_page()  # a session of its own, in the same browser
        a, b = base_a.rstrip("/"), base_b.rstrip("/")
        before = nps_n(executive, b)  # process B computes and caches the overview
        assert before == nps_n(executive, b) == overview_n(shared_pg) > 0  # and serves it again from its cache

        check_qualtrics(lead, a)
        load_file(lead, "en", cells=1, inserted=11, updated=0, skipped=0, rejected=2)

        after = nps_n(executive, b)  # process B never saw the upload, only the new data version
        assert after == before + 10 == overview_n(shared_pg)
        screenshot(executive, "multiprocess_overview_after")
