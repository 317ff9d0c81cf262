"""Checklist items: what is inspected at each touchpoint (pain point, standard, method, frequency, role).

:func:`ensure_default_checklist` loads the default after-sales checklist (:mod:`cxdash.improve.inspection_defaults`);
the CRUD functions below back the checklist editor. Every edit writes the audit log and bumps the data version.
Edits take the acting :class:`~cxdash.auth.User` and are refused (:class:`cxdash.improve.errors.AccessError`) for
roles that may not edit the checklist (team leads, executives); the checklist is brand-wide, so there is no scope.
The default checklist is loaded at installation (demo, first import), not by a user, and takes none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from cxdash.audit import record_audit
from cxdash.auth import User
from cxdash.db import bump_data_version
from cxdash.i18n import LANGUAGES, localized, name_column
from cxdash.improve.errors import InputError
from cxdash.improve.inspection_defaults import DEFAULT_ITEMS, FREQUENCIES, METHODS
from cxdash.improve.plan_access import EDIT_CHECKLIST, require_role
from cxdash.schema import checklist_item, stage, touchpoint

EDITABLE = ("touchpoint_id", "pain_point", "standard", "method", "frequency", "responsible_role", "active")


def _texts(values: tuple[str, str, str]) -> dict[str, str]:
    return dict(zip(LANGUAGES, values, strict=True))


def ensure_default_checklist(conn: Connection) -> int:
    """Insert the default checklist items whose touchpoint exists and whose code is not there yet.

    Idempotent: items already present (by code) are left as the user edited them. Returns how many were added.
    """
    tp_ids = {code: tid for tid, code in conn.execute(select(touchpoint.c.id, touchpoint.c.code))}
    have = set(conn.execute(select(checklist_item.c.code)).scalars())
    rows = [
        {
            "touchpoint_id": tp_ids[d.touchpoint],
            "code": d.code,
            "pain_point": _texts(d.pain),
            "standard": _texts(d.standard),
            "method": d.method,
            "frequency": d.frequency,
            "responsible_role": d.role,
            "active": True,
        }
        for d in DEFAULT_ITEMS
        if d.touchpoint in tp_ids and d.code not in have
    ]
    if rows:
        conn.execute(checklist_item.insert(), rows)
    return len(rows)


def list_items(engine: Engine, lang: str = "en", include_inactive: bool = False) -> pd.DataFrame:
    """The checklist in catalog order with texts in ``lang`` (falling back to English)."""
    tp_name = touchpoint.c[name_column(lang)]
    stmt = (
        select(
            checklist_item.c.id,
            checklist_item.c.code,
            checklist_item.c.touchpoint_id,
            touchpoint.c.code.label("touchpoint_code"),
            func.coalesce(tp_name, touchpoint.c.name_en).label("touchpoint_name"),
            checklist_item.c.pain_point,
            checklist_item.c.standard,
            checklist_item.c.method,
            checklist_item.c.frequency,
            checklist_item.c.responsible_role,
            checklist_item.c.active,
        )
        .join(touchpoint, touchpoint.c.id == checklist_item.c.touchpoint_id)
        .join(stage, stage.c.id == touchpoint.c.stage_id)
        .order_by(stage.c.sort_order, touchpoint.c.sort_order, checklist_item.c.code)
    )
    if not include_inactive:
        stmt = stmt.where(checklist_item.c.active.is_(True))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for r in rows:
        r["pain_point"] = localized(r["pain_point"], lang)
        r["standard"] = localized(r["standard"], lang)
        r["active"] = bool(r["active"])
    columns = [c.name for c in stmt.selected_columns]
    return pd.DataFrame(rows, columns=columns)


def get_item(conn: Connection, item_id: int) -> dict[str, Any]:
    """One checklist item as a dict (texts in all languages); raises :class:`InputError` when unknown."""
    row = conn.execute(select(checklist_item).where(checklist_item.c.id == item_id)).mappings().first()
    if row is None:
        raise InputError("improve.err.unknown_item", item=item_id)
    return dict(row)


def _merge_texts(old: Mapping[str, str] | None, new: Mapping[str, str] | str | None, lang: str) -> dict[str, str]:
    """Update one language of a text (or several when a dict is given), keeping the others."""
    merged = dict(old or {})
    if isinstance(new, Mapping):
        merged.update({k: v.strip() for k, v in new.items() if isinstance(v, str) and v.strip()})
    elif isinstance(new, str) and new.strip():
        merged[lang] = new.strip()
        merged.setdefault("en", new.strip())
    return merged


def _validate(conn: Connection, values: Mapping[str, Any]) -> None:
    tp = values.get("touchpoint_id")
    if tp is None or conn.execute(select(touchpoint.c.id).where(touchpoint.c.id == tp)).first() is None:
        raise InputError("improve.err.touchpoint_required")
    if not any((values.get("pain_point") or {}).values()):
        raise InputError("improve.err.pain_point_required")
    if not any((values.get("standard") or {}).values()):
        raise InputError("improve.err.standard_required")
    if values.get("method") and values["method"] not in METHODS:
        raise InputError("improve.err.bad_method", value=values["method"])
    if values.get("frequency") and values["frequency"] not in FREQUENCIES:
        raise InputError("improve.err.bad_frequency", value=values["frequency"])


def create_item(
    conn: Connection,
    *,
    touchpoint_id: int,
    pain_point: Mapping[str, str] | str,
    standard: Mapping[str, str] | str,
    method: str | None = None,
    frequency: str | None = None,
    responsible_role: str | None = None,
    lang: str = "en",
    user: User,
) -> int:
    """Add a checklist item as ``user``; a plain-text ``pain_point``/``standard`` is stored for ``lang`` (and English)."""
    require_role(user, EDIT_CHECKLIST)
    values: dict[str, Any] = {
        "touchpoint_id": touchpoint_id,
        "pain_point": _merge_texts(None, pain_point, lang),
        "standard": _merge_texts(None, standard, lang),
        "method": method or None,
        "frequency": frequency or None,
        "responsible_role": (responsible_role or "").strip() or None,
        "active": True,
    }
    _validate(conn, values)
    n = conn.execute(select(func.count()).select_from(checklist_item)).scalar_one()
    code = f"CL-U{n + 1:04d}"
    while conn.execute(select(checklist_item.c.id).where(checklist_item.c.code == code)).first():
        n += 1
        code = f"CL-U{n + 1:04d}"
    result = conn.execute(checklist_item.insert().values(code=code, **values))
    item_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    record_audit(conn, user.email, "create", "checklist_item", item_id, {"code": code, **values})
    bump_data_version(conn, responses_unchanged=True)
    return item_id


def update_item(
    conn: Connection, item_id: int, changes: Mapping[str, Any], *, lang: str = "en", user: User
) -> dict[str, list[Any]]:
    """Change fields of a checklist item as ``user``; returns ``{field: [old, new]}`` of what really changed."""
    require_role(user, EDIT_CHECKLIST)
    old = get_item(conn, item_id)
    new = {k: old[k] for k in EDITABLE}
    for key, value in changes.items():
        if key not in EDITABLE:
            raise InputError("improve.err.not_editable", field=key)
        if key in ("pain_point", "standard"):
            new[key] = _merge_texts(old[key], value, lang)
        else:
            new[key] = value.strip() if isinstance(value, str) else value
    _validate(conn, new)
    diff = {k: [old[k], new[k]] for k in EDITABLE if old[k] != new[k]}
    if diff:
        conn.execute(checklist_item.update().where(checklist_item.c.id == item_id).values(**new))
        record_audit(conn, user.email, "update", "checklist_item", item_id, diff)
        bump_data_version(conn, responses_unchanged=True)
    return diff


def deactivate_item(conn: Connection, item_id: int, *, user: User) -> dict[str, list[Any]]:
    """Retire an item as ``user`` (kept for its past results, hidden from new inspections); returns the change."""
    return update_item(conn, item_id, {"active": False}, user=user)
