"""The upload pipeline shared by the page and the CLI: open -> map -> validate (and preview) -> load.

:func:`prepare` opens a file and proposes a mapping; :func:`run_import` validates every row and, unless it is a
dry run, loads the valid ones in one transaction. A dry run goes through exactly the same steps (including the
look-up of rows already loaded) and rolls back, so the preview's counts are the counts the load will report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from cxdash.audit import record_audit
from cxdash.customers import refresh_customer_events
from cxdash.db import bump_data_version, get_setting, refresh_statistics
from cxdash.followup.cases import run_for_batch
from cxdash.followup.next_answers import refresh_next_answers
from cxdash.i18n import t
from cxdash.imports.catalog_upload import create_new_touchpoints
from cxdash.imports.errors import UploadError, combine, empty_errors, reason_text, row_errors, top_problem
from cxdash.imports.kinds import BY_NAME, fields, get_kind, has_times
from cxdash.imports.load_surveys import is_bulk_load
from cxdash.imports.loading import LoadContext, now, write_transaction
from cxdash.imports.mapping import Mapping, Proposal, auto_map, unknown_touchpoints
from cxdash.imports.prefetch import Prefetch
from cxdash.imports.reading import FileInput, TableFile, limits, open_table
from cxdash.imports.refs import NearMatch, confirm_key, inserted_id, load_refs, near_matches
from cxdash.imports.scales import ScaleDecision, apply_decisions, decide_scales, open_questions, question_text
from cxdash.imports.timezones import default_timezone
from cxdash.imports.validation import Checked, Options, Validator, check_mapping
from cxdash.memory import release_free_memory
from cxdash.schema import import_batch, survey_response
from cxdash.service.compute import recompute_tickets
from cxdash.summaries import add_to_summaries, refresh_summaries

Progress = Callable[[int, int], None]
CHUNK_ROWS = 50_000


@dataclass
class Prepared:
    """An opened file with a proposed (or saved) mapping: what the mapping step shows."""

    table: TableFile
    sample: pd.DataFrame
    mapping: Mapping
    unknown_touchpoints: dict[str, list[str]] = field(default_factory=dict)
    # Matches shown on the mapping step: suggestions not applied (values do not fit), guesses from the values.
    proposals: list[Proposal] = field(default_factory=list)
    # Batches that already loaded this very file (same kind and SHA-256), oldest first: (id, when).
    loaded_as: list[tuple[int, datetime]] = field(default_factory=list)
    # The scale of every score group, why, and the questions still open (cxdash.imports.scales).
    scales: list[ScaleDecision] = field(default_factory=list)

    def decide_scales(self, keep: set[str] | None = None) -> list[ScaleDecision]:
        """(Re)decide the scales of the mapping; ``keep`` = declared groups (default: saved and user ones)."""
        m = self.mapping
        if keep is None:
            keep = {g for g in m.scales if m.scale_sources.get(g) in ("saved", "user")}
        self.scales = decide_scales(m, self.sample, self.table.layout.labels, keep)
        apply_decisions(m, self.scales)
        return self.scales


@dataclass
class ImportOptions:
    """Choices made on the preview (or on the command line)."""

    on_duplicate: str = "skip"
    create_missing: bool = False
    all_or_nothing: bool = False
    dry_run: bool = False
    actor: str | None = None
    now: datetime | None = None
    chunk_rows: int = CHUNK_ROWS
    # The hook for near-duplicates: keys (NearMatch.key) of new sites, teams or regions the user confirmed are
    # not the existing units they resemble; any other near-duplicate's rows are rejected, nothing is created.
    confirmed_new: frozenset[str] = frozenset()


@dataclass
class ImportResult:
    """What happened (or, for a dry run, would happen)."""

    kind: str
    file_name: str
    status: str  # loaded | dry_run | nothing_loaded | nothing_new | refused
    batch_id: int | None = None
    sha256: str = ""
    rows_read: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    cells_rejected: int = 0  # answers not loaded while the rest of their rows was
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    created: dict[str, int] = field(default_factory=dict)
    unknown: dict[str, list[str]] = field(default_factory=dict)
    errors: pd.DataFrame = field(default_factory=empty_errors)
    near_matches: list[NearMatch] = field(default_factory=list)  # new names that resemble existing units
    not_applicable: dict[str, int] = field(default_factory=dict)  # column -> answers read as not applicable
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (read, validate, load, ...)

    def timed(self, phase: str, since: float) -> float:
        """Add the time since ``since`` to ``phase``; return now."""
        now_ = time.perf_counter()
        self.timings[phase] = round(self.timings.get(phase, 0.0) + now_ - since, 3)
        return now_

    def message(self, lang: str = "en") -> str:
        """What happened, in one sentence (the rejected rows are in :attr:`errors`)."""
        key = {"loaded": "loaded", "dry_run": "dry_run", "refused": "refused", "nothing_new": "nothing_new"}.get(
            self.status)
        if key is None:
            key = "no_rows" if self.rows_read == 0 else "none_valid"
        if key == "refused" and self.cells_rejected:
            key = "refused_cells"
        text = t(f"imports.result.{key}", lang, read=f"{self.rows_read:,}", inserted=f"{self.inserted:,}",
                 updated=f"{self.updated:,}", skipped=f"{self.skipped:,}", rejected=f"{self.rows_rejected:,}",
                 cells=f"{self.cells_rejected:,}")
        if self.cells_rejected and key != "refused_cells":
            text += " " + t("imports.result.cells", lang, cells=f"{self.cells_rejected:,}")
        return text

    def main_problem(self, lang: str = "en", cli: bool = False) -> str | None:
        """Which column caused most rejections, and a one-line fix (None when nothing was rejected)."""
        top = top_problem(self.errors)
        if top is None or not top["column"]:
            return None
        if top["reason"] == "no_answers":
            # The column named with these errors is only where the row starts: no column is to blame, the
            # mapping lacks answers.
            return t("imports.result.no_answers_cli" if cli else "imports.result.no_answers", lang,
                     count=f"{top['count']:,}")
        reason = reason_text(top["reason"], "", lang).split(" (")[0].split("（")[0].strip()  # without its detail
        if top["reason"] == "out_of_scale":
            # Numbers outside the scale are usually a scale read wrongly (a 1-5 survey taken for 0-4), not a
            # column mapped to the wrong field: point at the scale first.
            fix = t("imports.result.fix_scale_cli" if cli else "imports.result.fix_scale", lang, column=top["column"])
        elif top["reason"] in MAPPING_REASONS:
            fix = t("imports.result.fix_unmap_cli" if cli else "imports.result.fix_unmap", lang, column=top["column"])
        elif top["reason"].startswith("unknown_") and top["reason"] not in ("unknown_touchpoint", "unknown_item"):
            fix = t("imports.result.fix_create_cli" if cli else "imports.result.fix_create", lang)
        else:
            fix = ""
        return t("imports.result.top_problem", lang, column=top["column"], count=f"{top['count']:,}",
                 reason=reason, fix=fix).strip()

    def summary(self) -> dict[str, Any]:
        """The counts as a plain dict (CLI output, audit log)."""
        return {k: getattr(self, k) for k in ("kind", "file_name", "status", "batch_id", "rows_read", "rows_valid",
                                              "rows_rejected", "cells_rejected", "inserted", "updated", "skipped",
                                              "created",
                                              "not_applicable")}


# Reasons that mean the column holds something else than the field it is mapped to.
MAPPING_REASONS = {"not_a_number", "out_of_scale", "not_whole", "unknown_choice", "not_yes_no", "unparseable_date",
                   "impossible_date", "negative", "too_large"}


def upload_limits(engine: Engine) -> Any:
    """The upload limits: environment, else the settings ``imports.max_upload_mb`` / ``imports.max_rows``."""
    with engine.connect() as conn:
        return limits(get_setting(conn, "imports.max_upload_mb"), get_setting(conn, "imports.max_rows"))


def prepare(
    engine: Engine,
    file: FileInput,
    kind: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    mapping: Mapping | None = None,
) -> Prepared:
    """Open ``file`` and propose a mapping (or use ``mapping``, filling in scales it lacks).

    Raises:
        UploadError: the file cannot be read (see :func:`cxdash.imports.reading.open_table`).
        ValueError: unknown kind.
    """
    if kind not in BY_NAME:
        raise ValueError(f"unknown import kind {kind!r}")
    table = open_table(file, encoding, delimiter, sheet, upload_limits(engine))
    sample = table.sample(2000)
    proposals: list[Proposal] = []
    with engine.connect() as conn:
        refs = load_refs(conn)
        loaded_as = loaded_batches(conn, kind, file.sha256())
        if mapping is None:
            mapping = auto_map(kind, table.layout, sample, refs.catalog, proposals)
            mapping.scales, mapping.scale_sources = {}, {}  # decided below, with their reasons
        else:
            mapping = Mapping.from_dict(mapping.to_dict())
            # A saved mapping's scales are declarations (whatever once decided them).
            mapping.scale_sources = {g: "saved" for g in mapping.scales}
        if mapping.timezone is None and has_times(kind):
            mapping.timezone = default_timezone(conn)
    unknown = unknown_touchpoints(table.layout, mapping, refs.catalog, sample) if kind == "surveys" else {}
    prepared = Prepared(table, sample, mapping, unknown, proposals, loaded_as)
    prepared.decide_scales()
    return prepared


def proposal_text(prop: Proposal, lang: str = "en", cli: bool = False) -> str:
    """One line about a proposed match: a suggestion not applied and why, or a match guessed from the values."""
    name = t(f"imports.field.{prop.field}", lang)
    if prop.applied:
        return t("imports.proposal.free_text", lang, column=prop.column, field=name)
    how = t("imports.proposal.how_cli" if cli else "imports.proposal.how_page", lang, column=prop.column,
            field=prop.field)
    return t("imports.proposal.not_applied", lang, column=prop.column, field=name,
             why=t(f"imports.proposal.why.{prop.reason}", lang), how=how)


def loaded_batches(conn: Connection, kind: str, sha256: str) -> list[tuple[int, datetime]]:
    """The batches (not deleted) that loaded a file with this content, oldest first: ``(id, created_at)``."""
    stmt = (select(import_batch.c.id, import_batch.c.created_at)
            .where(import_batch.c.kind == kind, import_batch.c.sha256 == sha256, import_batch.c.status == "loaded")
            .order_by(import_batch.c.id))
    return [(int(i), when) for i, when in conn.execute(stmt).all()]


def _text_columns(mapping: Mapping) -> set[str]:
    numeric = {f.name for f in fields(mapping.kind) if f.type in ("score", "count", "number")}
    return {col for name, col in mapping.columns.items() if name not in numeric}


class _Undo(Exception):
    """Raised inside the transaction to roll it back (dry run, nothing valid, or refused)."""


def run_import(
    engine: Engine, prepared: Prepared, options: ImportOptions | None = None, progress: Progress | None = None
) -> ImportResult:
    """Validate every row and load the valid ones in one transaction (or only report, for a dry run).

    Raises:
        UploadError: the mapping cannot work or the file breaks while reading; nothing is written.
    """
    options = options or ImportOptions()
    table, mapping = prepared.table, prepared.mapping
    # Scales in the mapping stand; groups without one (touchpoints added on the mapping step) are decided now,
    # and a question nobody answered refuses the upload: a scale is never guessed.
    decisions = decide_scales(mapping, prepared.sample, table.layout.labels)
    apply_decisions(mapping, decisions)
    questions = open_questions(decisions)
    if questions:
        columns, choices = question_text(questions[0])
        raise UploadError("imports.error.scale_question", columns=columns, choices=choices)
    check_mapping(mapping)
    gone = [c for c in mapping.used_columns() if c not in table.columns]
    if gone:
        raise UploadError("imports.error.column_gone", column=", ".join(gone))
    result = ImportResult(mapping.kind, table.file.name, "loaded", sha256=table.file.sha256())
    bulk = _bulk(engine, prepared, options)
    try:
        with write_transaction(engine, exclusive=not options.dry_run, check_keys_at_end=bulk) as conn:
            _run(conn, prepared, options, result, progress, bulk)
            if result.status != "loaded":
                raise _Undo
            started = time.perf_counter()
        result.timed("commit", started)
    except _Undo:
        pass
    return result


def _bulk(engine: Engine, prepared: Prepared, options: ImportOptions) -> bool:
    """Whether this upload is a bulk load (decided before its transaction: it changes how that one begins)."""
    if options.dry_run or prepared.mapping.kind != "surveys":
        return False
    with engine.connect() as conn:
        return is_bulk_load(conn, prepared.table.estimated_rows())


def _run(conn: Connection, prepared: Prepared, options: ImportOptions, result: ImportResult,
         progress: Progress | None, bulk: bool = False) -> None:
    mapping, table = prepared.mapping, prepared.table
    refs = load_refs(conn)
    if mapping.timezone is None and has_times(mapping.kind):
        # A mapping built in code (or saved before zones existed) gets the default, recorded with the batch.
        mapping.timezone = default_timezone(conn)
    batch_id = None if options.dry_run else _open_batch(conn, result, mapping, options)
    total = table.estimated_rows()
    ctx = LoadContext(conn, mapping, refs, batch_id, options.on_duplicate, options.dry_run, expected_rows=total,
                      bulk=bulk)
    create_new_touchpoints(ctx)
    validator = Validator(mapping, refs, Options(options.create_missing, options.now,
                                                 confirmed_new=frozenset(map(confirm_key, options.confirmed_new))))
    loader: Any = get_kind(mapping.kind).loader(ctx)  # the survey and ticket loaders tell what they wrote
    errors = []
    if mapping.identified_by_content():
        # Row identity is the whole raw row: read every column (as text, so the same file gives the same ids).
        frames = table.frames(options.chunk_rows, None, set(table.columns))
    else:
        frames = table.frames(options.chunk_rows, mapping.used_columns(), _text_columns(mapping))
    chunks = Prefetch(frames, lambda chunk: with_bad_records(validator.check(chunk), chunk))
    ctx.references_settled = chunks.references_settled
    try:
        clock = time.perf_counter()
        for checked in chunks:
            clock = result.timed("wait", clock)  # for the next chunk's reading and validation
            result.rows_read += checked.rows
            result.rows_rejected += checked.rejected
            result.cells_rejected += checked.cells
            errors.append(checked.errors)
            loader.add(checked.frame)
            chunks.references_settled()  # loaders that do not say so earlier
            release_free_memory()
            clock = result.timed("load", clock)
            if progress:
                progress(result.rows_read, max(total, result.rows_read))
    finally:
        chunks.close()
    result.timings.update(read=round(chunks.read_s, 3), validate=round(chunks.validate_s, 3))  # on the other thread
    loader.finish()
    clock = result.timed("load", clock)
    result.rows_valid = result.rows_read - result.rows_rejected
    result.errors = combine(errors)
    result.inserted, result.updated, result.skipped = ctx.counts.inserted, ctx.counts.updated, ctx.counts.skipped
    result.created = dict(ctx.counts.created)
    result.unknown = {k: sorted(map(str, v)) for k, v in vars(validator.unknown).items() if v and k != "near"}
    result.near_matches = near_matches(validator.unknown.near, validator.options.confirmed_new)
    result.not_applicable = {k: n for k, n in validator.not_applicable.items() if n}
    if result.rows_valid == 0:
        result.status = "nothing_loaded"
    elif options.all_or_nothing and (result.rows_rejected or result.cells_rejected):
        result.status = "refused"
    elif options.dry_run:
        result.status = "dry_run"
    elif ctx.counts.inserted + ctx.counts.updated == 0:
        result.status = "nothing_new"  # every valid row was loaded before: no empty batch
    else:
        _after_load(ctx, loader, result)
        _open_cases(conn, ctx, options, result)
        _close_batch(conn, result, ctx, options)


def with_bad_records(checked: Checked, chunk: pd.DataFrame) -> Checked:
    """Add the records the reader could not load (wrong field count, truncated end) to a chunk's row errors."""
    bad = chunk.attrs.get("bad_records") or []
    if not bad:
        return checked
    rows = pd.Series([b.row for b in bad])
    frames = [
        row_errors(rows[[i]], "", pd.Series([b.text.rstrip("\r\n")], index=[i]), b.reason, b.detail)
        for i, b in enumerate(bad)
    ]
    errors = combine([checked.errors, *frames])
    return Checked(checked.frame, errors, checked.rows + len(bad), checked.rejected + len(bad), checked.cells)


