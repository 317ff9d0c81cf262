"""Words and phrases of a comment, for comment themes: Chinese segmented with jieba, English by letters.

- Chinese text (any CJK character) is segmented with jieba; other text is split into runs of letters.
- Tokens are lower-cased; stop words (``stopwords/en.txt``, ``stopwords/zh.txt``), punctuation, numbers
  (digits or Chinese numerals only) and the excluded words (names of sites, teams and people) are dropped.
- A negation (不, 没有, not, never, ...) joins the word after it ("不透明", "not explained"), so a complaint about
  something missing does not read as praise of it.
- A single Chinese character is not a theme on its own (as in jieba's own keyword extraction), only as part of a
  phrase ("结账慢").
- Phrases: two content words that stand next to each other (no stop word between) also count as one term,
  joined without a space in Chinese ("结账排队") and with one in English ("checkout queue").

jieba's full dictionary takes about two seconds to load; the tokenizer uses its most frequent
``DICTIONARY_WORDS`` words instead (written once to the temp directory, then jieba's own cache), which segments
everyday service language the same way in a tenth of the time.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

STOPWORD_DIR = Path(__file__).resolve().parent / "stopwords"
DICTIONARY_WORDS = 40_000
NEGATIONS = frozenset({"不", "没", "沒", "没有", "沒有", "未", "无", "無", "别", "別", "不是", "不够", "不夠",
                       "not", "no", "never", "nobody", "nothing", "without"})
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"^[\d０-９.,%]+$|^[零〇一二三四五六七八九十百千万萬两兩几幾半]+$")
_PUNCT = re.compile(r"^[\W_]+$")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """English and Chinese stop words (both files; ``#`` starts a comment)."""
    words: set[str] = set()
    for name in ("en.txt", "zh.txt"):
        for line in (STOPWORD_DIR / name).read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                words.update(w.lower() for w in line.split())
    return frozenset(words)


def _jieba() -> Any:
    """Import jieba without ``pkg_resources``.

    jieba 0.42 loads its model files through ``pkg_resources`` when it can (half a second to import, and
    deprecated), else by plain path. Hiding the module during the import selects the plain path.
    """
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes "import pkg_resources" fail
    try:
        return importlib.import_module("jieba")
    finally:
        if hidden:
            sys.modules.pop("pkg_resources", None)


def _small_dictionary() -> str:
    """Path of jieba's dictionary cut to its most frequent words (built once per jieba version)."""
    jieba = _jieba()
    source = Path(jieba.__file__).resolve().parent / "dict.txt"
    target = Path(tempfile.gettempdir()) / f"cxdash-jieba-{DICTIONARY_WORDS}-{int(source.stat().st_mtime)}.txt"
    if not target.exists():
        rows = [line.split(" ") for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
        rows.sort(key=lambda r: -int(r[1]))
        text = "".join(f"{r[0]} {r[1]}\n" for r in rows[:DICTIONARY_WORDS])
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)  # atomic: a parallel process never reads half a file
    return str(target)


@lru_cache(maxsize=1)
def segmenter() -> Any:
    """A jieba tokenizer on the small dictionary (loaded once per process)."""
    jieba = _jieba()
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer(_small_dictionary())
    tok.tmp_dir = tempfile.gettempdir()
    tok.initialize()
    return tok


def raw_tokens(text: str) -> list[str]:
    """The words of ``text`` in order, lower-cased, before any filtering."""
    low = text.lower()
    if _CJK.search(low):
        return [w.strip() for w in segmenter().lcut(low) if w.strip()]
    return _WORD.findall(low)


def _is_content(word: str, stop: frozenset[str], exclude: frozenset[str]) -> bool:
    if word in stop or word in exclude or _PUNCT.match(word) or _NUMBER.match(word):
        return False
    return bool(_CJK.search(word)) or len(word) > 1


def _join(a: str, b: str) -> str:
    return a + b if _CJK.search(a) or _CJK.search(b) else f"{a} {b}"


def content_words(text: str, exclude: frozenset[str] = frozenset()) -> list[list[str]]:
    """Runs of consecutive content words (negations joined to the next word); stop words break the runs."""
    stop = stopwords()
    runs: list[list[str]] = [[]]
    negation = ""
    for word in raw_tokens(text):
        if word in NEGATIONS:
            negation = word
            continue
        if _is_content(word, stop, exclude):
            runs[-1].append(_join(negation, word) if negation else word)
        elif runs[-1]:
            runs.append([])
        negation = ""
    return [r for r in runs if r]


def terms(text: str, exclude: frozenset[str] = frozenset()) -> set[str]:
    """The distinct terms of a comment: its content words and every pair of adjacent content words."""
    out: set[str] = set()
    for run in content_words(text, exclude):
        # A lone Chinese character ("车", "人", "等") is too ambiguous to be a theme; inside a phrase it is not.
        out.update(w for w in run if len(w) > 1 or not _CJK.search(w))
        out.update(_join(a, b) for a, b in zip(run, run[1:], strict=False))
    return out


def name_exclusions(names: Iterable[str], people: Iterable[str], generic_share: float = 0.1) -> frozenset[str]:
    """Words that must not become themes: the names of people and the distinctive words of place names.

    A person's name is excluded whole, with every English word of it and every run of two or more of its Chinese
    characters (segmenting hundreds of names would cost more than it adds). A word of a site, team or region
    name is excluded unless it is generic — found in more than ``generic_share`` of those names (at least
    three), like "service", "centre", "服务", "中心" — since customers use those words too.
    """
    stop = stopwords()
    out: set[str] = set()
    for name in {p.lower().strip() for p in people if p}:
        out.add(name)
        out.update(w for w in _WORD.findall(name) if len(w) > 1)
        for part in re.findall(r"[\u3400-\u9fff]+", name):
            out.update(part[i:j] for i in range(len(part)) for j in range(i + 2, len(part) + 1))
    place_words = [{w for w in raw_tokens(n) if len(w) > 1 and w not in stop} for n in {n for n in names if n}]
    counts: dict[str, int] = {}
    for ws in place_words:
        for w in ws:
            counts[w] = counts.get(w, 0) + 1
    limit = max(3, generic_share * len(place_words))
    out.update(w for w, c in counts.items() if c < limit)
    return frozenset(out)
