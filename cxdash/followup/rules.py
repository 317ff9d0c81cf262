"""Alert rules: what a rule is, the checks a rule must pass before it is saved, and saving and reading them.

A rule (``alert_rule``) watches responses, tickets or KPIs (its ``kind``, :data:`cxdash.domain.followup.RULE_KINDS`,
with the ``params`` of that kind) within a scope (all, a region, a site or a team). What it finds opens follow-up
cases (:mod:`cxdash.followup.cases`) of its severity, due for first contact within ``response_hours`` business hours
on its calendar. Every save and every switch on or off is in the audit log.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from cxdash.audit import record_audit
from cxdash.db import bump_data_version
from cxdash.domain.followup import RULE_KINDS, SCOPE_KINDS, SEVERITIES
from cxdash.domain.kpis import KPI_CODES
from cxdash.i18n import t
from cxdash.schema import alert_rule, app_user, business_calendar, region, site, team, touchpoint

Bind = Engine | Connection

# Bounds of the numbers a rule holds (a rule outside them is a typing slip, not a choice).
LTR_RANGE = (0, 10)
CSAT_RANGE = (1, 5)
MAX_RESPONSE_HOURS = 24 * 365
MAX_WINDOW_DAYS = 365
MAX_KEYWORDS = 200
MAX_KEYWORD_LENGTH = 100
MAX_COUNT = 1000  # contacts needed, reminders
TICKET_WHICH = ("first_response", "resolution", "either")
KPI_LEVELS = ("site", "team")
NAME_LENGTH = 200


class RuleError(ValueError):
    """A rule cannot be saved as it is; ``key`` names the catalog message (``alerts.error.*``), ``params`` fill it."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.params)


@dataclass(frozen=True)
class Rule:
    """One alert rule, as stored in ``alert_rule`` (``id`` None: not saved yet)."""

    id: int | None
    name: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    scope_kind: str = "all"
    scope_id: int | None = None
    severity: str = "medium"
    owner_user_id: int | None = None
    response_hours: float = 24.0
    calendar_id: int | None = None
    window_days: int = 7
    active: bool = True


def _number(value: Any) -> float | None:
    """``value`` as a finite number, else None (booleans are not numbers here)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _whole(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number == int(number) else None


def _in_range(params: dict[str, Any], key: str, lo: float, hi: float, error: str) -> None:
    value = _number(params.get(key))
    if value is None or not lo <= value <= hi:
        raise RuleError(error, min=lo, max=hi)


def _words(value: Any) -> list[str]:
    """A list of keywords (or theme words): strings, each stripped; anything else is refused."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise RuleError("alerts.error.keywords")
    words = []
    for word in value:
        if not isinstance(word, str):
            raise RuleError("alerts.error.keywords")
        word = word.strip()
        if len(word) > MAX_KEYWORD_LENGTH:
            raise RuleError("alerts.error.keyword_length", max=MAX_KEYWORD_LENGTH)
        if word:
            words.append(word)
    return words


def _check_params(kind: str, params: dict[str, Any]) -> None:
    """Raise :class:`RuleError` unless ``params`` fit ``kind``."""
    if kind == "ltr_at_most":
        _in_range(params, "threshold", *LTR_RANGE, "alerts.error.threshold")
    elif kind == "csat_at_most":
        _in_range(params, "threshold", *CSAT_RANGE, "alerts.error.threshold")
    elif kind == "touchpoint_gap":
        gap = _number(params.get("min_gap"))
        if gap is None or gap <= 0 or gap > 100:
            raise RuleError("alerts.error.min_gap")
        tp = params.get("touchpoint_id")
        if tp is not None and (_whole(tp) is None or isinstance(tp, bool)):
            raise RuleError("alerts.error.touchpoint")
    elif kind == "comment_keywords":
        words = _words(params.get("keywords")) + _words(params.get("themes"))
        if not words:
            raise RuleError("alerts.error.keywords")
        if len(words) > MAX_KEYWORDS:
            raise RuleError("alerts.error.too_many_keywords", max=MAX_KEYWORDS)
    elif kind == "repeat_contact":
        n = _whole(params.get("min_contacts"))
        if n is None or not 2 <= n <= MAX_COUNT:
            raise RuleError("alerts.error.min_contacts", min=2, max=MAX_COUNT)
    elif kind in ("ticket_at_risk", "ticket_breached"):
        if params.get("which", "either") not in TICKET_WHICH:
            raise RuleError("alerts.error.which")
    elif kind == "ticket_chased":
        n = _whole(params.get("times"))
        if n is None or not 1 <= n <= MAX_COUNT:
            raise RuleError("alerts.error.times", min=1, max=MAX_COUNT)
    elif kind in ("kpi_below_target", "kpi_significant_drop"):
        if params.get("kpi") not in KPI_CODES:
            raise RuleError("alerts.error.kpi")
        if params.get("level", "site") not in KPI_LEVELS:
            raise RuleError("alerts.error.level")


