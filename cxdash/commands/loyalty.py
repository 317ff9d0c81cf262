"""``python -m cxdash report loyalty|drivers|churn|themes``: the loyalty pages' figures as CSV or JSON.

Each report prints fields of its page's views (:mod:`cxdash.views.loyalty`, :mod:`cxdash.views.drivers`,
:mod:`cxdash.views.voice`), with the same filter options as the other reports:

- ``loyalty --view cards|trend|breakdown|effort|failures`` (``--period month|week``, ``--by region|site|...``):
  NPS with its interval and group shares, CSAT, CES; trends with every change's verdict; breakdowns; effort and
  loyalty; service failures and loyalty.
- ``drivers --outcome ltr|csat``: relative weights with share of R^2, the model's R^2 and n on every row.
- ``churn --view rate|model|groups|trend|retention|at-risk`` (``--churn-mode flag|inactivity``, ``--window
  DAYS``, ``--as-of``): the churn rate, odds ratios with 95 % CI and p-values, churn by group, churn over time,
  Kaplan-Meier curves, at-risk customers. Every row names the rule used (``mode``, ``rule_source``); the notes
  (rule and how to switch, left-censoring, why a result is empty) go to stderr.
- ``themes --view themes|tier|touchpoint|emerging`` (``--term T`` lists that theme's comments).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from cxdash.commands.common import (
    add_filter_options,
    engine_from_args,
    filters_from_args,
    frame_rows,
    plain_value,
    print_rows,
)
from cxdash.i18n import normalise_language, t


def register(sub: Any, reports: Any) -> None:
    """Add ``report loyalty``, ``report drivers``, ``report churn`` and ``report themes``."""
    p = reports.add_parser("loyalty", help="NPS, CSAT and CES with intervals: cards, trend, breakdowns, effort, failures")
    add_filter_options(p)
    p.add_argument("--view", choices=["cards", "trend", "breakdown", "effort", "failures"], default="cards")
    p.add_argument("--period", choices=["month", "week"], default="month")
    p.add_argument("--by", choices=["region", "site", "team", "channel", "segment"], default="site")
    p.set_defaults(handler=run_loyalty)
    p = reports.add_parser("drivers", help="key drivers of likelihood to recommend or CSAT (relative weights)")
    add_filter_options(p)
    p.add_argument("--outcome", choices=["ltr", "csat"], default="ltr")
    p.set_defaults(handler=run_drivers)
    p = reports.add_parser("churn", help="churn drivers: odds ratios, churn by group, trend, retention, at-risk list")
    add_filter_options(p)
    p.add_argument("--view", choices=["rate", "model", "groups", "trend", "retention", "at-risk"], default="model")
    p.add_argument("--window", type=int, default=None, help="inactivity window W in days (default: the setting)")
    p.add_argument("--churn-mode", choices=["flag", "inactivity"], default=None,
                   help="churn rule: uploaded flags only, or a flag or W days of inactivity (default: the rule in "
                        "force: the setting, else flags when a customer list says who stayed, else inactivity)")
    p.add_argument("--flag-only", action="store_true", help="same as --churn-mode flag")
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="day churn is judged on (YYYY-MM-DD)")
    p.add_argument("--limit", type=int, default=200, help="customers in the at-risk list")
    p.set_defaults(handler=run_churn)
    p = reports.add_parser("themes", help="comment themes: lift of detractors over promoters, per tier/touchpoint, emerging")
    add_filter_options(p)
    p.add_argument("--view", choices=["themes", "tier", "touchpoint", "emerging"], default="themes")
    p.add_argument("--term", default=None, help="list the comments of this theme instead")
    p.set_defaults(handler=run_themes)


def card_rows(s: Any) -> list[dict[str, Any]]:
    """One row per KPI of the cards (a :class:`~cxdash.metrics.loyalty.figures.LoyaltySummary`): value, n, interval,
    previous value, change, threshold and verdict."""
    prev = s.previous.values() if s.previous else {}
    rows = []
    for kpi, (value, n, low, high) in s.current.values().items():
        c = s.changes.get(kpi)
        verdict = None if c is None or c.significant is None else ("significant" if c.significant else "within_noise")
        rows.append({"kpi": kpi, "value": value, "n": n, "ci_low": low, "ci_high": high,
                     "previous": prev.get(kpi, (None,))[0], "delta": c.delta if c else None,
                     "threshold": c.threshold if c else None, "verdict": verdict,
                     "sampled": s.ces_sampled and kpi.startswith("ces")})
    return [{k: plain_value(v) for k, v in r.items()} for r in rows]


def run_loyalty(args: argparse.Namespace) -> int:
    """Print the selected loyalty view."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.views.loyalty import breakdowns_view, effort_view, failures_view, loyalty_view

    engine, f, lang = engine_from_args(args), filters_from_args(args), normalise_language(args.lang)
    if args.view == "trend":
        rows = frame_rows(loyalty_view(engine, f, lang, period=args.period).trend)
    elif args.view == "breakdown":
        rows = frame_rows(breakdowns_view(engine, f, lang, by=args.by).table)
    elif args.view == "effort":
        eff = effort_view(engine, f, lang).effort
        rows = frame_rows(eff.table, responses=eff.responses, sampled=eff.sampled, churn_customers=eff.customers)
    elif args.view == "failures":
        fail = failures_view(engine, f, lang).failures
        rows = frame_rows(fail.table, responses=fail.responses, sampled=fail.sampled, churn_customers=fail.customers)
    else:
        rows = card_rows(loyalty_view(engine, f, lang).summary)
    print_rows(rows, args.format)
    return 0


