"""Load test: ten browser sessions browse and filter at once for a bounded time while an import runs.

Usage: ``.venv/bin/python scripts/load_test.py --database-url URL [--sessions 10] [--seconds 120]
[--import-rows 10000] [--import-after 20] [--servers 1] [--keep-upload]``

Starts ``streamlit run app.py`` headless on a free port against the database (a benchmark database, say; with
``--servers 2`` two app processes on the same database, the sessions spread over them, as behind a load
balancer) and opens ``--sessions`` pages in one headless Chromium, each in its own context (its own Streamlit session). Every
session loops over the pages with changing filters given in the URL (date range, region, site) until the time is
up; every few steps it opens the overview on a fixed view and reads the NPS card's sample size ("n = ...").
``--import-after`` seconds in, ``--import-rows`` survey responses are imported through the real pipeline
(:func:`bench.upload.write_upload_csv`, :func:`cxdash.imports.pipeline.run_import`) into the same
database, in this process, while the sessions keep browsing.

Consistent totals: every figure a session reads is either the count before the import or the count after it
(never a partial load: the import is one transaction), a page opened after the import committed shows the new
count (no stale cache: the caches key on the data version), and once a session has seen the new count it never
sees the old one again. After the browsing time each session reads the total once more when the import is done,
so every session is checked against the new count. Also counted: pages with an exception or error
box, and pages that never finished drawing. Unless ``--keep-upload``, the imported batch is deleted at the end so
a reused benchmark database keeps what its marker says. Prints one JSON document; exits 1 when a check failed.
Every request goes to the app on 127.0.0.1, and the loops stop by themselves when the time is up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.browser import (  # noqa: E402 - after the path set-up above
    CHROMIUM,
    CHROMIUM_ARGS,
    ERRORS_JS,
    RENDERED_JS,
    ROOT,
    rss_mb,
    serve_app,
)

SAMPLE = re.compile(r"\bn = ([\d,]+)")


async def wait_rendered(page: Any, timeout_ms: int, settle_ms: int = 300) -> float:
    """Async twin of :func:`bench.browser.wait_rendered`: when the page was first seen fully drawn."""
    deadline = time.perf_counter() + timeout_ms / 1000
    while True:
        left = max(1, int((deadline - time.perf_counter()) * 1000))
        await page.wait_for_function(RENDERED_JS, timeout=left, polling=100)
        seen = time.perf_counter()
        await page.wait_for_timeout(settle_ms)
        if await page.evaluate(RENDERED_JS):
            return seen
        if time.perf_counter() > deadline:
            raise TimeoutError("the page never settled")


def views(date_from: str, date_to: str, regions: list[int], sites: list[int]) -> list[tuple[str, bool]]:
    """The URLs a session cycles through (path with query) and whether the overview's total is read there."""
    fixed = f"from={date_from}&to={date_to}"
    out: list[tuple[str, bool]] = [(f"/?{fixed}", True)]
    paths = ["/tiers", "/touchpoints", "/service", "/loyalty", "/inspections", "/action-plans"]
    for i, path in enumerate(paths):
        region = regions[i % len(regions)] if regions else None
        site = sites[i % len(sites)] if sites else None
        out.append((f"{path}?{fixed}", False))
        if region is not None:
            out.append((f"{path}?{fixed}&region={region}", False))
        if site is not None and i % 2:
            out.append((f"/?{fixed}&site={site}", False))
        out.append((f"/?{fixed}", True))
    return out


async def _visit(page: Any, base: str, path: str, read_total: bool, timeout_ms: int, lang: str) -> dict[str, Any]:
    sep = "&" if "?" in path else "?"
    visit: dict[str, Any] = {"path": path, "at": time.perf_counter()}
    try:
        await page.goto(f"{base}{path}{sep}lang={lang}", wait_until="commit", timeout=timeout_ms)
        visit["seconds"] = round(await wait_rendered(page, timeout_ms) - visit["at"], 2)
        visit["errors"] = await page.evaluate(ERRORS_JS)
        if read_total:
            text = await page.inner_text('[data-testid="stMainBlockContainer"]')
            found = SAMPLE.search(text)
            visit["total"] = int(found.group(1).replace(",", "")) if found else None
    except Exception as exc:  # noqa: BLE001 - a failed page is a finding, the session goes on
        visit["errors"] = [f"{type(exc).__name__}: {exc}"[:300]]
    return visit


