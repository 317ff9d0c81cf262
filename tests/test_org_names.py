"""Names of sites, teams, regions and people in three languages: matching files' references by any name (width-,
case- and space-insensitively), near-duplicates that ask before being created, ambiguous references refused with
their candidates (data imports and the users CSV), display per language, the name editor and the migration that
splits old combined names. Every test builds its data from an empty database."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, select, text

from cxdash.auth import user_record
from cxdash.cli import main
from cxdash.db import MIGRATIONS, upgrade
from cxdash.imports.errors import reason_text
from cxdash.imports.users import import_users_csv
from cxdash.metrics.org_names import org_names
from cxdash.org_admin import set_unit_name
from cxdash.organisation import site_options, team_options
from cxdash.schema import person, site, survey_response, team
from cxdash.unit_names import names_from_text, norm_key, split_combined
from tests.support.imports import load, rows, scalar
from tests.world import BEIJING, NAMES


def _survey(lines: list[str], header: str = "response_id,site,visit_date,nps") -> str:
    return header + "\n" + "\n".join(lines) + "\n"


# -- matching ----------------------------------------------------------------------------------------------
def test_key_is_width_case_and_space_insensitive() -> None:
    assert norm_key("  ＢＥＩＪＩＮＧ\u3000Chaoyang   Service Centre ") == "beijing chaoyang service centre"
    assert norm_key("Ｔ１") == norm_key("t1")
    assert split_combined(BEIJING["name"]) == ("Beijing Chaoyang Service Centre", "北京朝阳服务中心")
    assert split_combined("BMW 4S店") is None  # not clearly two names: left alone
    assert names_from_text("台北信義服務中心") == {"name_en": None, "name_zh_hans": None, "name_zh_hant": "台北信義服務中心"}


def test_a_survey_file_names_one_site_in_every_way(engine: Engine) -> None:
    ids = NAMES.org(engine)
    written = ["北京朝阳服务中心", "Beijing Chaoyang Service Centre", "北京朝陽服務中心", "bj01",
               "ＢＥＩＪＩＮＧ  chaoyang SERVICE centre ", "  北京朝阳服务中心\u3000",
               "Beijing Chaoyang Service Centre 北京朝阳服务中心"]
    lines = [f'r{i},"{name}",2026-11-0{i + 1},{i + 3}' for i, name in enumerate(written)]
    result = load(engine, _survey(lines))
    assert result.errors.empty, result.errors.to_dict("records")
    assert result.inserted == len(written) and result.created == {} and result.near_matches == []
    got = rows(engine, select(survey_response.c.site_id, survey_response.c.region_id))
    assert got == [(ids["bj"], ids["north"])] * len(written)


def test_near_duplicate_sites_ask_before_they_are_created(engine: Engine) -> None:
    ids = NAMES.org(engine)
    lines = ["n1,Beijing Chaoyang,2026-11-02,8",  # contained in an existing name
             "n2,上海浦東汽車服務店,2026-11-02,9",  # the same name in traditional characters
             "n3,Guangzhou Tianhe Motors,2026-11-02,7"]  # nothing like it: simply new
    first = load(engine, _survey(lines), create_missing=True)
    assert set(first.errors["reason"]) == {"near_duplicate_site"}
    assert list(first.errors["row"]) == [2, 3]
    assert "BJ01" in first.errors["detail"][0] and "SH01" in first.errors["detail"][1]
    assert "BJ01" in reason_text("near_duplicate_site", first.errors["detail"][0], "zh-Hant")
    near = {m.name: m for m in first.near_matches}
    assert set(near) == {"Beijing Chaoyang", "上海浦東汽車服務店"}
    assert [c.ref for c in near["Beijing Chaoyang"].candidates] == ["BJ01"]
    assert near["上海浦東汽車服務店"].candidates[0].reason == "same_name"
    assert first.created == {"sites": 1}  # only Guangzhou
    assert scalar(engine, select(site.c.name_en).where(site.c.code == "Guangzhou Tianhe Motors")) == \
        "Guangzhou Tianhe Motors"
    # Confirmed, the one the user says is new is created; the other is still refused; Guangzhou now exists.
    second = load(engine, _survey(lines), create_missing=True, on_duplicate="skip",
                  confirmed_new=frozenset({near["上海浦東汽車服務店"].key}))
    assert list(second.errors["row"]) == [2] and second.created == {"sites": 1}
    new_id = scalar(engine, select(site.c.id).where(site.c.code == "上海浦東汽車服務店"))
    assert new_id not in (ids["bj"], ids["sh"])
    assert scalar(engine, select(site.c.name_zh_hant).where(site.c.id == new_id)) == "上海浦東汽車服務店"


def test_a_name_two_sites_share_is_refused_with_both(engine: Engine) -> None:
    NAMES.org(engine)
    with engine.begin() as conn:
        conn.execute(site.insert().values(code="BJ02", name="Beijing Chaoyang Service Centre",
                                          name_en="Beijing Chaoyang Service Centre"))
    result = load(engine, _survey(["a1,beijing chaoyang service centre,2026-11-02,8", "a2,BJ02,2026-11-02,8"]),
                  create_missing=True)
    assert list(result.errors["reason"]) == ["ambiguous_site"] and result.inserted == 1
    assert "BJ01" in result.errors["detail"][0] and "BJ02" in result.errors["detail"][0]
    assert result.created == {}


def test_ambiguous_team_codes_in_a_data_file(engine: Engine) -> None:
    ids = NAMES.org(engine)
    header = "response_id,site,team,visit_date,nps"
    lines = ["t1,,T1,2026-11-02,8",  # T1 at two sites, no site: refused with both candidates
             "t2,SH01,T1,2026-11-02,8",  # resolved by the row's site
             "t3,北京朝阳服务中心,服务一组,2026-11-02,8",  # by the Chinese names of both
             "t4,,bj01 / t1,2026-11-02,8",  # SITE/TEAM without a site column
             "t5,,快修组,2026-11-02,8"]  # a team name only one team has
    result = load(engine, _survey(lines, header))
    assert list(result.errors["reason"]) == ["ambiguous_team"] and list(result.errors["row"]) == [2]
    assert result.errors["detail"][0] == "BJ01/T1, SH01/T1"
    assert "BJ01/T1, SH01/T1" in reason_text("ambiguous_team", result.errors["detail"][0], "en")
    got = dict((e, (s, t)) for e, s, t in rows(engine, select(
        survey_response.c.external_id, survey_response.c.site_id, survey_response.c.team_id)))
    assert got == {"t2": (ids["sh"], ids["t_sh"]), "t3": (ids["bj"], ids["t_bj"]),
                   "t4": (ids["bj"], ids["t_bj"]), "t5": (ids["sh"], ids["t2"])}


def test_a_near_duplicate_team_at_the_rows_site_asks(engine: Engine) -> None:
    NAMES.org(engine)
    header = "response_id,site,team,visit_date,nps"
    result = load(engine, _survey(["q1,SH01,Express Desk 2,2026-11-02,8", "q2,SH01,Body Shop,2026-11-02,8"], header),
                  create_missing=True)
    assert list(result.errors["reason"]) == ["near_duplicate_team"]
    assert result.errors["detail"][0] == "SH01/T2 (Express Desk)"
    assert result.created == {"teams": 1}
    (m,) = result.near_matches
    assert m.kind == "team" and m.site == "SH01" and m.key == "team:sh01/express desk 2"


# -- users CSV ---------------------------------------------------------------------------------------------
def test_users_csv_refuses_an_ambiguous_team_with_the_candidates(engine: Engine) -> None:
    ids = NAMES.org(engine)
    bad = b"email,role,sites,teams\nlead@x.org,team_lead,,T1\n"
    with pytest.raises(ValueError, match=r"row 2: ambiguous team 'T1': it may mean BJ01/T1, SH01/T1"), \
            engine.begin() as conn:
        import_users_csv(conn, "admin", bad)
    assert user_record(engine, "lead@x.org") is None
    good = ("email,role,sites,teams\n"
            "lead@x.org,team_lead,,SH01/T1\n"
            "lead2@x.org,team_lead,北京朝阳服务中心,Express Desk\n"
            "lead3@x.org,team_lead,ｂｊ０１,北京朝阳服务中心/服务一组\n").encode()
    with engine.begin() as conn:
        assert import_users_csv(conn, "admin", good) == 3
    assert user_record(engine, "lead@x.org")["team_ids"] == [ids["t_sh"]]
    two = user_record(engine, "lead2@x.org")
    assert two["site_ids"] == [ids["bj"]] and two["team_ids"] == [ids["t2"]]
    three = user_record(engine, "lead3@x.org")
    assert three["site_ids"] == [ids["bj"]] and three["team_ids"] == [ids["t_bj"]]
    with pytest.raises(ValueError, match="row 2: unknown site 'Nowhere'"), engine.begin() as conn:
        import_users_csv(conn, "admin", b"email,role,sites\nx@x.org,team_lead,Nowhere\n")


# -- display -----------------------------------------------------------------------------------------------
def test_names_show_in_each_language_with_fallbacks(engine: Engine) -> None:
    ids = NAMES.org(engine)
    with engine.begin() as conn:
        only_zh = conn.execute(site.insert().values(code="GZ01", name="广州天河", name_zh_hans="广州天河")
                               ).inserted_primary_key[0]
        p = conn.execute(person.insert().values(code="P1", name="王伟", name_zh_hans="王伟")).inserted_primary_key[0]
        keys = [ids["bj"], ids["sh"], only_zh]
        en = org_names(conn, "site", keys, "en")
        hans = org_names(conn, "site", keys, "zh-Hans")
        hant = org_names(conn, "site", keys, "zh-Hant")
        people = org_names(conn, "person", [p], "en")
        teams = {lang: org_names(conn, "team", [ids["t_bj"], ids["t_sh"], ids["t2"]], lang)
                 for lang in ("en", "zh-Hant")}
    assert en == {ids["bj"]: "Beijing Chaoyang Service Centre", ids["sh"]: "Shanghai Pudong Motors",
                  only_zh: "广州天河"}
    assert hans == {ids["bj"]: "北京朝阳服务中心", ids["sh"]: "上海浦东汽车服务店", only_zh: "广州天河"}
    assert hant == {ids["bj"]: "北京朝陽服務中心", ids["sh"]: "上海浦东汽车服务店", only_zh: "广州天河"}
    assert people == {p: "王伟"}
    assert teams["en"] == {ids["t_bj"]: "Beijing Chaoyang Service Centre / Service Team A",
                           ids["t_sh"]: "Shanghai Pudong Motors / Service Team A",
                           ids["t2"]: "Shanghai Pudong Motors / Express Desk"}
    assert teams["zh-Hant"][ids["t_bj"]] == "北京朝陽服務中心 / 服務一組"
    assert teams["zh-Hant"][ids["t2"]] == "上海浦东汽车服务店 / 快修组"
    assert dict(site_options(engine, (), "zh-Hans"))[ids["bj"]] == "北京朝阳服务中心"
    assert dict(team_options(engine, (ids["sh"],), (), "en")) == {
        ids["t_sh"]: "Shanghai Pudong Motors / Service Team A", ids["t2"]: "Shanghai Pudong Motors / Express Desk"}


def test_two_units_never_display_alike(engine: Engine) -> None:
    ids = NAMES.org(engine)
    with engine.begin() as conn:
        # A second Beijing site whose English name is the same: lists tell them apart by code.
        twin = conn.execute(site.insert().values(code="BJ09", name="x", name_en="Beijing Chaoyang Service Centre")
                            ).inserted_primary_key[0]
        conn.execute(team.insert().values(site_id=twin, code="T1", name="Service Team A", name_en="Service Team A"))
        names = org_names(conn, "site", [ids["bj"], twin], "en")
    assert names == {ids["bj"]: "Beijing Chaoyang Service Centre (BJ01)", twin: "Beijing Chaoyang Service Centre (BJ09)"}
    labels = [label for _, label in team_options(engine, (), (), "en")]
    assert len(labels) == len(set(labels)) == 4
    assert "Beijing Chaoyang Service Centre / Service Team A (BJ09/T1)" in labels


# -- editing -----------------------------------------------------------------------------------------------
def test_names_are_edited_per_language_from_the_cli(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    ids = NAMES.org(engine)
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "org", "set-name", "site:sh01", "--lang", "zh-Hant", "上海浦東汽車服務店"]) == 0
    assert "上海浦東汽車服務店" in capsys.readouterr().out
    assert main(["--database-url", url, "org", "set-name", "team:SH01/T2", "--lang", "en", "Quick Service"]) == 0
    with engine.connect() as conn:
        assert org_names(conn, "site", [ids["sh"]], "zh-Hant") == {ids["sh"]: "上海浦東汽車服務店"}
        assert org_names(conn, "team", [ids["t2"]], "en") == {ids["t2"]: "Shanghai Pudong Motors / Quick Service"}
    # A name another site answers to would make files ambiguous: refused, nothing changed.
    assert main(["--database-url", url, "org", "set-name", "site:SH01", "--lang", "en", "北京朝阳服务中心"]) == 2
    assert "already names site BJ01" in capsys.readouterr().err
    with engine.begin() as conn, pytest.raises(ValueError, match="no team"):
        set_unit_name(conn, "admin", "team:SH01/T9", "en", "x")
    # The new name is matched by imports at once.
    result = load(engine, _survey(["e1,上海浦東汽車服務店,2026-11-02,8"]))
    assert result.errors.empty and scalar(engine, select(survey_response.c.site_id)) == ids["sh"]


# -- migration ---------------------------------------------------------------------------------------------
def test_migration_splits_old_combined_names(engine: Engine) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0011")
        conn.execute(text("INSERT INTO site (id, code, name) VALUES (1, 'S17', "
                          "'Suzhou Industrial Park Auto Service 苏州工业园区汽车服务站'), (2, 'S02', 'East Store'), "
                          "(3, 'S03', '台北信義服務中心'), (4, 'S04', 'BMW 4S店')"))
        conn.execute(text("INSERT INTO team (id, site_id, code, name) VALUES (1, 1, 'T1', 'Service Team A 服务一组')"))
        conn.execute(text("INSERT INTO person (id, team_id, code, name) VALUES (1, 1, 'P1', '王伟')"))
    upgrade(engine)
    cols = (site.c.id, site.c.name_en, site.c.name_zh_hans, site.c.name_zh_hant)
    assert rows(engine, select(*cols).order_by(site.c.id)) == [
        (1, "Suzhou Industrial Park Auto Service", "苏州工业园区汽车服务站", None),
        (2, "East Store", None, None),
        (3, None, None, "台北信義服務中心"),
        (4, None, None, None),  # not clearly combined: shown by its old name in every language
    ]
    assert rows(engine, select(team.c.name_en, team.c.name_zh_hans)) == [("Service Team A", "服务一组")]
    assert rows(engine, select(person.c.name_en, person.c.name_zh_hans)) == [(None, "王伟")]
    with engine.connect() as conn:
        assert org_names(conn, "site", [1, 4], "zh-Hans") == {1: "苏州工业园区汽车服务站", 4: "BMW 4S店"}
    # The old combined name and each part now all find the site.
    result = load(engine, _survey(["m1,苏州工业园区汽车服务站,2026-11-02,8", "m2,suzhou industrial park auto service,2026-11-02,8",
                                   "m3,Suzhou Industrial Park Auto Service 苏州工业园区汽车服务站,2026-11-02,8"]))
    assert result.errors.empty and {r[0] for r in rows(engine, select(survey_response.c.site_id))} == {1}


def test_the_names_editor_saves_changed_cells_in_one_transaction(engine: Engine) -> None:
    from cxdash.org_admin import save_unit_names, unit_name_rows

    ids = NAMES.org(engine)
    before = unit_name_rows(engine, "team")
    assert list(before["ref"]) == ["team:BJ01/T1", "team:SH01/T1", "team:SH01/T2"]
    after = before.copy()
    after.loc[1, "name_zh_hans"] = "服务一组"
    after.loc[2, "name_zh_hant"] = "快修組"
    assert save_unit_names(engine, "admin", before, after) == 2
    with engine.connect() as conn:
        assert org_names(conn, "team", [ids["t_sh"]], "zh-Hant") == {ids["t_sh"]: "上海浦东汽车服务店 / 服务一组"}
    # A clash anywhere refuses the whole save.
    again = unit_name_rows(engine, "site")
    edited = again.copy()
    edited.loc[0, "name_zh_hant"] = "北京朝陽服務中心 新"
    edited.loc[1, "name_en"] = "Beijing Chaoyang Service Centre"
    with pytest.raises(ValueError, match="already names site BJ01"):
        save_unit_names(engine, "admin", again, edited)
    assert unit_name_rows(engine, "site").equals(again)


def test_the_import_cli_lists_near_matches_and_takes_confirmations(
        engine: Engine, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    import json

    NAMES.org(engine)
    path = tmp_path / "near.csv"
    path.write_text(_survey(["c1,Beijing  Chaoyang,2026-11-02,8"]), encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    base = ["--database-url", url, "import", "surveys", str(path), "--create-missing", "--quiet",
            "--error-report", str(tmp_path / "errors.csv"), "--scale", "nps=0-10"]  # one NPS of 8: declared
    assert main(base) == 1  # nothing valid: the only row names a near-duplicate
    summary = json.loads(capsys.readouterr().out)
    assert summary["near_matches"] == {"site:beijing chaoyang": "BJ01 Beijing Chaoyang Service Centre"}
    assert main([*base, "--confirm-new", "site:Beijing Chaoyang"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["created"] == {"sites": 1} and summary["near_matches"] == {}
