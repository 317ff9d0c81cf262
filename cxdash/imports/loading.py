"""Loading validated rows: one transaction per upload, idempotent on (source, external id).

Everything an upload writes (the batch record, created sites/teams/people, customers, rows, derived values, the
audit entry, the data version) happens inside :func:`write_transaction`, so a crash or a kill leaves no part of
it behind. Imports take a write lock up front (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL):
two uploads at once run one after the other, each with exact counts, while readers carry on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Table, and_, func, insert, literal, select, text, update
from sqlalchemy.engine import Connection

from cxdash.audit import now_utc
from cxdash.bulk import next_id
from cxdash.db import SQLITE_TEMP_STORE
from cxdash.imports import staging
from cxdash.imports.mapping_types import Mapping
from cxdash.imports.refs import Refs, ensure_people, ensure_regions, ensure_sites, ensure_teams, lookup
from cxdash.schema import customer

IMPORT_LOCK = 0x0C8DA5  # pg_advisory_xact_lock key shared by every import and batch deletion


@contextmanager
def write_transaction(engine: Engine, exclusive: bool = True, check_keys_at_end: bool = False) -> Iterator[Connection]:
    """A transaction that holds the import write lock from its first statement (when ``exclusive``).

    On SQLite ``BEGIN IMMEDIATE`` takes the write lock at once, so two imports queue on the busy timeout
    instead of failing when one upgrades from reading to writing. On PostgreSQL an advisory lock serialises
    imports (they create sites and customers by name, which must not race).

    ``check_keys_at_end`` (SQLite, for bulk loads): foreign keys are checked once over the whole database just
    before the commit instead of row by row; any violation raises :class:`ForeignKeyViolation` and rolls
    everything back, so the guarantee is the same. Row by row they cost 6 s of the 22 million touchpoint scores
    of a million responses; ``PRAGMA foreign_key_check`` over the same rows takes about 1.5 s.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            raw: Any = conn.connection.dbapi_connection
            old = raw.isolation_level
            raw.isolation_level = None  # we issue BEGIN ourselves
            # Sorts on disk (the operating system's file cache): rebuilding an index of 22 million touchpoint
            # scores took 21 s with the in-memory temporary store that suits the pages, 11 s this way, and held
            # the sort in the process. Set before any temporary table exists: changing it drops them.
            conn.exec_driver_sql("PRAGMA temp_store=FILE")
            if check_keys_at_end:
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: before BEGIN
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE" if exclusive else "BEGIN")
                try:
                    yield conn
                    if check_keys_at_end:
                        check_foreign_keys(conn)
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
            finally:
                raw.isolation_level = old
                conn.exec_driver_sql(f"PRAGMA temp_store={SQLITE_TEMP_STORE}")
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            return
        with conn.begin():
            if exclusive:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IMPORT_LOCK})
            yield conn


class ForeignKeyViolation(RuntimeError):
    """Rows written with foreign-key checks deferred point at rows that do not exist (a bug, never user input)."""


def check_foreign_keys(conn: Connection) -> None:
    """Raise :class:`ForeignKeyViolation` when any row of the SQLite database breaks a foreign key."""
    bad = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(5)
    if bad:
        raise ForeignKeyViolation(f"foreign keys broken (table, rowid, parent, key): {[tuple(r) for r in bad]}")


@dataclass
class Counts:
    """What a load did."""

    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    created: dict[str, int] = field(default_factory=dict)

    def add_created(self, what: str, n: int) -> None:
        """Count created reference rows (sites, teams, people, regions, customers, touchpoints)."""
        if n:
            self.created[what] = self.created.get(what, 0) + n


