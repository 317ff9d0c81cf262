"""Shared helpers for the import tests: one-call uploads and row counts (their organisation: ``tests.world.IMPORTS``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

from cxdash.imports.mapping import Mapping
from cxdash.imports.pipeline import ImportOptions, ImportResult, Prepared, prepare, run_import
from cxdash.imports.reading import FileInput
from cxdash.imports.scales import choose, decide_scales, open_questions
from cxdash.schema import metadata

NOW = datetime(2026, 12, 1, 12, 0)


def load(
    engine: Engine,
    content: str | bytes,
    kind: str = "surveys",
    name: str = "upload.csv",
    mapping: Mapping | None = None,
    edit: dict | None = None,
    usual_scales: bool = True,
    **options: object,
) -> ImportResult:
    """Prepare and import ``content`` as a file called ``name`` (``edit`` changes the proposed mapping).

    The small files of these tests are written on the usual scales (NPS 0-10, ratings 1-10 ...), and a handful of
    rows rarely shows which: ``usual_scales`` answers the open scale questions with their first choice, as a user
    would on the mapping step (tests/test_import_scales.py tests the questions themselves).
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    prepared = prepare(engine, FileInput(name, data), kind, mapping=mapping)
    for key, value in (edit or {}).items():
        setattr(prepared.mapping, key, value)
    if usual_scales:
        answer_usual_scales(prepared)
    opts = ImportOptions(**{"now": NOW, **options})  # type: ignore[arg-type]
    return run_import(engine, prepared, opts)


def answer_usual_scales(prepared: Prepared) -> None:
    """Answer every open scale question of ``prepared`` with its first choice (the usual scale)."""
    m = prepared.mapping
    for question in open_questions(decide_scales(m, prepared.sample, prepared.table.layout.labels)):
        choose(m, question, question.choices[0])


def counts(engine: Engine) -> dict[str, int]:
    """Row count of every table (to prove a refused upload changed nothing)."""
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


def scalar(engine: Engine, stmt) -> object:  # noqa: ANN001
    """One value."""
    with engine.connect() as conn:
        return conn.execute(stmt).scalar()


def rows(engine: Engine, stmt) -> list:  # noqa: ANN001
    """All rows of a statement."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt).all()]


def count(engine: Engine, table) -> int:  # noqa: ANN001
    """Row count of one table."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
