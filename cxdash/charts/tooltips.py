"""Tooltips titled from the translation catalogs, written one short spec per field instead of one call each."""

from __future__ import annotations

import altair as alt

from cxdash.i18n import t


def tooltips(lang: str, prefix: str, *specs: str) -> list[alt.Tooltip]:
    """One tooltip per spec ``"field:T[=key][|format]"``, titled by the catalog key ``prefix.key`` (``key``
    defaults to the field's name) in ``lang``; ``format`` is the d3 number format, when given."""
    out = []
    for spec in specs:
        head, _, fmt = spec.partition("|")
        field, _, key = head.partition("=")
        name = field.split(":", 1)[0]
        out.append(alt.Tooltip(field, title=t(f"{prefix}.{key or name}", lang), format=fmt or alt.Undefined))
    return out