@dataclass
class LoadContext:
    """What every loader needs: the connection, the mapping, lookups and the batch it writes."""

    conn: Connection
    mapping: Mapping
    refs: Refs
    batch_id: int | None
    on_duplicate: str = "skip"
    dry_run: bool = False
    counts: Counts = field(default_factory=Counts)
    created_ids: dict[str, list[int]] = field(default_factory=dict)
    customer_ids: set[int] = field(default_factory=set)
    date_min: date | None = None
    date_max: date | None = None
    expected_rows: int = 0  # the file's estimated data rows
    bulk: bool = False  # a bulk load (see cxdash.imports.load_surveys.is_bulk_load): indexes rebuilt at the end
    # Called by a loader once it has created the chunk's missing sites, teams and people: the next chunk's
    # validation (on another thread, cxdash.imports.prefetch) looks them up and may start.
    references_settled: Callable[[], None] = lambda: None

    @property
    def update(self) -> bool:
        """True when rows already loaded are to be updated (else skipped)."""
        return self.on_duplicate == "update"

    def note_dates(self, values: pd.Series) -> None:
        """Widen the visit-date range written (for summary refreshes)."""
        if values.notna().any():
            lo, hi = values.min().date(), values.max().date()
            self.date_min = lo if self.date_min is None else min(self.date_min, lo)
            self.date_max = hi if self.date_max is None else max(self.date_max, hi)

    def remember(self, what: str, ids: list[int]) -> None:
        """Keep ids of created reference rows (a batch deletion removes them again when unused)."""
        if ids:
            self.created_ids.setdefault(what, []).extend(int(i) for i in ids)
            self.counts.add_created(what, len(ids))


