"""The touchpoint catalog from a file or an edited table: add touchpoints to a chosen or new stage.

A survey about another journey is not a dead end: touchpoints the catalog lacks are added (by the mapping step
or by uploading a catalog file with names in any of the three languages), and the catalog can be edited in the
app. Existing touchpoints are matched by code, or by any of their names; stages by code or any name.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select, update

from cxdash.audit import record_audit
from cxdash.db import bump_data_version
from cxdash.i18n import name_column
from cxdash.imports.loading import LoadContext, write_transaction
from cxdash.imports.refs import Refs, inserted_id, load_refs, next_sort_order, stage_id
from cxdash.schema import stage, touchpoint

NAME_COLUMNS = ("name_en", "name_zh_hans", "name_zh_hant")
EDIT_COLUMNS = ["stage", *(f"stage_{c}" for c in NAME_COLUMNS), "code", *NAME_COLUMNS, "sort_order",
                "stated_importance"]


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _code_from(text: str, prefix: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Z0-9]+", "_", unicodedata.normalize("NFKC", text).upper()).strip("_")[:24]
    if not base or not base.isascii():
        base = prefix
    code, n = base, 1
    while code.upper() in taken or code == prefix:
        n += 1
        code = f"{base}{n:02d}"
    return code


def _names(values: dict[str, Any], fallback: str) -> dict[str, str | None]:
    """Names for the three name columns; English is required by the schema, so it falls back to any name."""
    names = {c: (str(values[c]).strip() if values.get(c) not in (None, "") and pd.notna(values.get(c)) else None)
             for c in NAME_COLUMNS}
    if not names["name_en"]:
        names["name_en"] = names["name_zh_hans"] or names["name_zh_hant"] or fallback
    return names


def ensure_stage(conn: Any, text: str, names: dict[str, Any] | None = None) -> tuple[int, bool]:
    """A stage by code or name, created (at the end of the journey) when it does not exist yet."""
    found = stage_id(conn, text)
    if found is not None:
        return found, False
    taken = {c.upper() for c in conn.execute(select(stage.c.code)).scalars()}
    code = text.strip() if re.fullmatch(r"[A-Za-z0-9_\-]{1,64}", text.strip()) else _code_from(text, "S", taken)
    given = _names(names or {}, text.strip())
    if _is_cjk(text) and not (names or {}).get("name_zh_hans"):
        given["name_zh_hans"] = given["name_zh_hant"] = text.strip()
    order = int(conn.execute(select(func.coalesce(func.max(stage.c.sort_order), 0))).scalar_one()) + 1
    sid = inserted_id(conn.execute(stage.insert().values(code=code[:64], sort_order=order, **given)))
    return int(sid), True


def add_touchpoint(conn: Any, refs: Refs, code: str, name: str, stage_text: str) -> tuple[int, int | None]:
    """Add a touchpoint named ``name`` to a stage (code or name; created when new); return (id, new stage id)."""
    sid, created = ensure_stage(conn, stage_text)
    names: dict[str, Any] = {"name_en": name}
    if _is_cjk(name):
        names.update(name_zh_hans=name, name_zh_hant=name)
    tp_code = code.strip().upper() or _code_from(name, "TP", set(refs.touchpoints))
    tid = inserted_id(conn.execute(touchpoint.insert().values(
        stage_id=sid, code=tp_code[:64], sort_order=next_sort_order(conn, sid), **_names(names, name)
    )))
    refs.touchpoints[tp_code.upper()] = int(tid)
    return int(tid), sid if created else None


def create_new_touchpoints(ctx: LoadContext) -> None:
    """Create the touchpoints the mapping adds (or give them placeholder ids in a dry run)."""
    for n, tp in enumerate(ctx.mapping.new_touchpoints, start=1):
        existing = ctx.refs.touchpoint_id(tp.code) or ctx.refs.touchpoint_id(tp.name)
        if existing:
            tp.code = next(c for c, i in ctx.refs.touchpoints.items() if i == existing)
            continue
        if ctx.dry_run:
            ctx.refs.touchpoints[tp.code.upper()] = -n
            continue
        tid, sid = add_touchpoint(ctx.conn, ctx.refs, tp.code, tp.name, tp.stage)
        ctx.remember("touchpoints", [tid])
        if sid:
            ctx.remember("stages", [sid])


def _row_values(row: pd.Series) -> dict[str, Any]:
    return {k: (None if pd.isna(v) else v) for k, v in row.items()}


def apply_row(conn: Any, refs: Refs, values: dict[str, Any], update_existing: bool) -> tuple[str, int, int | None]:
    """Insert or update one catalog row; return ("inserted" | "updated" | "skipped", touchpoint id, new stage id)."""
    stage_names = {c: values.get(f"stage_{c}") for c in NAME_COLUMNS}
    sid, stage_created = ensure_stage(conn, str(values["stage"]), stage_names)
    names = _names(values, str(values.get("code") or ""))
    code = str(values.get("code") or "").strip().upper()
    existing = refs.touchpoints.get(code) if code else None
    if existing is None:
        existing = next((refs.touchpoint_id(values[c]) for c in NAME_COLUMNS if values.get(c)), None)
    extra = {k: values[k] for k in ("sort_order", "stated_importance") if values.get(k) is not None}
    new_stage = sid if stage_created else None
    if existing is not None:
        if not update_existing:
            return "skipped", existing, new_stage
        changes = {k: v for k, v in names.items() if v and (k != "name_en" or values.get("name_en"))}
        conn.execute(update(touchpoint).where(touchpoint.c.id == existing).values(stage_id=sid, **changes, **extra))
        return "updated", existing, new_stage
    code = code or _code_from(names["name_en"] or "", "TP", set(refs.touchpoints))
    extra.setdefault("sort_order", next_sort_order(conn, sid))
    tid = inserted_id(conn.execute(touchpoint.insert().values(stage_id=sid, code=code[:64], **names, **extra)))
    refs.touchpoints[code.upper()] = int(tid)
    return "inserted", int(tid), new_stage


class CatalogLoader:
    """Loads catalog rows (kind "catalog")."""

    def __init__(self, ctx: LoadContext) -> None:
        self.ctx = ctx

    def add(self, frame: pd.DataFrame) -> None:
        """Apply each row (catalog files are small)."""
        for _, row in frame.iterrows():
            if self.ctx.dry_run:
                self.ctx.counts.inserted += 1
                continue
            outcome, tid, new_stage = apply_row(self.ctx.conn, self.ctx.refs, _row_values(row), self.ctx.update)
            if new_stage:
                self.ctx.remember("stages", [new_stage])
            if outcome == "inserted":
                self.ctx.counts.inserted += 1
                self.ctx.remember("touchpoints", [tid])
            elif outcome == "updated":
                self.ctx.counts.updated += 1
            else:
                self.ctx.counts.skipped += 1

    def finish(self) -> None:
        """Nothing to clean up."""


def catalog_frame(engine: Engine) -> pd.DataFrame:
    """The catalog as an editable table: one row per touchpoint with its stage (in journey order)."""
    cols = [stage.c.code.label("stage"), *(stage.c[c].label(f"stage_{c}") for c in NAME_COLUMNS),
            touchpoint.c.code, *(touchpoint.c[c] for c in NAME_COLUMNS), touchpoint.c.sort_order,
            touchpoint.c.stated_importance]
    stmt = select(*cols).join(stage, stage.c.id == touchpoint.c.stage_id).order_by(stage.c.sort_order,
                                                                                 touchpoint.c.sort_order)
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(stmt).mappings().all(), columns=EDIT_COLUMNS)


def save_catalog(engine: Engine, frame: pd.DataFrame, actor: str | None = None) -> dict[str, int]:
    """Apply an edited catalog table (new rows added, existing touchpoints updated); audited.

    Raises:
        ValueError: a row without a stage or without any name.
    """
    counts = {"inserted": 0, "updated": 0, "skipped": 0}
    for i, row in frame.reset_index(drop=True).iterrows():
        values = _row_values(row)
        if not values.get("stage") or not any(values.get(c) for c in NAME_COLUMNS):
            raise ValueError(f"row {int(str(i)) + 1}: a stage and at least one name are required")
    with write_transaction(engine) as conn:
        refs = load_refs(conn)
        for _, row in frame.iterrows():
            outcome, _, _ = apply_row(conn, refs, _row_values(row), update_existing=True)
            counts[outcome] += 1
        record_audit(conn, actor, "catalog_edit", "touchpoint", None, counts)
        bump_data_version(conn)
    return counts


def stage_choices(engine: Engine, lang: str = "en") -> list[tuple[str, str]]:
    """Stages as (code, name in ``lang``) in journey order, for pickers."""
    col = name_column(lang)
    with engine.connect() as conn:
        rows = conn.execute(select(stage.c.code, stage.c[col], stage.c.name_en).order_by(stage.c.sort_order)).all()
    return [(code, name or en) for code, name, en in rows]


def touchpoint_labels(engine: Engine, lang: str = "en") -> dict[str, str]:
    """Touchpoint code -> name in ``lang`` (English when that name is empty)."""
    col = name_column(lang)
    with engine.connect() as conn:
        rows = conn.execute(select(touchpoint.c.code, touchpoint.c[col], touchpoint.c.name_en)).all()
    return {code.upper(): name or en for code, name, en in rows}
