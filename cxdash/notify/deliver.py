"""Delivering the outbox: claim the notices that are due, send each once, record the outcome.

A notice is **claimed** before it is sent: one ``UPDATE`` moves it from ``pending`` to ``sending`` (counting the
attempt) only if nobody else did, in its own committed transaction, so two runners never send the same notice.
Then it is sent outside any transaction; success marks it ``sent``; an error is recorded in ``last_error`` and the
notice waits ``BACKOFF * 2 ** (attempts - 1)`` (1, 2, 4, 8, 16 minutes ...) before the next attempt, until
``MAX_ATTEMPTS`` attempts have failed: then it is ``failed`` and shown to admins, who can retry it. A claim is a
lease: a runner that died while sending leaves its notice ``sending`` until ``LEASE`` has passed, then it is sent
again (the one case where a receiver may see a notice twice; the idempotency key in every webhook body lets it
tell). No error of a server or the network ever raises out of :func:`deliver_due`.
"""

from __future__ import annotations

import calendar
import logging
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection, Engine

from cxdash.audit import now_utc, record_audit
from cxdash.i18n import normalise_language
from cxdash.notify.channels import get_channel
from cxdash.notify.formats import accepted, build_request
from cxdash.notify.mail import MailNotConfigured, SmtpSettings, build_email, send_email, smtp_settings
from cxdash.notify.outbox import FAILED, PENDING, SENDING, SENT, queue_notice
from cxdash.notify.render import render_test
from cxdash.schema import app_user, notice, notice_channel

MAX_ATTEMPTS = 6
BACKOFF = timedelta(minutes=1)
LEASE = timedelta(minutes=10)
HTTP_TIMEOUT = 15.0
_LOG = logging.getLogger("cxdash.notify")


