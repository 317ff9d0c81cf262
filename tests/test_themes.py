"""Comment themes: tokens (jieba, English words, stop words, numbers, names, negations, phrases), lift counts by
hand, per-group and emerging terms, and the comments of a theme on both databases."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from cxdash.filters import Filters
from cxdash.metrics.loyalty.themes import (
    emerging_table,
    group_terms,
    lift_table,
    previous_three,
    theme_comments,
    voice,
)
from cxdash.metrics.loyalty.tokens import content_words, name_exclusions, terms
from tests.world import LOYALTY


def test_chinese_is_segmented_and_stop_words_numbers_dropped() -> None:
    got = terms("说实话，结账排队太久了，等了30分钟！")
    assert {"结账", "排队", "结账排队"} <= got
    assert not got & {"说实话", "了", "30", "，", "！"}
    assert "三" not in terms("等了三个小时")


def test_english_words_phrases_and_negation() -> None:
    got = terms("The checkout queue was NOT explained, honestly 45 minutes!")
    assert {"checkout", "queue", "checkout queue", "not explained", "minutes"} <= got
    assert not got & {"the", "was", "honestly", "45", "explained"}
    assert content_words("报价不透明") == [["报价", "不透明"]]


def test_names_of_people_and_places_are_excluded() -> None:
    places = ["Shanghai Minhang Service Centre 上海闵行服务中心", "Beijing Chaoyang Service Centre 北京朝阳服务中心",
              "Guangzhou Tianhe Service Centre 广州天河服务中心"]
    ex = name_exclusions(places, ["王伟芳", "Wang Fang"])
    assert {"王伟芳", "伟芳", "wang", "fang", "shanghai", "minhang", "闵行"} <= ex
    assert not ex & {"service", "centre"}  # generic words of every site name stay usable
    got = terms("王伟芳在闵行店服务很好 thanks Wang", ex)
    assert not got & {"王伟芳", "闵行", "wang"}


def test_lift_counts_comments_not_words() -> None:
    sets = [{"queue"}, {"queue", "slow"}, {"queue"}, {"friendly"}, {"friendly", "queue"}, {"friendly"}]
    table = lift_table(sets, pd.Series([2, 3, 5, 10, 9, 9]), min_count=1).set_index("term")
    # queue: 3 of 3 detractor comments, 1 of 3 promoter comments -> ((3+.5)/4) / ((1+.5)/4)
    assert table.loc["queue", ["comments", "detractors", "promoters"]].tolist() == [4, 3, 1]
    assert table.loc["queue", "lift"] == pytest.approx((3.5 / 4) / (1.5 / 4))
    assert table.loc["friendly", "lift"] < 1 < table.loc["queue", "lift"]
    assert table.index[0] in ("queue", "slow")
    # Katz interval on the smoothed counts: SE(log lift) = sqrt(1/3.5 - 1/4 + 1/1.5 - 1/4).
    se = math.sqrt(1 / 3.5 - 1 / 4 + 1 / 1.5 - 1 / 4)
    assert table.loc["queue", "lift_low"] == pytest.approx((3.5 / 1.5) * math.exp(-1.96 * se))


def test_a_few_detractor_only_comments_do_not_outrank_a_common_complaint() -> None:
    """6 detractors and no promoter (lift 13.5) against 50 detractors and 5 promoters (lift 9.2): the second is
    the surer complaint and ranks first."""
    sets = [{"rare"}] * 6 + [{"common"}] * 50 + [set()] * 44 + [{"common"}] * 5 + [set()] * 95
    ltr = pd.Series([0] * 100 + [10] * 100)
    table = lift_table(sets, ltr, min_count=1)
    lift = table.set_index("term")["lift"]
    assert lift["rare"] > lift["common"]
    assert table["term"].tolist() == ["common", "rare"]


def test_groups_and_emerging() -> None:
    sets = [{"queue"}] * 4 + [{"greeting"}] * 4
    groups = group_terms(sets, ["disappointed"] * 4 + ["delighted"] * 4, min_count=2)
    assert groups.set_index("group").loc["disappointed", "term"] == "queue"
    emerging = emerging_table([{"parking"}] * 6 + [{"queue"}] * 4, [{"queue"}] * 40 + [{"parking"}], min_count=3)
    assert emerging["term"].tolist()[0] == "parking" and "queue" not in emerging["term"].tolist()
    assert previous_three(Filters(date_from=date(2026, 4, 1), date_to=date(2026, 4, 30))) == \
        Filters(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31))


def test_voice_and_comments_on_the_database(engine) -> None:  # noqa: ANN001
    LOYALTY.org(engine)
    rows = ([{"ltr": 2, "comment": "结账排队太久，等了半小时", "tier": 0}] * 6
            + [{"ltr": 3, "comment": "The checkout queue took far too long", "tier": 0}] * 5
            + [{"ltr": 10, "comment": "保安很热情，Wang Fang 服务好", "tier": 2}] * 6
            + [{"ltr": 9, "comment": "100% like_it \\ ok", "tier": 1}] + [{"ltr": 8, "comment": ""}])
    LOYALTY.responses(engine, rows, visit_date=date(2026, 3, 16))
    LOYALTY.responses(engine, [{"ltr": 9, "comment": "保安很热情", "tier": 2}] * 4, visit_date=date(2026, 1, 10))
    f = Filters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    v = voice(engine, f, "en")
    assert (v.comments, v.sampled, v.detractors, v.promoters, v.previous_sampled) == (18, 18, 11, 7, 4)
    top = v.themes.iloc[0]
    assert top["lift"] > 1 and top["term"] in {"结账排队", "排队", "排队太久", "太久", "checkout queue", "queue", "结账", "checkout"}
    assert "wang" not in set(v.themes["term"]) and "fang" not in set(v.themes["term"])
    assert set(v.by_tier["group"]) <= {"disappointed", "delighted", "basic"}
    listed = theme_comments(engine, f, "checkout queue")
    assert len(listed) == 5 and listed["tier"].eq("disappointed").all()
    assert len(theme_comments(engine, f, "结账")) == 6
    assert len(theme_comments(engine, f, "like_it")) == 1  # "_" is literal, not a wildcard
    assert len(theme_comments(engine, f, "100%")) == 1
    assert theme_comments(engine, f, "e_t").empty
