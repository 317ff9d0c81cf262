"""The notice outbox: notices are written in the transaction that opens a case and sent later by
``cxdash notify run``, so a down SMTP server or webhook never blocks an import or a page.

Every notice has an idempotency key (``case:<id>:user:<uid>``, ``case:<id>:channel:<cid>``,
``unassigned:<first case>:user:<uid>``, ``daily:<uid>:<day>`` ...): queueing the same one twice writes one row.
Who may be told what is decided here, in one place: a user only of cases within their scope (team leads: their
teams' or sites' cases), a channel only of cases within its scope and at or above its minimum severity. New
high-severity cases without an owner are told, in one notice per call, to the admins and CX leads, who assign them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection, Engine

from cxdash.audit import record_audit
from cxdash.db import upsert
from cxdash.domain.followup import CHANNEL_KINDS, REASSIGN_ROLES, SEVERITIES
from cxdash.i18n import normalise_language
from cxdash.notify.formats import payload_for
from cxdash.notify.render import Message, case_list_query, cases_facts, render_case, render_unassigned
from cxdash.schema import app_user, followup_case, notice, notice_channel, site, user_scope
from cxdash.sqlfuncs import in_ids

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_LISTED = 20  # an unassigned-cases notice lists this many cases; the case page has the rest
NOTICE_STATUSES = (PENDING, SENDING, SENT, FAILED)


# --- Who may be told ----------------------------------------------------------------------------------------------
def severity_admits(min_severity: str, severity: str) -> bool:
    """True when ``severity`` is ``min_severity`` or more severe (unknown codes admit nothing)."""
    if min_severity not in SEVERITIES or severity not in SEVERITIES:
        return False
    return SEVERITIES.index(severity) >= SEVERITIES.index(min_severity)


def scope_covers(scope_kind: str, scope_id: int | None, case: Mapping[str, Any]) -> bool:
    """True when a channel's scope (all / region / site / team) covers a case's place."""
    if scope_kind == "all":
        return True
    column = {"region": "region_id", "site": "site_id", "team": "team_id"}.get(scope_kind)
    return column is not None and scope_id is not None and case.get(column) == scope_id


@dataclass(frozen=True)
class Reader:
    """A stored user as a reader of notices: role, scope, language and choices."""

    id: int
    email: str
    role: str
    active: bool
    language: str
    immediate: bool
    daily: bool
    weekly: bool
    scope_sites: tuple[int, ...] = ()
    scope_teams: tuple[int, ...] = ()

    def may_see(self, case: Mapping[str, Any]) -> bool:
        """Team leads see their teams' and sites' cases only; the other roles see every case."""
        if self.role != "team_lead":
            return self.role in ("admin", "executive", "cx_lead")
        return case.get("team_id") in self.scope_teams or case.get("site_id") in self.scope_sites


def readers(conn: Connection, user_ids: Sequence[int] | None = None) -> list[Reader]:
    """Stored users (all, or those of ``user_ids``) as readers with their scopes."""
    u = app_user.c
    stmt = select(u.id, u.email, u.role, u.active, u.language, u.notify_immediate, u.notify_daily, u.notify_weekly)
    if user_ids is not None:
        if not user_ids:
            return []
        stmt = stmt.where(u.id.in_(list(user_ids)))
    rows = conn.execute(stmt.order_by(u.id)).all()
    scopes: dict[int, tuple[set[int], set[int]]] = {}
    scope_stmt = select(user_scope.c.user_id, user_scope.c.site_id, user_scope.c.team_id)
    if user_ids is not None:
        scope_stmt = scope_stmt.where(user_scope.c.user_id.in_(list(user_ids)))
    for uid, sid, tid in conn.execute(scope_stmt):
        sites, teams = scopes.setdefault(uid, (set(), set()))
        if sid is not None:
            sites.add(sid)
        if tid is not None:
            teams.add(tid)
    out = []
    for r in rows:
        sites, teams = scopes.get(r.id, (set(), set()))
        out.append(Reader(int(r.id), r.email, r.role, bool(r.active), normalise_language(r.language),
                          bool(r.notify_immediate), bool(r.notify_daily), bool(r.notify_weekly),
                          tuple(sorted(sites)), tuple(sorted(teams))))
    return out


# --- Queueing -----------------------------------------------------------------------------------------------------
def notice_row(key: str, kind: str, message: Message, language: str, now: datetime, *, user_id: int | None = None,
               channel_id: int | None = None, channel_kind: str | None = None,
               case_id: int | None = None) -> dict[str, Any]:
    """One outbox row: a channel's notice holds its payload in the channel's format (``channel_kind``), a user's
    is an e-mail (text and HTML)."""
    return {
        "idempotency_key": key[:300], "kind": kind, "user_id": user_id, "channel_id": channel_id, "case_id": case_id,
        "language": language, "subject": message.subject, "body_text": message.text,
        "body_html": None if channel_kind is not None else message.html,
        "payload": None if channel_kind is None else payload_for(channel_kind, message.chat, language),
        "status": PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now,
    }


def insert_notices(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Write the rows whose idempotency keys are new (a key met twice is written once); return how many."""
    if not rows:
        return 0
    stmt = upsert(conn)(notice).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(notice.c.id)
    # One cached statement for every row (SQLAlchemy batches it); RETURNING says how many rows were written on
    # both databases (psycopg's rowcount does not).
    return len(conn.execute(stmt, list(rows)).all())


