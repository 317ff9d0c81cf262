"""The Notices page under AppTest in three languages: a user's own settings, and for admins every user's settings,
the webhook channels (create, test against a real local HTTP server, delete) and the outbox with a failed notice
and its retry. The page runs on its own (``page_app``) as ``lead@example.com``."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update

from cxdash.auth import save_user
from cxdash.domain.followup import NOTICE_KINDS
from cxdash.i18n import t
from cxdash.notify.channels import list_channels, save_channel
from cxdash.notify.outbox import enqueue_case_notices
from cxdash.schema import app_user, notice
from tests.support.app import LANGS, no_errors, page_app
from tests.support.notify import NOW, case, http_server, rule
from tests.world import CLOSEDLOOP

pytestmark = pytest.mark.apptest
ME = "lead@example.com"  # the page_app user


def world(engine: Engine, role: str = "admin") -> None:
    """The organisation, the signed-in user with ``role``, a second user, a channel and its failed notice."""
    CLOSEDLOOP.org(engine)
    with engine.begin() as conn:
        save_user(conn, "root@example.com", ME, role, "Me", team_ids=[1] if role == "team_lead" else [])
        save_user(conn, "root@example.com", "other@example.com", "team_lead", "Other", team_ids=[2])
        save_channel(conn, {"name": "ops <b>room</b>", "kind": "feishu", "url": "http://127.0.0.1:9/x", "secret": "k",
                            "scope_kind": "site", "scope_id": 1}, "root@example.com", NOW)
        enqueue_case_notices(conn, [case(conn, rule(conn), site_id=1, team_id=1)], NOW)
        # The case has no owner, so an admin signed in here is told of it too: only the channel's notice failed.
        conn.execute(update(notice).where(notice.c.channel_id.is_not(None))
                     .values(status="failed", attempts=6, last_error="URLError: refused"))


@pytest.mark.parametrize("lang", LANGS)
def test_admin_sees_settings_channels_and_the_outbox(sqlite_engine: Engine, lang: str) -> None:
    world(sqlite_engine)
    at = page_app(sqlite_engine, "notices.py", lang, role="admin")
    at.run()
    no_errors(at)
    assert at.title[0].value == t("notify.page.title", lang)
    subheaders = [s.value for s in at.subheader]
    for key in ("notify.settings.mine", "notify.settings.users", "notify.channels.title", "notify.outbox.title"):
        assert t(key, lang) in subheaders
    assert [m.label for m in at.metric] == [t(f"notify.status.{s}", lang) for s in ("pending", "sending", "sent", "failed")]
    assert at.metric[3].value == "1"
    channels = at.dataframe[1].value
    assert channels.iloc[0].tolist()[1:4] == ["ops <b>room</b>", t("notify.kind.feishu", lang), t("notify.scope.site", lang)]
    assert "Site 1" in channels.to_string()  # the scope's unit by name
    outbox = at.dataframe[-1].value
    assert "URLError: refused" in outbox.to_string()
    assert set(outbox["kind"]) <= {t(f"notify.notice.{k}", lang) for k in NOTICE_KINDS}


@pytest.mark.parametrize("lang", LANGS)
def test_a_team_lead_sets_only_their_own_notices(sqlite_engine: Engine, lang: str) -> None:
    world(sqlite_engine, role="team_lead")
    at = page_app(sqlite_engine, "notices.py", lang, role="team_lead")
    at.run()
    no_errors(at)
    assert [s.value for s in at.subheader] == [t("notify.settings.mine", lang)]
    assert not at.dataframe and not at.metric
    at.selectbox(key="ntc_lang_mine").set_value("zh-Hant")
    at.checkbox(key="ntc_weekly_mine").check()
    at.button(key="ntc_save_mine").click().run()
    no_errors(at)
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(app_user.c.language, app_user.c.notify_weekly).where(app_user.c.email == ME)).one()
    assert tuple(row) == ("zh-Hant", True)


def test_admin_creates_tests_and_deletes_a_channel_and_retries_a_notice(sqlite_engine: Engine) -> None:
    world(sqlite_engine)
    # English: AppTest formats a select box's options outside the session, so in the page's language only for "en".
    at = page_app(sqlite_engine, "notices.py", "en", role="admin")
    at.run()
    with http_server([200]) as web:
        at.text_input(key="ntc_ch_name_0").input("值班群")
        at.selectbox(key="ntc_ch_kind_0").set_value("webhook")
        at.text_input(key="ntc_ch_url_0").input(web.url)
        at.text_input(key="ntc_ch_secret_0").input("abc")
        at.button(key="ntc_ch_save_0").click().run()
        no_errors(at)
        created = [c for c in list_channels(sqlite_engine) if c["name"] == "值班群"]
        assert len(created) == 1 and created[0]["has_secret"] and created[0]["kind"] == "webhook"
        at.selectbox(key="ntc_channel_pick").set_value(created[0]["id"]).run()
        at.button(key="ntc_test").click().run()
        no_errors(at)
        assert at.success[0].value == t("notify.channels.test_ok", "en")
    assert len(web.requests) == 1
    # A bad URL is refused with a translated message, not a traceback.
    at.selectbox(key="ntc_channel_pick").set_value(0).run()
    at.text_input(key="ntc_ch_name_0").input("bad")
    at.text_input(key="ntc_ch_url_0").input("file:///etc/passwd")
    at.button(key="ntc_ch_save_0").click().run()
    assert not at.exception and at.error[0].value == t("notify.error.url", "en")
    # Retry the failed notice, then delete the new channel.
    with sqlite_engine.connect() as conn:
        failed = conn.execute(select(notice.c.id).where(notice.c.status == "failed")).scalar_one()
    at.multiselect(key="ntc_retry_ids").set_value([failed]).run()
    at.button(key="ntc_retry").click().run()
    no_errors(at)
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(notice.c.status).where(notice.c.id == failed)).scalar_one() == "pending"
    at.selectbox(key="ntc_channel_pick").set_value(created[0]["id"]).run()
    at.checkbox(key="ntc_confirm_delete").check().run()
    at.button(key="ntc_delete").click().run()
    no_errors(at)
    assert not [c for c in list_channels(sqlite_engine) if c["name"] == "值班群"]
