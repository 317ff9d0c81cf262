"""Time every page of the app in headless Chromium, cold and warm, and the server's memory after browsing them.

Usage: ``.venv/bin/python scripts/browser_timings.py --database-url URL [--page /path ...] [--lang en]``

Starts ``streamlit run app.py`` headless on a free port against the database, then for each page: the cold
visit is the first one after the server started (its data caches are empty), the warm one a second visit in a
new browser context (a new session: the server's caches are warm, the session state is not). The time runs from
the navigation until the page is fully drawn: the script run has finished, nothing shows as running or as a
loading skeleton, the main area has content, and it stays so (see :func:`bench.browser.wait_rendered`).
After every page the server's resident memory is read from ``/proc``. Prints one JSON document, with the issue's
targets (cold <= 6 s, warm <= 3 s, server memory <= 1 GB after browsing every page).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.browser import (  # noqa: E402 - after the path set-up above
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    memory_parts_mb,
    page_errors,
    page_paths,
    rss_mb,
    serve_app,
    wait_rendered,
)

TARGETS = {"cold_s": 6.0, "warm_s": 3.0, "server_rss_mb": 1024.0}


def visit(browser: Any, url: str, timeout_ms: int) -> dict[str, Any]:
    """Open ``url`` in a new context and return the seconds until it was drawn and any errors shown."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US")
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit", timeout=timeout_ms)
        done = wait_rendered(page, timeout_ms)
        return {"seconds": round(done - t0, 2), "errors": page_errors(page)}
    except Exception as exc:  # noqa: BLE001 - a page that never draws is a result, not a crash of the script
        return {"seconds": None, "errors": [f"{type(exc).__name__}: {exc}"[:300]]}
    finally:
        context.close()


def run(database_url: str, paths: list[str], lang: str, timeout_ms: int) -> dict[str, Any]:
    """Serve the app, visit each page cold then warm, and return the timings and memory."""
    from playwright.sync_api import sync_playwright

    log = ROOT / "test-artifacts" / "browser-timings-server.log"
    out: dict[str, Any] = {"database_url": database_url.split("@")[-1], "lang": lang, "pages": {}}
    with serve_app(database_url, log) as (base, proc), sync_playwright() as pw:
        out["server_rss_mb_start"] = rss_mb(proc.pid)
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for path in paths:
                url = f"{base}{path}?lang={lang}"
                cold = visit(browser, url, timeout_ms)
                warm = visit(browser, url, timeout_ms)
                out["pages"][path] = {"cold_seconds": cold["seconds"], "warm_seconds": warm["seconds"],
                                      "errors": cold["errors"] + warm["errors"], "server_rss_mb": rss_mb(proc.pid)}
        finally:
            browser.close()
        out["server_rss_mb"] = rss_mb(proc.pid)
        out["server_peak_rss_mb"] = rss_mb(proc.pid, peak=True)
        out["server_rss_parts"] = memory_parts_mb(proc.pid)
    pages = out["pages"].values()
    colds = [p["cold_seconds"] for p in pages]
    warms = [p["warm_seconds"] for p in pages]
    out["max_cold_seconds"] = max((c for c in colds if c is not None), default=None)
    out["max_warm_seconds"] = max((w for w in warms if w is not None), default=None)
    out["errors"] = sum(len(p["errors"]) for p in pages)
    out["targets"] = {
        f"cold<={TARGETS['cold_s']}s": all(c is not None and c <= TARGETS["cold_s"] for c in colds),
        f"warm<={TARGETS['warm_s']}s": all(w is not None and w <= TARGETS["warm_s"] for w in warms),
        f"server_rss<={TARGETS['server_rss_mb']:.0f}MB": (out["server_rss_mb"] or 0) <= TARGETS["server_rss_mb"],
        "no_errors": out["errors"] == 0,
    }
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, print JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", required=True, help="the database the app serves (e.g. a benchmark database)")
    p.add_argument("--page", action="append", dest="pages", help="a URL path such as / or /service (repeatable; "
                                                                  "default: every page an admin sees)")
    p.add_argument("--lang", default="en", choices=["en", "zh-Hans", "zh-Hant"])
    p.add_argument("--timeout", type=float, default=120.0, help="seconds a page may take before it counts as failed")
    args = p.parse_args(argv)
    out = run(args.database_url, args.pages or page_paths(), args.lang, int(args.timeout * 1000))
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
