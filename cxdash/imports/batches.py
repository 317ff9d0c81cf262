"""Import history and batch deletion.

Deleting a batch removes exactly the rows it brought in: its responses (with their touchpoint scores), tickets,
inspection results or customers, plus the sites, teams, people, customers and touchpoints it created that nothing
else uses any more. Rows a later upload updated stay with the batch that first loaded them. The batch record is
kept with status "deleted" (the history shows what happened), the deletion is written to the audit log, and
everything that depends on the rows (customer event spans, summaries, ticket repeat flags) is refreshed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, Table, delete, desc, exists, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from cxdash.audit import now_utc, record_audit
from cxdash.customers import refresh_customer_events
from cxdash.db import bump_data_version
from cxdash.followup.cases import withdraw_batch
from cxdash.followup.next_answers import refresh_next_answers
from cxdash.imports.errors import UploadError
from cxdash.imports.loading import write_transaction
from cxdash.imports.pipeline import refresh_response_summaries
from cxdash.schema import (
    customer,
    import_batch,
    inspection,
    person,
    region,
    site,
    stage,
    survey_response,
    team,
    ticket,
    touchpoint,
    touchpoint_score,
)
from cxdash.service.compute import recompute_tickets
from cxdash.summaries.tickets import refresh_ticket_summary, ticket_months

HISTORY_COLUMNS = ["id", "kind", "source", "file_name", "sha256", "rows_read", "rows_loaded", "rows_updated",
                   "rows_skipped", "rows_rejected", "created_by", "created_at", "status", "mapping"]
# Created reference rows, removed in this order (people before their teams, teams before their sites ...).
CREATED_TABLES: list[tuple[str, Table]] = [("people", person), ("teams", team), ("sites", site),
                                           ("regions", region), ("touchpoints", touchpoint), ("stages", stage)]


def list_batches(engine: Engine, kind: str | None = None, limit: int = 500) -> pd.DataFrame:
    """The import history, newest first: file, hash, kind, counts, mapping, who and when, status."""
    stmt = select(*[import_batch.c[c] for c in HISTORY_COLUMNS]).order_by(desc(import_batch.c.id)).limit(limit)
    if kind:
        stmt = stmt.where(import_batch.c.kind == kind)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).mappings().all(), columns=HISTORY_COLUMNS)


def get_batch(engine: Engine, batch_id: int) -> dict[str, Any]:
    """One batch record.

    Raises:
        LookupError: no such batch.
    """
    with engine.connect() as conn:
        row = conn.execute(select(import_batch).where(import_batch.c.id == batch_id)).mappings().first()
    if row is None:
        raise LookupError(f"no import batch {batch_id}")
    return dict(row)


def _delete(conn: Connection, table: Table, where: Any) -> int:
    return int(conn.execute(delete(table).where(where)).rowcount or 0)


def _delete_responses(conn: Connection, batch_id: int, counts: dict[str, int]) -> tuple[set[int], Any, Any]:
    rows = select(survey_response.c.id).where(survey_response.c.batch_id == batch_id)
    customers = set(conn.execute(select(survey_response.c.customer_id).where(
        survey_response.c.batch_id == batch_id, survey_response.c.customer_id.isnot(None)).distinct()).scalars())
    lo, hi = conn.execute(select(func.min(survey_response.c.visit_date), func.max(survey_response.c.visit_date))
                          .where(survey_response.c.batch_id == batch_id)).one()
    counts["touchpoint_score"] = _delete(conn, touchpoint_score, touchpoint_score.c.response_id.in_(rows))
    counts["survey_response"] = _delete(conn, survey_response, survey_response.c.batch_id == batch_id)
    return customers, lo, hi


def _delete_tickets(conn: Connection, batch_id: int, counts: dict[str, int]) -> tuple[set[int], set[Any]]:
    """Delete the batch's tickets; return their customers and creation months (for the ticket summaries)."""
    customers = set(conn.execute(select(ticket.c.customer_id).where(
        ticket.c.batch_id == batch_id, ticket.c.customer_id.isnot(None)).distinct()).scalars())
    months = ticket_months(conn, ticket.c.batch_id == batch_id)
    counts["ticket"] = _delete(conn, ticket, ticket.c.batch_id == batch_id)
    return customers, months


