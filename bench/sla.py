"""SLA benchmarks: business time for N tickets (the service page is timed through its views,
:mod:`cxdash.views.service`).

``business_time(n)`` times the vectorised business-minutes computation (policy timings and repeat flags) for
``n`` synthetic tickets in memory, and ``recompute(url)`` the full stored recompute on a database:
``python -m bench.sla --tickets 1000000 [--database-url URL]`` prints both as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd


def synthetic_tickets(n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` tickets over two years in the frame :func:`cxdash.service.compute.compute_sla` and
    :func:`cxdash.service.compute.repeat_flags` take (times in int64 ns), with the default policies' ids 1-4."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-11-01T00:00:00", "ns").astype(np.int64)
    created = start + rng.integers(0, 730 * 86_400, n) * 1_000_000_000
    frt = created + (rng.exponential(4 * 3600, n) * 1e9).astype(np.int64)
    res = frt + (rng.exponential(3 * 86_400, n) * 1e9).astype(np.int64)
    nat = np.iinfo(np.int64).min
    open_ = rng.random(n) < 0.05
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "policy_id": rng.choice([1, 2, 3, 4], n, p=[0.05, 0.2, 0.55, 0.2]),
        "created_at": created,
        "frt_end": np.where(open_ & (rng.random(n) < 0.5), nat, frt),
        "res_end": np.where(open_, nat, res),
        "customer_id": rng.integers(0, max(n // 3, 1), n),
        "category": rng.choice(np.array([f"cat{i}" for i in range(12)], dtype=object), n),
    })


def business_time(n: int = 1_000_000, seed: int = 1) -> dict[str, Any]:
    """Seconds to compute policy timings (business minutes, due and at-risk times) and repeat flags for ``n``
    synthetic tickets on the default calendars (Shanghai service hours with holidays; 7-day extended hours)."""
    from cxdash.service.calendar import Calendar
    from cxdash.service.compute import compute_sla, repeat_flags
    from cxdash.service.holidays import CN_HOLIDAYS, CN_WORKDAYS
    from cxdash.service.policies import (
        DEFAULT_TARGETS,
        DEFAULT_TIMEZONE,
        EXTENDED_HOURS,
        SERVICE_HOURS,
        Policy,
    )

    cals = {
        1: ("Service hours", Calendar.from_json(DEFAULT_TIMEZONE, SERVICE_HOURS, CN_HOLIDAYS, CN_WORKDAYS)),
        2: ("Extended hours", Calendar.from_json(DEFAULT_TIMEZONE, EXTENDED_HOURS, CN_HOLIDAYS, CN_WORKDAYS)),
    }
    policies = [
        Policy(i, prio, prio, None, None, frt, res, 2 if cal == "Extended hours" else 1, 0.8, True)
        for i, (prio, (frt, res, cal)) in enumerate(DEFAULT_TARGETS.items(), start=1)
    ]
    df = synthetic_tickets(n, seed)
    t0 = time.perf_counter()
    timings = compute_sla(df, policies, cals)
    t1 = time.perf_counter()
    repeat_flags(df)
    t2 = time.perf_counter()
    return {"tickets": n, "timings_seconds": round(t1 - t0, 2), "repeats_seconds": round(t2 - t1, 2),
            "total_seconds": round(t2 - t0, 2), "mean_frt_business_min": round(float(np.nanmean(timings["frt_business_min"])), 1)}


def recompute(database_url: str) -> dict[str, Any]:
    """Seconds for :func:`cxdash.service.compute.recompute_tickets` over every ticket of a database (rolled back)."""
    from cxdash.db import make_engine
    from cxdash.service.compute import recompute_tickets

    engine = make_engine(database_url)
    with engine.connect() as conn:
        trans = conn.begin()
        t0 = time.perf_counter()
        n = recompute_tickets(conn)
        seconds = time.perf_counter() - t0
        trans.rollback()
    return {"tickets": n, "recompute_seconds": round(seconds, 2)}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench.sla``: print the SLA benchmark as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.sla")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None, help="also time a full recompute on this database")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {"date": date.today().isoformat(), "business_time": business_time(args.tickets)}
    if args.database_url:
        out["recompute"] = recompute(args.database_url)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
