"""Loading tickets, customers and inspection results: one staged chunk, one insert, one optional update.

Tickets are unique per (source, external id), customers and inspections per external id. Ticket SLA facts are
recomputed for the tickets written (:func:`cxdash.service.compute.recompute_tickets`) when the upload finishes.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Table, select

from cxdash.bulk import reset_sequences
from cxdash.imports import staging
from cxdash.imports.loading import (
    LoadContext,
    allocate_ids,
    count_duplicates,
    existing_ids,
    resolve_customers,
    resolve_org,
    upsert_rows,
)
from cxdash.schema import customer, inspection, ticket
from cxdash.summaries.tickets import ticket_months

TICKET_COLUMNS: list[tuple[str, str]] = [
    ("external_id", "str"), ("customer_id", "id"), ("region_id", "int"), ("site_id", "int"), ("team_id", "int"),
    ("agent_id", "int"), ("segment", "str"), ("channel", "str"), ("category", "str"), ("priority", "str"),
    ("subject", "text"), ("created_at", "datetime"), ("first_response_at", "datetime"),
    ("resolved_at", "datetime"), ("closed_at", "datetime"), ("status", "str"), ("reopen_count", "int"),
    ("reminder_count", "int"), ("merged_into", "str"), ("touchpoint_id", "int"), ("csat", "int"),
]
CUSTOMER_COLUMNS: list[tuple[str, str]] = [
    ("external_id", "str"), ("segment", "str"), ("site_id", "int"), ("first_seen", "date"),
    ("churn_flag", "bool"), ("churn_date", "date"), ("tenure_months", "float"),
]
INSPECTION_COLUMNS: list[tuple[str, str]] = [
    ("external_id", "str"), ("item_id", "int"), ("site_id", "int"), ("inspected_on", "date"), ("score", "float"),
    ("inspector", "str"), ("note", "text"),
]


class RecordLoader:
    """Loads one kind of flat record through a staging table."""

    target: Table
    columns: list[tuple[str, str]]
    with_source = False

    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        self.names = [c for c, _ in self.columns]
        self.stage = staging.create_stage(ctx.conn, f"imp_{self.target.name}", [("id", "id"), ("existing_id", "id"),
                                                                               *self.columns])
        self.written: list[int] = []
        self.old_months: set[date] = set()

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Turn validated rows into staged rows (ids of references resolved)."""
        raise NotImplementedError

    def add(self, frame: pd.DataFrame) -> None:
        """Load one validated chunk."""
        if frame.empty:
            return
        ctx, stage = self.ctx, self.stage
        staged = self.prepare(frame)
        staged.insert(0, "id", allocate_ids(ctx, self.target, len(staged)).to_numpy())
        staging.clear(ctx.conn, stage)
        staging.fill(ctx.conn, stage, staged)
        existing_ids(ctx, self.target, stage, with_source=self.with_source)
        count_duplicates(ctx, stage, len(staged))
        if ctx.dry_run:
            return
        self.before_upsert()
        upsert_rows(ctx, self.target, stage, self.names, with_source=self.with_source)
        cond = stage.c.existing_id.is_(None) if not ctx.update else stage.c.id.isnot(None)
        written = ctx.conn.execute(select(stage.c.existing_id, stage.c.id).where(cond)).all()
        self.written.extend(int(e if e is not None else i) for e, i in written)

    def before_upsert(self) -> None:
        """Called once the existing rows of a chunk are known, before they are written (nothing by default)."""

    def finish(self) -> None:
        """Drop the staging table and move the id sequence past the explicit ids."""
        staging.drop(self.ctx.conn, self.stage)
        if not self.ctx.dry_run:
            reset_sequences(self.ctx.conn, [self.target])


def _column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    return frame.get(name, None)


class TicketLoader(RecordLoader):
    """Tickets, unique per (source, external id)."""

    target = ticket
    columns = TICKET_COLUMNS
    with_source = True

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Resolve organisation, agent, customer and touchpoint."""
        org = resolve_org(self.ctx, frame, person_field="agent")
        cid, seg = resolve_customers(self.ctx, frame, org["site_id"])
        out = pd.DataFrame({n: _column(frame, n) for n in self.names}, index=frame.index)
        out[["region_id", "site_id", "team_id"]] = org[["region_id", "site_id", "team_id"]]
        out["agent_id"], out["customer_id"], out["segment"] = org["person_id"], cid, seg
        out["touchpoint_id"] = _column(frame, "touchpoint")
        return out

    def before_upsert(self) -> None:
        """Remember the creation months of the tickets about to be updated: the ticket summaries refresh them
        too, in case an update moves a ticket to another month."""
        if self.ctx.update:
            ids = select(self.stage.c.existing_id).where(self.stage.c.existing_id.isnot(None))
            self.old_months |= ticket_months(self.ctx.conn, ticket.c.id.in_(ids))


class CustomerLoader(RecordLoader):
    """Customers, unique per external id."""

    target = customer
    columns = CUSTOMER_COLUMNS

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Resolve the site."""
        org = resolve_org(self.ctx, frame)
        out = pd.DataFrame({n: _column(frame, n) for n in self.names}, index=frame.index)
        out["site_id"] = org["site_id"]
        # The field is "tenure" (what files call it); the column says its unit. Negative months are no tenure.
        tenure = pd.to_numeric(_column(frame, "tenure"), errors="coerce") if "tenure" in frame else None
        out["tenure_months"] = None if tenure is None else tenure.where(tenure >= 0)
        return out

    def add(self, frame: pd.DataFrame) -> None:
        """Load customers and remember them for the event refresh."""
        super().add(frame)
        self.ctx.customer_ids.update(self.written)


class InspectionLoader(RecordLoader):
    """Inspection results, unique per external id (a hash of the row when the file has none)."""

    target = inspection
    columns = INSPECTION_COLUMNS

    def prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Resolve the site; the checklist item id is already resolved."""
        org = resolve_org(self.ctx, frame)
        out = pd.DataFrame({n: _column(frame, n) for n in self.names}, index=frame.index)
        out["site_id"], out["item_id"] = org["site_id"], frame["item"]
        return out
