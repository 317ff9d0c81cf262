"""End-to-end support: serve ``app.py`` with ``streamlit run`` on a free port and drive it with headless Chromium.

Chromium is Debian's ``/usr/bin/chromium`` (Playwright's own browser downloads are never used). Without it the
browser tests skip, except with ``CI=true`` where a missing Chromium fails the run. Screenshots go to
``test-artifacts/``.

The app is served by the Python of an environment that holds only ``requirements.txt`` (``make setup-app``
builds ``.venv-app``; ``CXDASH_APP_PYTHON`` names another one), as a deployment runs it: the test tools live in
the development environment, and a runtime dependency that only they pull in must not hide there (#20).
"""

from __future__ import annotations

import itertools
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench import browser as bench_browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
_SERVERS = itertools.count()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def app_python() -> str:
    """The interpreter the app is served with: ``CXDASH_APP_PYTHON``, else ``.venv-app/bin/python``.

    Without either, ``CI=true`` fails (the suite would silently serve from the development environment, where
    test tools install packages the app may wrongly rely on); elsewhere it falls back to this interpreter with
    a warning.
    """
    named = os.environ.get("CXDASH_APP_PYTHON", "").strip()
    if named:
        if not Path(named).exists():
            pytest.fail(f"CXDASH_APP_PYTHON={named} does not exist")
        return named
    local = ROOT / ".venv-app" / "bin" / "python"
    if local.exists():
        return str(local)
    message = ("no runtime-only environment to serve the app from: run `make setup-app` (builds .venv-app from "
               "requirements.txt) or set CXDASH_APP_PYTHON")
    if IN_CI:
        pytest.fail(message)
    warnings.warn(message + "; serving from the development environment instead", stacklevel=2)
    return sys.executable


def require_chromium() -> None:
    """Skip the calling test when Chromium or Playwright is missing; fail instead when ``CI=true``."""
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} is missing"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed"
    if problem:
        if IN_CI:
            pytest.fail(f"browser tests need Chromium and Playwright in CI: {problem}")
        pytest.skip(problem)


@contextmanager
def serve_app(database_url: str, timeout: float = 90.0) -> Iterator[str]:
    """Serve the app (``python -m cxdash serve``) headless on a free port against ``database_url``; yield the base URL.

    The benchmark's launcher (:func:`bench.browser.serve_app`) with :func:`app_python`; the server's
    output goes to ``test-artifacts/streamlit-<pid>-<n>.log``.
    """
    log = ARTIFACTS / f"streamlit-{os.getpid()}-{next(_SERVERS)}.log"
    with bench_browser.serve_app(database_url, log, timeout, python=app_python()) as (base, _proc):
        yield base


@contextmanager
def chromium_page(width: int = 1440, height: int = 1000) -> Iterator[Any]:
    """A Playwright page in headless system Chromium (a fresh browser per use)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
            page = context.new_page()
            page.set_default_timeout(90_000)  # two shared cores: a cold page can take a while to draw
            yield page
        finally:
            browser.close()


def wait_for_app(page: Any, timeout_ms: int = 90_000) -> None:
    """Wait until the script run finished: the app is drawn and no element is still "running"."""
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=timeout_ms)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && !document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]');
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(800)  # let charts finish their first paint


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot of the whole page as ``test-artifacts/<name>.png`` and return its path.

    Streamlit scrolls inside its main container, not the document, so the viewport is stretched to the content's
    height for the shot and restored afterwards.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate(
        """() => Math.max(...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stMainBlockContainer"], [data-testid="stSidebarContent"]')]
                 .map(e => e.scrollHeight), document.body.scrollHeight)"""
    )
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12000)})
    page.wait_for_timeout(2000)  # charts and tables re-measure and repaint after the resize
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def choose_option(page: Any, box: Any, option: Any = None, tries: int = 6) -> str:
    """Open the select box ``box`` and click the option matching ``option`` (text or regex; else the first).

    A rerun that lands while the list opens closes it again, or swallows the click, so the list is opened until the
    option shows, a few tries with the app settled in between. Returns the chosen option's text.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    options = page.locator('[role="option"]')
    wanted = options.filter(has_text=option) if option is not None else options
    for attempt in range(tries):
        wait_for_app(page)
        box.scroll_into_view_if_needed()
        box.locator("input").first.click()
        try:
            wanted.first.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
    chosen = str(wanted.first.inner_text())
    wanted.first.click()
    return chosen
