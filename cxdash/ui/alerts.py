"""Streamlit helpers of the alert rules page: the parameter inputs of each rule kind and refused rules' messages.

Every kind has its own inputs (a threshold, a touchpoint and gap, keywords, which SLA clock, a KPI and level);
their keys carry the kind and the rule being edited, so switching either shows that one's values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from cxdash.alerts import DEFAULT_MIN_N, KPI_CHOICES, LEVELS
from cxdash.i18n import catalog, t
from cxdash.ui.context import current_lang, tr
from cxdash.ui.text import plain

WHICH = ("first_response", "resolution", "either")
_SPLIT = re.compile(r"[\n,，、;；]+")


def split_words(text: str) -> list[str]:
    """Keywords or theme words typed one per line or separated by commas (Chinese commas too), blanks dropped,
    each once in the order typed."""
    seen: dict[str, None] = {}
    for word in _SPLIT.split((text or "").replace("\x00", "")):  # PostgreSQL refuses NUL in text
        word = word.strip()
        if word:
            seen.setdefault(word, None)
    return list(seen)


def _int(params: Mapping[str, Any], name: str, default: int) -> int:
    try:
        return int(params.get(name, default))
    except (TypeError, ValueError):
        return default


def _float(params: Mapping[str, Any], name: str, default: float) -> float:
    try:
        return float(params.get(name, default))
    except (TypeError, ValueError):
        return default


def _index(options: Sequence[Any], value: Any) -> int:
    return list(options).index(value) if value in options else 0


def param_inputs(kind: str, params: Mapping[str, Any], suffix: str, touchpoints: Sequence[tuple[int, str]],
                 team_scope: bool = False) -> dict[str, Any]:
    """Draw the inputs of a rule of ``kind`` filled from ``params``; return the parameters as entered.

    ``suffix`` tells apart the rule being edited; ``team_scope`` (a rule limited to one team) fixes a KPI rule's
    level to the team.
    """
    lang = current_lang()

    def key(name: str) -> str:
        return f"alerts_p_{kind}_{name}_{suffix}"

    if kind == "ltr_at_most":
        value = st.number_input(tr("alerts.param.ltr_threshold"), 0, 10, min(10, max(0, _int(params, "threshold", 6))),
                                1, key=key("threshold"))
        return {"threshold": int(value)}
    if kind == "csat_at_most":
        value = st.number_input(tr("alerts.param.csat_threshold"), 1, 5, min(5, max(1, _int(params, "threshold", 2))),
                                1, key=key("threshold"))
        return {"threshold": int(value)}
    if kind == "touchpoint_gap":
        ids: list[int | None] = [None, *(i for i, _ in touchpoints)]
        names = dict(touchpoints)
        tp = st.selectbox(tr("alerts.param.touchpoint"), ids, index=_index(ids, params.get("touchpoint_id")),
                          format_func=lambda i: t("alerts.param.touchpoint_any", lang) if i is None else names[i],
                          key=key("touchpoint"))
        gap = st.number_input(tr("alerts.param.min_gap"), 0.1, 100.0, max(0.1, _float(params, "min_gap", 2.0)), 0.5,
                              key=key("min_gap"))
        return {"touchpoint_id": tp, "min_gap": float(gap)}
    if kind == "comment_keywords":
        words = st.text_area(tr("alerts.param.keywords"), "\n".join(map(str, params.get("keywords") or [])),
                             key=key("keywords"), max_chars=2000)
        themes = st.text_area(tr("alerts.param.themes"), "\n".join(map(str, params.get("themes") or [])),
                              key=key("themes"), max_chars=2000)
        return {"keywords": split_words(words), "themes": split_words(themes)}
    if kind == "repeat_contact":
        value = st.number_input(tr("alerts.param.min_contacts"), 2, 50, min(50, max(2, _int(params, "min_contacts", 2))),
                                1, key=key("min_contacts"))
        return {"min_contacts": int(value)}
    if kind in ("ticket_at_risk", "ticket_breached"):
        which = st.selectbox(tr("alerts.param.which"), WHICH, index=_index(WHICH, params.get("which", "either")),
                             format_func=lambda w: t(f"alerts.param.which.{w}", lang), key=key("which"))
        return {"which": which}
    if kind == "ticket_chased":
        value = st.number_input(tr("alerts.param.times"), 1, 100, min(100, max(1, _int(params, "times", 2))), 1,
                                key=key("times"))
        return {"times": int(value)}
    if kind in ("kpi_below_target", "kpi_significant_drop"):
        return _kpi_inputs(params, key, team_scope)
    return {}


def _kpi_inputs(params: Mapping[str, Any], key: Any, team_scope: bool) -> dict[str, Any]:
    lang = current_lang()
    st.caption(tr("alerts.param.kpi_help"))
    kpi = st.selectbox(tr("alerts.param.kpi"), KPI_CHOICES, index=_index(KPI_CHOICES, params.get("kpi", "nps")),
                       format_func=lambda k: t(f"overview.kpi.{k}.title", lang), key=key("kpi"))
    level = st.selectbox(tr("alerts.param.level"), LEVELS,
                         index=_index(LEVELS, "team" if team_scope else params.get("level", "site")),
                         format_func=lambda v: t(f"alerts.param.level.{v}", lang), key=key(f"level_{team_scope}"),
                         disabled=team_scope)
    min_n = st.number_input(tr("alerts.param.min_n"), 1, 100000, max(1, _int(params, "min_n", DEFAULT_MIN_N)), 1,
                            key=key("min_n"))
    return {"kpi": kpi, "level": level, "min_n": int(min_n)}


def params_text(kind: str, params: Mapping[str, Any], touchpoints: Mapping[int, str]) -> str:
    """A rule's parameters as a short line in the page's language (``≤ 6``; ``NPS · Team · n ≥ 10``; the
    keywords ...), for the list of rules. Unknown or missing values show as stored."""
    lang = current_lang()
    p = dict(params)
    if kind in ("ltr_at_most", "csat_at_most"):
        return f"≤ {p.get('threshold', '')}"
    if kind == "touchpoint_gap":
        tp = p.get("touchpoint_id")
        where = t("alerts.param.touchpoint_any", lang) if tp is None else touchpoints.get(_int(p, "touchpoint_id", -1),
                                                                                         str(tp))
        return f"{where} · ≥ {p.get('min_gap', '')}"
    if kind == "comment_keywords":
        return ", ".join(map(str, [*(p.get("keywords") or []), *(p.get("themes") or [])]))
    if kind == "repeat_contact":
        return f"≥ {p.get('min_contacts', '')}"
    if kind in ("ticket_at_risk", "ticket_breached"):
        which = p.get("which", "either")
        return t(f"alerts.param.which.{which}", lang) if which in WHICH else str(which)
    if kind == "ticket_chased":
        return f"≥ {p.get('times', '')}"
    if kind in ("kpi_below_target", "kpi_significant_drop"):
        kpi, level = p.get("kpi", "nps"), p.get("level", "site")
        parts = [t(f"overview.kpi.{kpi}.title", lang) if kpi in KPI_CHOICES else str(kpi),
                 t(f"alerts.param.level.{level}", lang) if level in LEVELS else str(level),
                 f"n ≥ {_int(p, 'min_n', DEFAULT_MIN_N)}"]
        return " · ".join(parts)
    return ""


def error_text(key: str | None, params: Mapping[str, Any] | None, fallback: object) -> str:
    """A refused rule's message in the page's language: its catalog key filled with its parameters (escaped so
    they show as typed), else the error's own text escaped."""
    if key and key in catalog():
        return tr(key, **{k: plain(v) for k, v in (params or {}).items()})
    return plain(fallback)
