"""Voice of the customer: comment themes ranked by how much more often detractors use them than promoters,
per tier and touchpoint, emerging themes; clicking a theme lists its comments as plain text."""

from __future__ import annotations

from functools import partial

import streamlit as st

from cxdash.charts.loyalty import themes_chart
from cxdash.formatting import display_frame
from cxdash.i18n import t
from cxdash.metrics.themes import theme_comments, voice
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain
from cxdash.ui.widgets import download_buttons, show_error

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


def _themes(v) -> None:  # noqa: ANN001 - a cxdash.metrics.themes.Voice
    st.caption(tr("loyalty.voice.sizes", comments=f"{v.comments:,}", sampled=f"{v.sampled:,}",
                  detractors=f"{v.detractors:,}", promoters=f"{v.promoters:,}"))
    if v.themes.empty:
        st.info(tr("loyalty.no_data"))
        return
    complaints, praise = st.tabs([tr("loyalty.voice.complaints"), tr("loyalty.voice.praise")])
    with complaints:
        st.altair_chart(themes_chart(v.themes, lang), key="voc_chart", on_select=partial(_pick_from_chart, "voc_chart"),
                        selection_mode="theme", width="stretch")
        st.caption(tr("loyalty.voice.click"))
        st.dataframe(display_frame(v.themes, lang), hide_index=True, key="voc_table", selection_mode="single-row",
                     on_select=partial(_pick_from_table, "voc_table", v.themes["term"].tolist()),
                     column_config={c: tr(f"loyalty.col.{c}") for c in v.themes.columns})
    with praise:
        praise_rows = v.themes.sort_values("lift").head(20)
        st.dataframe(display_frame(praise_rows, lang), hide_index=True, key="voc_praise", selection_mode="single-row",
                     on_select=partial(_pick_from_table, "voc_praise", praise_rows["term"].tolist()),
                     column_config={c: tr(f"loyalty.col.{c}") for c in v.themes.columns})
    download_buttons(v.themes, "themes")


def _groups(v) -> None:  # noqa: ANN001 - a cxdash.metrics.themes.Voice
    by_tier, by_tp, emerging = st.tabs([tr("loyalty.voice.by_tier"), tr("loyalty.voice.by_touchpoint"),
                                        tr("loyalty.voice.emerging")])
    tier_rows = v.by_tier.assign(group=[t(f"loyalty.group.{g}", lang) for g in v.by_tier["group"]])
    by_tier.dataframe(display_frame(tier_rows, lang), hide_index=True, column_config={c: tr(f"loyalty.col.{c}") for c in tier_rows.columns})
    by_tp.dataframe(display_frame(v.by_touchpoint, lang), hide_index=True,
                    column_config={c: tr(f"loyalty.col.{c}") for c in v.by_touchpoint.columns})
    emerging.caption(tr("loyalty.help.emerging", n=f"{v.previous_sampled:,}"))
    emerging.dataframe(display_frame(v.emerging, lang), hide_index=True, column_config={c: tr(f"loyalty.col.{c}") for c in v.emerging.columns})


def _comments() -> None:
    term = st.text_input(tr("loyalty.voice.term"), key=TERM_KEY, help=tr("loyalty.help.term"))
    if not term:
        return
    rows = cached(theme_comments, ctx.filters, term, 100)
    st.subheader(tr("loyalty.voice.comments_of", term=plain(term), n=len(rows)))
    # Customers' words are data, never markup: a dataframe shows them as plain text.
    shown = rows.assign(tier=[t(f"loyalty.group.{g}", lang) for g in rows["tier"]])
    st.dataframe(display_frame(shown, lang), hide_index=True, column_config={c: tr(f"loyalty.col.{c}") for c in shown.columns})
    download_buttons(rows, "theme_comments")


st.title(tr("loyalty.page.voice"))
try:
    result = cached(voice, ctx.filters, lang)
    st.caption(tr("loyalty.help.themes"))
    _themes(result)
    _groups(result)
    _comments()
except Exception as exc:  # noqa: BLE001 - any failure becomes a translated message instead of a stack trace
    show_error(exc)
