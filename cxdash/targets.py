"""Editing KPI targets: set, replace, close and end a target per KPI and scope, with history and audit.

The read side (which target a card is held against) is :mod:`cxdash.metrics.targets`. Here targets are written,
always through :func:`set_target` and :func:`end_target`, each in the caller's transaction, each change kept in
``kpi_target_history`` (who, when, the value and validity dates before and after, the note) and in the audit log.

Values are entered in the units the cards show: NPS points (-100..100), CES on its 1-7 scale, counts as whole
numbers of 0 or more, and every share (CSAT, tier and effort shares, SLA compliance, first-time fix, churn,
improved plans) in percent (0..100), stored as a fraction (0-1) like the figures themselves.

Validity periods of one KPI and scope never overlap. A new target:

* starting on the same day as an existing one (or both "from the beginning") **replaces** it (value, end, note);
* starting while an earlier one runs **closes** that one on the day before, unless the earlier one would run
  past the new one's end (a target inside another), which is refused: end or change the earlier one first;
* overlapping a target that starts later is refused: end the new one before, or change the later one first.

Scopes are written ``all``, ``region:CODE``, ``site:CODE`` or ``team:SITE/TEAM`` (site code, slash, team code).
Errors are :class:`TargetError` (a :class:`ValueError`) with a code and parameters the pages translate; nothing is
written when one is raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, func, or_, select, text, update
from sqlalchemy.engine import Connection

from cxdash.audit import now_utc, record_audit
from cxdash.db import bump_data_version, inserted_id
from cxdash.domain.kpis import COUNT, KPI_CODES, POINTS, SCALE, SHARE
from cxdash.i18n import name_column, t
from cxdash.schema import kpi_target, kpi_target_history, region, site, team

SCOPE_KINDS = ("all", "region", "site", "team")
NOTE_MAX = 500
TARGET_LOCK = 0x7A6E7  # pg_advisory_xact_lock key of target edits: two at once must not both miss an overlap
OPEN = "…"  # an open start or end in messages (no language of its own)
ACTIONS = ("set", "replace", "close", "end")
LIST_COLUMNS = ["id", "kpi", "scope", "value", "valid_from", "valid_to", "status", "note"]
HISTORY_COLUMNS = ["at", "actor", "action", "kpi", "scope", "old_value", "new_value", "old_from", "old_to",
                   "new_from", "new_to", "note", "target_id"]

# The unit each KPI's value is entered and shown in (the overview cards' units).
KPI_UNITS: dict[str, str] = {k: SHARE for k in KPI_CODES}
KPI_UNITS.update(nps=POINTS, ces=SCALE, plans_open=COUNT, plans_overdue=COUNT)
# Allowed entered values per unit (None: no upper bound).
RANGES: dict[str, tuple[float, float | None]] = {POINTS: (-100.0, 100.0), SHARE: (0.0, 100.0), SCALE: (1.0, 7.0),
                                                 COUNT: (0.0, None)}


class TargetError(ValueError):
    """A target edit was refused; ``code`` names the reason (key ``targets.err.<code>``), ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(t(f"targets.err.{code}", "en", **params))


@dataclass(frozen=True)
class Scope:
    """Where a target applies: ``all`` (no id), or one region, site or team by id; ``text`` as the user wrote it."""

    kind: str
    id: int | None = None
    text: str = field(default="all", compare=False)


ALL = Scope("all")


def unit_of(kpi: str) -> str:
    """The unit a KPI's target is entered and shown in (``points``, ``share``, ``scale`` or ``count``)."""
    return KPI_UNITS[check_kpi(kpi)]


def check_kpi(kpi: str) -> str:
    """Return ``kpi`` if it is a KPI code; raise :class:`TargetError` ``unknown_kpi`` otherwise."""
    if kpi not in KPI_CODES:
        raise TargetError("unknown_kpi", kpi=str(kpi)[:64], known=", ".join(KPI_CODES))
    return kpi


def entry_value(kpi: str, stored: float | None) -> float | None:
    """A stored target as entered: shares in percent, everything else as stored."""
    if stored is None or pd.isna(stored):
        return None
    return round(float(stored) * 100, 6) if unit_of(kpi) == SHARE else float(stored)


