"""Voice of the customer: comment themes ranked by how much more often detractors use them than promoters,
per tier and touchpoint, emerging themes; clicking a theme lists its comments as plain text."""

from __future__ import annotations

from functools import partial

import streamlit as st

from cxdash.charts.loyalty import themes_chart
from cxdash.formatting import display_frame
from cxdash.i18n import t
from cxdash.metrics.loyalty.themes import MIN_COUNT
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain
from cxdash.ui.url_state import from_url, to_url
from cxdash.ui.widgets import download_buttons, show_error
from cxdash.views.voice import comments_view, voice_view

TERM_KEY = "voc_term"
ctx = get_context()
lang = ctx.lang


def _pick_from_chart(chart_key: str) -> None:
    points = st.session_state[chart_key].selection.get("theme") or []
    if points:
        st.session_state[TERM_KEY] = str(points[0].get("term", ""))


def _pick_from_table(table_key: str, terms: list[str]) -> None:
    rows = st.session_state[table_key].selection.rows
    if rows:
        st.session_state[TERM_KEY] = terms[rows[0]]


# Lifts and shares carry their definition as column help, one click away; simple local formats (the shared
# number formatter is another branch's work).
_NUMBER_COLUMNS = {"lift": "%.2f", "lift_low": "%.2f", "lift_high": "%.2f", "group_lift": "%.2f",
                   "group_share": "percent", "detractor_share": "percent", "promoter_share": "percent"}
_HELP_COLUMNS = ("lift", "lift_low", "lift_high", "group_lift", "group_share")


def _columns(columns) -> dict:  # noqa: ANN001 - a pandas Index
    cfg: dict = {}
    for c in columns:
        label = tr(f"loyalty.col.{c}")
        if c in _NUMBER_COLUMNS:  # written by cxdash.formatting (display_frame); the definition one click away
            cfg[c] = st.column_config.Column(label, help=tr(f"loyalty.help.col.{c}") if c in _HELP_COLUMNS else None)
        else:
            cfg[c] = label
    return cfg


def _themes(v) -> None:  # noqa: ANN001 - a cxdash.metrics.loyalty.themes.Voice
    st.caption(tr("loyalty.voice.sizes", comments=f"{v.comments:,}", sampled=f"{v.sampled:,}",
                  detractors=f"{v.detractors:,}", promoters=f"{v.promoters:,}"))
    if v.themes.empty:
        st.info(tr("loyalty.no_data"))
        return
    st.caption(tr("loyalty.voice.complaint_rule", min=MIN_COUNT))
    complaints, praise = st.tabs([tr("loyalty.voice.complaints"), tr("loyalty.voice.praise")])
    with complaints:
        if v.complaints.empty:
            st.info(tr("loyalty.voice.no_complaints", n=f"{v.detractors:,}", min=MIN_COUNT))
        else:
            st.altair_chart(themes_chart(v.complaints, lang), key="voc_chart",
                            on_select=partial(_pick_from_chart, "voc_chart"), selection_mode="theme", width="stretch")
            st.caption(tr("loyalty.voice.click"))
            st.dataframe(display_frame(v.complaints, lang), hide_index=True, key="voc_table", selection_mode="single-row",
                         on_select=partial(_pick_from_table, "voc_table", v.complaints["term"].tolist()),
                         column_config=_columns(v.complaints.columns))
    with praise:
        if v.praise.empty:
            st.info(tr("loyalty.voice.no_praise", n=f"{v.promoters:,}", min=MIN_COUNT))
        else:
            praise_rows = v.praise.head(20)
            st.dataframe(display_frame(praise_rows, lang), hide_index=True, key="voc_praise", selection_mode="single-row",
                         on_select=partial(_pick_from_table, "voc_praise", praise_rows["term"].tolist()),
                         column_config=_columns(praise_rows.columns))
    download_buttons(v.themes, "themes")


def _groups(v) -> None:  # noqa: ANN001 - a cxdash.metrics.loyalty.themes.Voice
    by_tier, by_tp, emerging = st.tabs([tr("loyalty.voice.by_tier"), tr("loyalty.voice.by_touchpoint"),
                                        tr("loyalty.voice.emerging")])
    tier_rows = v.by_tier.assign(group=[t(f"loyalty.group.{g}", lang) for g in v.by_tier["group"]])
    by_tier.dataframe(display_frame(tier_rows, lang), hide_index=True, column_config=_columns(tier_rows.columns))
    by_tp.dataframe(display_frame(v.by_touchpoint, lang), hide_index=True, column_config=_columns(v.by_touchpoint.columns))
    emerging.caption(tr("loyalty.help.emerging", n=f"{v.previous_sampled:,}"))
    emerging.dataframe(display_frame(v.emerging, lang), hide_index=True, column_config=_columns(v.emerging.columns))


def _comments() -> None:
    term = st.text_input(tr("loyalty.voice.term"), key=TERM_KEY, help=tr("loyalty.help.term"))
    if not term:
        return
    rows = cached(comments_view, ctx.filters, lang, term=term).rows
    st.subheader(tr("loyalty.voice.comments_of", term=plain(term), n=len(rows)))
    # Customers' words are data, never markup: a dataframe shows them as plain text.
    shown = rows.assign(tier=[t(f"loyalty.group.{g}", lang) for g in rows["tier"]])
    st.dataframe(display_frame(shown, lang), hide_index=True, column_config={c: tr(f"loyalty.col.{c}") for c in shown.columns})
    download_buttons(rows, "theme_comments")


from_url(TERM_KEY, None, "")  # the chosen theme is in the URL, so a copied link lists the same comments
st.title(tr("loyalty.page.voice"))
try:
    result = cached(voice_view, ctx.filters, lang).voice
    st.caption(tr("loyalty.help.themes"))
    _themes(result)
    _groups(result)
    _comments()
except Exception as exc:  # noqa: BLE001 - any failure becomes a translated message instead of a stack trace
    show_error(exc)
to_url({TERM_KEY: ""})
