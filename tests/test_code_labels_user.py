"""A deployment's own codes (a channel "kiosk", a segment "gold") get names in the three languages, set by an admin
on the command line, audited, and shown by every page and report that names codes (#20: "codes users uploaded get
display names in the three languages").
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from cxdash.cli import main
from cxdash.code_label_store import set_label, stored_labels
from cxdash.code_labels import code_label, use_labels
from cxdash.schema import audit_log


@pytest.fixture(autouse=True)
def _forget_labels() -> Iterator[None]:
    """The names are process-wide: every test starts and ends without any."""
    use_labels({})
    yield
    use_labels({})


def _url(engine: Engine) -> list[str]:
    return ["--database-url", engine.url.render_as_string(hide_password=False)]


def test_a_named_code_shows_its_name_with_fallbacks(engine: Engine) -> None:
    assert code_label("channel", "kiosk", "zh-Hans") == "kiosk"  # unknown: as uploaded
    set_label(engine, "channel", "Kiosk ", "zh-Hans", "自助终端", "admin@example.com")
    assert code_label("channel", "kiosk", "zh-Hans") == "自助终端"
    assert code_label("channel", " KIOSK", "zh-Hant") == "自助终端"  # the other script before English
    assert code_label("channel", "kiosk", "en") == "自助终端"
    set_label(engine, "channel", "kiosk", "en", "Self-service kiosk", "admin@example.com")
    assert code_label("channel", "kiosk", "en") == "Self-service kiosk"
    # A deployment's name wins over the catalog's; clearing it brings the catalog's back.
    catalog_name = code_label("channel", "app", "zh-Hans")
    set_label(engine, "channel", "app", "zh-Hans", "我们的应用", None)
    assert code_label("channel", "app", "zh-Hans") == "我们的应用"
    set_label(engine, "channel", "app", "zh-Hans", None, None)
    assert code_label("channel", "app", "zh-Hans") == catalog_name
    assert stored_labels(engine) == {"channel": {"kiosk": {"zh-Hans": "自助终端", "en": "Self-service kiosk"}}}
    with engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action, audit_log.c.entity_id)).all()
    assert [a for a, _ in actions].count("codes.label") == 4
    with pytest.raises(ValueError):
        set_label(engine, "colour", "red", "en", "Red", None)
    with pytest.raises(ValueError):
        set_label(engine, "channel", " ", "en", "Blank", None)


def test_cli_sets_lists_and_clears_names_and_reports_use_them(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    url = _url(engine)
    assert main([*url, "labels", "set", "segment", "gold", "--lang", "zh-Hant", "金卡客戶"]) == 0
    capsys.readouterr()
    use_labels({})  # a new command loads the names from the database
    assert main([*url, "labels", "list"]) == 0
    assert json.loads(capsys.readouterr().out) == {"segment": {"gold": {"zh-Hant": "金卡客戶"}}}
    assert code_label("segment", "gold", "zh-Hans") == "金卡客戶"
    assert main([*url, "labels", "clear", "segment", "gold", "--lang", "zh-Hant"]) == 0
    assert json.loads(capsys.readouterr().out)["names"] == {}
    assert code_label("segment", "gold", "zh-Hant") == "gold"
    with pytest.raises(SystemExit) as refused:  # argparse refuses a kind it does not know
        main([*url, "labels", "set", "colour", "red", "--lang", "en", "Red"])
    assert refused.value.code == 2


@pytest.mark.apptest
def test_the_tiers_page_shows_a_deployments_own_name(tmp_path) -> None:  # noqa: ANN001
    """Named on the command line, a code shows by that name on a page (the frame loads the names each run)."""
    import shutil

    from cxdash.db import make_engine
    from tests.support.app import demo_url, make_app, no_errors

    source = demo_url().removeprefix("sqlite:///")
    copy = tmp_path / "demo.db"
    shutil.copy(source, copy)
    url = f"sqlite:///{copy}"
    set_label(make_engine(url), "segment", "fleet", "zh-Hans", "车队大客户", "admin@example.com")
    use_labels({})  # the page must load the names itself
    at = make_app("zh-Hans", database_url=url)
    at.run()
    at.switch_page("ui/pages/tiers.py")
    at.session_state["tier_by"] = "segment"
    at.run()
    no_errors(at)
    assert any("车队大客户" in set(map(str, f.value.stack().unique())) for f in at.dataframe)
