"""Column mapping: which column of a file holds which field, and on which scale its scores are.

:func:`auto_map` proposes a mapping from the headers (and, for platform exports, the question texts under
them): fields by their English or Chinese names, touchpoint columns by catalog code or by name in any of the
three languages with a P (perceived) or E (expected) marker. A file with a ``touchpoint`` column is a long file
(one row per response and touchpoint); otherwise touchpoints are wide (a P and an E column each). Scales are
detected from the values and can be declared instead. A mapping is plain JSON, saved by name for the next
upload of the same source (:mod:`cxdash.imports.saved`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from cxdash.imports.errors import UploadError
from cxdash.imports.fields import CHOICES, FIXED_SCALES, KNOWN_LANGUAGES, Field
from cxdash.imports.kinds import fields
from cxdash.imports.layouts import PLAIN, Layout
from cxdash.imports.mapping_types import CatalogEntry, Mapping, Scale, TouchpointColumns, norm
from cxdash.imports.mapping_types import NewTouchpoint as NewTouchpoint  # named here by the page and tests
from cxdash.imports.parsing import as_text, parse_bools, parse_choices, parse_dates, parse_numbers
from cxdash.imports.scales import decide_scales, read_values

DATE_ORDERS = ("auto", "mdy", "dmy")
ON_DUPLICATE = ("skip", "update")
LONG_FIELDS = {"touchpoint", "tp_p", "tp_e", "tp_importance"}
_SEP = r"[\s_\-.:：()（）\[\]【】/|]"
_MARKERS = {
    "p": re.compile(rf"(?:^|{_SEP})(p|perceived|perception|performance|actual)(?={_SEP}|$)|感知|实际|實際|表现|表現"),
    "e": re.compile(rf"(?:^|{_SEP})(e|expected|expectation|expectations)(?={_SEP}|$)|期望|预期|預期"),
    "importance": re.compile(rf"(?:^|{_SEP})(i|imp|importance)(?={_SEP}|$)|重要性|重要度|重要程度"),
}


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _contains_ok(synonym: str, s: str) -> bool:
    """Whether a synonym may match inside a longer header: Chinese words and specific English phrases may,
    single generic English words ("customer", "date") may not ("Customer Age" is not the customer)."""
    if _is_cjk(s):
        return len(s) >= 2
    return " " in synonym.strip() or len(s) >= 9


def _field_score(f: Field, texts: list[str]) -> int:
    best = 0
    for syn in f.synonyms:
        s = norm(syn)
        for text in texts:
            if not text:
                continue
            if text == s:
                best = max(best, 1000 + len(s))
            elif _contains_ok(syn, s) and s in text:
                best = max(best, 100 + len(s) * 10 - len(text))
    return best


def _split_marker(text: str) -> tuple[str | None, str]:
    low = unicodedata.normalize("NFKC", text).lower()
    for role in ("importance", "e", "p"):
        m = _MARKERS[role].search(low)
        if m:
            return role, (low[: m.start()] + " " + low[m.end() :]).strip()
    return None, low


def _match_touchpoint(text: str, catalog: list[CatalogEntry]) -> str | None:
    key = norm(text)
    if not key:
        return None
    best: tuple[int, str] | None = None
    for entry in catalog:
        for name in (entry.code, *entry.names):
            n = norm(name)
            if not n:
                continue
            score = 10_000 if n == key else (len(n) if (len(n) >= 4 and n in key) else 0)
            if score and (best is None or score > best[0]):
                best = (score, entry.code)
    return best[1] if best else None


def match_touchpoint_columns(
    columns: list[str], labels: dict[str, str], catalog: list[CatalogEntry]
) -> tuple[list[TouchpointColumns], dict[str, list[str]]]:
    """Find wide touchpoint columns; return them and, for marked columns the catalog lacks, their stems."""
    found: dict[str, TouchpointColumns] = {}
    unknown: dict[str, list[str]] = {}
    for col in columns:
        for text in dict.fromkeys([col, labels.get(col) or ""]):
            if not text:
                continue
            role, rest = _split_marker(text)
            code = _match_touchpoint(rest, catalog)
            if code is None:
                if role in ("p", "e") and norm(rest):
                    unknown.setdefault(rest.strip(" _-"), []).append(col)
                continue
            tp = found.setdefault(code, TouchpointColumns(code))
            slot = role or "p"
            if getattr(tp, slot) is None:
                setattr(tp, slot, col)
            break
    matched = {c for tp in found.values() for c in (tp.p, tp.e, tp.importance) if c}
    unknown = {k: [c for c in v if c not in matched] for k, v in unknown.items()}
    return list(found.values()), {k: v for k, v in unknown.items() if v}


def _assign_fields(
    kind: str,
    columns: list[str],
    labels: dict[str, str],
    long_ok: bool,
    fits: Callable[[Field, str, bool], bool] | None = None,
    misfits: list[tuple[str, str]] | None = None,
) -> dict[str, str]:
    """Give each field its best-matching column (best matches first, one column per field).

    With ``fits`` (called with the field, the column and whether the whole header matched), a match whose values
    do not fit the field (a text column on a score) is not applied: the next best column gets the field, and the
    pair goes to ``misfits`` (to be shown as a suggestion).
    """
    candidates = []
    for f in fields(kind):
        if f.name in LONG_FIELDS and f.name != "touchpoint" and not long_ok:
            continue
        for col in columns:
            score = _field_score(f, [norm(col), norm(labels.get(col) or "")])
            if score:
                candidates.append((score, f, col))
    assigned: dict[str, str] = {}
    used: set[str] = set()
    for score, f, col in sorted(candidates, key=lambda x: -x[0]):
        if f.name in assigned or col in used:
            continue
        if fits is not None and not fits(f, col, score >= 1000):
            if misfits is not None:
                misfits.append((f.name, col))
            continue
        assigned[f.name] = col
        used.add(col)
    return assigned


@dataclass(frozen=True)
class Proposal:
    """A match the mapping step shows: a suggestion not applied (values do not fit) or a guess from the values."""

    field: str
    column: str
    reason: str  # not_numbers | not_dates | not_choices | not_yes_no | unknown_language | free_text
    applied: bool = False


FIT_SHARE = 0.5  # a column fits a field when at least half of its sampled values can be read as that field
_MISFIT_REASON = {"score": "not_numbers", "count": "not_numbers", "number": "not_numbers", "date": "not_dates",
                  "datetime": "not_dates", "bool": "not_yes_no", "choice": "not_choices"}


def value_fit(f: Field, values: pd.Series) -> float:
    """Share of the non-empty ``values`` that can be read as field ``f`` (1.0 when there are none)."""
    text = as_text(values)
    filled = int(text.notna().sum())
    if filled == 0:
        return 1.0
    if f.type in ("score", "count", "number"):
        _, bad = parse_numbers(values)
    elif f.type in ("date", "datetime"):
        _, reason = parse_dates(values)
        bad = reason == "unparseable_date"  # an impossible or future date is still a date (refused on its own)
    elif f.type == "bool":
        _, bad = parse_bools(values)
    elif f.type == "choice":
        _, bad = parse_choices(values, CHOICES[f.name])
    elif f.name == "comment_lang":
        bad = text.notna() & ~text.str.lower().isin(KNOWN_LANGUAGES)
    else:
        return 1.0
    return 1.0 - int(bad.sum()) / filled


def misfit_reason(f: Field) -> str:
    """Why a column was not applied to ``f``: the kind of value it lacks."""
    return "unknown_language" if f.name == "comment_lang" else _MISFIT_REASON.get(f.type, "not_choices")


_CJK_RE = r"[\u3400-\u9fff]"


def free_text_column(columns: list[str], sample: pd.DataFrame) -> str | None:
    """The column that looks like open comments: long, varied text in words (not numbers, dates, codes)."""
    best: tuple[float, str] | None = None
    for col in columns:
        if col not in sample:
            continue
        text = as_text(sample[col]).dropna()
        if len(text) < 2:
            continue
        nums, bad = parse_numbers(text)
        if nums.notna().mean() > 0.2:
            continue
        cjk = text.str.contains(_CJK_RE).mean() > 0.5
        length = float(text.str.len().mean())
        wordy = float((text.str.contains(r"\s") | text.str.contains(_CJK_RE)).mean())
        varied = text.nunique() / len(text)
        if length < (6 if cjk else 15) or wordy < 0.5 or varied < 0.5:
            continue
        _, reason = parse_dates(text)
        if (reason.isna() | (reason == "future_date")).mean() > 0.5:  # timestamps have spaces and vary too
            continue
        if best is None or length > best[0]:
            best = (length, col)
    return best[1] if best else None


def detect_scale(values: pd.Series, fixed: tuple[float, float] | None = None) -> Scale | None:
    """The most likely scale of sample values (text or numbers); None when there are no numbers.

    Values that fit several scales give the first choice of :func:`cxdash.imports.scales.read_values` (which
    also says that they are a question); an NPS exported as 1-11 is recognised by an 11 without a 0.
    """
    nums, _ = parse_numbers(values)
    nums = nums[nums.notna() & (nums >= 0)]
    if nums.empty:
        return None
    group = next((g for g, f in FIXED_SCALES.items() if f == fixed), "ltr") if fixed is not None else "rating"
    scale, choices, _ = read_values(nums, group)
    return scale if scale is not None else choices[0].scale


def detect_scales(mapping: Mapping, sample: pd.DataFrame, labels: dict[str, str] | None = None) -> dict[str, Scale]:
    """The scale of every mapped score group whose declaration, header or values decide it (questions left out)."""
    return {d.group: d.scale for d in decide_scales(mapping, sample, labels) if d.scale is not None}


def auto_map(
    kind: str,
    layout: Layout,
    sample: pd.DataFrame,
    catalog: list[CatalogEntry],
    proposals: list[Proposal] | None = None,
) -> Mapping:
    """Propose a mapping for a file from its header layout, a sample of its rows and the touchpoint catalog.

    A header match whose sampled values do not fit the field (a text column named "satisfaction" on CSAT, a
    language column of codes cxdash does not know) is not applied; it is added to ``proposals`` as a suggestion.
    A survey file without a comment header gets its column of long, varied text as the comment (also listed).
    """
    columns, labels = layout.columns, layout.labels
    mapping = Mapping(kind=kind, source=layout.name if layout.name != PLAIN else "file")
    free = columns
    if kind == "surveys":
        mapping.touchpoints, _ = match_touchpoint_columns(columns, labels, catalog)
        taken = set(mapping.used_columns())
        free = [c for c in columns if c not in taken]

    def fits(f: Field, col: str, whole_header: bool) -> bool:
        # Low confidence: a partial header match, a number field (a text column named "satisfaction"), or a
        # language column (Qualtrics' UserLanguage "DE"). Those are applied only when the values fit.
        checked = not whole_header or f.type in ("score", "count", "number") or f.name == "comment_lang"
        return not checked or col not in sample or value_fit(f, sample[col]) >= FIT_SHARE

    misfits: list[tuple[str, str]] = []
    assigned = _assign_fields(kind, free, labels, long_ok=True, fits=fits, misfits=misfits)
    if kind == "surveys" and "touchpoint" not in assigned:
        assigned = {k: v for k, v in assigned.items() if k not in LONG_FIELDS}
    if kind == "surveys" and "touchpoint" in assigned:
        mapping.touchpoints = []
    mapping.columns = assigned
    found: list[Proposal] = []
    used = set(mapping.used_columns())
    for name, col in misfits:
        if name not in assigned and col not in used and all(p.field != name for p in found):
            found.append(Proposal(name, col, misfit_reason(next(f for f in fields(kind) if f.name == name))))
    if kind == "surveys" and "comment" not in assigned:
        text_col = free_text_column([c for c in columns if c not in used], sample)
        if text_col is not None:
            mapping.columns["comment"] = text_col
            found = [p for p in found if p.column != text_col]
            found.append(Proposal("comment", text_col, "free_text", applied=True))
    mapping.scales = detect_scales(mapping, sample)
    if proposals is not None:
        proposals.extend(found)
    return mapping


def apply_choices(
    mapping: Mapping, columns: list[str], maps: list[str] | None = None, ignore: list[str] | None = None,
    visit_date: str | None = None,
) -> None:
    """Apply the user's own choices to a mapping: ``COLUMN=FIELD`` pairs, columns to ignore, a fixed visit date.

    Raises:
        UploadError: an unknown column or field, a pair without ``=``, or a visit date that is not YYYY-MM-DD.
    """
    names = [f.name for f in fields(mapping.kind)]
    for column in ignore or []:
        if column not in columns:
            raise UploadError("imports.error.no_such_column", column=column, columns=", ".join(columns))
        mapping.unmap(column)
    for pair in maps or []:
        column, sep, name = pair.rpartition("=")
        column, name = column.strip(), name.strip()
        if not sep or not column:
            raise UploadError("imports.error.bad_map", pair=pair)
        if column not in columns:
            raise UploadError("imports.error.no_such_column", column=column, columns=", ".join(columns))
        if name not in names:
            raise UploadError("imports.error.no_such_field", field=name, fields_list=", ".join(names))
        mapping.assign(name, column)
    if visit_date is not None:
        mapping.visit_date = fixed_visit_date(visit_date)


def fixed_visit_date(text: str) -> str:
    """A fixed visit date as ISO text.

    Raises:
        UploadError: not a YYYY-MM-DD date.
    """
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError as exc:
        raise UploadError("imports.error.bad_visit_date", value=text) from exc


def unknown_touchpoints(
    layout: Layout, mapping: Mapping, catalog: list[CatalogEntry], sample: pd.DataFrame
) -> dict[str, list[str]]:
    """Columns that look like touchpoint scores (a P or E marker and mostly numbers) the catalog lacks."""
    taken = set(mapping.used_columns())
    free = [c for c in layout.columns if c not in taken]
    _, unknown = match_touchpoint_columns(free, layout.labels, catalog)
    out = {}
    for stem, cols in unknown.items():
        numeric = [c for c in cols if c in sample and _mostly_numbers(sample[c])]
        if numeric:
            out[stem] = numeric
    return out


def _mostly_numbers(values: pd.Series) -> bool:
    nums, bad = parse_numbers(values)
    return bool(nums.notna().sum() > 0 and nums.notna().sum() >= 2 * bad.sum())


def suggest_code(stem: str, existing: set[str]) -> str:
    """A new touchpoint code from a column stem ("Parking space" -> "PARKING_SPACE", else "TP23")."""
    base = re.sub(r"[^A-Z0-9]+", "_", unicodedata.normalize("NFKC", stem).upper()).strip("_")[:40]
    if not base or not base.isascii():
        base = "TP"
    code, n = base, 1
    while code in existing or code == "TP":
        n += 1
        code = f"{base}{n:02d}" if base == "TP" else f"{base}_{n}"
    return code
