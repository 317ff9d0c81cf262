"""Display names of the codes users upload (channel, segment, ticket category, priority, status) in each language.

Uploaded files carry codes (``app``, ``fleet``, ``complaint``, ``urgent``); the store keeps them as uploaded so
filters, URLs and downloads stay stable. Pages show a code's name in the user's language when the catalogs know
the code, and the code itself, as uploaded, when they do not (a customer's own channel "kiosk" stays "kiosk").
Streamlit-free, so chart specs and exports use the same names as the tables.

Codes the catalogs do not know (a deployment's own channel "kiosk", segment "vip") get names from an admin
(``python -m cxdash labels set channel kiosk --lang zh-Hans 自助终端``), stored in the ``codes.labels`` setting
and audited. A name given by the deployment wins over the catalog's. The app loads them once per page run
(:func:`use_labels`), the command line once per command, so every page and report names a code the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cxdash.audit import record_audit
from cxdash.db import get_setting, put_setting
from cxdash.i18n import LANGUAGES, catalog, t

SETTING = "codes.labels"
# The deployment's names: kind -> code (trimmed, lower case) -> language -> name. Replaced whole by use_labels().
_labels: dict[str, dict[str, dict[str, str]]] = {}
# When a name lacks the reader's language: the other Chinese script first, then English, then any.
_FALLBACK = {"en": ("en", "zh-Hans", "zh-Hant"), "zh-Hans": ("zh-Hans", "zh-Hant", "en"),
             "zh-Hant": ("zh-Hant", "zh-Hans", "en")}

# Catalog key prefix of each kind of code (the keys predate this module and live in their areas' catalogs).
PREFIXES: dict[str, str] = {
    "channel": "shell.channel",
    "segment": "shell.segment",
    "priority": "sla.priority",
    "status": "sla.status",
    "category": "codes.category",
    "measure": "loyalty.effort",
}


def code_label(kind: str, code: object, lang: str) -> str:
    """The name of ``code`` of ``kind`` (see :data:`PREFIXES`) in ``lang``; an unknown code as it was uploaded.

    Matching ignores case and surrounding spaces ("App", " app" and "app" are one code); an empty code is "".
    """
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return ""
    text = str(code)
    names = _labels.get(kind, {}).get(text.strip().lower())
    if names:
        for candidate in _FALLBACK.get(lang, _FALLBACK["en"]):
            if names.get(candidate):
                return names[candidate]
    key = f"{PREFIXES[kind]}.{text.strip().lower()}"
    return t(key, lang) if key in catalog() else text


def label_codes(df: pd.DataFrame, columns: Mapping[str, str], lang: str) -> pd.DataFrame:
    """A copy of ``df`` whose code columns (``{"column": "kind"}``; absent columns are skipped) show names."""
    out = df.copy()
    for col, kind in columns.items():
        if col in out.columns:
            out[col] = [code_label(kind, v, lang) if isinstance(v, str) else v for v in out[col]]
    return out


def known_codes(kind: str) -> list[str]:
    """The codes of ``kind`` the catalogs name (for tests and the docs)."""
    prefix = PREFIXES[kind] + "."
    return sorted(k[len(prefix):] for k in catalog() if k.startswith(prefix))


def stored_labels(engine: Engine) -> dict[str, dict[str, dict[str, str]]]:
    """The deployment's code names as stored (``{kind: {code: {lang: name}}}``)."""
    with engine.connect() as conn:
        value = get_setting(conn, SETTING, {})
    return value if isinstance(value, dict) else {}


def use_labels(labels: dict[str, dict[str, dict[str, str]]]) -> None:
    """Name codes with ``labels`` from now on in this process (a page run or a command loads them first)."""
    global _labels
    _labels = labels


def set_label(engine: Engine, kind: str, code: str, lang: str, name: str | None, actor: str | None) -> dict[str, Any]:
    """Give ``code`` of ``kind`` a name in ``lang`` (``None`` or "" removes it); audited; return the code's names.

    Raises:
        ValueError: unknown kind or language, an empty code, or a name over 200 characters.
    """
    if kind not in PREFIXES:
        raise ValueError(f"unknown kind {kind!r}: one of {', '.join(PREFIXES)}")
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGUAGES)}")
    key = str(code).strip().lower()
    if not key:
        raise ValueError("the code is empty")
    text = (name or "").strip()
    if len(text) > 200:
        raise ValueError("the name is longer than 200 characters")
    with engine.begin() as conn:
        labels = get_setting(conn, SETTING, {})
        labels = labels if isinstance(labels, dict) else {}
        names = dict(labels.get(kind, {}).get(key, {}))
        old = names.get(lang)
        if text:
            names[lang] = text
        else:
            names.pop(lang, None)
        codes = dict(labels.get(kind, {}))
        if names:
            codes[key] = names
        else:
            codes.pop(key, None)
        labels = {**labels, kind: codes}
        put_setting(conn, SETTING, labels)  # bumps the data version: cached pages name the code anew
        record_audit(conn, actor, "codes.label", "code", f"{kind}:{key}", {"lang": lang, "old": old, "new": text or None})
    use_labels(labels)
    return names