def _open_batch(conn: Connection, result: ImportResult, mapping: Mapping, options: ImportOptions) -> int:
    return inserted_id(conn.execute(import_batch.insert().values(
        kind=mapping.kind, source=mapping.source, file_name=result.file_name[:400], sha256=result.sha256,
        mapping=mapping.to_dict(), created_by=options.actor, created_at=now(), status="loading",
    )))


STATISTICS_ROWS = 10_000  # a load this big refreshes PostgreSQL's planner statistics in its transaction


def _after_load(ctx: LoadContext, loader: Any, result: ImportResult) -> None:
    """Refresh what depends on the rows written: customer events, summaries, ticket SLA facts."""
    conn = ctx.conn
    kind = ctx.mapping.kind
    clock = time.perf_counter()
    if kind == "tickets":
        recompute_tickets(conn, loader.written, months=loader.old_months)
        clock = result.timed("sla", clock)
    if ctx.customer_ids:
        refresh_customer_events(conn, sorted(ctx.customer_ids))
        clock = result.timed("customers", clock)
    if kind == "surveys":
        # A resolved case's next answer may be among these rows; an updated row may have stopped being one.
        refresh_next_answers(conn, ctx.customer_ids, check_kept=ctx.counts.updated > 0)
        clock = result.timed("next_answers", clock)
    if kind == "surveys" and ctx.date_min is not None:
        # New rows only: add their sums; updated rows change old sums, so their months are rebuilt instead.
        sums = getattr(loader, "sums", None)
        added = ctx.counts.updated == 0 and add_to_summaries(conn, survey_response.c.batch_id == ctx.batch_id, sums)
        if not added:
            whole = sums if getattr(loader, "first_rows", False) else None  # the months hold only these rows
            refresh_summaries(conn, ctx.date_min, ctx.date_max, parts=whole)
        clock = result.timed("summaries", clock)
    if ctx.counts.inserted + ctx.counts.updated >= STATISTICS_ROWS:
        # PostgreSQL only: the planner must know the tables grew (autovacuum may be off). Only the tables written:
        # analysing all of them cost an upload of 10,000 responses 3.1 s at 1M, these 1.8 s.
        refresh_statistics(conn, get_kind(kind).written_tables)
        result.timed("statistics", clock)


