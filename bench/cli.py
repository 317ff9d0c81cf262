"""Command line of the benchmark: ``python -m bench [OPTIONS]`` times the pages, ``python -m bench import``
an upload.

``python -m bench --responses N --tickets M [--database-url URL] [--seed S] [--rebuild | --temporary [--keep]]
[--page NAME ...] [--no-reference] [--import-rows K] [--days D] [--cases C]`` prints one JSON document
(:func:`bench.runner.run_bench`). Without ``--database-url`` the data lives in
``bench-data/bench_r<N>_t<M>_s<S>.db`` and later runs with the same parameters reuse it. Pages are added to the
benchmark in :data:`bench.pages.PAGES`. ``python -m bench [--database-url URL] import --responses N`` times a
survey upload against pandas (:mod:`bench.imports`). Errors the library raises for bad input become a one-line
message on stderr and exit code 2, as in ``python -m cxdash``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from bench import imports


def build_parser() -> argparse.ArgumentParser:
    """The page benchmark's options, with ``import`` as its one sub-benchmark."""
    p = argparse.ArgumentParser(prog="python -m bench",
                                description="build (or reuse) data at a given size and time the pages")
    p.add_argument("--responses", type=int, default=20000, help="survey responses to build (default 20000)")
    p.add_argument("--tickets", type=int, default=30000, help="tickets to build (default 30000)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the demo data (default 7)")
    p.add_argument("--sites", type=int, default=40,
                   help="service sites of the demo organisation (default 40; more are numbered branches)")
    p.add_argument("--database-url", default=None,
                   help="sqlite:///file.db or a PostgreSQL server URL (the benchmark's own database "
                        "cxdash_bench_r<N>_t<M>_s<S> is made on it); default: bench-data/bench_r<N>_t<M>_s<S>.db. "
                        "A database built earlier with the same parameters is reused")
    p.add_argument("--rebuild", action="store_true", help="build the data again even if a matching database exists")
    p.add_argument("--temporary", action="store_true",
                   help="build in a new throw-away database (removed afterwards unless --keep)")
    p.add_argument("--keep", action="store_true", help="with --temporary: keep the database afterwards")
    p.add_argument("--page", action="append", default=None, help="time only this page (repeatable)")
    p.add_argument("--no-reference", dest="reference", action="store_false",
                   help="skip the usual-way reference (whole tables into pandas) and its agreement check")
    p.add_argument("--days", type=int, default=365,
                   help="the view timed: the last N days up to the latest visit (default 365; the app opens on 90)")
    p.add_argument("--import-rows", type=int, default=10_000,
                   help="responses uploaded through the import pipeline to time it (default 10000; 0 = skip)")
    p.add_argument("--cases", type=int, default=0,
                   help="follow-up cases written in bulk before the pages are timed, so the case page and "
                        "report cases are timed at that size (default 0; removed again afterwards)")
    p.set_defaults(handler=run_pages)
    kinds = p.add_subparsers(dest="bench_kind", required=False, title="other benchmarks")
    upload = kinds.add_parser("import", help="import a generated wide survey CSV and compare with pandas")
    imports.add_arguments(upload)
    upload.set_defaults(handler=imports.run_bench)
    return p


def run_pages(args: argparse.Namespace) -> int:
    """Run the page benchmark and print its JSON document."""
    from bench.runner import run_bench  # why: `python -m bench import` need not import every page's module

    out = run_bench(args.responses, args.tickets, args.seed, args.database_url, args.keep,
                    args.page, rebuild=args.rebuild, temporary=args.temporary, reference=args.reference,
                    import_rows=args.import_rows, days=args.days, sites=args.sites, cases=args.cases)
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (ValueError, LookupError, OSError) as exc:
        from cxdash.commands.common import strip_controls  # why: only an error needs it

        print(f"error: {strip_controls(str(exc))}", file=sys.stderr)
        return 2
