"""One palette for every chart, and colour encodings keyed by a category's stored code.

A colour scale over translated labels takes its order from the labels, and Vega-Lite sorts labels alphabetically
unless told otherwise, so the same category used to change colour with the language (#20.4: "lowers churn" red in
English, "raises churn" green in Chinese). Here every categorical colour is keyed by the category's *code* with an
explicit domain (the codes, in a fixed order) and range (their colours); the translated label is only the legend's
text (a label expression), so each category has one colour everywhere, in every language.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import altair as alt

from cxdash.domain.tiers import TIER_NAMES
from cxdash.i18n import t

GOOD, BAD, NEUTRAL = "#2e7d32", "#c62828", "#607d8b"
MUTED, WARN, INFO = "#9e9e9e", "#ef6c00", "#90caf9"

# The one tier palette, in the tiers' order (disappointed, basic, delighted, none); "none" grey enough to read
# as a line (the survival curves) as well as a bar.
TIER_COLOURS = dict(zip(TIER_NAMES, (BAD, "#7f8c9b", GOOD, "#bdbdbd"), strict=True))
# Survival curves: the tiers plus everyone together.
GROUP_COLOURS = {**TIER_COLOURS, "all": "#212121"}
# Odds ratios for churn: a factor that raises churn is bad news.
DIRECTION_COLOURS = {"raises": BAD, "lowers": GOOD, "unclear": NEUTRAL}
CHANGE_COLOURS = {"first": NEUTRAL, "significant": WARN, "within_noise": MUTED}
VERDICT_COLOURS = {"improved": GOOD, "no_change": MUTED, "worse": BAD, "insufficient": "#bdbdbd", "pending": INFO}
QUADRANT_COLOURS = {"concentrate": BAD, "keep_up": GOOD, "low_priority": "#95a5a6", "overkill": "#e67e22"}
SAMPLE_COLOURS = {"enough": NEUTRAL, "low": "#b0bec5"}
FAILURE_KIND_COLOURS = {"ref": GOOD, "failure": BAD}
DRIVER_KIND_COLOURS = {"touchpoint": "#1f77b4", "effort": WARN}
SLA_STATE_COLOURS = {"breached": BAD, "in_time": "#9ecae1"}
SERVICE_COLOURS = {"first_response_rate": "#1f77b4", "resolution_rate": "#ff7f0e", "ftf_rate": "#2ca02c",
                   "reopen_rate": "#d62728", "repeat_rate": "#9467bd"}
OVERVIEW_SERVICE_COLOURS = {"sla_first_response": SERVICE_COLOURS["first_response_rate"],
                            "sla_resolution": SERVICE_COLOURS["resolution_rate"], "ftf": SERVICE_COLOURS["ftf_rate"]}


def label_expr(labels: Mapping[str, str]) -> str:
    """A Vega expression showing ``labels[code]`` for a legend or axis entry (the code itself when unknown)."""
    expr = "datum.value"
    for code, label in reversed(list(labels.items())):
        # JSON string literals are valid Vega expression strings (quotes and backslashes escaped).
        code_s, label_s = json.dumps(code, ensure_ascii=False), json.dumps(label, ensure_ascii=False)
        expr = f"datum.value === {code_s} ? {label_s} : ({expr})"
    return expr


def coded_colour(field: str, colours: Mapping[str, str], labels: Mapping[str, str], title: str | None = None,
                 legend: bool = True) -> alt.Color:
    """A nominal colour on the code column ``field``: domain the codes of ``colours`` in their order, range their
    colours, legend entries the translated ``labels``."""
    scale = alt.Scale(domain=list(colours), range=list(colours.values()))
    if not legend:
        return alt.Color(f"{field}:N", scale=scale, legend=None)
    return alt.Color(f"{field}:N", scale=scale, title=title, sort=list(colours),
                     legend=alt.Legend(labelExpr=label_expr(labels)))


def labels_for(prefix: str, codes: Mapping[str, str] | tuple[str, ...], lang: str) -> dict[str, str]:
    """``{code: t(prefix.code)}`` for each code."""
    return {code: t(f"{prefix}.{code}", lang) for code in codes}
