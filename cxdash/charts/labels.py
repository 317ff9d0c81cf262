"""Axis labels that stay tellable apart when long.

Team names read "<site> / <team>": a plain label limit cuts the end, so two teams of one site both showed as
"Suzhou Industrial Park Auto Service 苏州..." at 1440 px. :func:`middle_ellipsis` keeps the start and the end of
a long label and drops its middle; the full name stays in the tooltip.
"""

from __future__ import annotations


def middle_ellipsis(max_chars: int = 46, head: int = 20) -> str:
    """A Vega ``labelExpr`` that shortens a label longer than ``max_chars`` to its first ``head`` characters, "…",
    and its last ``max_chars - head - 1`` characters."""
    tail = max_chars - head - 1
    return (f"length(datum.label) > {max_chars} ? substring(datum.label, 0, {head}) + '…' + "
            f"substring(datum.label, length(datum.label) - {tail}) : datum.label")
