"""What an upload kind is, in one declaration: :class:`ImportKind`.

Each kind is one module of this package declaring one :class:`ImportKind`; the package lists them
(:mod:`cxdash.imports.kinds`). The pipeline, validation, templates, the CLI and the upload page read everything
kind-specific from the declaration: its fields, its loader, its row checks, its template, the tables it writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from cxdash.imports.checking import KindCheck
from cxdash.imports.fields import Field
from cxdash.imports.loading import LoadContext

# The catalog keys of a kind's name and of its fields' names: imports.kind.<kind>, imports.field.<field>.
CATALOG_PREFIX = "imports"
# Every kind may create the organisation units it names (cxdash.imports.refs) and writes its batch record.
ORG_TABLES = ("region", "site", "team", "person", "import_batch")


class Loader(Protocol):
    """Writes the valid rows of an upload, chunk by chunk, inside the import's transaction."""

    def add(self, frame: pd.DataFrame) -> None:
        """Stage or write one chunk of valid rows."""

    def finish(self) -> None:
        """Write what is staged (called once, after the last chunk)."""


# (English header, Chinese header, example value) of one template column.
TemplateColumn = tuple[str, str, object]


@dataclass(frozen=True)
class ImportKind:
    """One kind of upload: everything the pipeline, the checks, the templates and the interfaces need of it."""

    name: str  # stored in import_batch.kind and in saved mappings: never renamed
    fields: tuple[Field, ...]
    loader: Callable[[LoadContext], Loader]
    check: KindCheck  # the kind's own row checks, after the column-by-column ones (fills derived columns)
    template: tuple[TemplateColumn, ...]
    # Tables a load writes (their planner statistics go stale); the organisation's and the batch's included.
    written_tables: tuple[str, ...]
    # Other names the CLI accepts (``import survey``).
    aliases: tuple[str, ...] = ()
    # Tables whose declared column lengths bound the fields' text (PostgreSQL refuses longer text).
    stored_in: tuple[str, ...] = ()
    # Columns the template adds after its own (survey touchpoints: from the catalog), by header language.
    template_extra: Callable[[str], list[tuple[str, object]]] | None = None

    @property
    def label_key(self) -> str:
        """The catalog key of the kind's name (the upload page's picker, the import history)."""
        return f"{CATALOG_PREFIX}.kind.{self.name}"

    def field_key(self, field_name: str) -> str:
        """The catalog key of one field's name."""
        return f"{CATALOG_PREFIX}.field.{field_name}"

    def catalog_keys(self) -> list[str]:
        """Every catalog key the kind needs: its name and its fields' names."""
        return [self.label_key, *(self.field_key(f.name) for f in self.fields)]

    def field(self, name: str) -> Field:
        """One field by name.

        Raises:
            StopIteration: no such field.
        """
        return next(f for f in self.fields if f.name == name)

    @property
    def has_times(self) -> bool:
        """Whether the kind has date-time fields (the time zone choice applies to it)."""
        return any(f.type == "datetime" for f in self.fields)