def queue_notice(conn: Connection, key: str, kind: str, message: Message, language: str, now: datetime, *,
                 user_id: int | None = None, channel_id: int | None = None, channel_kind: str | None = None,
                 case_id: int | None = None) -> bool:
    """Write one notice unless its idempotency key exists; True when it was written."""
    row = notice_row(key, kind, message, language, now, user_id=user_id, channel_id=channel_id,
                     channel_kind=channel_kind, case_id=case_id)
    return insert_notices(conn, [row]) == 1


def _case_place(conn: Connection, case_ids: Sequence[int], owned_high_only: bool = False,
                with_unowned: bool = True) -> list[dict[str, Any]]:
    """The cases' severity, owner, place and due time; ``with_unowned``: of the high-severity ones without an owner
    also how many share each place (``place_n``, on the first of the place: ``place_rank`` 1) and their order by
    due time (``unowned_rank``). ``owned_high_only``: only the high-severity cases with an owner (and with
    ``with_unowned`` of those without one the first :data:`MAX_LISTED` and one per place), so thousands of new
    cases are never all read."""
    c = followup_case.c
    unowned = and_(c.severity == "high", c.owner_user_id.is_(None))
    place = (unowned, c.site_id, c.team_id)
    ranks = (func.row_number().over(partition_by=unowned, order_by=(c.due_at, c.id)).label("unowned_rank"),
             func.row_number().over(partition_by=place, order_by=c.id).label("place_rank"),
             func.count().over(partition_by=place).label("place_n"))
    inner = (select(c.id, c.severity, c.status, c.owner_user_id, c.region_id, c.site_id, c.team_id, c.due_at,
                    site.c.region_id.label("site_region_id"), *(ranks if with_unowned else ()))
             .select_from(followup_case.outerjoin(site, site.c.id == c.site_id))
             .where(in_ids(c.id, case_ids, conn.dialect.name)))
    if owned_high_only:
        inner = inner.where(c.severity == "high")
        if not with_unowned:
            inner = inner.where(c.owner_user_id.is_not(None))
    sub = inner.subquery()
    stmt = select(sub).order_by(sub.c.id)
    if owned_high_only and with_unowned:
        stmt = stmt.where(or_(sub.c.owner_user_id.is_not(None), sub.c.unowned_rank <= MAX_LISTED,
                              sub.c.place_rank == 1))
    rows = conn.execute(stmt).mappings().all()
    # A case without a region of its own lies in its site's region.
    return [{**r, "region_id": r["region_id"] if r["region_id"] is not None else r["site_region_id"]} for r in rows]


def enqueue_case_notices(conn: Connection, case_ids: Sequence[int], now: datetime) -> int:
    """Queue the immediate notices of newly opened cases (high severity: their owners who want them, and the
    channels whose scope and minimum severity admit them; high severity without an owner: one notice per call to
    each admin and CX lead who wants them, :func:`_unassigned_notices`); return how many notices were queued."""
    if not case_ids:
        return 0
    channels = [dict(ch) for ch in conn.execute(
        select(notice_channel).where(notice_channel.c.active.is_(True)).order_by(notice_channel.c.id)).mappings()]
    # Without channels only high-severity cases can be notified, each to its owner or, without one, in a summary:
    # an upload opening thousands of cases reads only the owned ones and a few without an owner (the import's alerts
    # phase, docs/performance.md). Ranking those without an owner sorts the new cases: only when someone is told.
    assigners = _assigners(conn)
    cases = _case_place(conn, case_ids, owned_high_only=not channels, with_unowned=bool(assigners))
    owners = {r.id: r for r in readers(conn, sorted({c["owner_user_id"] for c in cases if c["owner_user_id"]}))}
    # (case, reader, language, for chat) of every notice due, then the facts once per language for all cases.
    wanted: list[tuple[dict[str, Any], Reader | dict[str, Any], str, bool]] = []
    for case in cases:
        owner = owners.get(case["owner_user_id"])
        if (case["severity"] == "high" and owner is not None and owner.active and owner.immediate and owner.email
                and owner.may_see(case)):
            wanted.append((case, owner, owner.language, False))
        wanted += [(case, ch, normalise_language(ch["language"]), True) for ch in channels
                   if ch["kind"] in CHANNEL_KINDS and severity_admits(ch["min_severity"], case["severity"])
                   and scope_covers(ch["scope_kind"], ch["scope_id"], case)]
    facts = {lang: cases_facts(conn, [int(c["id"]) for c, _, l2, _ in wanted if l2 == lang], lang)
             for lang in {w[2] for w in wanted}}
    rendered: dict[tuple[int, str, bool], Message] = {}
    rows = []
    for case, reader, lang, for_chat in wanted:
        cid = int(case["id"])
        if cid not in facts[lang]:
            continue
        if (cid, lang, for_chat) not in rendered:
            rendered[(cid, lang, for_chat)] = render_case(facts[lang][cid], lang, for_chat=for_chat)
        msg = rendered[(cid, lang, for_chat)]
        if isinstance(reader, Reader):
            rows.append(notice_row(f"case:{cid}:user:{reader.id}", "case", msg, lang, now, user_id=reader.id,
                                   case_id=cid))
        else:
            rows.append(notice_row(f"case:{cid}:channel:{reader['id']}", "case", msg, lang, now,
                                   channel_id=int(reader["id"]), channel_kind=reader["kind"], case_id=cid))
    if assigners:
        rows += _unassigned_notices(conn, cases, assigners, min(int(i) for i in case_ids), now)
    return insert_notices(conn, rows)


