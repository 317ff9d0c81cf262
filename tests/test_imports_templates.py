"""The upload templates map without a single change and load their example row, in both languages."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cxdash.imports.kinds import KINDS
from cxdash.imports.pipeline import ImportOptions, prepare, run_import
from cxdash.imports.reading import FileInput
from cxdash.imports.templates import TEMPLATE_DIR, template_bytes, template_frame, template_name
from tests.support.imports import NOW
from tests.world import IMPORTS


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_template_maps_every_column_and_loads(engine: Engine, kind: str, lang: str) -> None:
    IMPORTS.org(engine)
    fmt = "xlsx" if lang == "zh" else "csv"
    prepared = prepare(engine, FileInput(template_name(kind, lang, fmt), template_bytes(kind, lang, fmt)), kind)
    expected = [c for c in template_frame(kind, lang).columns]
    assert sorted(prepared.mapping.used_columns()) == sorted(expected)
    if kind == "surveys":
        assert len(prepared.mapping.touchpoints) == 22
    result = run_import(engine, prepared, ImportOptions(create_missing=True, now=NOW))
    assert (result.status, result.inserted, result.rows_rejected) == ("loaded", 1, 0), result.errors


@pytest.mark.parametrize("kind", KINDS)
def test_template_files_in_data_are_current(kind: str) -> None:
    for lang in ("en", "zh"):
        assert (TEMPLATE_DIR / template_name(kind, lang, "csv")).read_bytes() == template_bytes(kind, lang, "csv")
        assert (TEMPLATE_DIR / template_name(kind, lang, "xlsx")).exists()
