"""Scheduled alert rules: KPI rules per site or team, and ``alerts run`` (ticket and KPI rules in one transaction).

A KPI rule (``kpi_below_target``, ``kpi_significant_drop``; :data:`cxdash.domain.followup.KPI_RULES`) looks at
the **last full calendar month** before ``now`` and, for every unit of its level (site or team) within its scope
that has at least ``min_n`` observations that month, builds the overview's KPI card for that unit
(:mod:`cxdash.metrics.overview.kpi_cards`: the same figures, the same change tests, the target most specific to the unit
from :mod:`cxdash.metrics.targets`):

* ``kpi_below_target``: the card misses its target (direction as the overview's, ``target_met`` is False);
* ``kpi_significant_drop``: the change against the month before is significant by the overview's test (NPS
  standard error rule, two-proportion z-test for shares, Welch's t-test for CES) and goes the bad way (down, or up for a lower-is-better share).

Each such unit opens one case per rule, unit and month: the case's ``dedupe_key`` is
``kpi:<rule>:<level>:<unit>:<YYYY-MM>``, and a key that exists already (whatever the case's state) opens nothing,
so running every day of a month, or twice in a row, opens nothing new (the core's
:func:`cxdash.followup.cases.open_cases` skips a key that has a case). A rule scoped to one team looks at that team
whatever its level. KPIs without a month per unit (churn, plan counts) cannot be watched: ``alerts run`` skips
such a rule and says so.

The figures are read with the metric functions (summaries where they cover the month), grouped by site or team
in one query per month, so a rule costs a few queries at any number of units, plus one target look-up per
unit that has data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import Connection

from cxdash.domain.followup import KPI_RULES
from cxdash.domain.kpis import KPI_CODES, LOWER_IS_BETTER
from cxdash.domain.periods import month_floor, next_month
from cxdash.domain.service_sql import utcnow
from cxdash.domain.tiers import TIER_NAMES
from cxdash.filters import Filters
from cxdash.followup.cases import DryRun, dry_run, open_cases, run_ticket_rules
from cxdash.followup.rules import Rule, list_rules, validate_rule
from cxdash.followup.triggers import Trigger
from cxdash.metrics.overview.cards import response_cards
from cxdash.metrics.overview.kpi_cards import KpiCard, share_card
from cxdash.metrics.response_figures import ResponseFigures, figures_from_row, plain_sums
from cxdash.metrics.service.compliance import summary_from_row
from cxdash.metrics.service.counts import outcome_counts
from cxdash.metrics.significance import Proportion, proportion
from cxdash.metrics.targets import targets_for
from cxdash.schema import site, team
from cxdash.summaries.figures import figure_sums

# The KPIs a KPI rule can watch: the overview's survey and SLA compliance cards with a change test.
# The KPIs a KPI rule can watch: the overview's survey and service cards, which have a monthly value per unit and
# a change test (churn is judged on a day, plans are counts: neither belongs to a unit's month).
RESPONSE_KPIS = ("nps", "csat", "ces", "ces_easy", *(f"share_{name}" for name in TIER_NAMES),
                 "effort_multiple_contacts", "effort_transferred", "effort_repeated_story")
SLA_KPIS = ("sla_first_response", "sla_resolution", "ftf")
KPI_CHOICES = tuple(k for k in KPI_CODES if k in RESPONSE_KPIS or k in SLA_KPIS)
LEVELS = ("site", "team")
DEFAULT_MIN_N = 10  # fewer answers in a month than this: too few to judge a unit (the card's interval is wide)
KPI_SOURCE = "kpi"
ALERTS_LOCK = 0x7A6E8  # pg_advisory_xact_lock key of ``alerts run``: two runs at once must not both open a case
_LEVEL_COLUMN = {"site": "site_id", "team": "team_id"}
_SLA_ATTR = {"sla_first_response": "first_response", "sla_resolution": "resolution", "ftf": "ftf"}


@dataclass(frozen=True)
class UnitKpi:
    """One unit's KPI card for a month: where the unit is, the card (value, previous month, change, target)."""

    level: str
    unit_id: int
    region_id: int | None
    site_id: int | None
    team_id: int | None
    card: KpiCard


