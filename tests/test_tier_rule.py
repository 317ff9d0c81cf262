"""The tier rule written twice (pandas at load, SQL when the tolerance changes) gives the same tier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select

from cxdash.domain.tiers import TIER_NAMES, Tier, classify, tier_name
from cxdash.metrics.experience.tier_settings import recompute_tiers
from cxdash.schema import survey_response
from tests.world import EXPERIENCE

# (disconfirmation, overall P, overall E, scale min, scale max, mean touchpoint gap without overall items)
CASES = [
    (None, 4, 5, 1, 7, None), (None, 5, 5, 1, 7, None), (None, 6, 5, 1, 7, None),  # integer items: exact
    (None, 4.4, 5.0, 1, 7, None), (None, 4.7, 5.0, 1, 7, None), (None, 5.6, 5.0, 1, 7, None),  # fine scores
    (None, 7, 8, 0, 10, None), (None, 48, 50, 1, 100, None),  # 11 points exact; 100 points with tolerance
    ("below", 6, 5, 1, 7, None), ("met", 4, 5, 1, 7, None), ("exceeded", None, None, None, None, None),
    (None, None, None, None, None, -0.2), (None, None, None, None, None, 0.03), (None, None, None, None, None, None),
]


@pytest.mark.parametrize("tolerance", [0.0, 1 / 12, 0.2])
def test_pandas_and_sql_tiers_agree(engine: Engine, tolerance: float) -> None:
    frame = pd.DataFrame(CASES, columns=["disc", "p", "e", "lo", "hi", "tp"])
    tiers, gaps = classify(frame["disc"], frame["p"].astype(float), frame["e"].astype(float),
                           frame["lo"].astype(float), frame["hi"].astype(float), frame["tp"].astype(float), tolerance)
    EXPERIENCE.org(engine)
    rows = [{"disconfirmation": d, "overall_p": p, "overall_e": e, "overall_scale_min": lo, "overall_scale_max": hi,
             "gap_norm": None if np.isnan(g) else float(g)}
            for (d, p, e, lo, hi, _), g in zip(CASES, gaps, strict=True)]
    ids = EXPERIENCE.responses(engine, [{k: v for k, v in r.items() if v is not None} for r in rows])
    with engine.begin() as conn:
        recompute_tiers(conn, tolerance)
        stored = dict(conn.execute(select(survey_response.c.id, survey_response.c.tier)).all())
    assert [tier_name(stored[i]) for i in ids] == [tier_name(t) for t in tiers]


def test_tier_names_follow_the_enum() -> None:
    assert TIER_NAMES == ("disappointed", "basic", "delighted", "none")
    assert [tier_name(int(t)) for t in Tier] == list(TIER_NAMES[:3])
    assert tier_name(None) == tier_name(float("nan")) == tier_name(pd.NA) == tier_name(7) == "none"
