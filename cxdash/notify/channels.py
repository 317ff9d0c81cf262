"""Webhook channels (``notice_channel``) and each user's notice settings (language; immediate, daily, weekly), each
change checked and audited in the caller's transaction.

A channel's secret is written but never read back for display (:func:`list_channels` says only whether one is
set); leaving the secret empty when editing keeps the stored one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection, Engine

from cxdash.audit import record_audit
from cxdash.db import inserted_id
from cxdash.domain.followup import CHANNEL_KINDS, SCOPE_KINDS, SEVERITIES
from cxdash.i18n import LANGUAGES
from cxdash.schema import app_user, notice_channel, region, site, team


class ChannelError(ValueError):
    """A channel or settings value is refused; ``key`` names the message in notify.json."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _scope_exists(conn: Connection, scope_kind: str, scope_id: int | None) -> bool:
    table = {"region": region, "site": site, "team": team}.get(scope_kind)
    if table is None:
        return scope_kind == "all"
    return scope_id is not None and conn.execute(select(table.c.id).where(table.c.id == scope_id)).first() is not None


def check_channel(conn: Connection, values: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned values of a channel; raises :class:`ChannelError` on a bad name, kind, URL, scope, severity or
    language."""
    name = str(values.get("name") or "").strip()
    if not name or len(name) > 200:
        raise ChannelError("notify.error.name")
    kind = values.get("kind")
    if kind not in CHANNEL_KINDS:
        raise ChannelError("notify.error.kind")
    url = str(values.get("url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000 or any(c.isspace() for c in url):
        raise ChannelError("notify.error.url")
    scope_kind = values.get("scope_kind") or "all"
    scope_id = values.get("scope_id")
    scope_id = None if scope_kind == "all" or scope_id in (None, "") else int(scope_id)
    if scope_kind not in SCOPE_KINDS or not _scope_exists(conn, scope_kind, scope_id):
        raise ChannelError("notify.error.scope")
    min_severity = values.get("min_severity") or "high"
    if min_severity not in SEVERITIES:
        raise ChannelError("notify.error.severity")
    language = values.get("language") or "en"
    if language not in LANGUAGES:
        raise ChannelError("notify.error.language")
    secret = values.get("secret")
    secret = str(secret).strip() if secret not in (None, "") else None
    if secret is not None and len(secret) > 500:
        raise ChannelError("notify.error.secret")
    return {"name": name, "kind": kind, "url": url, "secret": secret, "scope_kind": scope_kind,
            "scope_id": scope_id, "min_severity": min_severity, "language": language,
            "active": bool(values.get("active", True))}


def save_channel(conn: Connection, values: Mapping[str, Any], actor: str | None, now: datetime,
                 channel_id: int | None = None) -> int:
    """Create a channel (``channel_id`` None) or update one; an empty secret keeps the stored one. Audited
    ``notice_channel.save`` (without the secret). Raises :class:`ChannelError`, LookupError for an unknown id."""
    clean = check_channel(conn, values)
    if channel_id is None:
        new_id = inserted_id(conn.execute(notice_channel.insert().values(**clean, created_at=now, created_by=actor)))
    else:
        if clean["secret"] is None:
            del clean["secret"]
        result = conn.execute(update(notice_channel).where(notice_channel.c.id == channel_id).values(**clean))
        if not result.rowcount:
            raise LookupError(f"no notice channel {channel_id}")
        new_id = channel_id
    shown = {k: v for k, v in clean.items() if k not in ("secret", "url")}
    record_audit(conn, actor, "notice_channel.save", "notice_channel", new_id,
                 {**shown, "host": urlsplit(clean["url"]).hostname, "secret_set": bool(values.get("secret"))})
    return new_id


def delete_channel(conn: Connection, channel_id: int, actor: str | None) -> None:
    """Delete a channel and its notices (sent ones included: the audit log keeps that it existed)."""
    result = conn.execute(delete(notice_channel).where(notice_channel.c.id == channel_id))
    if not result.rowcount:
        raise LookupError(f"no notice channel {channel_id}")
    record_audit(conn, actor, "notice_channel.delete", "notice_channel", channel_id, {})


def list_channels(engine: Engine) -> list[dict[str, Any]]:
    """Every channel (without its secret: ``has_secret`` says whether one is set), by id."""
    cols = [c for c in notice_channel.c if c.name != "secret"]
    with engine.connect() as conn:
        rows = conn.execute(select(*cols, notice_channel.c.secret.isnot(None).label("has_secret"))
                            .order_by(notice_channel.c.id)).mappings().all()
    return [dict(r) for r in rows]


def get_channel(conn: Connection, channel_id: int) -> dict[str, Any]:
    """One channel with its secret (for sending); LookupError when there is none."""
    row = conn.execute(select(notice_channel).where(notice_channel.c.id == channel_id)).mappings().first()
    if row is None:
        raise LookupError(f"no notice channel {channel_id}")
    return dict(row)


# --- Users' notice settings ---------------------------------------------------------------------------------------
SETTINGS_COLUMNS = ["id", "email", "name", "role", "active", "language", "notify_immediate", "notify_daily",
                    "notify_weekly"]


def notice_settings(engine: Engine, email: str | None = None) -> list[dict[str, Any]]:
    """Every user's notice settings (or one user's, by e-mail), by e-mail."""
    u = app_user.c
    stmt = select(*[u[c] for c in SETTINGS_COLUMNS]).order_by(u.email)
    if email is not None:
        stmt = stmt.where(u.email == email.strip().lower())
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def save_notice_settings(conn: Connection, email: str, actor: str | None, *, language: str, immediate: bool,
                         daily: bool, weekly: bool) -> None:
    """Set a user's notice language and choices; audited ``user.notice_settings``. Raises :class:`ChannelError`
    for an unknown language, LookupError for an unknown user."""
    if language not in LANGUAGES:
        raise ChannelError("notify.error.language")
    email = email.strip().lower()
    result = conn.execute(update(app_user).where(app_user.c.email == email).values(
        language=language, notify_immediate=bool(immediate), notify_daily=bool(daily), notify_weekly=bool(weekly)))
    if not result.rowcount:
        raise LookupError(f"no user {email!r}")
    record_audit(conn, actor, "user.notice_settings", "user", email,
                 {"language": language, "immediate": bool(immediate), "daily": bool(daily), "weekly": bool(weekly)})