@dataclass(frozen=True)
class AlertRun:
    """What one ``alerts run`` did: the moment it judged, the cases opened by ticket rules and by KPI rules."""

    at: datetime
    ticket_cases: tuple[int, ...]
    kpi_cases: tuple[int, ...]
    kpi_rules: int  # KPI rules evaluated
    skipped: tuple[int, ...] = ()  # KPI rules that could not be evaluated (ids)

    @property
    def opened(self) -> int:
        """How many cases this run opened."""
        return len(self.ticket_cases) + len(self.kpi_cases)


def last_full_month(now: datetime) -> tuple[date, date]:
    """The first and last day of the last calendar month that ended before ``now``."""
    last = month_floor(now.date()) - timedelta(days=1)
    return month_floor(last), last


def month_before(first: date) -> tuple[date, date]:
    """The first and last day of the month before the one starting on ``first``."""
    last = first - timedelta(days=1)
    return month_floor(last), last


def kpi_params(rule: Rule) -> tuple[str, str, int]:
    """The KPI, level and minimum observations of a KPI rule (level ``team`` for a rule scoped to one team).

    Raises:
        ValueError: the rule is no KPI rule, or names a KPI or level a KPI rule cannot watch.
    """
    if rule.kind not in KPI_RULES:
        raise ValueError(f"rule kind {rule.kind!r} is not a KPI rule")
    kpi = str(rule.params.get("kpi", "nps"))
    level = "team" if rule.scope_kind == "team" else str(rule.params.get("level", "site"))
    if kpi not in KPI_CHOICES:
        raise ValueError(f"a KPI rule watches one of {', '.join(KPI_CHOICES)}, not {kpi!r}")
    if level not in LEVELS:
        raise ValueError(f"a KPI rule looks at sites or teams, not {level!r}")
    raw = rule.params.get("min_n", DEFAULT_MIN_N)
    min_n = DEFAULT_MIN_N if raw is None else int(raw)
    return kpi, level, max(1, min_n)


def scope_filters(rule: Rule) -> Filters:
    """The rule's scope as filters (no dates): a region, site or team, or everything."""
    if rule.scope_kind == "region" and rule.scope_id is not None:
        return Filters(region_ids=(int(rule.scope_id),))
    if rule.scope_kind == "site" and rule.scope_id is not None:
        return Filters(site_ids=(int(rule.scope_id),))
    if rule.scope_kind == "team" and rule.scope_id is not None:
        return Filters(team_ids=(int(rule.scope_id),))
    return Filters()


def kpi_dedupe_key(rule_id: int | None, level: str, unit_id: int, first: date) -> str:
    """The key of the one case a KPI rule may open for a unit and month."""
    return f"kpi:{rule_id}:{level}:{unit_id}:{first:%Y-%m}"


