"""The default checklist and the checklist editor's create / update / retire."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cxdash.auth import User
from cxdash.catalog import STAGES
from cxdash.db import data_version
from cxdash.i18n import LANGUAGES
from cxdash.improve import checklist
from cxdash.improve.errors import InputError
from cxdash.improve.inspection_defaults import DEFAULT_ITEMS, FREQUENCIES, METHODS, ROLES
from cxdash.schema import audit_log, checklist_item
from tests.world import CLOSEDLOOP

CX_LEAD = User(email="lead", name="Lead", role="cx_lead")


def test_defaults_cover_every_default_touchpoint_in_three_languages() -> None:
    codes = {tp.code for _, tps in STAGES for tp in tps}
    per_tp = {c: sum(d.touchpoint == c for d in DEFAULT_ITEMS) for c in codes}
    assert all(1 <= n <= 2 for n in per_tp.values()), per_tp
    assert len({d.code for d in DEFAULT_ITEMS}) == len(DEFAULT_ITEMS)
    for d in DEFAULT_ITEMS:
        assert d.touchpoint in codes
        assert all(text.strip() for text in d.pain + d.standard)
        assert d.pain[1] != d.pain[0] and d.standard[2] != d.standard[0]  # really translated
        assert (d.method, d.frequency, d.role) in [(m, f, r) for m in METHODS for f in FREQUENCIES for r in ROLES]
    con02 = [d for d in DEFAULT_ITEMS if d.code == "CL-CON02-1"][0]
    assert "cost surprises" in con02.pain[0].lower() and "consent" in con02.standard[0]


def test_ensure_default_checklist_is_idempotent_and_localised(engine) -> None:
    CLOSEDLOOP.org(engine)  # loads the defaults once
    with engine.begin() as conn:
        assert checklist.ensure_default_checklist(conn) == 0
        assert conn.execute(select(func.count()).select_from(checklist_item)).scalar_one() == len(DEFAULT_ITEMS)
    for lang in LANGUAGES:
        items = checklist.list_items(engine, lang)
        assert len(items) == len(DEFAULT_ITEMS)
        row = items.set_index("code").loc["CL-CON02-1"]
        assert row["touchpoint_code"] == "CON02"
        expected = {"en": "Cost surprises at pick-up", "zh-Hans": "取车时费用超出预期", "zh-Hant": "取車時費用超出預期"}
        assert row["pain_point"] == expected[lang]
    assert items["touchpoint_code"].iloc[0] == "REC01" and items["touchpoint_code"].iloc[-1] == "HND03"


def test_create_update_and_retire_an_item(engine) -> None:
    tps = CLOSEDLOOP.org(engine)
    v0 = data_version(engine)
    with engine.begin() as conn:
        item = checklist.create_item(conn, touchpoint_id=tps["CON04"], pain_point="没有充电口", standard="休息区提供充电口",
                                     method="observation", frequency="weekly", responsible_role="lounge_host",
                                     lang="zh-Hans", user=CX_LEAD)
    assert data_version(engine) > v0
    zh = checklist.list_items(engine, "zh-Hans").set_index("id").loc[item]
    assert zh["pain_point"] == "没有充电口"
    with engine.begin() as conn:
        diff = checklist.update_item(conn, item, {"pain_point": "No charging socket", "frequency": "monthly"},
                                     lang="en", user=CX_LEAD)
        stored = checklist.get_item(conn, item)
    assert diff["frequency"] == ["weekly", "monthly"]
    assert stored["pain_point"] == {"en": "No charging socket", "zh-Hans": "没有充电口"}
    with engine.begin() as conn:
        checklist.deactivate_item(conn, item, user=CX_LEAD)
    assert item not in set(checklist.list_items(engine)["id"])
    assert item in set(checklist.list_items(engine, include_inactive=True)["id"])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.entity == "checklist_item")).scalar_one() == 3


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"touchpoint_id": 9999}, "improve.err.touchpoint_required"),
        ({"pain_point": " "}, "improve.err.pain_point_required"),
        ({"standard": ""}, "improve.err.standard_required"),
        ({"method": "guessing"}, "improve.err.bad_method"),
        ({"frequency": "hourly"}, "improve.err.bad_frequency"),
    ],
)
def test_invalid_items_are_refused(engine, kwargs, key) -> None:
    tps = CLOSEDLOOP.org(engine)
    values = {"touchpoint_id": tps["REC01"], "pain_point": "p", "standard": "s", **kwargs}
    with pytest.raises(InputError) as err, engine.begin() as conn:
        checklist.create_item(conn, **values, user=CX_LEAD)
    assert err.value.key == key
    with pytest.raises(InputError), engine.begin() as conn:
        checklist.update_item(conn, 1, {"code": "X"}, user=CX_LEAD)