def _open_cases(conn: Connection, ctx: LoadContext, options: ImportOptions, result: ImportResult) -> None:
    """Run the alert rules over the rows just loaded, in the load's transaction: the cases exist exactly when the
    data does (a dry run, a refused or an empty load never gets here)."""
    assert ctx.batch_id is not None
    clock = time.perf_counter()
    run_for_batch(conn, ctx.batch_id, options.now or now())
    result.timed("alerts", clock)


def refresh_response_summaries(conn: Connection, date_from: Any, date_to: Any) -> None:
    """Rebuild the response summaries of the months written or deleted."""
    refresh_summaries(conn, date_from, date_to)


def _close_batch(conn: Connection, result: ImportResult, ctx: LoadContext, options: ImportOptions) -> None:
    detail = {**ctx.mapping.to_dict(), "created": ctx.created_ids, "not_applicable": result.not_applicable}
    conn.execute(update(import_batch).where(import_batch.c.id == ctx.batch_id).values(
        rows_read=result.rows_read, rows_loaded=result.inserted, rows_updated=result.updated,
        rows_skipped=result.skipped, rows_rejected=result.rows_rejected, mapping=detail, status="loaded",
    ))
    result.batch_id = ctx.batch_id
    record_audit(conn, options.actor, "import", "import_batch", ctx.batch_id, result.summary())
    bump_data_version(conn)
