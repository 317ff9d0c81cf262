"""A column mapping as data: which column holds which field, touchpoint columns, scales (JSON-serialisable).

Kept apart from :mod:`cxdash.imports.mapping` (which proposes mappings and needs the kinds' fields) so the loaders,
the reference lookups and the scale decisions can use a mapping without the kinds that use them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any


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
    # One visit date (ISO) for every row without its own: a survey wave whose file has no date column.
    visit_date: str | None = None
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

    def unmap(self, column: str) -> None:
        """Stop reading ``column``: remove it from every field and touchpoint it was mapped to."""
        self.columns = {name: col for name, col in self.columns.items() if col != column}
        for tp in self.all_touchpoints():
            for slot in ("p", "e", "importance"):
                if getattr(tp, slot) == column:
                    setattr(tp, slot, None)
        self.touchpoints = [tp for tp in self.touchpoints if tp.p or tp.e or tp.importance]
        self.new_touchpoints = [tp for tp in self.new_touchpoints if tp.p or tp.e or tp.importance]

    def assign(self, name: str, column: str) -> None:
        """Map ``column`` to the field ``name`` (and to nothing else)."""
        self.unmap(column)
        self.columns[name] = column

    def identified_by_content(self) -> bool:
        """Whether rows are identified by their whole content (a kind with optional ids and no id column)."""
        return self.kind in ("surveys", "inspections") and "external_id" not in self.columns

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
            visit_date=data.get("visit_date"),
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
