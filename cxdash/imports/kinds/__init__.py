"""The kinds of upload, each declared once in its own module (:class:`ImportKind`), and their lookups.

Adding a kind is one module here (its fields, loader, checks, template and written tables, see
docs/import-formats.md) plus its catalog keys (``imports.kind.<kind>`` and ``imports.field.<field>``), and one
line in :data:`ALL`. Everything else (pipeline, validation, templates, CLI, upload page) reads this list.
"""

from __future__ import annotations

from cxdash.imports.fields import Field
from cxdash.imports.kinds.catalog import CATALOG
from cxdash.imports.kinds.customers import CUSTOMERS
from cxdash.imports.kinds.declaration import ImportKind
from cxdash.imports.kinds.inspections import INSPECTIONS
from cxdash.imports.kinds.surveys import SURVEYS
from cxdash.imports.kinds.tickets import TICKETS

# In the order the upload page offers them.
ALL: tuple[ImportKind, ...] = (SURVEYS, TICKETS, CUSTOMERS, INSPECTIONS, CATALOG)
BY_NAME: dict[str, ImportKind] = {k.name: k for k in ALL}
KINDS: tuple[str, ...] = tuple(BY_NAME)
# Other names the CLI accepts, to the kind's name.
ALIASES: dict[str, str] = {alias: k.name for k in ALL for alias in k.aliases}

__all__ = ["ALIASES", "ALL", "BY_NAME", "KINDS", "ImportKind", "field", "fields", "get_kind", "has_times",
           "resolve"]


def get_kind(name: str) -> ImportKind:
    """The declaration of a kind by name.

    Raises:
        ValueError: unknown kind.
    """
    kind = BY_NAME.get(name)
    if kind is None:
        raise ValueError(f"unknown import kind {name!r}; expected one of {', '.join(KINDS)}")
    return kind


def resolve(name: str) -> str:
    """A kind's name from its name or an alias (``survey`` -> ``surveys``); other names are returned as given."""
    return ALIASES.get(name, name)


def fields(kind: str) -> list[Field]:
    """The fields of an upload kind.

    Raises:
        ValueError: unknown kind.
    """
    return list(get_kind(kind).fields)


def field(kind: str, name: str) -> Field:
    """One field of a kind by name."""
    return get_kind(kind).field(name)


def has_times(kind: str) -> bool:
    """Whether an upload kind has date-time fields (the time zone choice applies to it)."""
    return get_kind(kind).has_times
