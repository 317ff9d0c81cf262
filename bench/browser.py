"""What the browser benchmarks share: serve the app, list its page URLs, wait until a page is fully drawn, and
read a process's memory.

Used by ``scripts/browser_timings.py`` (each page cold and warm in headless Chromium, and the server's memory)
and ``scripts/load_test.py`` (ten sessions browsing while an import runs). Playwright is imported by the
scripts, not here; Chromium is Debian's ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]

# The page is drawn when the script run has finished, nothing shows as running or as a loading skeleton, and
# the main area holds at least one element.
RENDERED_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    const main = document.querySelector('[data-testid="stMainBlockContainer"]');
    return !!main && main.querySelectorAll('[data-testid="stElementContainer"]').length > 0;
}"""
ERRORS_JS = """() => [...document.querySelectorAll('[data-testid="stException"], [data-testid="stAlertContentError"]')]
    .map(e => e.innerText.slice(0, 300))"""


def page_paths(roles: str = "admin") -> list[str]:
    """URL paths of the app's pages a user of ``roles`` sees, the overview first as ``/``."""
    from cxdash.ui.navigation import PAGES

    return ["/" if p.url_path == "overview" else f"/{p.url_path}" for p in PAGES if roles in p.roles]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app(database_url: str, log_path: Path, timeout: float = 120.0,
              env: dict[str, str] | None = None, port: int | None = None,
              extra_args: list[str] | None = None,
              python: str | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Serve the app headless against ``database_url`` as ``make run`` does (``python -m cxdash serve``, i.e.
    ``streamlit run cxdash/app.py`` in a process prepared beforehand); yield (base URL, process).

    ``port`` defaults to a free one (sign-in needs a known port for its redirect URI); ``extra_args`` go to
    ``streamlit run`` (e.g. ``--secrets.files``). The server's output goes to ``log_path``; the process is
    terminated at the end. ``python`` is the interpreter to serve with (default: this one); the browser tests
    pass one from an environment holding only ``requirements.txt``.
    """
    port = port or free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {}), "CXDASH_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    cmd = [python or sys.executable, "-m", "cxdash", "serve", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", *(extra_args or [])]
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(base, proc, timeout)
            yield base, proc
        finally:
            stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """Stop a served app: terminate, and kill it when it does not end within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_healthy(base: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit did not become healthy within {timeout:.0f} s")


def wait_rendered(page: Any, timeout_ms: int = 120_000, settle_ms: int = 300) -> float:
    """Wait until the page is fully drawn (:data:`RENDERED_JS`) and stays so for ``settle_ms``; return the
    ``time.perf_counter()`` at which it was first seen drawn (the settle check is not counted).

    A rerun that starts within the settle time (a widget writing the URL, say) restarts the wait.
    """
    deadline = time.perf_counter() + timeout_ms / 1000
    while True:
        left = max(1, int((deadline - time.perf_counter()) * 1000))
        page.wait_for_function(RENDERED_JS, timeout=left, polling=50)
        seen = time.perf_counter()
        page.wait_for_timeout(settle_ms)
        if page.evaluate(RENDERED_JS):
            return seen
        if time.perf_counter() > deadline:
            raise TimeoutError("the page never settled")


def page_errors(page: Any) -> list[str]:
    """Texts of the exceptions and error boxes on the page."""
    return list(page.evaluate(ERRORS_JS))


def rss_mb(pid: int, peak: bool = False) -> float | None:
    """Resident memory of a process in MiB (``VmHWM``, its high-water mark, with ``peak``); None if gone."""
    key = "VmHWM:" if peak else "VmRSS:"
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def memory_parts_mb(pid: int) -> dict[str, float]:
    """A process's resident memory split into its own (``RssAnon``: Python objects, caches) and file pages
    (``RssFile``: memory-mapped database pages, shared with and reclaimable by the operating system's cache)."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                for key, name in (("RssAnon:", "anon_mb"), ("RssFile:", "file_mb"), ("RssShmem:", "shmem_mb")):
                    if line.startswith(key):
                        out[name] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return {}
    return out