async def session(browser: Any, base: str, number: int, plan: list[tuple[str, bool]], stop_at: float,
                  timeout_ms: int, lang: str, import_done: asyncio.Event) -> dict[str, Any]:
    """One browser session: visit the plan's URLs in turn (each session starting elsewhere) until ``stop_at``,
    then, once the import has finished, read the overview's total one last time."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = await context.new_page()
    visits: list[dict[str, Any]] = []
    step = number
    try:
        while time.perf_counter() < stop_at:
            path, read_total = plan[step % len(plan)]
            step += 1
            visits.append(await _visit(page, base, path, read_total, timeout_ms, lang))
        await import_done.wait()
        visits.append(await _visit(page, base, plan[0][0], True, timeout_ms, lang))
    finally:
        await context.close()
    return {"session": number, "visits": visits}


def _import(url: str, rows: int, date_from: str, date_to: str) -> dict[str, Any]:
    """Import ``rows`` responses through the pipeline; return the batch, the timing and the totals around it."""
    from datetime import date

    from sqlalchemy import select

    from bench.upload import FILE_PREFIX, write_upload_csv
    from cxdash.db import make_engine
    from cxdash.filters import Filters
    from cxdash.imports.pipeline import ImportOptions, prepare, run_import
    from cxdash.imports.reading import FileInput
    from cxdash.metrics.nps import nps
    from cxdash.schema import site

    engine = make_engine(url)
    view = Filters(date_from=date.fromisoformat(date_from), date_to=date.fromisoformat(date_to))
    with engine.connect() as conn:
        codes = [str(c) for c in conn.execute(select(site.c.code)).scalars()]
    with tempfile.TemporaryDirectory(prefix="cxdash-load-") as tmp:
        path = Path(tmp) / f"{FILE_PREFIX}load-{rows}.csv"
        write_upload_csv(path, rows, codes, view)
        before = nps(engine, view).n
        started = time.perf_counter()
        result = run_import(engine, prepare(engine, FileInput.from_path(path), "surveys"), ImportOptions(actor="load"))
        finished = time.perf_counter()
    after = nps(engine, view).n
    engine.dispose()
    return {"rows": rows, "inserted": result.inserted, "batch_id": result.batch_id, "seconds": round(finished - started, 2),
            "started_at": round(started, 2), "committed_by": round(finished, 2), "total_before": before,
            "total_after": after}


def check(sessions: list[dict[str, Any]], upload: dict[str, Any] | None, before: int) -> dict[str, Any]:
    """Errors, unfinished pages, and whether every total read is the old or the new count, never going back."""
    after = upload["total_after"] if upload else before
    committed = upload["committed_by"] if upload else None
    allowed = {before, after}
    problems: list[str] = []
    visits = [v for s in sessions for v in s["visits"]]
    for s in sessions:
        seen_new = False
        for v in s["visits"]:
            if "total" not in v:
                continue
            total = v["total"]
            if total not in allowed:
                problems.append(f"session {s['session']} read n = {total} at {v['path']} (allowed {sorted(allowed)})")
            if committed is not None and v["at"] > committed and total != after:
                problems.append(f"session {s['session']} read the old total n = {total} after the import committed")
            if total == after and after != before:
                seen_new = True
            elif seen_new and total == before:
                problems.append(f"session {s['session']} went back to the old total at {v['path']}")
    errors = [(s["session"], v["path"], e) for s in sessions for v in s["visits"] for e in v.get("errors") or []]
    times = sorted(v["seconds"] for v in visits if v.get("seconds") is not None)
    saw_new = sum(1 for s in sessions if any(v.get("total") == after for v in s["visits"]))
    return {
        "visits": len(visits), "pages_with_errors": len({(a, b) for a, b, _ in errors}), "errors": errors[:20],
        "totals_read": sum(1 for v in visits if "total" in v), "total_before": before, "total_after": after,
        "sessions_that_saw_the_new_total": saw_new, "inconsistent": problems[:20],
        "consistent": not problems, "median_seconds": times[len(times) // 2] if times else None,
        "max_seconds": times[-1] if times else None,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Serve the app, run the sessions and the import together, and check what the sessions saw."""
    from playwright.async_api import async_playwright
    from sqlalchemy import select

    from bench.pages import bench_filters
    from cxdash.db import make_engine
    from cxdash.metrics.nps import nps
    from cxdash.schema import region, site

    engine = make_engine(args.database_url)
    view = bench_filters(engine, 90)
    with engine.connect() as conn:
        regions = [int(r) for r in conn.execute(select(region.c.id).order_by(region.c.id)).scalars()]
        sites = [int(s) for s in conn.execute(select(site.c.id).order_by(site.c.id).limit(5)).scalars()]
    before = nps(engine, view).n
    engine.dispose()
    date_from, date_to = view.date_from.isoformat(), view.date_to.isoformat()  # type: ignore[union-attr]
    plan = views(date_from, date_to, regions, sites)
    upload: dict[str, Any] | None = None
    with ExitStack() as stack:
        servers = [stack.enter_context(serve_app(args.database_url,
                                                 ROOT / "test-artifacts" / f"load-test-server-{i}.log"))
                   for i in range(args.servers)]
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            started = time.perf_counter()
            stop_at = started + args.seconds
            import_done = asyncio.Event()
            tasks = [asyncio.create_task(session(browser, servers[i % len(servers)][0], i, plan, stop_at,
                                                 int(args.timeout * 1000), args.lang, import_done))
                     for i in range(args.sessions)]
            try:
                if args.import_rows:
                    await asyncio.sleep(args.import_after)
                    upload = await asyncio.to_thread(_import, args.database_url, args.import_rows, date_from, date_to)
            finally:
                import_done.set()
            results = list(await asyncio.gather(*tasks))
            await browser.close()
        server_rss = [rss_mb(proc.pid) for _, proc in servers]
    out: dict[str, Any] = {"database_url": args.database_url.split("@")[-1], "sessions": args.sessions,
                           "servers": args.servers, "seconds": args.seconds, "view": {"from": date_from, "to": date_to},
                           "server_rss_mb": server_rss}
    checked = check(results, upload, before)
    if upload is not None:
        begun, committed = upload.pop("started_at"), upload.pop("committed_by")
        upload = {**upload, "started_at_s": round(begun - started, 1), "committed_at_s": round(committed - started, 1)}
    out["upload"] = upload
    out.update(checked)
    out["ok"] = out["consistent"] and out["pages_with_errors"] == 0 and (
        upload is None or out["sessions_that_saw_the_new_total"] == args.sessions)
    if upload is not None and upload.get("batch_id") and not args.keep_upload:
        from cxdash.imports.batches import delete_batch

        eng = make_engine(args.database_url)
        delete_batch(eng, int(upload["batch_id"]), actor="load")
        eng.dispose()
        out["upload"]["deleted_afterwards"] = True
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run the load test, print JSON; exit 1 when a check failed."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--sessions", type=int, default=10)
    p.add_argument("--servers", type=int, default=1, choices=[1, 2, 3, 4],
                   help="app processes on the same database; sessions are spread over them (2: the multi-process "
                        "check, each process learning of the import through the data version)")
    p.add_argument("--seconds", type=float, default=120.0, help="how long the sessions browse (bounded)")
    p.add_argument("--import-rows", type=int, default=10_000, help="responses imported meanwhile (0 = none)")
    p.add_argument("--import-after", type=float, default=20.0, help="seconds of browsing before the import starts")
    p.add_argument("--keep-upload", action="store_true", help="keep the imported batch instead of deleting it")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds a page may take to draw")
    p.add_argument("--lang", default="en", choices=["en", "zh-Hans", "zh-Hant"])
    args = p.parse_args(argv)
    if not 1 <= args.sessions <= 20 or not 0 < args.seconds <= 3600:
        p.error("--sessions must be 1-20 and --seconds 0-3600")
    out = asyncio.run(run(args))
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
