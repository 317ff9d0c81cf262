"""Names of organisation units (regions, sites, teams, people) in three languages, and how files refer to them.

Every unit has a code and names in English, Simplified and Traditional Chinese (any of them may be missing), plus
the one name it had before names were split by language (``name``; kept as an alias and as the last fallback).
A file may name a unit by its code or any of its names; the comparison is :func:`norm_key` (Unicode NFKC, so
full-width letters and digits equal half-width ones; case-folded; runs of white space collapsed to one space).

Display picks the user's language, then the nearest other one: zh-Hant -> zh-Hans -> en, zh-Hans -> zh-Hant -> en,
en -> zh-Hans -> zh-Hant, then the old name, then the code.

Creating a unit that is only *nearly* known (the same letters once spaces, punctuation and traditional /
simplified character forms are ignored; or a name contained in an existing one) is how duplicates are born, so
:func:`near_units` finds those candidates and the import asks before creating them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import ColumnElement, Table, func

LANG_COLUMNS: dict[str, str] = {"en": "name_en", "zh-Hans": "name_zh_hans", "zh-Hant": "name_zh_hant"}
NAME_COLUMNS = tuple(LANG_COLUMNS.values())
FALLBACK: dict[str, tuple[str, ...]] = {
    "en": ("en", "zh-Hans", "zh-Hant"),
    "zh-Hans": ("zh-Hans", "zh-Hant", "en"),
    "zh-Hant": ("zh-Hant", "zh-Hans", "en"),
}
_SPACES = re.compile(r"\s+")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_HAS_LATIN = re.compile(r"[A-Za-z]")
# "English words 中文名" (or the other way round): a part without CJK holding a Latin letter, white space, and a
# part that starts with a CJK character and holds only CJK, digits, brackets and dots. Anything else is not
# "clearly" a combined name and is left alone.
_ZH_PART = f"[{_CJK}][{_CJK}0-9（）()·・\\-\\s]*"
_EN_PART = f"[^{_CJK}]*[A-Za-z][^{_CJK}]*"
_EN_ZH = re.compile(f"^(?P<en>{_EN_PART}?)\\s+(?P<zh>{_ZH_PART})$")
_ZH_EN = re.compile(f"^(?P<zh>{_ZH_PART}?)\\s+(?P<en>{_EN_PART})$")
# Traditional forms of characters common in organisation names and their simplified forms. Enough to tell the
# two scripts apart in a name and to see that "北京朝陽服務中心" is "北京朝阳服务中心"; not a converter.
_TRADITIONAL = "務門東區車華業園灣臺國廣龍陽蘇聯後專電組銷維際網點長開發來經濟體驗貴雲寧蘭鄭瀋慶漢團隊總廳場匯豐寶貿齊機構單審視層級鎮縣號樓館廈鐵礦歲"
_SIMPLIFIED = "务门东区车华业园湾台国广龙阳苏联后专电组销维际网点长开发来经济体验贵云宁兰郑沈庆汉团队总厅场汇丰宝贸齐机构单审视层级镇县号楼馆厦铁矿岁"
_TO_SIMPLIFIED = str.maketrans(_TRADITIONAL, _SIMPLIFIED)
_SIMPLIFIED_ONLY = frozenset(_SIMPLIFIED) - frozenset("台后沈")  # also written so in traditional text
_LOOSE_DROP = re.compile(r"[\W_]+")


def norm_key(text: object) -> str:
    """The key a code or name is matched by: NFKC, case-folded, trimmed, inner white space collapsed."""
    return _norm(str(text))


@lru_cache(maxsize=200_000)
def _norm(text: str) -> str:
    # Cached: a file names the same few sites and teams on a million rows.
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def loose_key(text: object) -> str:
    """A looser key for near matches: :func:`norm_key` without spaces or punctuation, in simplified characters."""
    return _LOOSE_DROP.sub("", norm_key(text).translate(_TO_SIMPLIFIED))


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a Chinese character."""
    return bool(_HAS_CJK.search(text))


def looks_traditional(text: str) -> bool:
    """True when ``text`` holds a character written differently in traditional Chinese (and none simplified)."""
    return any(c in _TRADITIONAL for c in text) and not any(c in _SIMPLIFIED_ONLY for c in text)