def stored_value(kpi: str, entered: float) -> float:
    """An entered target as stored: shares from percent to a fraction, everything else unchanged."""
    return float(entered) / 100 if unit_of(kpi) == SHARE else float(entered)


def format_entry(kpi: str, stored: float | None) -> str:
    """A stored target as text in entry units (``85%`` for a share, ``40`` for NPS), the same in every language."""
    value = entry_value(kpi, stored)
    if value is None:
        return OPEN
    return f"{value:g}%" if unit_of(kpi) == SHARE else f"{value:g}"


def _day(value: date | None) -> str:
    return OPEN if value is None else value.isoformat()


def check_value(kpi: str, entered: float | str | None) -> float:
    """Validate an entered target against the KPI's range; return it as stored (a fraction for shares)."""
    unit = unit_of(kpi)
    if entered is None or (isinstance(entered, str) and not entered.strip()):
        raise TargetError("value_missing")
    try:
        value = float(entered)
    except (TypeError, ValueError):
        raise TargetError("value_nan", value=str(entered)[:40]) from None
    if not math.isfinite(value):
        raise TargetError("value_nan", value=str(entered)[:40])
    low, high = RANGES[unit]
    if unit == COUNT and (value < low or value != int(value)):
        raise TargetError("value_count", kpi=kpi, value=f"{value:g}")
    if value < low or (high is not None and value > high):
        suffix = "%" if unit == SHARE else ""
        raise TargetError("value_range", kpi=kpi, value=f"{value:g}{suffix}", low=f"{low:g}{suffix}",
                          high=f"{high:g}{suffix}")
    return stored_value(kpi, value)


def parse_scope(conn: Connection, text: str) -> Scope:
    """Read a scope written ``all``, ``region:CODE``, ``site:CODE`` or ``team:SITE/TEAM`` and find its id.

    Raises:
        TargetError: ``bad_scope`` (cannot be read) or ``unknown_scope`` (no such region, site or team).
    """
    raw = str(text).strip()
    if "\x00" in raw:  # PostgreSQL refuses NUL in text; no code holds one
        raise TargetError("bad_scope", scope=raw.replace("\x00", "")[:100])
    if raw.lower() == "all":
        return ALL
    kind, sep, code = raw.partition(":")
    kind, code = kind.strip().lower(), code.strip()
    if not sep or kind not in SCOPE_KINDS[1:] or not code:
        raise TargetError("bad_scope", scope=raw[:100])
    ident: int | None
    if kind == "region":
        ident = conn.execute(select(region.c.id).where(region.c.code == code)).scalar()
    elif kind == "site":
        ident = conn.execute(select(site.c.id).where(site.c.code == code)).scalar()
    else:
        site_code, slash, team_code = code.partition("/")
        if not slash or not site_code.strip() or not team_code.strip():
            raise TargetError("bad_scope", scope=raw[:100])
        ident = conn.execute(
            select(team.c.id).select_from(team.join(site, site.c.id == team.c.site_id))
            .where(site.c.code == site_code.strip(), team.c.code == team_code.strip())
        ).scalar()
        code = f"{site_code.strip()}/{team_code.strip()}"
    if ident is None:
        raise TargetError("unknown_scope", scope=f"{kind}:{code}"[:100])
    return Scope(kind, int(ident), f"{kind}:{code}")


def scope_texts(conn: Connection) -> dict[tuple[str, int | None], str]:
    """Every scope's text (``site:S01``, ``team:S01/T1``, ...) by ``(kind, id)``, ``all`` included."""
    out: dict[tuple[str, int | None], str] = {("all", None): "all"}
    out.update({("region", int(i)): f"region:{c}" for i, c in conn.execute(select(region.c.id, region.c.code))})
    out.update({("site", int(i)): f"site:{c}" for i, c in conn.execute(select(site.c.id, site.c.code))})
    teams = select(team.c.id, site.c.code, team.c.code).select_from(team.join(site, site.c.id == team.c.site_id))
    out.update({("team", int(i)): f"team:{s}/{c}" for i, s, c in conn.execute(teams)})
    return out


