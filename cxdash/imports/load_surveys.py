"""Loading survey responses and their touchpoint scores.

Wide files stage one row per response with its touchpoint scores in numbered columns (``p0, e0, i0, ...``) and
expand them into ``touchpoint_score`` rows with one ``INSERT ... SELECT`` per chunk, inside the database.
Long files (one row per response and touchpoint) are gathered first, so a response split over chunks is still
one response, and its tier is computed from the mean of its touchpoint gaps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Index, Table, case, delete, insert, inspect, literal_column, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql import func
from sqlalchemy.sql.elements import ColumnElement

from cxdash.bulk import reset_sequences
from cxdash.domain.tiers import get_tolerance
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
from cxdash.imports.rules import tier_of
from cxdash.schema import survey_response, touchpoint_score
from cxdash.summaries.build import PairParts, new_pair_parts, pair_sums

COLUMNS: list[tuple[str, str]] = [
    ("external_id", "str"), ("customer_id", "id"), ("region_id", "int"), ("site_id", "int"), ("team_id", "int"),
    ("person_id", "int"), ("segment", "str"), ("channel", "str"), ("visit_date", "date"),
    ("responded_at", "datetime"), ("overall_p", "float"), ("overall_e", "float"), ("overall_scale_min", "float"),
    ("overall_scale_max", "float"), ("tp_scale_min", "float"), ("tp_scale_max", "float"),
    ("disconfirmation", "str"), ("ltr", "int"), ("csat", "int"), ("ces", "int"), ("contacts_needed", "int"),
    ("transfers", "int"), ("repeated_story", "bool"), ("comment", "text"), ("comment_lang", "str"),
    ("tier", "int"), ("gap_norm", "float"),
]
RESPONSE_COLUMNS = [c for c, _ in COLUMNS]
BULK_MIN_ROWS = 10_000  # below this, rebuilding an index costs more than it saves
SUM_SLICE = 25_000  # responses whose touchpoint sums are taken at a time (about half a million scores)


class Background:
    """One job at a time on a second thread; :meth:`wait` joins it and re-raises what it raised.

    The touchpoint sums of a chunk are numpy work that needs no database, while the chunk's SQL (the response
    insert and the expansion into touchpoint scores) runs in SQLite without Python's lock: side by side they use
    both cores of a two-core machine.
    """

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def run(self, job: Callable[..., None], *args: Any) -> None:
        """Wait for the previous job, then start ``job(*args)``."""
        self.wait()

        def target() -> None:
            try:
                job(*args)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                self.error = exc

        self.thread = threading.Thread(target=target, name="cxdash-import-sums", daemon=True)
        self.thread.start()

    def wait(self) -> None:
        """Block until the current job is done; raise its exception, if any."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def is_bulk_load(conn: Connection, expected_rows: int) -> bool:
    """True for an upload of survey responses into SQLite that at least doubles the responses stored.

    Such a load drops the secondary indexes and builds them at the end, and checks foreign keys once before the
    commit (:func:`cxdash.imports.loading.write_transaction`) instead of row by row: for most rows new, both cost
    less once than per row. Smaller uploads into a big database keep both per row (a whole-database key check
    there would cost more than the upload).
    """
    if conn.dialect.name != "sqlite" or expected_rows < BULK_MIN_ROWS:
        return False
    existing = int(conn.execute(select(func.count()).select_from(survey_response)).scalar_one())
    return expected_rows >= existing


