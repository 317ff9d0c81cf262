"""The upload page's confirmation of near-duplicate sites, teams and regions (cxdash.imports.refs.NearMatch).

A check (dry run) lists new names that resemble existing units; their rows are rejected until the user ticks
"create anyway" here, which puts the match's key into ``ImportOptions.confirmed_new`` for the next check and the
load. Matches are remembered per file (``token``) so a confirmed one keeps its box after the next check.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from cxdash.i18n import t
from cxdash.imports.refs import NearMatch
from cxdash.ui.admin import plain

_STORE = "imp_near_matches"


def remember(token: str, matches: list[NearMatch]) -> bool:
    """Keep the check's near matches for this file; True when any is new (the page reruns to show its box)."""
    store: dict[str, dict[str, NearMatch]] = st.session_state.setdefault(_STORE, {})
    known = store.setdefault(token, {})
    new = [m for m in matches if m.key not in known]
    known.update({m.key: m for m in new})
    return bool(new)


def confirmations(token: str, lang: str) -> frozenset[str]:
    """Draw one "create anyway" box per remembered near match of this file; return the keys ticked."""
    matches = st.session_state.get(_STORE, {}).get(token, {})
    if not matches:
        return frozenset()
    st.caption(t("imports.ui.near.title", lang))
    ticked = set()
    for k, m in sorted(matches.items()):
        if m.kind == "team":
            label = t("imports.ui.near.confirm_team", lang, name=m.name, site=m.site or "", candidates=m.candidate_text())
        else:
            label = t("imports.ui.near.confirm", lang, kind=t(f"imports.ui.near.kind.{m.kind}", lang), name=m.name,
                      candidates=m.candidate_text())
        # Names come from the file: escaped so they show as written, never as Markdown.
        box = f"imp_near_{token}_{hashlib.sha256(k.encode()).hexdigest()[:10]}"
        if st.checkbox(plain(label, limit=1000), key=box):
            ticked.add(k)
    return frozenset(ticked)