def split_combined(name: str) -> tuple[str, str] | None:
    """``(English, Chinese)`` of a name that clearly combines both ("Beijing Chaoyang Service Centre 北京朝阳服务中心"),
    else None."""
    text = _SPACES.sub(" ", name).strip()
    for pattern in (_EN_ZH, _ZH_EN):
        m = pattern.match(text)
        if m and m["en"].strip() and m["zh"].strip() and not has_cjk(m["en"]):
            return m["en"].strip(), m["zh"].strip()
    return None


def names_from_text(name: str) -> dict[str, str | None]:
    """The language columns of a unit known by one name: a combined name is split, a Chinese one goes to the
    script it is written in, a name without Chinese is English; a mixture that is not clearly combined stays only
    in the old ``name`` column (shown in every language)."""
    out: dict[str, str | None] = dict.fromkeys(NAME_COLUMNS)
    text = _SPACES.sub(" ", name).strip()
    parts = split_combined(text)
    if parts:
        out["name_en"] = parts[0][:200]
        out["name_zh_hant" if looks_traditional(parts[1]) else "name_zh_hans"] = parts[1][:200]
    elif not has_cjk(text):
        out["name_en"] = text[:200] or None
    elif not _HAS_LATIN.search(text):
        out["name_zh_hant" if looks_traditional(text) else "name_zh_hans"] = text[:200]
    return out


def display_expr(table: Table, lang: str) -> ColumnElement:
    """SQL for a unit's name in ``lang`` with the fallbacks of :data:`FALLBACK`, then the old name, then the code."""
    cols = [table.c[LANG_COLUMNS[x]] for x in FALLBACK.get(lang, FALLBACK["en"])]
    # Empty strings count as missing (a spreadsheet cell cleared by hand).
    parts: list[ColumnElement] = [func.nullif(func.trim(c), "") for c in cols]
    if "name" in table.c:
        parts.append(table.c.name)
    return func.coalesce(*parts, table.c.code)


def pick_name(names: dict[str, str | None], lang: str, fallback: str = "") -> str:
    """Python twin of :func:`display_expr` over a ``{column: name}`` dict (``name`` and ``code`` keys optional)."""
    for x in FALLBACK.get(lang, FALLBACK["en"]):
        value = names.get(LANG_COLUMNS[x])
        if value and value.strip():
            return value
    return names.get("name") or names.get("code") or fallback


def distinct_labels(rows: Sequence[tuple[int, str, str]]) -> dict[int, str]:
    """``{id: label}`` from ``(id, label, code)`` rows, adding the code to labels that would read alike, so two
    units never display identically in a list."""
    seen: dict[str, int] = {}
    for _, label, _code in rows:
        k = norm_key(label)
        seen[k] = seen.get(k, 0) + 1
    return {i: (f"{label} ({code})" if seen[norm_key(label)] > 1 else label) for i, label, code in rows}


@dataclass(frozen=True)
class Unit:
    """A unit as reference matching sees it: id, code, every name and a label for messages."""

    id: int
    code: str
    names: tuple[str, ...]
    label: str


def unit_label(code: str, names: Iterable[str | None]) -> str:
    """``CODE name`` for messages: the code (what a file can always write) and the first name."""
    first = next((n for n in names if n), "")
    return f"{code} {first}".strip() if first and norm_key(first) != norm_key(code) else code


@dataclass(frozen=True)
class Candidate:
    """An existing unit a name could mean."""

    id: int
    ref: str  # what a file can write to mean it (a code, or SITE/TEAM)
    label: str
    reason: str  # same_name (ignoring spaces, punctuation and character forms) | contains | contained


def _min_len(text: str) -> int:
    return 2 if has_cjk(text) else 4


def near_units(name: str, units: Iterable[Unit], limit: int = 8) -> list[tuple[Unit, str]]:
    """Existing units that ``name`` (unknown as written) nearly matches, with the reason, best first."""
    new = loose_key(name)
    if not new:
        return []
    found: list[tuple[int, Unit, str]] = []
    for u in units:
        best: tuple[int, str] | None = None
        for n in u.names:
            old = loose_key(n)
            if not old:
                continue
            if old == new:
                best = (0, "same_name")
                break
            if len(new) >= _min_len(new) and new in old:
                best = min(best or (9, ""), (1, "contained"))
            elif len(old) >= _min_len(old) and old in new:
                best = min(best or (9, ""), (2, "contains"))
        if best:
            found.append((best[0], u, best[1]))
    found.sort(key=lambda f: (f[0], f[1].code))
    return [(u, reason) for _, u, reason in found[:limit]]