def _delete_customers(conn: Connection, batch_id: int, counts: dict[str, int]) -> None:
    """Customers of the batch that nothing references are deleted; the rest move to the earliest batch that
    still uses them (so deleting that one later removes them too)."""
    used = exists().where(survey_response.c.customer_id == customer.c.id) | exists().where(
        ticket.c.customer_id == customer.c.id)
    counts["customer"] = _delete(conn, customer, (customer.c.batch_id == batch_id) & ~used)
    heir = func.coalesce(
        select(func.min(survey_response.c.batch_id)).where(survey_response.c.customer_id == customer.c.id)
        .scalar_subquery(),
        select(func.min(ticket.c.batch_id)).where(ticket.c.customer_id == customer.c.id).scalar_subquery(),
    )
    kept = conn.execute(update(customer).where(customer.c.batch_id == batch_id).values(batch_id=heir)).rowcount
    if kept:
        counts["customer_kept"] = int(kept)


def _delete_created(conn: Connection, created: dict[str, list[int]], counts: dict[str, int]) -> None:
    """Remove reference rows the batch created, unless something else uses them now (a savepoint each)."""
    for what, table in CREATED_TABLES:
        for row_id in created.get(what, []):
            try:
                with conn.begin_nested():
                    n = _delete(conn, table, table.c.id == row_id)
            except IntegrityError:
                continue
            if n:
                counts[what] = counts.get(what, 0) + n


def delete_batch(engine: Engine, batch_id: int, actor: str | None = None) -> dict[str, int]:
    """Delete the rows of one import batch; return how many rows of each table went.

    Raises:
        LookupError: no such batch.
        UploadError: the batch was already deleted.
    """
    with write_transaction(engine) as conn:
        batch = conn.execute(select(import_batch).where(import_batch.c.id == batch_id)).mappings().first()
        if batch is None:
            raise LookupError(f"no import batch {batch_id}")
        if batch["status"] == "deleted":
            raise UploadError("imports.error.already_deleted", batch=batch_id)
        counts: dict[str, int] = {}
        # Its open cases close as "withdrawn" with the data that opened them; their history stays (the count is
        # in the withdrawal's own audit entry).
        withdraw_batch(conn, batch_id, actor, now_utc())
        customers, lo, hi = _delete_responses(conn, batch_id, counts)
        ticket_customers, months = _delete_tickets(conn, batch_id, counts)
        customers |= ticket_customers
        counts["inspection"] = _delete(conn, inspection, inspection.c.batch_id == batch_id)
        _delete_customers(conn, batch_id, counts)
        _delete_created(conn, (batch["mapping"] or {}).get("created") or {}, counts)
        _refresh(conn, customers, lo, hi, recompute=bool(counts.get("ticket")), months=months)
        counts = {k: v for k, v in counts.items() if v}
        conn.execute(update(import_batch).where(import_batch.c.id == batch_id).values(status="deleted"))
        record_audit(conn, actor, "delete_batch", "import_batch", batch_id, counts)
        bump_data_version(conn)
    return counts


def _refresh(conn: Connection, customers: set[int], lo: Any, hi: Any, recompute: bool, months: set[Any]) -> None:
    ids = sorted(customers)
    if ids:
        refresh_customer_events(conn, ids)  # customers deleted meanwhile are simply not found
        refresh_next_answers(conn, ids)  # a resolved case whose next answer went finds the one after it
    if lo is not None:
        refresh_response_summaries(conn, lo, hi)
    if recompute and ids:
        tickets: list[int] = []
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            tickets += conn.execute(select(ticket.c.id).where(ticket.c.customer_id.in_(chunk))).scalars().all()
        if tickets:
            recompute_tickets(conn, tickets, months=months)  # also refreshes the deleted tickets' months
            return
    if months:
        refresh_ticket_summary(conn, months)