def _texts(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(None, index=frame.index, dtype=object)


def resolve_org(ctx: LoadContext, frame: pd.DataFrame, person_field: str = "person") -> pd.DataFrame:
    """Region, site, team and person ids for the rows, creating unknown ones when the user agreed."""
    refs = ctx.refs
    regions, sites = _texts(frame, "region"), _texts(frame, "site")
    teams, people = _texts(frame, "team"), _texts(frame, person_field)
    if not ctx.dry_run:
        ensure_regions(ctx.conn, refs, regions.dropna().unique().tolist())
        # Distinct (site, region) pairs first: a file names a few sites a million times.
        pairs = pd.DataFrame({"site": sites, "region": regions}).dropna(subset=["site"]).drop_duplicates()
        pairs = pairs.astype(object).where(pairs.notna(), None)
        new_sites = ensure_sites(ctx.conn, refs, zip(pairs["site"].tolist(), pairs["region"].tolist(), strict=True))
        ctx.remember("sites", new_sites)
    out = pd.DataFrame(index=frame.index)
    out["site_id"] = lookup(sites, refs.sites) if sites.notna().any() else pd.Series(pd.NA, index=frame.index, dtype="Int64")
    site_region = pd.Series({s: r for s, r in refs.site_region.items() if r is not None}, dtype="Int64")
    out["region_id"] = out["site_id"].map(site_region).astype("Int64")
    if regions.notna().any():
        out["region_id"] = lookup(regions, refs.regions).fillna(out["region_id"])
    out["team_id"] = _team_ids(ctx, teams, out["site_id"])
    if out["team_id"].notna().any():  # a team named without a site (unique, or SITE/TEAM) gives the row its site
        team_site = pd.Series(refs.team_site, dtype="Int64")
        out["site_id"] = out["site_id"].fillna(out["team_id"].map(team_site)).astype("Int64")
        out["region_id"] = out["region_id"].fillna(out["site_id"].map(site_region)).astype("Int64")
    if people.notna().any():
        if not ctx.dry_run:
            pairs = zip(people.dropna().tolist(), out["team_id"][people.notna()].tolist(), strict=True)
            ctx.remember("people", ensure_people(ctx.conn, refs, ((n, _int(t)) for n, t in pairs), person_field))
        out["person_id"] = lookup(people, refs.people)
    else:
        out["person_id"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    return out


def _int(value: Any) -> int | None:
    return None if pd.isna(value) else int(value)


def _team_ids(ctx: LoadContext, teams: pd.Series, site_ids: pd.Series) -> pd.Series:
    refs = ctx.refs
    if not teams.notna().any():
        return pd.Series(pd.NA, index=teams.index, dtype="Int64")
    if not ctx.dry_run:
        wanted = {(int(s), t) for t, s in zip(teams, site_ids, strict=True) if isinstance(t, str) and pd.notna(s)}
        ctx.remember("teams", ensure_teams(ctx.conn, refs, wanted))
    ids = [refs.team_id(t, None if pd.isna(s) else int(s)) if isinstance(t, str) else None
           for t, s in zip(teams, site_ids, strict=True)]
    return pd.Series(ids, index=teams.index, dtype="Int64")


def resolve_customers(ctx: LoadContext, frame: pd.DataFrame, site_ids: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Customer ids (created when new) and their segments for rows naming a customer."""
    ext = _texts(frame, "customer")
    index = frame.index
    if not ext.notna().any():
        return pd.Series(pd.NA, index=index, dtype="Int64"), _texts(frame, "segment")
    seg = _texts(frame, "segment")
    first = pd.DataFrame({"external_id": ext, "segment": seg, "site_id": site_ids}).dropna(subset=["external_id"])
    first = first.drop_duplicates("external_id")
    stage = staging.create_stage(ctx.conn, "imp_customer_ref", [
        ("external_id", "str"), ("segment", "str"), ("site_id", "int")])
    staging.fill(ctx.conn, stage, first)
    if not ctx.dry_run:
        missing = ~select(customer.c.id).where(customer.c.external_id == stage.c.external_id).exists()
        result = ctx.conn.execute(insert(customer).from_select(
            ["external_id", "segment", "site_id", "batch_id"],
            select(stage.c.external_id, stage.c.segment, stage.c.site_id, literal(ctx.batch_id)).where(missing),
        ))
        ctx.counts.add_created("customers", max(0, result.rowcount or 0))
    rows = ctx.conn.execute(
        select(customer.c.external_id, customer.c.id, customer.c.segment)
        .join(stage, stage.c.external_id == customer.c.external_id)
    ).all()
    staging.drop(ctx.conn, stage)
    ids = {r[0]: r[1] for r in rows}
    segments = {r[0]: r[2] for r in rows}
    cid = ext.map(ids).astype("Int64")
    ctx.customer_ids.update(int(i) for i in ids.values())
    return cid, seg.fillna(ext.map(segments))


def existing_ids(ctx: LoadContext, target: Table, stage: Table, with_source: bool) -> None:
    """Set ``stage.existing_id`` to the id of the row already loaded with the same (source,) external id."""
    cond = target.c.external_id == stage.c.external_id
    if with_source:
        cond = and_(cond, target.c.source == ctx.mapping.source)
    # Only rows that have a match are written: rewriting every wide staged row with NULL cost a full pass (and,
    # on PostgreSQL, a dead copy of each row that the later passes over the stage had to skip).
    found = select(target.c.id).where(cond)
    ctx.conn.execute(update(stage).values(existing_id=found.scalar_subquery()).where(found.exists()))


def count_duplicates(ctx: LoadContext, stage: Table, n: int) -> int:
    """Count staged rows already in the database; add them to updated or skipped; return the count."""
    dup = int(ctx.conn.execute(
        select(func.count()).select_from(stage).where(stage.c.existing_id.isnot(None))
    ).scalar_one())
    if ctx.update:
        ctx.counts.updated += dup
    else:
        ctx.counts.skipped += dup
    ctx.counts.inserted += n - dup
    return dup


def upsert_rows(ctx: LoadContext, target: Table, stage: Table, columns: list[str], with_source: bool) -> None:
    """Insert the staged rows that are new; update the existing ones when asked (their batch stays)."""
    conn = ctx.conn
    consts: dict[str, Any] = {"batch_id": ctx.batch_id}
    if with_source:
        consts["source"] = ctx.mapping.source
    conn.execute(insert(target).from_select(
        ["id", *columns, *consts],
        select(stage.c.id, *[stage.c[c] for c in columns], *[literal(v) for v in consts.values()])
        .where(stage.c.existing_id.is_(None)),
    ))
    if ctx.update:
        conn.execute(
            update(target).where(target.c.id == stage.c.existing_id).values({c: stage.c[c] for c in columns})
        )


def allocate_ids(ctx: LoadContext, target: Table, n: int) -> pd.Series:
    """Explicit ids for ``n`` staged rows (the import holds the write lock, so ``max(id) + 1`` is safe)."""
    start = next_id(ctx.conn, target)
    return pd.Series(staging.id_block(start, n))


def now() -> datetime:
    """The time stamp of a batch (naive UTC, like the rest of the store)."""
    return now_utc().replace(microsecond=0)
