"""What a case notice says, in each language and form (pure: facts built by hand)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from cxdash.i18n import catalog, t
from cxdash.notify.render import DETAIL_KEYS, CaseFacts, TriggerFact, render_case, render_unassigned

AT = datetime(2026, 3, 16, 9, 0)


def facts(**extra: object) -> CaseFacts:
    """A case at Site 1 · Team 1 with one response trigger, one ticket trigger and a customer reference."""
    values: dict = dict(
        id=7, severity="high", status="new", source="response", rule="Rule & <x>", region_id=1, site_id=1,
        team_id=1, site="Site 1", team="Team 1", touchpoint="Delivery", opened_at=AT, due_at=AT,
        customer_ref="wang@example.org",
        triggers=(TriggerFact(AT, 3, 1, 0, "ring me: 021 5555 1234", {"gap": -2.5, "keywords": ["投诉", "slow"]}),
                  TriggerFact(AT, None, None, None, None, {"reminder_count": 3}, ticket_ref="T42")),
        n_triggers=4)
    values.update(extra)
    return CaseFacts(**values)


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_case_notice_in_each_language(lang: str) -> None:
    msg = render_case(facts(), lang, for_chat=False)
    assert msg.subject == t("notify.case.subject", lang, id=7, severity=t("notify.severity.high", lang),
                            unit="Site 1 · Team 1")
    for key in ("notify.case.rule", "notify.case.due", "notify.case.customer"):
        assert t(key, lang) in msg.text
    assert t("notify.detail.gap", lang) + " -2.50" in msg.text and "投诉, slow" in msg.text
    assert t("notify.case.ticket", lang, ref="T42") in msg.text
    assert t("notify.detail.reminder_count", lang) + " 3" in msg.text
    assert t("notify.case.more_triggers", lang, n=2) in msg.text
    assert "wang@example.org" in msg.text and "021 5555 1234" in msg.text  # the owner's e-mail may carry them
    assert "Rule &amp; &lt;x&gt;" in msg.html and "<x>" not in msg.html


def test_chat_form_leaves_out_the_customer_and_their_numbers() -> None:
    msg = render_case(facts(), "en", for_chat=True)
    everything = " ".join([msg.chat.title, *(f"{k} {v}" for k, v in msg.chat.facts), *msg.chat.lines])
    assert "wang@example.org" not in everything and "5555" not in everything
    assert t("notify.case.customer", "en") not in everything
    assert msg.chat.data["case"]["id"] == 7 and "customer" not in str(msg.chat.data)


def test_a_kpi_case_shows_its_figure() -> None:
    msg = render_case(facts(source="kpi", triggers=(), n_triggers=0, customer_ref=None,
                            detail={"kpi": "nps", "value": 12.5, "target": 30, "period": "2026-02"}), "zh-Hans",
                      for_chat=True)
    assert ("KPI", t("overview.kpi.nps.title", "zh-Hans")) in msg.chat.facts
    assert "12.5，目标 30（2026-02）" in msg.text


def test_every_detail_a_trigger_may_carry_has_a_label() -> None:
    assert not [k for k in DETAIL_KEYS if f"notify.detail.{k}" not in catalog()]


@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_unassigned_cases_notice_in_each_language(lang: str) -> None:
    rows = [{"id": 7, "severity": "high", "status": "new", "site": "Site 1", "team": None, "rule": "Rule & <x>",
             "due_at": AT}]
    msg = render_unassigned(rows, 25, lang, AT - timedelta(hours=1))
    assert msg.subject == t("notify.unassigned.subject", lang, n=25)
    line = f"#7 · {t('notify.severity.high', lang)} · Site 1 · Rule & <x> · 2026-03-16 09:00 UTC"
    assert line in msg.text.splitlines() and t("notify.digest.overdue", lang) not in msg.text
    assert t("notify.unassigned.intro", lang) in msg.text and t("notify.digest.more", lang, n=24) in msg.text
    assert "Rule &amp; &lt;x&gt;" in msg.html and "<x>" not in msg.html
    assert msg.chat.data == {"type": "unassigned", "cases": 25}