def run_drivers(args: argparse.Namespace) -> int:
    """Print the key drivers with the model's R^2 and n on every row."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.views.drivers import key_drivers_view

    engine, f, lang = engine_from_args(args), filters_from_args(args), normalise_language(args.lang)
    model = key_drivers_view(engine, f, lang, outcome=args.outcome).model
    print_rows(frame_rows(model.table, outcome=model.outcome, r2=plain_value(model.r2), n=model.n), args.format)
    return 0


def print_notes(lines: list[str]) -> None:
    """The churn figure's notes (rule, how to switch, censoring, empty reasons) on stderr, off the data."""
    for line in lines:
        print(line, file=sys.stderr)


def run_churn(args: argparse.Namespace) -> int:
    """Print the selected churn view, its notes on stderr."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.metrics.loyalty.churn_model import MIN_EVENTS
    from cxdash.views.drivers import churn_view

    engine, f, lang = engine_from_args(args), filters_from_args(args), normalise_language(args.lang)
    v = churn_view(engine, f, lang, churn_mode="flag" if args.flag_only else args.churn_mode,
                   window_days=args.window, as_of=args.as_of, limit=args.limit)
    d, note, m = v.rule.definition, v.note, v.drivers.model
    notes = note.lines(lang)
    tag: dict[str, Any] = {"mode": d.mode, "window_days": d.window_days, "rule_source": v.rule.source}
    if args.view == "rate":
        p = v.rate
        rows = [{"as_of": plain_value(note.as_of), "n": p.n, "k": p.k, "rate": plain_value(p.rate),
                 "ci_low": plain_value(p.ci_low), "ci_high": plain_value(p.ci_high), **tag}]
    elif args.view == "groups":
        rows = frame_rows(v.drivers.groups, **tag)
    elif args.view == "trend":
        rows = frame_rows(v.trend, **tag)
        notes += v.trend_lines
    elif args.view == "retention":
        rows = frame_rows(v.drivers.curves, **tag)
        if v.drivers.curves.empty:
            notes.append(t("loyalty.churn.km.none", lang))
    elif args.view == "at-risk":
        rows = frame_rows(v.drivers.at_risk, scored=v.drivers.scored, **tag)
        if v.drivers.at_risk.empty:
            notes.append(t("loyalty.churn.risk.no_model", lang, min=MIN_EVENTS, n=m.n, k=m.events))
    else:
        rows = frame_rows(m.table, n=m.n, churned=m.events, converged=m.converged, pseudo_r2=plain_value(m.pseudo_r2),
                          as_of=m.as_of, **tag)
        if m.table.empty:
            notes.append(t("loyalty.churn.model.no_answers", lang, min=MIN_EVENTS, n=m.n, k=m.events))
    print_rows(rows, args.format)
    print_notes(notes)
    return 0


def run_themes(args: argparse.Namespace) -> int:
    """Print the selected themes view, or the comments of one theme."""
    # why: loaded when the command runs, so every other command (and --help) starts without it
    from cxdash.views.voice import comments_view, voice_view

    engine, f, lang = engine_from_args(args), filters_from_args(args), normalise_language(args.lang)
    if args.term:
        # the 50 newest, sites named in English: the report's comment list as it always was
        print_rows(frame_rows(comments_view(engine, f, "en", term=args.term, limit=50).rows), args.format)
        return 0
    v = voice_view(engine, f, lang).voice
    frame = {"themes": v.themes, "tier": v.by_tier, "touchpoint": v.by_touchpoint, "emerging": v.emerging}[args.view]
    print_rows(frame_rows(frame, sampled_comments=v.sampled, selection_comments=v.comments), args.format)
    return 0
