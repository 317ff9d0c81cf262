"""The default touchpoint catalog: 5 stages, 22 touchpoints, three languages."""

from sqlalchemy import func, select

from cxdash.catalog import STAGES, ensure_default_catalog, touchpoint_ids
from cxdash.schema import stage, touchpoint


def test_default_catalog_shape():
    assert len(STAGES) == 5
    assert sum(len(tps) for _, tps in STAGES) == 22
    for st, tps in STAGES:
        for e in [st, *tps]:
            assert e.en and e.zh_hans and e.zh_hant


def test_ensure_default_catalog_once(engine):
    with engine.begin() as conn:
        assert ensure_default_catalog(conn) is True
        assert ensure_default_catalog(conn) is False
        assert conn.execute(select(func.count()).select_from(stage)).scalar_one() == 5
        assert conn.execute(select(func.count()).select_from(touchpoint)).scalar_one() == 22
        assert len(touchpoint_ids(conn)) == 22