def _unit_id(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def _response_figures(conn: Connection, filters: Filters, level: str) -> dict[int, ResponseFigures]:
    """The survey figures of each unit of ``level`` in the filters' selection (one grouped query)."""
    column = _LEVEL_COLUMN[level]
    sums = figure_sums(conn, filters, [column])
    out: dict[int, ResponseFigures] = {}
    for row in sums.to_dict("records"):
        unit = _unit_id(row.pop(column))
        if unit is not None:
            out[unit] = figures_from_row(plain_sums(row))
    return out


def _sla_rates(engine: Engine, filters: Filters, level: str, kpi: str, now: datetime) -> dict[int, Proportion]:
    """The SLA compliance of each unit of ``level`` for the filters' tickets as of ``now`` (one grouped query)."""
    out: dict[int, Proportion] = {}
    for row in outcome_counts(engine, filters, now, by=level):
        unit = _unit_id(row.get("key"))
        if unit is not None:
            rate = getattr(summary_from_row(row), _SLA_ATTR[kpi])
            out[unit] = proportion(rate.k, rate.n)
    return out


def unit_card(kpi: str, cur: Any, prev: Any, targets: dict[str, float]) -> KpiCard:
    """The overview's card of ``kpi`` from a unit's figures of two months: :class:`ResponseFigures` for a survey
    KPI, a :class:`Proportion` for a service KPI (``prev`` None: no comparison)."""
    if kpi in SLA_KPIS:
        return share_card(kpi, "service", cur, prev, targets)
    return next(card for card in response_cards(cur, prev, targets) if card.key == kpi)


def _places(conn: Connection, level: str, units: Sequence[int]) -> dict[int, tuple[int | None, int | None, int | None]]:
    """(region, site, team) of each unit."""
    out: dict[int, tuple[int | None, int | None, int | None]] = {}
    ids = sorted(set(units))
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        if level == "site":
            stmt = select(site.c.id, site.c.region_id).where(site.c.id.in_(chunk))
            out.update({int(row[0]): (row[1], int(row[0]), None) for row in conn.execute(stmt)})
        else:
            stmt = (select(team.c.id, team.c.site_id, site.c.region_id)
                    .select_from(team.join(site, site.c.id == team.c.site_id)).where(team.c.id.in_(chunk)))
            out.update({int(row[0]): (row[2], row[1], int(row[0])) for row in conn.execute(stmt)})
    return out


def unit_kpis(conn: Connection, rule: Rule, now: datetime, with_targets: bool = True) -> list[UnitKpi]:
    """The KPI card of every unit of the rule's level and scope for the last full month before ``now``, against
    the month before (units with fewer than ``min_n`` observations in the month are left out).

    Targets (the one most specific to the unit, valid on the month's last day) are looked up when
    ``with_targets``; a drop rule does without.
    """
    kpi, level, min_n = kpi_params(rule)
    first, last = last_full_month(now)
    prev_first, prev_last = month_before(first)
    scope = scope_filters(rule)
    cur_f, prev_f = scope.with_dates(first, last), scope.with_dates(prev_first, prev_last)
    cur: Mapping[int, Any]
    prev: Mapping[int, Any]
    if kpi in SLA_KPIS:
        cur = _sla_rates(conn.engine, cur_f, level, kpi, now)
        prev = _sla_rates(conn.engine, prev_f, level, kpi, now)
    else:
        cur = _response_figures(conn, cur_f, level)
        prev = _response_figures(conn, prev_f, level)
    units = sorted(u for u in cur if (unit_card(kpi, cur[u], None, {}).n or 0) >= min_n)
    places = _places(conn, level, units)
    out = []
    for unit in units:
        if unit not in places:  # a unit deleted since: nobody to follow up with
            continue
        targets: dict[str, float] = {}
        if with_targets:
            unit_filters = Filters(site_ids=(unit,)) if level == "site" else Filters(team_ids=(unit,))
            targets = targets_for(conn.engine, unit_filters, last)
        card = unit_card(kpi, cur[unit], prev.get(unit), targets)
        region_id, site_id, team_id = places[unit]
        out.append(UnitKpi(level, unit, region_id, site_id, team_id, card))
    return out


def is_worse(card: KpiCard) -> bool:
    """True when the card's change is significant and goes the bad way for this KPI."""
    change = card.change
    if change is None or not change.significant or change.delta is None:
        return False
    return change.delta > 0 if card.key in LOWER_IS_BETTER else change.delta < 0


def _plain(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _trigger(rule: Rule, unit: UnitKpi, first: date, reason: str) -> Trigger:
    card, change = unit.card, unit.card.change
    detail = {
        "kpi": card.key, "reason": reason, "level": unit.level, "unit_id": unit.unit_id,
        "period": f"{first:%Y-%m}", "value": _plain(card.value), "n": card.n, "target": _plain(card.target),
        "previous": _plain(card.previous), "delta": None if change is None else _plain(change.delta),
        "threshold": None if change is None else _plain(change.threshold), "test": None if change is None else change.test,
        "dedupe_key": kpi_dedupe_key(rule.id, unit.level, unit.unit_id, first),
    }
    return Trigger(rule_id=int(rule.id or 0), source=KPI_SOURCE, customer_id=None, response_id=None, ticket_id=None,
                   batch_id=None, at=datetime.combine(next_month(first), time.min), region_id=unit.region_id,
                   site_id=unit.site_id, team_id=unit.team_id, touchpoint_id=None, detail=detail)


def kpi_triggers(conn: Connection, rule: Rule, now: datetime) -> list[Trigger]:
    """The units a KPI rule finds in the last full month before ``now``: one trigger per unit below its target
    (``kpi_below_target``) or down significantly against the month before (``kpi_significant_drop``).

    Each trigger's ``detail`` holds the KPI, the period (``YYYY-MM``), value, n, target, previous value, the
    change and its threshold and test, and the case's ``dedupe_key``. Writes nothing.

    Raises:
        ValueError: the rule is no KPI rule or its parameters name an unknown KPI or level.
    """
    below = rule.kind == "kpi_below_target"
    kpi_params(rule)  # refuse a bad rule before reading anything
    first, _ = last_full_month(now)
    out = []
    for unit in unit_kpis(conn, rule, now, with_targets=below):
        if below and unit.card.target_met is False:
            out.append(_trigger(rule, unit, first, "below_target"))
        elif not below and is_worse(unit.card):
            out.append(_trigger(rule, unit, first, "significant_drop"))
    return out


def open_kpi_cases(conn: Connection, rule: Rule, now: datetime) -> list[int]:
    """Open the cases of one KPI rule for the last full month before ``now`` in the caller's transaction; return
    the new cases' ids. A unit and month that has a case of this rule already (open or closed) opens nothing: each
    trigger carries its ``dedupe_key`` and :func:`cxdash.followup.cases.open_cases` skips a key that has a case."""
    return open_cases(conn, rule, kpi_triggers(conn, rule, now), now)


def _lock(conn: Connection) -> None:
    """Serialise ``alerts run`` on PostgreSQL (SQLite allows one writer anyway) until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ALERTS_LOCK})


def runnable(rule: Rule) -> bool:
    """True when ``alerts run`` can evaluate this KPI rule: it validates and watches a KPI with a monthly value
    per unit (:data:`KPI_CHOICES`)."""
    try:
        validate_rule(rule)
        kpi_params(rule)
    except ValueError:  # RuleError is one too
        return False
    return True


def run_alerts(engine: Engine, now: datetime | None = None) -> AlertRun:
    """Run every active ticket rule and KPI rule as of ``now`` (default: the current UTC time) in one
    transaction; return what was opened. Idempotent: a second run at the same moment, or later in the same
    month for KPI rules, opens nothing new. A KPI rule that cannot be evaluated (stored by hand with a KPI no unit
    has a month of, such as churn) is skipped and named in :attr:`AlertRun.skipped`, never fails the run."""
    now = now or utcnow()
    with engine.begin() as conn:
        _lock(conn)
        ticket_ids = run_ticket_rules(conn, now)
        rules = [r for r in list_rules(conn, active_only=True) if r.kind in KPI_RULES]
        kpi_ids: list[int] = []
        skipped: list[int] = []
        for rule in rules:
            if runnable(rule):
                kpi_ids += open_kpi_cases(conn, rule, now)
            else:
                skipped.append(int(rule.id or 0))
    return AlertRun(now, tuple(ticket_ids), tuple(kpi_ids), len(rules) - len(skipped), tuple(skipped))


def kpi_dry_run(engine: Engine, rule: Rule, now: datetime, days: int = 90) -> DryRun:
    """How many cases a KPI rule would have opened over the ``days`` before ``now``: one per unit for every
    month whose run (on the first day of the next month) falls in that window, counted as
    :func:`cxdash.followup.cases.dry_run` counts. Writes nothing.

    Raises:
        ValueError: the rule does not validate or its parameters name a KPI or level it cannot watch.
    """
    rule = rule if rule.id is not None else replace(rule, id=0)  # an unsaved rule: its triggers need an id
    kpi_params(rule)
    start = now - timedelta(days=days)
    found: list[Trigger] = []
    run_day = month_floor(now.date())  # the latest run day: the first of this month
    with engine.connect() as conn:
        while datetime.combine(run_day, time.min) > start:
            found += kpi_triggers(conn, rule, datetime.combine(run_day, time.min))
            run_day = month_floor(run_day - timedelta(days=1))
    return dry_run(engine, rule, now, days, triggers=found)


def preview(engine: Engine, rule: Rule, now: datetime, days: int = 90) -> DryRun:
    """The dry run of any rule over the ``days`` before ``now``: KPI rules here, the others by
    :func:`cxdash.followup.cases.dry_run`. Writes nothing.

    Raises:
        ValueError: a KPI rule whose parameters name an unknown KPI or level.
    """
    if rule.kind in KPI_RULES:
        return kpi_dry_run(engine, rule, now, days)
    return dry_run(engine, rule, now, days)
