"""Translation catalogs for English, Simplified and Traditional Chinese.

Catalogs are JSON files in ``catalogs/``, one per area of the app, each key holding its three translations side
by side (``{"overview.title": {"en": ..., "zh-Hans": ..., "zh-Hant": ...}}``) so a missing translation is visible
in review. ``t()`` formats with ``str.format`` keyword arguments.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGUAGES: dict[str, str] = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}
DEFAULT_LANGUAGE = "en"
CATALOG_DIR = Path(__file__).resolve().parent / "catalogs"


class CatalogError(ValueError):
    """A catalog is malformed: a key defined twice or a language missing."""


@lru_cache(maxsize=1)
def catalog() -> dict[str, dict[str, str]]:
    """Load and merge every catalog file; raise :class:`CatalogError` on a duplicate key."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(CATALOG_DIR.glob("*.json")):
        entries = json.loads(path.read_text(encoding="utf-8"))
        for key, texts in entries.items():
            if key in merged:
                raise CatalogError(f"{path.name}: key {key!r} is defined in another catalog too")
            merged[key] = texts
    return merged


def missing_translations() -> list[tuple[str, str]]:
    """Return ``(key, language)`` pairs that lack a non-empty translation."""
    return [
        (key, lang)
        for key, texts in catalog().items()
        for lang in LANGUAGES
        if not isinstance(texts.get(lang), str) or not texts[lang].strip()
    ]


def normalise_language(lang: str | None) -> str:
    """Map a requested language (from the URL, a header or the CLI) to a supported one."""
    if not lang:
        return DEFAULT_LANGUAGE
    low = lang.replace("_", "-").lower()
    if low in ("zh-hant", "zh-tw", "zh-hk", "zh-mo"):
        return "zh-Hant"
    if low.startswith("zh"):
        return "zh-Hans"
    return DEFAULT_LANGUAGE if low not in ("en",) and not low.startswith("en") else "en"


def t(key: str, lang: str = DEFAULT_LANGUAGE, **kwargs: object) -> str:
    """Translate ``key`` into ``lang`` and format it with ``kwargs``.

    An unknown key raises ``KeyError`` so tests catch it; a language without a text falls back to English.
    """
    texts = catalog()[key]
    text = texts.get(lang) or texts["en"]
    return text.format(**kwargs) if kwargs else text


def name_column(lang: str) -> str:
    """The column holding names in ``lang`` on catalog tables (stage, touchpoint, region)."""
    return {"zh-Hans": "name_zh_hans", "zh-Hant": "name_zh_hant"}.get(lang, "name_en")


def localized(texts: dict[str, str] | None, lang: str) -> str:
    """Pick ``lang`` from a ``{"en": ..., "zh-Hans": ..., "zh-Hant": ...}`` value, falling back to English."""
    if not texts:
        return ""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")