class SurveyLoader:
    """Loads validated survey chunks into ``survey_response`` and ``touchpoint_score``."""

    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx
        m = ctx.mapping
        self.long = m.layout == "long"
        self.codes = [] if self.long else [tp.code for tp in m.all_touchpoints()]
        self.tp_ids = [ctx.refs.touchpoints[c.upper()] for c in self.codes]
        tp_cols = [(f"{r}{i}", "float") for i in range(len(self.codes)) for r in ("p", "e", "i")]
        self.stage = staging.create_stage(
            ctx.conn, "imp_response", [("id", "id"), ("existing_id", "id"), *COLUMNS, *tp_cols]
        )
        self.parts: list[pd.DataFrame] = []
        self.slot_table: Table | None = None
        self.dropped = self._drop_indexes()
        # SQLite sums the new touchpoint scores here, chunk by chunk, instead of reading them back afterwards
        # (22 million at a million responses); any duplicate in the file falls back to the read-back.
        self.sums: PairParts | None = None
        self.sums_job = Background()
        if not (self.long or ctx.dry_run or ctx.update) and ctx.conn.dialect.name == "sqlite":
            self.sums, self.tolerance = new_pair_parts(), get_tolerance(ctx.conn)
        # Into an empty table the upload's sums are the whole months', so a first build can use them too.
        self.first_rows = ctx.conn.execute(select(survey_response.c.id).limit(1)).first() is None

    def _drop_indexes(self) -> list[Index]:
        """For a bulk load (:func:`is_bulk_load`), drop the secondary indexes of ``touchpoint_score`` and
        ``survey_response`` (unique ones stay: they find rows already loaded).

        Keeping an index up to date row by row costs more than building it once at the end when most rows are
        new (at a million responses: 20 s to insert them under their seven indexes, 9 s to build those once). The
        drop and the rebuild are part of the upload's transaction (readers keep their snapshot, a failure
        restores the indexes); PostgreSQL would need an exclusive lock, so it keeps its indexes.
        """
        ctx = self.ctx
        if not ctx.bulk or ctx.dry_run or ctx.conn.dialect.name != "sqlite" or self.long:
            return []
        dropped = []
        for table in (touchpoint_score, survey_response):
            present = {i["name"] for i in inspect(ctx.conn).get_indexes(table.name)}
            dropped += [ix for ix in table.indexes if ix.name in present and not ix.unique]
        for ix in dropped:
            ix.drop(ctx.conn)
        return dropped

    def add(self, frame: pd.DataFrame) -> None:
        """Load one validated chunk (long files are gathered until :meth:`finish`)."""
        if self.long:
            self.parts.append(frame)
        else:
            self._load(frame, None)

    def finish(self) -> None:
        """Load gathered long rows, refresh what depends on responses, and drop the staging table."""
        self.sums_job.wait()
        if self.long and self.parts:
            responses, scores = split_long(pd.concat(self.parts), self.ctx.mapping.scales["touchpoint"].max
                                           - self.ctx.mapping.scales["touchpoint"].min)
            self._load(responses, scores)
        staging.drop(self.ctx.conn, self.stage)
        if self.slot_table is not None:
            staging.drop(self.ctx.conn, self.slot_table)
        for ix in self.dropped:
            ix.create(self.ctx.conn)
        if self.ctx.dry_run:
            return
        reset_sequences(self.ctx.conn, [survey_response])

    def _staged(self, frame: pd.DataFrame) -> pd.DataFrame:
        ctx = self.ctx
        org = resolve_org(ctx, frame)
        customer_ids, segments = resolve_customers(ctx, frame, org["site_id"])
        out = pd.DataFrame(index=frame.index)
        out["id"] = allocate_ids(ctx, survey_response, len(frame)).to_numpy()
        for name, _ in COLUMNS:
            out[name] = frame.get(name, None)
        out[["region_id", "site_id", "team_id", "person_id"]] = org[["region_id", "site_id", "team_id", "person_id"]]
        out["customer_id"], out["segment"] = customer_ids, segments
        for i, code in enumerate(self.codes):
            for role in ("p", "e", "i"):
                out[f"{role}{i}"] = frame.get(f"{role}:{code}")
        return out

    def _load(self, frame: pd.DataFrame, scores: pd.DataFrame | None) -> None:
        if frame.empty:
            return
        ctx, stage = self.ctx, self.stage
        staged = self._staged(frame)
        ctx.references_settled()
        staging.clear(ctx.conn, stage)
        staging.fill(ctx.conn, stage, staged)
        existing_ids(ctx, survey_response, stage, with_source=True)
        duplicates = count_duplicates(ctx, stage, len(frame))
        if ctx.dry_run:
            return
        if self.sums is not None:
            if duplicates or scores is not None:
                self.sums_job.wait()
                self.sums = None
            else:  # a copy: the loader's own use of the frame would share pandas' lazily filled caches
                self.sums_job.run(self._add_sums, staged.copy(), self.sums)
        upsert_rows(ctx, survey_response, stage, RESPONSE_COLUMNS, with_source=True)
        if ctx.update and duplicates:
            ctx.conn.execute(delete(touchpoint_score).where(
                touchpoint_score.c.response_id.in_(select(stage.c.existing_id).where(stage.c.existing_id.isnot(None)))
            ))
        if scores is None:
            self._expand_wide()
        else:
            self._insert_long(scores)
        ctx.note_dates(frame["visit_date"])

    def _add_sums(self, staged: pd.DataFrame, parts: PairParts) -> None:
        for lo in range(0, len(staged), SUM_SLICE):  # slices: the scores of a whole chunk weigh a gigabyte
            pair_sums(*self._sum_inputs(staged.iloc[lo:lo + SUM_SLICE]), self.tolerance, parts)

    def _sum_inputs(self, staged: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """A chunk of new responses as :func:`cxdash.summaries.build.pair_sums` takes them: the responses, and the
        touchpoint scores exactly as :meth:`_expand_wide` stores them (a row where P or E is present)."""
        visit = pd.to_datetime(staged["visit_date"])
        resp = pd.DataFrame({
            "response_id": staged["id"].to_numpy(dtype=np.int64),
            "visit_date": visit.dt.strftime("%Y-%m-%d").where(visit.notna(), None).to_numpy(dtype=object),
            **{c: staged[c].to_numpy() for c in ("region_id", "site_id", "team_id", "channel", "segment")},
            "lo": pd.to_numeric(staged["tp_scale_min"].fillna(staged["overall_scale_min"]), errors="coerce")
            .to_numpy(dtype=float),
            "hi": pd.to_numeric(staged["tp_scale_max"].fillna(staged["overall_scale_max"]), errors="coerce")
            .to_numpy(dtype=float),
        })
        k, n = len(self.tp_ids), len(staged)

        def block(role: str) -> np.ndarray:
            cols = [pd.to_numeric(staged[f"{role}{i}"], errors="coerce").to_numpy(dtype=float) for i in range(k)]
            return np.column_stack(cols).ravel() if cols else np.empty(0)

        p, e = block("p"), block("e")
        kept = ~(np.isnan(p) & np.isnan(e))
        scores = pd.DataFrame({
            "response_id": np.repeat(resp["response_id"].to_numpy(), k)[kept],
            "touchpoint_id": np.tile(np.asarray(self.tp_ids, dtype=np.int64), n)[kept],
            "p": p[kept], "e": e[kept], "importance": block("i")[kept],
        })
        return resp, scores

    def _target_rows(self):  # noqa: ANN202 - a SQL condition
        stage = self.stage
        return true() if self.ctx.update else stage.c.existing_id.is_(None)

    def _expand_wide(self) -> None:
        """One pass over the staged chunk, crossed with its touchpoint slots, writes every touchpoint score.

        One ``INSERT ... SELECT`` per touchpoint read the wide stage 22 times and wrote each response's scores in 22
        separate sweeps over the primary key; crossing the stage with the slot table writes them in key order
        (response, then slot), which measured about 30 % faster at 200,000 responses on SQLite.
        """
        if not self.tp_ids:
            return
        stage, slots = self.stage, self._slots()
        k = range(len(self.tp_ids))

        def pick(role: str) -> ColumnElement[Any]:
            return case({i: stage.c[f"{role}{i}"] for i in k}, value=slots.c.slot)

        p, e = pick("p"), pick("e")
        sel = (
            select(func.coalesce(stage.c.existing_id, stage.c.id), slots.c.touchpoint_id, p, e, pick("i"))
            .select_from(stage.join(slots, true()))
            .where(self._target_rows(), or_(p.isnot(None), e.isnot(None)))
        )
        if self.ctx.conn.dialect.name == "sqlite":  # both tables' insertion order: SQLite reads it without a sort
            sel = sel.order_by(literal_column(f"{stage.name}.rowid"), literal_column(f"{slots.name}.rowid"))
        self.ctx.conn.execute(insert(touchpoint_score).from_select(
            ["response_id", "touchpoint_id", "p", "e", "importance"], sel))

    def _slots(self) -> Table:
        """A temporary table of the upload's touchpoint slots: ``slot`` (the stage's column number), ``touchpoint_id``."""
        if self.slot_table is None:
            conn = self.ctx.conn
            self.slot_table = staging.create_stage(conn, "imp_touchpoint_slot", [("slot", "int"), ("touchpoint_id", "int")])
            staging.fill(conn, self.slot_table, pd.DataFrame({"slot": range(len(self.tp_ids)), "touchpoint_id": self.tp_ids}))
        return self.slot_table

    def _insert_long(self, scores: pd.DataFrame) -> None:
        conn, stage = self.ctx.conn, self.stage
        s = staging.create_stage(conn, "imp_score", [
            ("external_id", "str"), ("touchpoint_id", "int"), ("p", "float"), ("e", "float"), ("importance", "float")])
        staging.fill(conn, s, scores)
        conn.execute(insert(touchpoint_score).from_select(
            ["response_id", "touchpoint_id", "p", "e", "importance"],
            select(func.coalesce(stage.c.existing_id, stage.c.id), s.c.touchpoint_id, s.c.p, s.c.e, s.c.importance)
            .join(stage, stage.c.external_id == s.c.external_id).where(self._target_rows()),
        ))
        staging.drop(conn, s)


def split_long(frame: pd.DataFrame, scale_range: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split long rows into one row per response (its first row's values) and its touchpoint scores."""
    scores = pd.DataFrame({
        "external_id": frame["external_id"],
        "touchpoint_id": frame["touchpoint"],
        "p": frame.get("tp_p", None),
        "e": frame.get("tp_e", None),
        "importance": frame.get("tp_importance", None),
    })
    responses = frame.drop_duplicates("external_id").set_index("external_id", drop=False)
    gaps = ((scores["p"].astype("float64") - scores["e"].astype("float64")) / scale_range).groupby(
        scores["external_id"]).mean()
    tier, gap_norm = tier_of(responses, gaps.reindex(responses.index))
    responses = responses.assign(tier=tier.to_numpy(), gap_norm=gap_norm.to_numpy()).reset_index(drop=True)
    return responses, scores
