"""The churn rule control and the churn notes, shared by the overview, tiers and drivers pages (issues 19.5, 20.5).

The control chooses the rule for the session's views without touching the stored setting: until the user picks
one, :func:`churn_mode` is None and every figure uses the rule in force
(:func:`cxdash.metrics.loyalty.churn_definition.churn_rule`), whose source the notes name.
"""

from __future__ import annotations

import streamlit as st

from cxdash.metrics.loyalty.churn_definition import MODES
from cxdash.metrics.loyalty.churn_notes import ChurnNote
from cxdash.ui.context import get_context, tr

MODE_KEY, PICK_KEY = "churn_mode", "churn_mode_pick"


def churn_mode() -> str | None:
    """The rule the user chose for this session (None: the rule in force)."""
    mode = st.session_state.get(MODE_KEY)
    return mode if mode in MODES else None


def churn_control(note: ChurnNote, key_suffix: str = "") -> None:
    """The "Churn rule" control (showing the rule the figures use) and the notes beside the figure: which rule,
    why, how to switch, left-censoring, why a result is empty (our sentences with dates and counts, no user
    text)."""
    key = PICK_KEY + key_suffix
    if key not in st.session_state:
        st.session_state[key] = note.definition.mode
    st.segmented_control(tr("loyalty.churn.control"), list(MODES), key=key, required=True, help=tr("loyalty.churn.control.help"),
                         format_func=lambda m: tr(f"loyalty.churn.control.{m}"),
                         on_change=lambda: st.session_state.__setitem__(MODE_KEY, st.session_state.get(key)))
    for line in note.lines(get_context().lang):
        st.caption(line)