def scope_options(engine: Engine, lang: str = "en") -> list[tuple[str, str, str]]:
    """Every scope a target can have as ``(kind, text, label)``: regions, sites and teams by code, named in
    ``lang`` (region names) or as stored (site and team names); ``all`` first."""
    rname = func.coalesce(region.c[name_column(lang)], region.c.name_en, region.c.code)
    out = [("all", "all", t("targets.scope.all", lang))]
    with engine.connect() as conn:
        out += [("region", f"region:{c}", f"{n} ({c})")
                for c, n in conn.execute(select(region.c.code, rname).order_by(region.c.code))]
        out += [("site", f"site:{c}", f"{n} ({c})")
                for c, n in conn.execute(select(site.c.code, site.c.name).order_by(site.c.code))]
        teams = (select(site.c.code, team.c.code, site.c.name, team.c.name)
                 .select_from(team.join(site, site.c.id == team.c.site_id)).order_by(site.c.code, team.c.code))
        out += [("team", f"team:{sc}/{tc}", f"{sn} / {tn} ({sc}/{tc})") for sc, tc, sn, tn in conn.execute(teams)]
    return out


def _same_scope(scope: Scope) -> Any:
    c = kpi_target.c
    return and_(c.scope_kind == scope.kind, c.scope_id.is_(None) if scope.id is None else c.scope_id == scope.id)


def _history(conn: Connection, actor: str | None, action: str, target_id: int, kpi: str, scope: Scope,
             old: dict[str, Any] | None, new: dict[str, Any] | None, note: str | None) -> None:
    """One history row and one audit-log row for a change of a target."""
    old, new = old or {}, new or {}
    row = {
        "target_id": target_id, "kpi": kpi, "scope_kind": scope.kind, "scope_id": scope.id, "action": action,
        "old_value": old.get("value"), "new_value": new.get("value"), "old_from": old.get("valid_from"),
        "old_to": old.get("valid_to"), "new_from": new.get("valid_from"), "new_to": new.get("valid_to"),
        "note": note, "actor": actor, "at": now_utc(),
    }
    conn.execute(kpi_target_history.insert().values(**row))
    detail = {k: v for k, v in row.items() if k not in ("target_id", "actor", "at", "action")}
    detail["scope"] = scope.text
    record_audit(conn, actor, f"target.{action}", "kpi_target", target_id, detail)


