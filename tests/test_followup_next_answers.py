"""Each resolved case keeps its customer's next answer (cxdash.followup.next_answers), on both databases: against
a computation from the responses themselves, and through every path that changes it in the app (resolving a case,
uploading answers, correcting an uploaded answer, deleting a batch)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, select, update

from cxdash.auth import User
from cxdash.filters import Filters
from cxdash.followup.next_answers import refresh_next_answers
from cxdash.followup.steps import contact, resolve
from cxdash.imports.batches import delete_batch
from cxdash.metrics.followup.measures import case_measures
from cxdash.schema import survey_response
from cxdash.schema.followup import followup_case
from tests.support.cases import NOW, build_cases
from tests.support.followup_world import rule, user
from tests.support.imports import load
from tests.world import IMPORTS

fc = followup_case.c
CX = User("cx@x.org", "CX", "cx_lead")
UPLOADED = datetime(2026, 12, 10, 9, 0)  # the later answers arrive after their visits


def _kept(engine: Engine) -> dict[int, tuple]:
    with engine.connect() as conn:
        return {r.id: (r.next_response_id, r.next_ltr, r.next_csat) for r in conn.execute(
            select(fc.id, fc.next_response_id, fc.next_ltr, fc.next_csat).order_by(fc.id))}


def _expected(engine: Engine) -> dict[int, tuple]:
    """The next answer of each case from whole tables, as a reader of docs/metrics.md would find it."""
    with engine.connect() as conn:
        cases = pd.DataFrame(conn.execute(select(fc.id, fc.status, fc.customer_id, fc.closed_at)).mappings().all())
        answers = pd.DataFrame(conn.execute(select(
            survey_response.c.id, survey_response.c.customer_id, survey_response.c.visit_date,
            survey_response.c.ltr, survey_response.c.csat)).mappings().all())
    out: dict[int, tuple] = {}
    for case in cases.itertuples():
        found = (None, None, None)
        if case.status == "resolved" and pd.notna(case.customer_id) and case.closed_at is not None:
            later = answers[(answers["customer_id"] == case.customer_id)
                            & (pd.to_datetime(answers["visit_date"]).dt.date > case.closed_at.date())]
            if not later.empty:
                first = later.sort_values(["visit_date", "id"]).iloc[0]
                found = (int(first["id"]), None if pd.isna(first["ltr"]) else int(first["ltr"]),
                         None if pd.isna(first["csat"]) else int(first["csat"]))
        out[int(case.id)] = found
    return out


def test_kept_answers_agree_with_the_responses(engine: Engine) -> None:
    build_cases(engine)
    kept = _kept(engine)
    assert kept == _expected(engine)
    # Customer 1's answer on the closing day is not "after"; the one five days later is.
    assert kept[1][1:] == (10, 5) and kept[2][1:] == (6, 2)
    assert all(v == (None, None, None) for k, v in kept.items() if k not in (1, 2, 5))
    with engine.begin() as conn:  # lost, then found again by a refresh of everything
        conn.execute(update(followup_case).values(next_response_id=None, next_ltr=None, next_csat=None))
        assert refresh_next_answers(conn) == 2  # cases 1 and 2 found theirs again
    assert _kept(engine) == kept
    with engine.begin() as conn:
        assert refresh_next_answers(conn, customer_ids=[], case_ids=[]) == 0  # nothing asked, nothing done
        assert refresh_next_answers(conn) == 0  # nothing changed, nothing written


def _after(engine: Engine) -> dict[str, tuple]:
    m = case_measures(engine, Filters(), NOW)
    return {r["recovered"]: (int(r["n"]), r["nps"], r["csat"]) for r in m.after.to_dict("records")}


FIRST = """response_id,customer_id,site,team,visit_date,nps,csat,comment
u1,C1,S01,A,2026-11-20,3,2,waited too long
u2,C3,S01,A,2026-11-26,2,1,
"""
# C1 answers again: on the day the case closes (not after), two days later and five days later.
LATER = """response_id,customer_id,site,team,visit_date,nps,csat,comment
w1,C1,S01,A,2026-12-04,1,1,same day
w2,C1,S01,A,2026-12-06,9,4,better
w3,C1,S01,A,2026-12-09,2,1,worse again
"""


def test_resolving_uploading_correcting_and_deleting_keep_it_current(engine: Engine) -> None:
    ids = IMPORTS.org(engine)
    user(engine, "lead@x.org", "team_lead", teams=(ids["t1"],))
    rule(engine, "ltr_at_most", {"threshold": 6})
    first = load(engine, FIRST)
    assert first.status == "loaded"
    with engine.connect() as conn:
        case_of = {c: i for i, c in conn.execute(select(fc.id, fc.customer_id))}
    c1 = case_of[min(case_of)]
    closing = datetime(2026, 12, 4, 15, 0)
    with engine.begin() as conn:
        contact(conn, c1, CX, closing)
        resolve(conn, c1, CX, closing, "yes", "training", None)
    assert _kept(engine)[c1] == (None, None, None) and _after(engine) == {}  # no answer after it yet

    later = load(engine, LATER, name="later.csv", now=UPLOADED)
    assert later.status == "loaded"
    assert _kept(engine)[c1][1:] == (9, 4) and _kept(engine) == _expected(engine)
    assert _after(engine) == {"yes": (1, 100.0, 1.0)}

    # Its score was mistyped: the same answer, corrected, keeps its place with the new score.
    rescored = "\n".join([LATER.splitlines()[0], LATER.splitlines()[2].replace(",9,4,", ",10,4,")]) + "\n"
    assert load(engine, rescored, name="rescored.csv", on_duplicate="update", now=UPLOADED).updated == 1
    assert _kept(engine)[c1][1:] == (10, 4) and _kept(engine) == _expected(engine)

    # The two-days-later answer was another customer's: corrected in an upload of that answer alone, so C1 is
    # not among the customers loaded, and only the check of the kept answers finds that theirs went.
    fix = "\n".join([LATER.splitlines()[0], LATER.splitlines()[2].replace("w2,C1", "w2,C3")]) + "\n"
    corrected = load(engine, fix, name="corrected.csv", on_duplicate="update",
                     now=UPLOADED)
    assert corrected.updated == 1
    assert _kept(engine)[c1][1:] == (2, 1) and _kept(engine) == _expected(engine)
    assert _after(engine) == {"yes": (1, -100.0, 0.0)}

    delete_batch(engine, later.batch_id)  # type: ignore[arg-type]
    assert _kept(engine)[c1] == (None, None, None) and _kept(engine) == _expected(engine)
    assert _after(engine) == {}