@dataclass(frozen=True)
class DeliveryRun:
    """What one run did: notices claimed, sent, left for a retry, given up (``failed``)."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts as a plain dict (for the CLI)."""
        return {"claimed": self.claimed, "sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return BACKOFF * (2 ** max(attempts - 1, 0))


def _due(n: Any, now: datetime) -> Any:
    return and_(n.next_attempt_at <= now, or_(n.status == PENDING, n.status == SENDING))


def claim(engine: Engine, notice_id: int, now: datetime) -> bool:
    """Claim one due notice for sending (True when this caller got it), counting the attempt."""
    n = notice.c
    with engine.begin() as conn:
        result = conn.execute(update(notice).where(n.id == notice_id, _due(n, now))
                              .values(status=SENDING, attempts=n.attempts + 1, next_attempt_at=now + LEASE))
    return result.rowcount == 1


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would follow a POST's redirect as a GET without the body (a notice lost but
    recorded as sent) and could be led to another host; a 3xx is a failure with its status instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Follow no redirect."""
        return None


# http(s) only (check_channel); proxies from the environment (HTTPS_PROXY) as urllib does by default.
_OPENER = urllib.request.build_opener(_NoRedirect())


def _post(kind: str, url: str, secret: str | None, payload: dict[str, Any], now: datetime) -> None:
    request = build_request(kind, url, secret, payload, calendar.timegm(now.utctimetuple()))
    req = urllib.request.Request(request.url, data=request.body, headers=request.headers, method="POST")
    try:
        with _OPENER.open(req, timeout=HTTP_TIMEOUT) as resp:
            status, body = resp.status, resp.read(4096)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read(4096) if exc.fp else b""
    problem = accepted(kind, status, body)
    if problem:
        raise OSError(problem)


def _send(conn: Connection, row: dict[str, Any], now: datetime, smtp: SmtpSettings | None) -> None:
    """Send one notice; raise on any failure (the caller records it)."""
    if row["channel_id"] is not None:
        ch = conn.execute(select(notice_channel).where(notice_channel.c.id == row["channel_id"])).mappings().first()
        if ch is None or not ch["active"]:
            raise LookupError("the channel was deleted or switched off")
        payload = dict(row["payload"] or {})
        if ch["kind"] == "webhook":  # the receiver's way to drop a repeat
            payload.update(notice_id=row["id"], idempotency_key=row["idempotency_key"])
        _post(ch["kind"], ch["url"], ch["secret"], payload, now)
        return
    user = conn.execute(select(app_user.c.email, app_user.c.active)
                        .where(app_user.c.id == row["user_id"])).first() if row["user_id"] is not None else None
    if user is None or not user.active:
        raise LookupError("the user was deleted or deactivated")
    if smtp is None:
        raise MailNotConfigured("no SMTP server configured (CXDASH_SMTP_HOST)")
    send_email(smtp, build_email(smtp.sender, user.email, row["subject"], row["body_text"], row["body_html"]))


def _finish(engine: Engine, row: dict[str, Any], error: str | None, now: datetime) -> str:
    n = notice.c
    attempts = int(row["attempts"]) + 1  # the claim counted this attempt
    if error is None:
        values: dict[str, Any] = {"status": SENT, "sent_at": now, "last_error": None}
    elif attempts >= MAX_ATTEMPTS:
        values = {"status": FAILED, "last_error": error[:2000]}
    else:
        values = {"status": PENDING, "last_error": error[:2000], "next_attempt_at": now + backoff(attempts)}
    with engine.begin() as conn:
        conn.execute(update(notice).where(n.id == row["id"], n.status == SENDING).values(**values))
    return str(values["status"])


def deliver_one(engine: Engine, notice_id: int, now: datetime, smtp: SmtpSettings | None = None) -> str | None:
    """Claim and send one notice if it is due; return its new status (None when it was not claimed)."""
    with engine.connect() as conn:
        found = conn.execute(select(notice).where(notice.c.id == notice_id)).mappings().first()
    if found is None or not claim(engine, notice_id, now):
        return None
    row = dict(found)
    error: str | None = None
    try:
        with engine.connect() as conn:
            _send(conn, row, now, smtp)
    except Exception as exc:  # noqa: BLE001 - any failure of a server, the network or the data is recorded, never raised
        error = f"{type(exc).__name__}: {exc}"
        _LOG.warning("notice %s not sent: %s", notice_id, error)
    return _finish(engine, row, error, now)


def _env_smtp() -> SmtpSettings | None:
    try:
        return smtp_settings()
    except ValueError as exc:  # a bad setting fails the e-mails (recorded), not the webhooks
        _LOG.warning("SMTP settings: %s", exc)
        return None


def deliver_due(engine: Engine, now: datetime | None = None, limit: int = 200,
                smtp: SmtpSettings | None = None) -> DeliveryRun:
    """Send every due notice (at most ``limit``), oldest first; SMTP settings from the environment unless given.

    Once a channel (or the SMTP server) fails in a run, its other notices wait for the next run without an attempt
    counted: a server that is down costs one timeout per run, not one per notice.
    """
    now = now or now_utc()
    smtp = smtp if smtp is not None else _env_smtp()
    n = notice.c
    with engine.connect() as conn:
        due = conn.execute(select(n.id, n.channel_id).where(_due(n, now))
                           .order_by(n.next_attempt_at, n.id).limit(limit)).all()
    counts = {SENT: 0, PENDING: 0, FAILED: 0}
    claimed = 0
    down: set[int | None] = set()  # channel ids that failed in this run; None: the SMTP server
    for notice_id, channel_id in due:
        if channel_id in down:
            continue
        status = deliver_one(engine, int(notice_id), now, smtp)
        if status is not None:
            claimed += 1
            counts[status] = counts.get(status, 0) + 1
            if status != SENT:
                down.add(channel_id)
    return DeliveryRun(claimed, counts[SENT], counts[PENDING], counts[FAILED])


def send_test(engine: Engine, *, channel_id: int | None = None, email: str | None = None, actor: str | None = None,
              now: datetime | None = None, smtp: SmtpSettings | None = None) -> dict[str, Any]:
    """Queue a test notice to a channel or a stored user (in its language) and deliver it at once; return its
    ``id``, ``status``, ``attempts`` and ``last_error``. It stays in the outbox like any notice (retried if it
    failed). LookupError for an unknown channel or user."""
    now = now or now_utc()
    with engine.begin() as conn:
        if channel_id is not None:
            ch = get_channel(conn, channel_id)
            lang, target = normalise_language(ch["language"]), str(ch["name"])
            key = f"test:channel:{channel_id}:{uuid.uuid4().hex}"
            queue_notice(conn, key, "test", render_test(lang, target, now), lang, now, channel_id=channel_id,
                         channel_kind=ch["kind"])
        else:
            user = conn.execute(select(app_user.c.id, app_user.c.language)
                                .where(app_user.c.email == (email or "").strip().lower())).first()
            if user is None:
                raise LookupError(f"no user {email!r}")
            lang = normalise_language(user.language)
            key = f"test:user:{user.id}:{uuid.uuid4().hex}"
            queue_notice(conn, key, "test", render_test(lang, (email or "").strip().lower(), now), lang, now,
                         user_id=int(user.id))
        notice_id = int(conn.execute(select(notice.c.id).where(notice.c.idempotency_key == key)).scalar_one())
        record_audit(conn, actor, "notice.test", "notice", notice_id,
                     {"channel_id": channel_id, "user": None if channel_id is not None else email})
    deliver_one(engine, notice_id, now, smtp if smtp is not None else _env_smtp())
    with engine.connect() as conn:
        row = conn.execute(select(notice.c.id, notice.c.status, notice.c.attempts, notice.c.last_error)
                           .where(notice.c.id == notice_id)).mappings().one()
    return dict(row)