def _lock(conn: Connection) -> None:
    """Serialise target edits on PostgreSQL (SQLite allows one writer anyway) until the transaction ends."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": TARGET_LOCK})


def _clean_note(note: str | None) -> str | None:
    text = (note or "").replace("\x00", "").strip()  # PostgreSQL refuses NUL in text
    if len(text) > NOTE_MAX:
        raise TargetError("note_long", n=NOTE_MAX)
    return text or None


def set_target(conn: Connection, actor: str | None, kpi: str, scope: Scope, value: float | str | None,
               valid_from: date | None = None, valid_to: date | None = None, note: str | None = None) -> int:
    """Set ``kpi``'s target for ``scope`` to ``value`` (entry units, see the module) from ``valid_from`` to
    ``valid_to`` (inclusive; None: open); return the target's id.

    Replaces a target starting on the same day and closes an earlier one still running (see the module for the
    rules); every change goes to the history and the audit log, and the data version moves so cached cards update.

    Raises:
        TargetError: unknown KPI or scope, a value outside the KPI's range, the end before the start, a note too
            long, or a period overlapping another one of the KPI and scope that cannot be closed.
    """
    check_kpi(kpi)
    stored = check_value(kpi, value)
    note = _clean_note(note)
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise TargetError("dates_order", start=_day(valid_from), end=_day(valid_to))
    if scope.kind not in SCOPE_KINDS or (scope.kind == "all") != (scope.id is None):
        raise TargetError("bad_scope", scope=scope.text)
    if scope.kind != "all" and scope.text == "all":  # a scope built by id: name it by its code for the history
        scope = Scope(scope.kind, scope.id, scope_texts(conn).get((scope.kind, scope.id), ""))
        if not scope.text:
            raise TargetError("unknown_scope", scope=f"{scope.kind}:{scope.id}")
    _lock(conn)
    c = kpi_target.c
    start, end = valid_from or date.min, valid_to or date.max
    rows = conn.execute(
        select(c.id, c.value, c.valid_from, c.valid_to, c.note)
        .where(c.kpi == kpi, _same_scope(scope), or_(c.valid_to.is_(None), c.valid_to >= start),
               or_(c.valid_from.is_(None), c.valid_from <= end))
        .order_by(c.id)
    ).mappings().all()
    replaced: dict[str, Any] | None = None
    to_close: list[dict[str, Any]] = []
    for r in rows:
        r_start, r_end = r["valid_from"] or date.min, r["valid_to"] or date.max
        if r_start == start and replaced is None:
            replaced = dict(r)
        elif r_start < start and r_end <= end:
            to_close.append(dict(r))
        elif r_start < start:
            raise TargetError("inside", value=format_entry(kpi, r["value"]), start=_day(r["valid_from"]),
                              end=_day(r["valid_to"]))
        else:
            raise TargetError("overlaps_later", value=format_entry(kpi, r["value"]), start=_day(r["valid_from"]),
                              end=_day(r["valid_to"]))
    for old in to_close:  # each started before ``start``, so ``start`` is a real day here
        last = start - timedelta(days=1)
        conn.execute(update(kpi_target).where(c.id == old["id"]).values(valid_to=last))
        _history(conn, actor, "close", old["id"], kpi, scope, old, {**old, "valid_to": last}, note)
    new = {"value": stored, "valid_from": valid_from, "valid_to": valid_to}
    if replaced is not None:
        target_id = int(replaced["id"])
        conn.execute(update(kpi_target).where(c.id == target_id).values(**new, note=note))
        _history(conn, actor, "replace", target_id, kpi, scope, replaced, new, note)
    else:
        target_id = inserted_id(conn.execute(kpi_target.insert().values(
            kpi=kpi, scope_kind=scope.kind, scope_id=scope.id, note=note, **new)))
        _history(conn, actor, "set", target_id, kpi, scope, None, new, note)
    bump_data_version(conn)
    return target_id


def target_valid_on(conn: Connection, kpi: str, scope: Scope, day: date) -> int | None:
    """The id of ``kpi``'s target for exactly ``scope`` valid on ``day`` (None when there is none)."""
    c = kpi_target.c
    return conn.execute(
        select(c.id).where(c.kpi == check_kpi(kpi), _same_scope(scope),
                           or_(c.valid_from.is_(None), c.valid_from <= day), or_(c.valid_to.is_(None), c.valid_to >= day))
        .order_by(c.valid_from.desc(), c.id.desc()).limit(1)
    ).scalar()


def end_target(conn: Connection, actor: str | None, target_id: int, last_day: date, note: str | None = None) -> None:
    """End a target: ``last_day`` becomes the last day it applies (history and audit log as for a change).

    Raises:
        TargetError: no such target, ``last_day`` before its start, or after the end it already has.
    """
    note = _clean_note(note)
    _lock(conn)
    c = kpi_target.c
    row = conn.execute(select(kpi_target).where(c.id == target_id)).mappings().first()
    if row is None:
        raise TargetError("no_target", id=target_id)
    if row["valid_from"] is not None and last_day < row["valid_from"]:
        raise TargetError("end_before_start", end=_day(last_day), start=_day(row["valid_from"]))
    if row["valid_to"] is not None and last_day > row["valid_to"]:
        raise TargetError("end_after_end", end=_day(last_day), current=_day(row["valid_to"]))
    scope = Scope(row["scope_kind"], row["scope_id"],
                  scope_texts(conn).get((row["scope_kind"], row["scope_id"]), str(row["scope_kind"])))
    conn.execute(update(kpi_target).where(c.id == target_id).values(valid_to=last_day))
    _history(conn, actor, "end", target_id, row["kpi"], scope, dict(row), {**row, "valid_to": last_day}, note)
    bump_data_version(conn)


