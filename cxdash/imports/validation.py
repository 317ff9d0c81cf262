"""Validation of every row before anything is written.

A :class:`Validator` checks one chunk of a file at a time, vectorised over columns, and returns the rows that
passed as typed values under field names, plus one row error per bad cell (row number, column, value, reason).
A bad id, required value or reference rejects the row as a whole. A bad optional answer of a survey response
(a score, a count, a yes/no, a coded answer, a comment) rejects only that cell: the answer is not loaded, the
row's other answers are, and the cell is listed with scope "cell". Duplicate ids are tracked across chunks: the
first occurrence wins, later ones are rejected with a pointer to it. A file without an id column identifies each
row by its whole content (every column as read), so identical rows are reported as identical, by row number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from cxdash import schema
from cxdash.imports import rules
from cxdash.imports.checking import Options, Unknown
from cxdash.imports.errors import UploadError, combine, empty_errors, row_errors
from cxdash.imports.fields import CHOICES, FIXED_SCALES, SCALE_GROUP, Field
from cxdash.imports.kinds import fields, get_kind
from cxdash.imports.mapping_types import Mapping, Scale
from cxdash.imports.parsing import as_text, parse_bools, parse_choices, parse_dates, parse_numbers
from cxdash.imports.refs import Refs
from cxdash.imports.scales import CHECKLIST_SCALE, codes_for, na_mask
from cxdash.imports.timezones import valid_zone

MAX_ID_CHARS = 128
MAX_SMALLINT = 32767


@dataclass
class Checked:
    """One validated chunk: the valid rows (index = file row number) and the row errors."""

    frame: pd.DataFrame
    errors: pd.DataFrame
    rows: int
    rejected: int
    cells: int = 0  # answers rejected on their own (their rows were loaded without them)


def check_mapping(mapping: Mapping) -> None:
    """Refuse mappings that cannot work, before reading any row.

    Raises:
        UploadError: a required column is not mapped, or a fixed score is declared on an incompatible scale.
    """
    missing = [f.name for f in fields(mapping.kind) if f.required and f.name not in mapping.columns]
    if mapping.visit_date is not None:
        try:
            date.fromisoformat(mapping.visit_date)
        except ValueError as exc:
            raise UploadError("imports.error.bad_visit_date", value=mapping.visit_date) from exc
    dated = {"visit_date", "responded_at"} & set(mapping.columns) or mapping.visit_date
    if mapping.kind == "surveys" and not dated:
        missing.append("visit_date")
    if mapping.layout == "long" and "external_id" not in mapping.columns:
        missing.append("external_id")
    if missing:
        raise UploadError("imports.error.missing_column", fields=missing)
    if mapping.timezone is not None and not valid_zone(mapping.timezone):
        raise UploadError("imports.error.bad_timezone", zone=mapping.timezone)
    for group, (lo, hi) in FIXED_SCALES.items():
        scale = mapping.scales.get(group)
        if scale and (scale.max - scale.min) != (hi - lo):
            raise UploadError("imports.error.fixed_scale", field=group, scale=scale.label(), expected=f"{lo:g}-{hi:g}")


class Validator:
    """Validates the chunks of one file against a mapping and the reference data."""

    def __init__(self, mapping: Mapping, refs: Refs, options: Options | None = None) -> None:
        check_mapping(mapping)
        self.mapping = mapping
        self.refs = refs
        self.options = options or Options()
        if mapping.visit_date and pd.Timestamp(mapping.visit_date) > pd.Timestamp(self.options.now or datetime.now()):
            raise UploadError("imports.error.future_visit_date", value=mapping.visit_date)
        self.unknown = Unknown()
        self.seen: dict[str, int] = {}
        self.kind = get_kind(mapping.kind)
        self.fields = {f.name: f for f in self.kind.fields}
        self._errs: list[pd.DataFrame] = []
        self._bad = pd.Series(dtype=bool)
        self._cell: pd.Series | None = None  # while an answer is checked: its bad cells (rejected alone)
        self._cells: list[pd.Series] = []  # the bad cells of each answer of the current chunk
        self.errors_kept = 0
        # Not-applicable answers: per column, counted on the rows that pass; the chunk's masks until then.
        self.not_applicable: dict[str, int] = {}
        self._na: dict[str, pd.Series] = {}

    # -- helpers --------------------------------------------------------------------------------------
    def flag(self, mask: pd.Series, column: str, values: pd.Series, reason: str, detail: object = "") -> None:
        """Record row errors where ``mask`` is true and mark those rows bad."""
        mask = mask.fillna(False).astype(bool)
        if not mask.any():
            return
        if self._cell is not None:
            self._cell |= mask
        else:
            self._bad |= mask
        if self.errors_kept < self.options.max_errors:
            rows = pd.Series(mask.index[mask], index=mask.index[mask])
            det = detail[mask] if isinstance(detail, pd.Series) else str(detail)
            frame = row_errors(rows, column, values[mask], reason, det, "cell" if self._cell is not None else "row")
            self._errs.append(frame)
            self.errors_kept += len(frame)

    def answer(self, check: Callable[..., pd.Series], *args: Any) -> pd.Series:
        """Run ``check(*args)`` for an optional answer: its bad cells are rejected alone (the value is dropped,
        the row stays), unless the row is rejected for another reason anyway."""
        self._cell = pd.Series(False, index=self._bad.index)
        try:
            values = check(*args)
        finally:
            cells, self._cell = self._cell, None
        if cells.any():
            self._cells.append(cells)
            return values.mask(cells)
        return values

    def is_answer(self, name: str) -> bool:
        """Whether a bad value of field ``name`` rejects only its cell (optional survey answers)."""
        return self.mapping.kind == "surveys" and name in rules.ANSWERS
    def na_rows(self) -> pd.Series:
        """Rows of the current chunk with at least one not-applicable answer (an answer, so never "no answers")."""
        rows = pd.Series(False, index=self._bad.index)
        for na in self._na.values():
            rows |= na
        return rows

    def bad_rows(self) -> pd.Series:
        """Rows already rejected in the current chunk."""
        return self._bad

    def scale_for(self, name: str) -> Scale:
        """The declared (or fixed) scale of a score field."""
        group = SCALE_GROUP.get(name, name)
        if self.mapping.kind == "inspections" and group == "score":
            return CHECKLIST_SCALE  # the checklist's scale, whatever a mapping says
        if group in self.mapping.scales:
            return self.mapping.scales[group]
        if group in FIXED_SCALES:
            return Scale(*FIXED_SCALES[group])
        raise UploadError("imports.error.no_scale", field=group)

    # -- field types ----------------------------------------------------------------------------------
    def text(self, col: str, values: pd.Series, max_chars: int) -> pd.Series:
        """Text, refusing values longer than ``max_chars``."""
        text = as_text(values)
        self.flag(text.str.len() > max_chars, col, values, "too_long", f"{max_chars:,}")
        return text

    def score(self, name: str, col: str, values: pd.Series) -> pd.Series:
        """A rating on its declared scale; fixed scores (NPS as 1-11) are shifted onto their stored scale.

        Answers matching the column's not-applicable codes are missing values (counted, never an error).
        """
        codes = codes_for(self.mapping, col) if self.mapping.kind != "inspections" else []
        if codes:
            na = na_mask(values, codes)
            if na.any():
                self._na[col] = self._na.get(col, na) | na
                values = values.mask(na)
        nums, bad = parse_numbers(values)
        self.flag(bad, col, values, "not_a_number")
        if nums.isna().all():
            return nums  # nothing to put on a scale (empty, or text only): no scale needed
        scale = self.scale_for(name)
        outside = nums.notna() & ((nums < scale.min) | (nums > scale.max))
        self.flag(outside, col, values, "out_of_scale", scale.label())
        if scale.integer:
            self.flag(nums.notna() & ~outside & (nums % 1 != 0), col, values, "not_whole", scale.label())
        group = SCALE_GROUP.get(name, name)
        if group in FIXED_SCALES and scale.min != FIXED_SCALES[group][0]:
            nums = nums - scale.min + FIXED_SCALES[group][0]
        return nums.where(~bad & ~outside)

    def count(self, col: str, values: pd.Series) -> pd.Series:
        """A whole number of at least zero (contacts, transfers, reopenings)."""
        nums, bad = parse_numbers(values)
        self.flag(bad, col, values, "not_a_number")
        self.flag(nums < 0, col, values, "negative")
        self.flag(nums.notna() & (nums % 1 != 0), col, values, "not_whole", "0, 1, 2, ...")
        self.flag(nums > MAX_SMALLINT, col, values, "too_large", f"{MAX_SMALLINT:,}")
        return nums

    def number(self, col: str, values: pd.Series) -> pd.Series:
        """Any number."""
        nums, bad = parse_numbers(values)
        self.flag(bad, col, values, "not_a_number")
        return nums

    def dates(self, col: str, values: pd.Series, local: bool = False) -> pd.Series:
        """Dates or date-times in any accepted form; impossible and future ones are refused.

        With ``local`` (date-time fields), times without an offset are read in the mapping's time zone and
        stored as UTC; calendar dates are kept as written.
        """
        zone = self.mapping.timezone if local else None
        parsed, reason = parse_dates(values, self.mapping.date_order, self.options.now, zone)
        for r in ("unparseable_date", "impossible_date", "future_date"):
            self.flag(reason == r, col, values, r)
        return parsed

    def choice(self, name: str, col: str, values: pd.Series) -> pd.Series:
        """Coded answers (priority, status, below/met/exceeded)."""
        out, bad = parse_choices(values, CHOICES[name])
        allowed = ", ".join(sorted(set(CHOICES[name].values())))
        self.flag(bad, col, values, "unknown_choice", allowed)
        return out

    def boolean(self, col: str, values: pd.Series) -> pd.Series:
        """Yes/no answers."""
        out, bad = parse_bools(values)
        self.flag(bad, col, values, "not_yes_no")
        return out

    def ref(self, name: str, col: str, values: pd.Series, out: pd.DataFrame) -> pd.Series:
        """A code or name of a region, site, team, person, touchpoint or checklist item."""
        text = self.text(col, values, MAX_ID_CHARS if name == "customer" else 200)  # a customer is an external id
        return rules.check_ref(self, name, col, values, text, out)

    def one(self, f: Field, col: str, values: pd.Series, out: pd.DataFrame) -> pd.Series:
        """Validate one mapped column by its field type."""
        if f.type in ("id", "text"):
            limit = MAX_ID_CHARS if f.type == "id" else f.max_chars
            return self.text(col, values, min(limit, column_length(self.mapping.kind, f.name) or limit))
        if f.type == "ref":
            return self.ref(f.name, col, values, out)
        if f.type in ("date", "datetime"):
            return self.dates(col, values, local=f.type == "datetime")
        if f.type == "score":
            return self.score(f.name, col, values)
        if f.type == "count":
            return self.count(col, values)
        if f.type == "number":
            return self.number(col, values)
        if f.type == "bool":
            return self.boolean(col, values)
        return self.choice(f.name, col, values)

    # -- a chunk --------------------------------------------------------------------------------------
    def check(self, chunk: pd.DataFrame) -> Checked:
        """Validate one chunk of the file (index = row numbers)."""
        used = [c for c in self.mapping.used_columns() if c in chunk.columns]
        chunk = chunk.loc[chunk[used].notna().any(axis=1)] if used else chunk.iloc[0:0]
        if chunk.empty:
            return Checked(pd.DataFrame(), empty_errors(), 0, 0)
        self._errs = []
        self._bad = pd.Series(False, index=chunk.index)
        self._cells = []
        self._na = {}
        out = pd.DataFrame(index=chunk.index)
        order = sorted(self.mapping.columns.items(), key=lambda kv: kv[0] not in ("region", "site"))
        for name, col in order:
            if col not in chunk.columns:
                raise UploadError("imports.error.column_gone", column=col)
            f = self.fields[name]
            if self.is_answer(name):
                out[name] = self.answer(self.one, f, col, chunk[col], out)
            else:
                out[name] = self.one(f, col, chunk[col], out)
        rules.check_required(self, chunk, out)
        self.kind.check(self, chunk, out)
        self.check_ids(chunk, out)
        errors = combine(self._errs)
        cells = sum(int((mask & ~self._bad).sum()) for mask in self._cells)
        if self._cells and len(errors):
            # A cell of a row rejected anyway counts with the row, not as a value left out of a loaded row.
            bad_rows = self._bad.index[self._bad]
            errors.loc[(errors["scope"] == "cell") & errors["row"].isin(bad_rows), "scope"] = "row"
        for col, na in self._na.items():
            self.not_applicable[col] = self.not_applicable.get(col, 0) + int((na & ~self._bad).sum())
        valid = out.loc[~self._bad]
        return Checked(valid, errors, len(chunk), int(self._bad.sum()), cells)

    def check_ids(self, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
        """Fill missing ids and refuse duplicates.

        Without an id column the id is a hash of the whole row as read (every column of the file, mapped or
        not), so distinct respondents who share a date, a score and a segment stay distinct, and the same file
        uploaded again maps to the same ids. Rows identical in every column are reported as identical rows.
        """
        by_content = "external_id" not in out
        if by_content:
            if self.mapping.kind in ("tickets", "customers", "catalog"):
                return
            out["external_id"] = _row_hash(chunk)
        ids = out["external_id"]
        col = self.mapping.columns.get("external_id", "")
        if col:
            self.flag(ids.isna(), col, chunk[col], "missing")
        keys = ids.astype(object)
        if self.mapping.layout == "long":
            keys = keys + "\x1f" + out["touchpoint"].astype("str")
        first = keys.map(self.seen).astype(object) if self.seen else pd.Series(None, index=keys.index, dtype=object)
        first = first.where(first.notna(), None)
        within = keys.duplicated() & first.isna()
        if within.any():
            firsts = pd.Series(keys.index, index=keys.index).groupby(keys.to_numpy()).transform("min")
            first = first.where(~within, firsts)
        dup = ids.notna() & first.notna()
        rows = first.map(lambda r: f"{r}")
        if by_content:
            # The user never saw the hash: name the rows, as their spreadsheet numbers them.
            self.flag(dup, "", pd.Series("", index=ids.index, dtype=object), "identical_row", rows)
        else:
            self.flag(dup, col, chunk[col], "duplicate_id", rows)
        # The rows kept are each the first of their key and not seen before, so a plain update keeps the first.
        kept = ids.notna() & ~dup
        self.seen.update(zip(keys[kept].tolist(), keys.index[kept].tolist(), strict=True))

    def all_errors(self, checked: list[Checked]) -> pd.DataFrame:
        """Every row error of the chunks, in row order."""
        return combine([c.errors for c in checked]) if checked else empty_errors()


def column_length(kind: str, name: str) -> int | None:
    """The declared length of the database column a field is stored in (PostgreSQL refuses longer text, SQLite
    would store it silently), or None when it has none."""
    lengths = []
    for table in get_kind(kind).stored_in:
        column = getattr(schema, table).c.get(name)
        length = getattr(getattr(column, "type", None), "length", None)
        if isinstance(length, int):
            lengths.append(length)
    return min(lengths) if lengths else None


def _row_hash(chunk: pd.DataFrame) -> pd.Series:
    """A 64-bit hash of each row's cells as text (the same cells give the same id in any chunk and upload)."""
    text = pd.DataFrame({c: as_text(chunk[c]) for c in chunk.columns}, index=chunk.index)
    hashed = pd.util.hash_pandas_object(text, index=False).to_numpy(dtype=np.uint64)
    return pd.Series([f"h{h:016x}" for h in hashed], index=chunk.index, dtype=object)

