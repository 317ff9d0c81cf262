"""Display names of the codes users upload (channel, segment, ticket category, priority, status) in each language.

Uploaded files carry codes (``app``, ``fleet``, ``complaint``, ``urgent``); the store keeps them as uploaded so
filters, URLs and downloads stay stable. Pages show a code's name in the user's language when the catalogs know
the code, and the code itself, as uploaded, when they do not (a customer's own channel "kiosk" stays "kiosk").
Streamlit-free, so chart specs and exports use the same names as the tables.

Codes the catalogs do not know (a deployment's own channel "kiosk", segment "vip") get names from an admin
(``python -m cxdash labels set channel kiosk --lang zh-Hans 自助终端``), stored in the ``codes.labels`` setting
and audited. A name given by the deployment wins over the catalog's. The app loads them once per page run
(:func:`use_labels`; stored by :mod:`cxdash.code_label_store`), the command line once per command, so every page and report names a code the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cxdash.i18n import catalog, t

# The deployment's names: kind -> code (trimmed, lower case) -> language -> name. Replaced whole by use_labels().
_labels: dict[str, dict[str, dict[str, str]]] = {}
# When a name lacks the reader's language: the other Chinese script first, then English, then any.
_FALLBACK = {"en": ("en", "zh-Hans", "zh-Hant"), "zh-Hans": ("zh-Hans", "zh-Hant", "en"),
             "zh-Hant": ("zh-Hant", "zh-Hans", "en")}

# Catalog key prefix of each kind of code (the keys predate this module and live in their areas' catalogs).
PREFIXES: dict[str, str] = {
    "channel": "shell.channel",
    "segment": "shell.segment",
    "priority": "service.priority",
    "status": "service.status",
    "category": "common.codes.category",
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


def use_labels(labels: dict[str, dict[str, dict[str, str]]]) -> None:
    """Name codes with ``labels`` from now on in this process (a page run or a command loads them first)."""
    global _labels
    _labels = labels

