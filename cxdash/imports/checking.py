"""What a row check sees: the validator's interface, its options and the units it found missing.

The checks of each kind (:mod:`cxdash.imports.kinds`) and the reference checks (:mod:`cxdash.imports.rules`)
work on a :class:`RowChecker`; :class:`cxdash.imports.validation.Validator` is the one that exists. Declared here,
below both, so the kinds need not import the validator that runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pandas as pd

from cxdash.imports.fields import Field
from cxdash.imports.mapping_types import Mapping
from cxdash.imports.refs import NearMatch, Refs


@dataclass(frozen=True)
class Options:
    """How strictly to validate: whether unknown sites, teams and people may be created, and "now"."""

    create_missing: bool = False
    now: datetime | None = None
    max_errors: int = 100_000
    confirmed_new: frozenset[str] = frozenset()  # near-duplicates to create anyway (NearMatch.key)


@dataclass
class Unknown:
    """Organisation units the file names and the database lacks (created on load when allowed)."""

    regions: set[str] = field(default_factory=set)
    sites: set[str] = field(default_factory=set)
    teams: set[tuple[str, str]] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    near: dict[str, NearMatch | None] = field(default_factory=dict)  # by near_key; None: checked, nothing near

    def counts(self) -> dict[str, int]:
        """How many of each."""
        return {"regions": len(self.regions), "sites": len(self.sites), "teams": len(self.teams),
                "people": len(self.people)}


class RowChecker(Protocol):
    """The validator as the row checks use it (one chunk at a time)."""

    mapping: Mapping
    refs: Refs
    options: Options
    unknown: Unknown
    fields: dict[str, Field]

    def flag(self, mask: pd.Series, column: str, values: pd.Series, reason: str, detail: object = "") -> None:
        """Record row errors where ``mask`` is true and mark those rows bad."""

    def answer(self, check: Callable[..., pd.Series], *args: Any) -> pd.Series:
        """Run a check of an optional answer whose bad cells reject only themselves."""

    def na_rows(self) -> pd.Series:
        """Rows of the chunk with a not-applicable answer."""

    def bad_rows(self) -> pd.Series:
        """Rows of the chunk rejected so far."""

    def score(self, name: str, col: str, values: pd.Series) -> pd.Series:
        """Scores of field ``name`` on its scale."""

    def number(self, col: str, values: pd.Series) -> pd.Series:
        """Plain numbers."""


# A kind's own checks: the rows' derived columns are filled in the output frame (chunk as read, output so far).
KindCheck = Callable[[RowChecker, pd.DataFrame, pd.DataFrame], None]
