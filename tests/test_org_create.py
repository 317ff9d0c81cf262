"""Adding sites and teams on the Organisation page (#20, first real use): an empty database has no site to upload
responses to, so an admin creates them here, by code and names in each language; a name that nearly matches an
existing unit must be confirmed first, and an exact clash is refused. SQLite and PostgreSQL, from empty.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from cxdash.audit import audit_entries
from cxdash.i18n import t
from cxdash.org_admin import create_unit, near_duplicates
from cxdash.schema import site, team
from tests.support.app import make_app, no_errors
from tests.support.auth import no_pages_directory_mode


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_sites_and_teams_are_created_with_names_in_each_language(engine: Engine) -> None:
    sid = create_unit(engine, "ana@x.org", "site", " BJ01 ", {"en": "Beijing  Chaoyang", "zh-Hans": "北京朝阳店"})
    with engine.connect() as conn:
        row = conn.execute(select(site).where(site.c.id == sid)).mappings().one()
    assert (row["code"], row["name"], row["name_en"], row["name_zh_hans"], row["name_zh_hant"]) == (
        "BJ01", "Beijing Chaoyang", "Beijing Chaoyang", "北京朝阳店", None)
    tid = create_unit(engine, "ana@x.org", "team", "T1", {"zh-Hant": "快修組"}, sid)
    with engine.connect() as conn:
        assert conn.execute(select(team.c.site_id, team.c.name).where(team.c.id == tid)).one() == (sid, "快修組")
    created = audit_entries(engine, action="org.create")
    assert len(created) == 2 and set(created["actor"]) == {"ana@x.org"}
    # The same team code at another site is fine (team codes repeat across sites).
    other = create_unit(engine, None, "site", "SH01", {"en": "Shanghai Pudong"})
    create_unit(engine, None, "team", "T1", {"en": "Express"}, other)


@pytest.mark.parametrize(("kind", "code", "names", "why"), [
    ("site", "", {"en": "X"}, "code is required"),
    ("site", "X1", {"en": "  "}, "at least one language"),
    ("site", "bj01", {"en": "Other"}, "already names site"),  # codes compare case-insensitively
    ("site", "X2", {"zh-Hans": "北京朝阳店"}, "already names site"),
    ("site", "X3", {"en": "x" * 201}, "longer than"),
    ("region", "R1", {"en": "North"}, "only site and team"),
    ("team", "T9", {"en": "Orphan"}, "existing site"),
])
def test_bad_units_are_refused_and_change_nothing(engine: Engine, kind: str, code: str, names: dict[str, str],
                                                 why: str) -> None:
    create_unit(engine, None, "site", "BJ01", {"en": "Beijing Chaoyang", "zh-Hans": "北京朝阳店"})
    with pytest.raises(ValueError, match=why):
        create_unit(engine, None, kind, code, names, None)
    with engine.connect() as conn:
        assert len(conn.execute(select(site.c.id)).all()) == 1 and not conn.execute(select(team.c.id)).all()


def test_near_duplicates_are_found_across_character_forms_and_spacing(engine: Engine) -> None:
    sid = create_unit(engine, None, "site", "BJ01", {"en": "Beijing Chaoyang", "zh-Hans": "北京朝阳服务中心"})
    assert near_duplicates(engine, "site", {"zh-Hant": "北京朝陽服務中心"}) == ["BJ01 Beijing Chaoyang"]
    assert near_duplicates(engine, "site", {"en": "beijing-chaoyang"}) == ["BJ01 Beijing Chaoyang"]
    assert near_duplicates(engine, "site", {"en": "Shanghai Pudong", "zh-Hans": "上海浦东店"}) == []
    create_unit(engine, None, "team", "T1", {"en": "Express Desk"}, sid)
    assert near_duplicates(engine, "team", {"en": "Express desk 2"}, sid) == ["T1 Express Desk"]
    other = create_unit(engine, None, "site", "SH01", {"en": "Shanghai"})
    assert near_duplicates(engine, "team", {"en": "Express desk 2"}, other) == []


def _page(engine: Engine, lang: str = "en") -> Any:
    at = make_app(lang, _url(engine))
    at.run()
    at.switch_page("ui/pages/organisation.py")
    at.run()
    return at


@pytest.mark.apptest
def test_page_adds_sites_from_an_empty_database_and_asks_about_a_near_duplicate(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    no_pages_directory_mode(monkeypatch)
    lang = "zh-Hans"
    at = _page(engine, lang)
    no_errors(at)
    at.text_input(key="org_new_code").set_value("BJ01")
    at.text_input(key="org_new_zh-Hans").set_value("北京朝阳服务中心")
    at.text_input(key="org_new_en").set_value("Beijing Chaoyang")
    at.button(key="org_new_submit").click().run()
    no_errors(at)
    assert at.success[0].value == t("org.create.saved", lang, kind=t("org.create.kind.site", lang), code="BJ01")
    assert at.text_input(key="org_new_code").value == ""  # the form is empty again for the next site
    # A near-duplicate (traditional forms of the same name) is shown and not created until confirmed.
    at.text_input(key="org_new_code").set_value("BJ02")
    at.text_input(key="org_new_zh-Hant").set_value("北京朝陽服務中心").run()
    assert t("org.create.near", lang, units="BJ01 Beijing Chaoyang") in [w.value for w in at.warning]
    at.button(key="org_new_submit").click().run()
    assert [e.value for e in at.error] == [t("org.create.confirm_first", lang)]
    with engine.connect() as conn:
        assert conn.execute(select(site.c.code)).scalars().all() == ["BJ01"]
    at.checkbox(key="org_new_confirm").check().run()
    at.button(key="org_new_submit").click().run()
    no_errors(at)
    with engine.connect() as conn:
        assert sorted(conn.execute(select(site.c.code)).scalars().all()) == ["BJ01", "BJ02"]
    # A team of a site.
    at.radio(key="org_new_kind").set_value("team").run()
    at.text_input(key="org_new_code").set_value("T1")
    at.text_input(key="org_new_en").set_value("Express Desk")
    at.button(key="org_new_submit").click().run()
    no_errors(at)
    with engine.connect() as conn:
        assert conn.execute(select(team.c.code)).scalars().all() == ["T1"]