def end_target_on(conn: Connection, actor: str | None, kpi: str, scope: Scope, last_day: date,
                  note: str | None = None) -> int:
    """End ``kpi``'s target for ``scope`` valid on ``last_day`` with that day as its last; return its id.

    Raises:
        TargetError: ``no_current`` when no target of the KPI and scope is valid on that day.
    """
    target_id = target_valid_on(conn, kpi, scope, last_day)
    if target_id is None:
        raise TargetError("no_current", kpi=kpi, scope=scope.text, day=_day(last_day))
    end_target(conn, actor, target_id, last_day, note)
    return target_id


def _status(valid_from: date | None, valid_to: date | None, today: date) -> str:
    if valid_from is not None and valid_from > today:
        return "future"
    if valid_to is not None and valid_to < today:
        return "past"
    return "current"


def list_targets(engine: Engine, kpi: str | None = None, scope: Scope | None = None, on: date | None = None,
                 today: date | None = None) -> pd.DataFrame:
    """Targets with their scope text, value in entry units, validity, status (``current``, ``future`` or
    ``past`` as of ``today``) and note; only ``kpi``'s, ``scope``'s or those valid ``on`` a day when given.
    Sorted by KPI (overview order), scope and start."""
    c = kpi_target.c
    stmt = select(c.id, c.kpi, c.scope_kind, c.scope_id, c.value, c.valid_from, c.valid_to, c.note)
    if kpi is not None:
        stmt = stmt.where(c.kpi == check_kpi(kpi))
    if scope is not None:
        stmt = stmt.where(_same_scope(scope))
    if on is not None:
        stmt = stmt.where(or_(c.valid_from.is_(None), c.valid_from <= on), or_(c.valid_to.is_(None), c.valid_to >= on))
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
        texts = scope_texts(conn)
    day = today or now_utc().date()
    order = {k: i for i, k in enumerate(KPI_CODES)}
    records = [{
        "id": r["id"], "kpi": r["kpi"], "scope": texts.get((r["scope_kind"], r["scope_id"]), r["scope_kind"]),
        "value": entry_value(r["kpi"], r["value"]) if r["kpi"] in KPI_UNITS else r["value"],
        "valid_from": r["valid_from"], "valid_to": r["valid_to"],
        "status": _status(r["valid_from"], r["valid_to"], day), "note": r["note"] or "",
        "_sort": (order.get(r["kpi"], len(order)), SCOPE_KINDS.index(r["scope_kind"])
                  if r["scope_kind"] in SCOPE_KINDS else 9, texts.get((r["scope_kind"], r["scope_id"]), ""),
                  r["valid_from"] or date.min),
    } for r in rows]
    records.sort(key=lambda rec: rec["_sort"])
    return pd.DataFrame(records, columns=[*LIST_COLUMNS, "_sort"])[LIST_COLUMNS]


def target_history(engine: Engine, kpi: str | None = None, scope: Scope | None = None,
                   limit: int = 1000) -> pd.DataFrame:
    """The newest changes of targets (at most ``limit``), only ``kpi``'s or ``scope``'s when given: when, who,
    what (``set``, ``replace``, ``close``, ``end``), the value (entry units) and validity before and after, the
    note."""
    h = kpi_target_history.c
    stmt = select(kpi_target_history)
    if kpi is not None:
        stmt = stmt.where(h.kpi == check_kpi(kpi))
    if scope is not None:
        stmt = stmt.where(h.scope_kind == scope.kind,
                          h.scope_id.is_(None) if scope.id is None else h.scope_id == scope.id)
    stmt = stmt.order_by(h.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
        texts = scope_texts(conn)
    records = [{
        "at": r["at"], "actor": r["actor"] or "", "action": r["action"], "kpi": r["kpi"],
        "scope": texts.get((r["scope_kind"], r["scope_id"]), r["scope_kind"]),
        "old_value": entry_value(r["kpi"], r["old_value"]) if r["kpi"] in KPI_UNITS else r["old_value"],
        "new_value": entry_value(r["kpi"], r["new_value"]) if r["kpi"] in KPI_UNITS else r["new_value"],
        "old_from": r["old_from"], "old_to": r["old_to"], "new_from": r["new_from"], "new_to": r["new_to"],
        "note": r["note"] or "", "target_id": r["target_id"],
    } for r in rows]
    return pd.DataFrame(records, columns=HISTORY_COLUMNS)
