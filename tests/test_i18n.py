"""The three catalogs are complete and every key the code asks for exists.

A key used with ``t("...")`` or ``tr("...")`` as a literal anywhere in ``cxdash/`` (pages included) must be in the
catalogs; every key must have an English, a Simplified and a Traditional Chinese text with the same ``{placeholders}``;
pages must not pass hard-coded text to Streamlit.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from cxdash.i18n import LANGUAGES, catalog, missing_translations, normalise_language, t

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(ROOT.joinpath("cxdash").rglob("*.py"))
KEY = re.compile(r"^[a-z0-9_]+(\.[A-Za-z0-9_\-]+)+$")
# Streamlit calls whose first argument is text a person reads.
TEXT_CALLS = {"title", "header", "subheader", "caption", "markdown", "write", "info", "warning", "error", "success",
              "button", "selectbox", "multiselect", "radio", "checkbox", "toggle", "text_input", "number_input",
              "date_input", "file_uploader", "expander", "metric", "download_button", "form_submit_button", "tabs",
              "segmented_control", "slider", "text_area", "toast", "link_button", "page_link"}


def _literal_keys() -> dict[str, set[str]]:
    """Literal first arguments of ``t(...)`` / ``tr(...)`` calls that look like catalog keys, by file."""
    found: dict[str, set[str]] = {}
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("t", "tr")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                    and KEY.match(node.args[0].value)):
                found.setdefault(str(path.relative_to(ROOT)), set()).add(node.args[0].value)
    return found


def test_every_key_has_all_three_languages() -> None:
    assert missing_translations() == []
    assert set(LANGUAGES) == {"en", "zh-Hans", "zh-Hant"}


def test_every_literal_key_in_the_code_exists() -> None:
    texts = catalog()
    unknown = {f"{path}: {key}" for path, keys in _literal_keys().items() for key in keys if key not in texts}
    assert not unknown, sorted(unknown)


def test_every_key_starts_with_its_catalog_file_name() -> None:
    """One name per area: ``service.json`` holds ``service.*`` keys and nothing else."""
    import json

    from cxdash.i18n import CATALOG_DIR

    wrong = [f"{path.name}: {key}" for path in sorted(CATALOG_DIR.glob("*.json"))
             for key in json.loads(path.read_text(encoding="utf-8")) if key.split(".")[0] != path.stem]
    assert not wrong, wrong


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_placeholders_agree_across_languages() -> None:
    wrong = [key for key, texts in catalog().items()
             if len({frozenset(_fields(texts[lang])) for lang in LANGUAGES}) != 1]
    assert not wrong, wrong


def test_simplified_and_traditional_differ_where_chinese_has_two_forms() -> None:
    # A catalog that copied Simplified into Traditional would still pass the completeness test.
    entries = catalog().values()
    same = sum(1 for e in entries if e["zh-Hans"] == e["zh-Hant"])
    assert same < 0.6 * len(catalog())


def _hard_coded(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in TEXT_CALLS and node.args):
            continue
        owner = node.func.value
        is_st = (isinstance(owner, ast.Name) and owner.id == "st") or (
            isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name) and owner.value.id == "st")
        first = node.args[0]
        if is_st and isinstance(first, ast.Constant) and isinstance(first.value, str) and re.search(
                r"[A-Za-z\u4e00-\u9fff]{2}", first.value) and not first.value.endswith(".py"):
            out.append(f"{path.name}:{node.lineno}: {first.value[:40]!r}")
    return out


@pytest.mark.parametrize("path", sorted([*ROOT.joinpath("cxdash", "ui", "pages").glob("*.py"), *ROOT.joinpath("cxdash", "ui").glob("*.py")]),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_pages_pass_no_hard_coded_text_to_streamlit(path: Path) -> None:
    assert _hard_coded(path) == []


def test_language_names_and_fallbacks() -> None:
    assert normalise_language("zh-TW") == "zh-Hant" and normalise_language("zh_CN") == "zh-Hans"
    assert normalise_language("fr") == "en" and normalise_language(None) == "en"
    assert t("overview.page.title", "zh-Hans") != t("overview.page.title", "en")