def validate_rule(rule: Rule) -> None:
    """Check a rule before it is saved (or run).

    Raises:
        RuleError: no name, unknown kind, scope, severity, response hours, window, or parameters that do not fit
            the kind (a threshold outside its scale, no keywords, a gap that is not positive ...).
    """
    if not isinstance(rule.name, str) or not rule.name.strip() or len(rule.name.strip()) > NAME_LENGTH:
        raise RuleError("alerts.error.name", max=NAME_LENGTH)
    if rule.kind not in RULE_KINDS:
        raise RuleError("alerts.error.kind")
    if rule.scope_kind not in SCOPE_KINDS:
        raise RuleError("alerts.error.scope")
    if (rule.scope_kind == "all") != (rule.scope_id is None):
        raise RuleError("alerts.error.scope")
    if rule.severity not in SEVERITIES:
        raise RuleError("alerts.error.severity")
    hours = _number(rule.response_hours)
    if hours is None or not 0 < hours <= MAX_RESPONSE_HOURS:
        raise RuleError("alerts.error.response_hours", max=MAX_RESPONSE_HOURS)
    days = _whole(rule.window_days)
    if days is None or not 1 <= days <= MAX_WINDOW_DAYS:
        raise RuleError("alerts.error.window_days", max=MAX_WINDOW_DAYS)
    if not isinstance(rule.params, dict):
        raise RuleError("alerts.error.params")
    _check_params(rule.kind, rule.params)


def _normalised(rule: Rule) -> Rule:
    """The rule as stored: name stripped, keywords stripped and without blanks or repeats."""
    params = dict(rule.params)
    for key in ("keywords", "themes"):
        if key in params:
            params[key] = list(dict.fromkeys(_words(params[key])))
    return replace(rule, name=rule.name.strip(), params=params, response_hours=float(rule.response_hours),
                   window_days=int(rule.window_days))


# What a rule may point at, and the table that must hold it.
_REFERENCES = {"region": region, "site": site, "team": team}


def _check_references(conn: Connection, rule: Rule) -> None:
    """The units, touchpoint, user and calendar a rule names exist."""
    checks = []
    if rule.scope_kind in _REFERENCES:
        checks.append(("scope", _REFERENCES[rule.scope_kind], rule.scope_id))
    if rule.kind == "touchpoint_gap" and rule.params.get("touchpoint_id") is not None:
        checks.append(("touchpoint", touchpoint, int(rule.params["touchpoint_id"])))
    if rule.owner_user_id is not None:
        checks.append(("owner", app_user, rule.owner_user_id))
    if rule.calendar_id is not None:
        checks.append(("calendar", business_calendar, rule.calendar_id))
    for what, table, row_id in checks:
        if conn.execute(select(table.c.id).where(table.c.id == row_id)).first() is None:
            raise RuleError(f"alerts.error.unknown_{what}", id=row_id)


def save_rule(conn: Connection, rule: Rule, actor: str | None, now: datetime) -> int:
    """Insert (``rule.id`` None) or update a rule after validation; return its id. Audited ("alert_rule.save").

    Raises:
        RuleError: the rule does not validate, or names a unit, touchpoint, user or calendar that does not exist.
        LookupError: ``rule.id`` names no rule.
    """
    validate_rule(rule)
    rule = _normalised(rule)
    _check_references(conn, rule)
    values = {k: v for k, v in asdict(rule).items() if k != "id"}
    if rule.id is None:
        result = conn.execute(insert(alert_rule).values(**values, created_by=actor, created_at=now, updated_at=now))
        rule_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    else:
        done = conn.execute(update(alert_rule).where(alert_rule.c.id == rule.id).values(**values, updated_at=now))
        if not done.rowcount:
            raise LookupError(f"no alert rule {rule.id}")
        rule_id = rule.id
    record_audit(conn, actor, "alert_rule.save", "alert_rule", rule_id, {**values, "new": rule.id is None})
    bump_data_version(conn, responses_unchanged=True)
    return rule_id


def set_rule_active(conn: Connection, rule_id: int, active: bool, actor: str | None, now: datetime) -> None:
    """Switch a rule on or off (its cases stay as they are). Audited ("alert_rule.active").

    Raises:
        LookupError: no such rule.
    """
    done = conn.execute(update(alert_rule).where(alert_rule.c.id == rule_id).values(active=active, updated_at=now))
    if not done.rowcount:
        raise LookupError(f"no alert rule {rule_id}")
    record_audit(conn, actor, "alert_rule.active", "alert_rule", rule_id, {"active": active})
    bump_data_version(conn, responses_unchanged=True)


_FIELDS = tuple(Rule.__dataclass_fields__)


def _rule(row: Any) -> Rule:
    values = {k: row[k] for k in _FIELDS}
    values["params"] = dict(values["params"] or {})
    values["active"] = bool(values["active"])
    return Rule(**values)


def _rows(bind: Bind, stmt: Any) -> list[Any]:
    if isinstance(bind, Connection):
        return list(bind.execute(stmt).mappings().all())
    with bind.connect() as conn:
        return list(conn.execute(stmt).mappings().all())


def list_rules(bind: Bind, active_only: bool = False) -> list[Rule]:
    """Every rule (or only those switched on), in the order they were created."""
    stmt = select(*[alert_rule.c[k] for k in _FIELDS]).order_by(alert_rule.c.id)
    if active_only:
        stmt = stmt.where(alert_rule.c.active.is_(True))
    return [_rule(r) for r in _rows(bind, stmt)]


def get_rule(bind: Bind, rule_id: int) -> Rule:
    """One rule.

    Raises:
        LookupError: no such rule.
    """
    found = _rows(bind, select(*[alert_rule.c[k] for k in _FIELDS]).where(alert_rule.c.id == rule_id))
    if not found:
        raise LookupError(f"no alert rule {rule_id}")
    return _rule(found[0])
