"""Every declared import kind is complete, and every interface offers exactly the declared kinds.

A kind is one module of :mod:`cxdash.imports.kinds`; these tests fail when a new one lacks a part (its catalog keys
in the three languages, template columns, a loader, written tables) or when an interface lists kinds of its own.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from cxdash.cli import build_parser
from cxdash.i18n import catalog, t
from cxdash.imports import kinds
from cxdash.imports.kinds import ALIASES, ALL, KINDS, ImportKind
from cxdash.schema import metadata

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("en", "zh-Hans", "zh-Hant")


@pytest.mark.parametrize("kind", ALL, ids=lambda k: k.name)
def test_each_kind_is_complete(kind: ImportKind) -> None:
    strings = catalog()
    for key in kind.catalog_keys():
        assert key in strings, key
        for lang in LANGS:
            assert strings[key].get(lang), (key, lang)
    assert kind.fields and len({f.name for f in kind.fields}) == len(kind.fields)
    assert callable(kind.loader) and callable(kind.check)
    assert kind.written_tables and set(kind.written_tables) <= set(metadata.tables)
    assert "import_batch" in kind.written_tables  # every load writes its batch record
    assert set(kind.stored_in) <= set(metadata.tables)
    assert kind.template and all(len(col) == 3 for col in kind.template)  # mapped and loaded: test_imports_templates


def test_names_and_aliases_are_unique() -> None:
    assert len(set(KINDS)) == len(KINDS) == len(ALL)
    assert not set(ALIASES) & set(KINDS)
    assert all(ALIASES[a] in KINDS for a in ALIASES)
    assert kinds.resolve("survey") == "surveys" and kinds.resolve("surveys") == "surveys"
    with pytest.raises(ValueError):
        kinds.get_kind("nonsense")


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def _choices(parser: argparse.ArgumentParser, dest: str) -> list[str]:
    return list(next(a for a in parser._actions if a.dest == dest).choices or [])


def test_cli_offers_exactly_the_declared_kinds() -> None:
    parser = build_parser()
    assert _choices(_subparser(parser, "import"), "kind") == [*KINDS, *ALIASES]
    batches = _subparser(_subparser(parser, "batches"), "list")
    assert _choices(batches, "kind") == list(KINDS)


def _frame() -> None:
    import os
    import runpy

    from cxdash.db import make_engine
    from cxdash.filters import Filters
    from cxdash.ui.context import PageContext, set_context

    url = os.environ["CXDASH_TEST_PAGE_DB"]
    set_context(PageContext(make_engine(url), url, os.environ["CXDASH_TEST_PAGE_LANG"], Filters(), role="admin",
                            user="admin@example.com"))
    runpy.run_path(os.environ["CXDASH_TEST_PAGE"], run_name="__main__")


@pytest.mark.apptest
@pytest.mark.parametrize("lang", LANGS)
def test_upload_page_offers_exactly_the_declared_kinds(sqlite_engine: Engine, lang: str) -> None:
    os.environ.update({"CXDASH_TEST_PAGE_DB": sqlite_engine.url.render_as_string(hide_password=False),
                       "CXDASH_TEST_PAGE_LANG": lang, "CXDASH_TEST_PAGE": str(ROOT / "cxdash" / "ui" / "pages" / "upload.py")})
    st.cache_data.clear()
    at = AppTest.from_function(_frame, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.segmented_control(key="imp_kind")
    assert list(picker.options) == [t(k.label_key, lang) for k in ALL]
    assert picker.value == KINDS[0]