def _assigners(conn: Connection) -> list[Reader]:
    """The active admins and CX leads (who give cases an owner) who want immediate notices, with an address."""
    u = app_user.c
    ids = conn.execute(select(u.id).where(u.role.in_(sorted(REASSIGN_ROLES)), u.active.is_(True),
                                          u.notify_immediate.is_(True))).scalars().all()
    return [r for r in readers(conn, [int(i) for i in ids]) if r.email] if ids else []


def _unassigned_notices(conn: Connection, cases: Sequence[Mapping[str, Any]], assigners: Sequence[Reader],
                        first: int, now: datetime) -> list[dict[str, Any]]:
    """The outbox rows that tell ``assigners`` (:func:`_assigners`) of the new high-severity cases without an owner
    among ``cases`` (:func:`_case_place` with their ranks): one notice per reader and call (an upload may open
    thousands), listing the first :data:`MAX_LISTED` by due time; ``first``, the call's smallest case id, keys it,
    so a rerun of the call queues nothing new."""
    unowned = [r for r in cases if r["severity"] == "high" and r["owner_user_id"] is None]
    places = [r for r in unowned if r["place_rank"] == 1]  # one case per place, with the place's count
    if not places:
        return []
    listed = [int(r["id"]) for r in unowned if r["unowned_rank"] <= MAX_LISTED]
    rows: dict[str, list[dict[str, Any]]] = {}  # the listed cases with names in each reader's language
    out = []
    for reader in assigners:
        # A place's count is told to whoever may see its cases (may_see reads only the place).
        total = sum(int(r["place_n"]) for r in places if reader.may_see(r))
        if not total:
            continue
        lang = reader.language
        if lang not in rows:
            stmt = (case_list_query(lang).where(followup_case.c.id.in_(listed))
                    .order_by(followup_case.c.due_at, followup_case.c.id))
            rows[lang] = [dict(r) for r in conn.execute(stmt).mappings()]
        shown = [r for r in rows[lang] if reader.may_see(r)]
        out.append(notice_row(f"unassigned:{first}:user:{reader.id}", "unassigned",
                              render_unassigned(shown, total, lang, now), lang, now, user_id=reader.id))
    return out


# --- The outbox as admins see it --------------------------------------------------------------------------------
OUTBOX_COLUMNS = ["id", "kind", "status", "recipient", "subject", "attempts", "next_attempt_at", "last_error",
                  "created_at", "sent_at", "case_id"]


def outbox_counts(bind: Engine | Connection) -> dict[str, int]:
    """How many notices are in each status (every status present, 0 when none)."""
    stmt = select(notice.c.status, func.count()).group_by(notice.c.status)
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            rows = conn.execute(stmt).all()
    else:
        rows = bind.execute(stmt).all()
    counts = dict.fromkeys(NOTICE_STATUSES, 0)
    counts.update({str(s): int(n) for s, n in rows})
    return counts


def list_outbox(engine: Engine, statuses: Sequence[str] = (PENDING, SENDING, FAILED), limit: int = 200) -> list[dict[str, Any]]:
    """The newest notices of ``statuses`` with their recipient (an e-mail address or a channel's name)."""
    n = notice.c
    recipient = func.coalesce(app_user.c.email, notice_channel.c.name)
    stmt = (
        select(n.id, n.kind, n.status, recipient.label("recipient"), n.subject, n.attempts, n.next_attempt_at,
               n.last_error, n.created_at, n.sent_at, n.case_id)
        .select_from(notice.outerjoin(app_user, app_user.c.id == n.user_id)
                     .outerjoin(notice_channel, notice_channel.c.id == n.channel_id))
        .where(n.status.in_(list(statuses))).order_by(n.id.desc()).limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def retry_notices(conn: Connection, notice_ids: Sequence[int], actor: str | None, now: datetime) -> int:
    """Make pending or failed notices due now (one more attempt each); sent ones are never sent again."""
    if not notice_ids:
        return 0
    n = notice.c
    result = conn.execute(update(notice).where(n.id.in_(list(notice_ids)), n.status.in_([PENDING, FAILED]))
                          .values(status=PENDING, next_attempt_at=now))
    if result.rowcount:
        record_audit(conn, actor, "notice.retry", "notice", None, {"ids": sorted(int(i) for i in notice_ids)})
    return int(result.rowcount)
