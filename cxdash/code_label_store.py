"""The deployment's names of its own codes, stored in the ``codes.labels`` setting (write side of
:mod:`cxdash.code_labels`, kept apart so naming a code never needs the database)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from cxdash.audit import record_audit
from cxdash.code_labels import PREFIXES, use_labels
from cxdash.db import get_setting, put_setting
from cxdash.i18n import LANGUAGES

SETTING = "codes.labels"


def stored_labels(engine: Engine) -> dict[str, dict[str, dict[str, str]]]:
    """The deployment's code names as stored (``{kind: {code: {lang: name}}}``)."""
    with engine.connect() as conn:
        value = get_setting(conn, SETTING, {})
    return value if isinstance(value, dict) else {}


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
