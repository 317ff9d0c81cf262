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
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from cxdash.imports.kinds import FIXED_SCALES, Field, fields
from cxdash.imports.layouts import PLAIN, Layout
from cxdash.imports.parsing import parse_numbers

DATE_ORDERS = ("auto", "mdy", "dmy")
ON_DUPLICATE = ("skip", "update")
LONG_FIELDS = {"touchpoint", "tp_p", "tp_e", "tp_importance"}
_SEP = r"[\s_\-.:：()（）\[\]【】/|]"
_MARKERS = {
    "p": re.compile(rf"(?:^|{_SEP})(p|perceived|perception|performance|actual)(?={_SEP}|$)|感知|实际|實際|表现|表現"),
    "e": re.compile(rf"(?:^|{_SEP})(e|expected|expectation|expectations)(?={_SEP}|$)|期望|预期|預期"),
    "importance": re.compile(rf"(?:^|{_SEP})(i|imp|importance)(?={_SEP}|$)|重要性|重要度|重要程度"),
}


@dataclass
class Scale:
    """A rating scale: its bounds and whether only whole numbers are valid."""

    min: float
    max: float
    integer: bool = True

    def label(self) -> str:
        """"1-7" style label."""
        return f"{self.min:g}-{self.max:g}"


@dataclass
class TouchpointColumns:
    """Wide layout: the columns holding one touchpoint's P, E and stated importance."""

    code: str
    p: str | None = None
    e: str | None = None
    importance: str | None = None


@dataclass
class NewTouchpoint(TouchpointColumns):
    """A touchpoint the file has and the catalog lacks, to be added to ``stage`` (a code or a new name)."""

    name: str = ""
    stage: str = ""


@dataclass
class Mapping:
    """How a file maps onto an upload kind (JSON-serialisable)."""

    kind: str
    columns: dict[str, str] = field(default_factory=dict)  # field -> file column
    touchpoints: list[TouchpointColumns] = field(default_factory=list)
    new_touchpoints: list[NewTouchpoint] = field(default_factory=list)
    scales: dict[str, Scale] = field(default_factory=dict)  # overall | touchpoint | ltr | csat | ces | score
    # Why each scale is what it is: saved | user | header | values | checklist | fixed (cxdash.imports.scales).
    scale_sources: dict[str, str] = field(default_factory=dict)
    # Not-applicable codes per file column ("*": every score column): stored as missing, counted, never rated.
    na_codes: dict[str, list[str]] = field(default_factory=dict)
    date_order: str = "auto"
    source: str = "file"
    # Zone of date-times written without an offset (None until resolved: see cxdash.imports.timezones).
    timezone: str | None = None

    @property
    def layout(self) -> str:
        """"long" when a column names the touchpoint of each row, else "wide"."""
        return "long" if "touchpoint" in self.columns and self.kind == "surveys" else "wide"

    def all_touchpoints(self) -> list[TouchpointColumns]:
        """Touchpoints of the catalog and new ones, in file order."""
        return [*self.touchpoints, *self.new_touchpoints]

    def used_columns(self) -> list[str]:
        """Every file column the mapping reads, in a stable order."""
        cols = list(self.columns.values())
        for tp in self.all_touchpoints():
            cols += [c for c in (tp.p, tp.e, tp.importance) if c]
        return list(dict.fromkeys(cols))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        """Rebuild from :meth:`to_dict` output (saved mappings, import history)."""
        return cls(
            kind=data["kind"],
            columns=dict(data.get("columns") or {}),
            touchpoints=[TouchpointColumns(**t) for t in data.get("touchpoints") or []],
            new_touchpoints=[NewTouchpoint(**t) for t in data.get("new_touchpoints") or []],
            scales={k: Scale(**v) for k, v in (data.get("scales") or {}).items()},
            scale_sources=dict(data.get("scale_sources") or {}),
            na_codes={k: [str(c) for c in v] for k, v in (data.get("na_codes") or {}).items()},
            date_order=data.get("date_order", "auto"),
            source=data.get("source", "file"),
            timezone=data.get("timezone"),
        )


@dataclass(frozen=True)
class CatalogEntry:
    """A touchpoint as the matcher sees it: code and names in the three languages."""

    code: str
    names: tuple[str, ...]


def norm(text: str) -> str:
    """Normalise a header for matching: width-folded, lower case, letters and digits only."""
    folded = unicodedata.normalize("NFKC", str(text)).lower()
    return "".join(ch for ch in folded if ch.isalnum())


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


def _assign_fields(kind: str, columns: list[str], labels: dict[str, str], long_ok: bool) -> dict[str, str]:
    candidates = []
    for f in fields(kind):
        if f.name in LONG_FIELDS and f.name != "touchpoint" and not long_ok:
            continue
        for col in columns:
            score = _field_score(f, [norm(col), norm(labels.get(col) or "")])
            if score:
                candidates.append((score, f.name, col))
    assigned: dict[str, str] = {}
    used: set[str] = set()
    for _, name, col in sorted(candidates, key=lambda x: -x[0]):
        if name not in assigned and col not in used:
            assigned[name] = col
            used.add(col)
    return assigned


def detect_scale(values: pd.Series, fixed: tuple[float, float] | None = None) -> Scale | None:
    """The most likely scale of sample values (text or numbers); None when there are no numbers.

    Values that fit several scales give the first choice of :func:`cxdash.imports.scales.read_values` (which
    also says that they are a question); an NPS exported as 1-11 is recognised by an 11 without a 0.
    """
    from cxdash.imports.scales import read_values

    nums, _ = parse_numbers(values)
    nums = nums[nums.notna() & (nums >= 0)]
    if nums.empty:
        return None
    group = next((g for g, f in FIXED_SCALES.items() if f == fixed), "ltr") if fixed is not None else "rating"
    scale, choices, _ = read_values(nums, group)
    return scale if scale is not None else choices[0].scale


def detect_scales(mapping: Mapping, sample: pd.DataFrame, labels: dict[str, str] | None = None) -> dict[str, Scale]:
    """The scale of every mapped score group whose declaration, header or values decide it (questions left out)."""
    from cxdash.imports.scales import decide_scales

    return {d.group: d.scale for d in decide_scales(mapping, sample, labels) if d.scale is not None}


def auto_map(kind: str, layout: Layout, sample: pd.DataFrame, catalog: list[CatalogEntry]) -> Mapping:
    """Propose a mapping for a file from its header layout, a sample of its rows and the touchpoint catalog."""
    columns, labels = layout.columns, layout.labels
    mapping = Mapping(kind=kind, source=layout.name if layout.name != PLAIN else "file")
    free = columns
    if kind == "surveys":
        mapping.touchpoints, _ = match_touchpoint_columns(columns, labels, catalog)
        taken = set(mapping.used_columns())
        free = [c for c in columns if c not in taken]
    assigned = _assign_fields(kind, free, labels, long_ok=True)
    if kind == "surveys" and "touchpoint" not in assigned:
        assigned = {k: v for k, v in assigned.items() if k not in LONG_FIELDS}
    if kind == "surveys" and "touchpoint" in assigned:
        mapping.touchpoints = []
    mapping.columns = assigned
    mapping.scales = detect_scales(mapping, sample)
    return mapping


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
