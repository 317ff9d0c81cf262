"""The usual-way references of every benchmark page: each page has one (their agreement with the pages on a small
demo is tests/test_bench.py::test_reference_agrees_with_the_pages), and the bounded samples cxdash reads are taken by the references exactly (same ids), also where a sample is
smaller than the selection (forced here with small sample sizes)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from bench import reference_drivers, reference_voice
from bench.pages import PAGES, bench_filters
from bench.reference import CXDASH, REFERENCES, Reader, compare
from bench.reference_base import response_sample
from cxdash.schema import survey_response
from tests.support.snapshots import Snapshots

NOW = datetime(2030, 1, 1)


def test_every_page_has_a_reference() -> None:
    assert set(REFERENCES) == set(CXDASH) == set(PAGES)


def test_the_references_import_the_pages_sample_sizes() -> None:
    """The oracles take every sample size and window from the module that defines it in cxdash: no reference
    module assigns a number of its own at module level (a copied constant would drift when cxdash's changes)."""
    import ast
    from pathlib import Path

    import bench
    from cxdash.metrics import response_list, sampling
    from cxdash.metrics import response_sample as rs
    from cxdash.metrics.improve import effect as action_effect
    from cxdash.metrics.loyalty import customer_features, effort, failures, themes
    from cxdash.metrics.loyalty import figures as loyalty

    for path in sorted(Path(bench.__file__).parent.glob("reference*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            assert not (isinstance(value, ast.Constant) and type(value.value) is int), \
                f"{path.name}:{node.lineno} copies a number: import it from cxdash"
    from bench import reference_base, reference_closedloop, reference_drilldown, reference_loyalty

    assert reference_loyalty.CES_SAMPLE is loyalty.CES_SAMPLE and reference_loyalty.EFFORT_SAMPLE is effort.EFFORT_SAMPLE
    assert reference_loyalty.FAILURE_SAMPLE is failures.FAILURE_SAMPLE
    # One sampling rule for the three: the reference's response_sample reads the metrics' default size.
    assert loyalty.CES_SAMPLE == effort.EFFORT_SAMPLE == failures.FAILURE_SAMPLE == rs.DEFAULT_SIZE
    assert reference_base.MAX_CANDIDATES is sampling.MAX_CANDIDATES
    assert reference_drivers.SAMPLE_CUSTOMERS is customer_features.SAMPLE_CUSTOMERS
    assert reference_voice.SAMPLE_COMMENTS is themes.SAMPLE_COMMENTS
    assert reference_closedloop.BEFORE_DAYS is action_effect.BEFORE_DAYS
    assert reference_drilldown.PAGE_SIZE is response_list.PAGE_SIZE


def _demo(engine: Engine, snapshots: Snapshots, n: int = 500, seed: int = 9) -> None:
    from cxdash.demo import build_demo

    snapshots.seed(engine, build_demo, responses=n, tickets=n, seed=seed)


@pytest.mark.parametrize("candidates", [20_000, 10])  # ids by key lookup from the lowest id, or ids divisible by k
def test_response_sample_takes_the_same_ids(engine: Engine, snapshots: Snapshots, monkeypatch: pytest.MonkeyPatch,
                                            candidates: int) -> None:
    from cxdash.metrics import response_sample as rs
    from cxdash.metrics import sampling

    _demo(engine, snapshots, 300, 4)
    monkeypatch.setattr(sampling, "MAX_CANDIDATES", candidates)  # the rule response_sample shares
    filters = bench_filters(engine)
    whole = Reader(engine).table(survey_response)
    from bench.reference_base import filter_responses

    sel = filter_responses(whole, filters)
    for size in (7, 40, 10_000):
        with engine.connect() as conn:
            sample = rs.response_sample(conn, filters, size, [survey_response.c.customer_id.is_not(None)])
            ours = sorted(int(i) for i in conn.execute(select(survey_response.c.id).where(sample.where)).scalars())
        theirs = response_sample(sel, whole["id"], size, extra=sel["customer_id"].notna(),
                                 max_candidates=candidates)
        assert ours == sorted(theirs["id"].astype(int).tolist()), size
        assert (sample.step > 1) == (size < len(sel))


def test_sampled_customers_and_comments_agree(engine: Engine, snapshots: Snapshots, monkeypatch: pytest.MonkeyPatch) -> None:
    """Churn groups over every k-th judged customer and themes over every k-th comment, with k > 1."""
    _demo(engine, snapshots)
    filters = bench_filters(engine)
    monkeypatch.setattr(reference_drivers, "SAMPLE_CUSTOMERS", 40)
    monkeypatch.setattr(reference_voice, "SAMPLE_COMMENTS", 30)
    for name in ("drivers", "voice"):
        ours = CXDASH[name](engine, filters, NOW)
        result = compare(ours, REFERENCES[name](Reader(engine), filters, NOW))
        assert result["agree"], (name, result)
    assert 0 < ours["sampled"] <= 30 < ours["comments"]  # really a sample of the comments
    drivers = CXDASH["drivers"](engine, filters, NOW)
    sampled = sum(v or 0 for k, v in drivers.items() if k.startswith("group.tier.") and k.endswith(".n"))
    assert 0 < sampled <= 60 and drivers["churn.n"] > 80  # about 40 of the judged customers: k >= 2


def test_a_wrong_figure_disagrees(engine: Engine, snapshots: Snapshots) -> None:
    _demo(engine, snapshots, 300, 4)
    filters = bench_filters(engine)
    theirs = REFERENCES["loyalty_effort"](Reader(engine), filters, NOW)
    ours = CXDASH["loyalty_effort"](engine, filters, NOW)
    key = next(k for k, v in ours.items() if k.startswith("effort.") and v)
    assert not compare({**ours, key: ours[key] + 1e-3}, theirs)["agree"]  # type: ignore[operator]
    assert not compare(pd.Series(ours).drop(key).to_dict(), theirs)["agree"]
