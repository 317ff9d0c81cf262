"""The alert rules page's views: the rules as a table with names in a language, what the form can choose from
(units, users, calendars, touchpoints), and a rule's dry run with its sites named.

The page renders these; ``python -m cxdash alerts list`` and ``alerts dry-run`` print the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from cxdash.alerts import preview
from cxdash.domain.followup import KPI_RULES, SOURCE_OF
from cxdash.followup.cases import DryRun
from cxdash.followup.rules import Rule, list_rules
from cxdash.metrics.experience.gaps import touchpoint_catalog
from cxdash.metrics.org_names import org_names
from cxdash.organisation import data_span, region_options, site_options, team_options
from cxdash.schema import app_user
from cxdash.service.policies import list_calendars

DRY_RUN_DAYS = 90
RULE_COLUMNS = ["id", "name", "kind", "source", "params", "scope_kind", "scope_id", "scope", "severity",
                "owner_user_id", "owner", "response_hours", "calendar_id", "calendar", "window_days", "active"]
BY_SITE_COLUMNS = ["site_id", "site", "cases"]
Options = tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class AlertRulesView:
    """The rules (as stored and as a table with names in ``lang``) and every choice the rule form offers."""

    rules: tuple[Rule, ...]
    table: pd.DataFrame  # RULE_COLUMNS
    regions: Options
    sites: Options
    teams: Options
    users: Options  # active users who can be a rule's fallback owner: (id, "name <email>")
    calendars: Options  # business calendars (id, name); none: cases are due around the clock
    touchpoints: Options
    has_data: bool  # any response or ticket at all (else a dry run has nothing to count)

    def rule(self, rule_id: int) -> Rule:
        """The rule with ``rule_id``; raises LookupError when there is none."""
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise LookupError(f"no alert rule {rule_id}")

    def units(self, scope_kind: str) -> Options:
        """The units a rule of ``scope_kind`` can be limited to (none for ``all``)."""
        return {"region": self.regions, "site": self.sites, "team": self.teams}.get(scope_kind, ())


@dataclass(frozen=True)
class DryRunView:
    """A rule's dry run: what :func:`cxdash.alerts.preview` counted, over which days, by site."""

    result: DryRun
    start: datetime
    end: datetime
    by_site: pd.DataFrame  # BY_SITE_COLUMNS, most cases first


def _users(engine: Engine) -> Options:
    u = app_user.c
    with engine.connect() as conn:
        rows = conn.execute(select(u.id, u.name, u.email).where(u.active.is_(True)).order_by(u.email)).all()
    return tuple((int(i), f"{n} <{e}>" if n else str(e)) for i, n, e in rows)


def _touchpoints(engine: Engine, lang: str) -> Options:
    with engine.connect() as conn:
        frame = touchpoint_catalog(conn, lang)
    return tuple((int(i), f"{s} · {n}") for i, s, n in
                 zip(frame["touchpoint_id"], frame["stage_name"], frame["touchpoint_name"], strict=True))


def _scope_label(kind: str, scope_id: int | None, names: dict[str, dict[int, str]]) -> str:
    if kind == "all" or scope_id is None:
        return ""
    return names.get(kind, {}).get(int(scope_id), f"{kind} {scope_id}")


def rule_table(rules: tuple[Rule, ...], names: dict[str, dict[int, str]], users: dict[int, str],
               calendars: dict[int, str]) -> pd.DataFrame:
    """One row per rule (:data:`RULE_COLUMNS`): its fields, the scope, owner and calendar named."""
    rows: list[dict[str, Any]] = [{
        "id": r.id, "name": r.name, "kind": r.kind, "source": SOURCE_OF.get(r.kind, ""), "params": dict(r.params),
        "scope_kind": r.scope_kind, "scope_id": r.scope_id, "scope": _scope_label(r.scope_kind, r.scope_id, names),
        "severity": r.severity, "owner_user_id": r.owner_user_id,
        "owner": users.get(r.owner_user_id, "") if r.owner_user_id is not None else "",
        "response_hours": r.response_hours, "calendar_id": r.calendar_id,
        "calendar": calendars.get(r.calendar_id, "") if r.calendar_id is not None else "",
        "window_days": r.window_days, "active": bool(r.active),
    } for r in rules]
    return pd.DataFrame(rows, columns=RULE_COLUMNS)


def alert_rules_view(engine: Engine, lang: str = "en") -> AlertRulesView:
    """Every alert rule and every choice of the rule form, names in ``lang``."""
    rules = tuple(list_rules(engine))
    regions = tuple(region_options(engine, lang))
    sites = tuple(site_options(engine, lang=lang))
    teams = tuple(team_options(engine, lang=lang))
    users = _users(engine)
    with engine.connect() as conn:
        calendars = tuple((int(i), str(name)) for i, (name, _) in sorted(list_calendars(conn).items()))
    names = {"region": dict(regions), "site": dict(sites), "team": dict(teams)}
    table = rule_table(rules, names, dict(users), dict(calendars))
    return AlertRulesView(rules=rules, table=table, regions=regions, sites=sites, teams=teams, users=users,
                          calendars=calendars, touchpoints=_touchpoints(engine, lang),
                          has_data=data_span(engine)[1] is not None)


def dry_run_end(engine: Engine, now: datetime, days: int = DRY_RUN_DAYS) -> datetime:
    """The moment a dry run counts back from: ``now``, or the end of the latest day holding data when that day
    lies more than ``days`` days back (an old import, the demo), so the dry run still has data to count."""
    latest = data_span(engine)[1]
    if latest is None or latest >= (now - timedelta(days=days)).date():
        return now
    return datetime.combine(latest + timedelta(days=1), time.min)


def dry_run_view(engine: Engine, rule: Rule, now: datetime, lang: str = "en",
                 days: int = DRY_RUN_DAYS) -> DryRunView:
    """How many cases ``rule`` would have opened over ``days`` days up to :func:`dry_run_end` (customers and
    cases by site, sites named in ``lang``). Writes nothing.

    Raises:
        ValueError: a KPI rule whose parameters name an unknown KPI or level.
    """
    end = dry_run_end(engine, now, days)
    result = preview(engine, rule, end, days)
    with engine.connect() as conn:
        names = org_names(conn, "site", [s for s in result.by_site if s is not None], lang)
    rows = sorted(((s, names.get(int(s), str(s)) if s is not None else "", int(n))
                   for s, n in result.by_site.items()), key=lambda r: (-r[2], r[1]))
    by_site = pd.DataFrame(rows, columns=BY_SITE_COLUMNS)
    return DryRunView(result=result, start=end - timedelta(days=days), end=end, by_site=by_site)


def is_kpi_rule(kind: str) -> bool:
    """True for the rule kinds ``alerts run`` evaluates per month and unit (not on imports)."""
    return kind in KPI_RULES
