"""``python -m bench`` at a tiny size: one JSON document with the expected keys, databases reused when built
with the same parameters (and refused when they hold something else), throw-away databases removed, drill-downs,
the usual-way reference agreeing with the pages, the upload showing at once, and PostgreSQL."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.cli import main
from bench.drilldowns import DRILLDOWNS
from bench.fresh_db import BuildSpec, bench_database, fresh_database, read_marker, write_marker
from bench.pages import PAGES, bench_filters
from bench.reference import CXDASH, REFERENCES, Reader, compare
from cxdash.db import make_engine

pytestmark = pytest.mark.slow

KEYS = {"responses", "tickets", "seed", "sites", "backend", "database_url", "reused", "build_seconds", "data", "filters", "now",
        "pages", "overview_cold_seconds", "overview_warm_seconds", "agree", "upload", "cases", "targets", "peak_memory_mb"}
PAGE_KEYS = {"import_seconds", "cold_seconds", "cold_cpu_seconds", "warm_seconds", "warm_uncached_seconds", "drilldown_seconds",
             "drilldown_warm_seconds", "peak_memory_mb", "targets"}
NOW = datetime(2030, 1, 1)


def _bench(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["--responses", "150", "--tickets", "150", "--seed", "3", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_bench_prints_one_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    out = _bench(capsys, "--database-url", url, "--page", "overview", "--page", "touchpoints", "--import-rows", "40")
    assert set(out) == KEYS
    assert (out["responses"], out["tickets"], out["backend"], out["database_url"]) == (150, 150, "sqlite", url)
    assert out["reused"] is False and out["build_seconds"] > 0
    assert out["data"]["responses"] == 150 and out["data"]["tickets"] == 150
    assert set(out["pages"]) == {"overview", "touchpoints"}
    overview, touchpoints = out["pages"]["overview"], out["pages"]["touchpoints"]
    assert set(overview) == PAGE_KEYS | {"reference", "ratio", "agree"}
    assert overview["drilldown_seconds"] is None and touchpoints["drilldown_seconds"] > 0
    assert out["overview_cold_seconds"] == overview["cold_seconds"] > 0 and out["overview_warm_seconds"] > 0
    assert overview["agree"] is touchpoints["agree"] is out["agree"] is True
    assert overview["reference"]["rows_read"] >= 300 and overview["ratio"] > 0
    up = out["upload"]
    assert (up["inserted"], up["reflected"], up["restored"]) == (40, True, True)
    assert up["after"]["overview_n_all"] == up["before"]["overview_n_all"] + 40
    assert out["targets"]["upload_reflected"] is True and out["targets"]["agree"] is True
    assert out["peak_memory_mb"]["measure"] > 0 and out["peak_memory_mb"]["reference"] > 0
    assert out["filters"]["from"] < out["filters"]["to"]


def test_bench_times_the_cases_and_the_rules_of_an_upload(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """#23: cases written in bulk, the case page and ``report cases`` timed and checked against pandas, the upload
    timed with a rule set in its transaction (its alerts phase), and all of it taken out again afterwards."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    out = _bench(capsys, "--database-url", url, "--page", "cases", "--page", "report_cases", "--cases", "90",
                 "--import-rows", "60")
    written = out["cases"]
    assert 0 < written["cases"] <= 90 and written["removed"] == written["cases"]
    assert written["triggers"] >= written["cases"] and written["events"] > written["cases"]
    assert sum(written["status"].values()) == written["cases"] and written["status"].get("resolved", 0) > 0
    for name in ("cases", "report_cases"):
        entry = out["pages"][name]
        assert entry["cold_seconds"] > 0 and entry["agree"] is True, (name, entry)
        assert entry["reference"]["compared"] > 8 and entry["reference"]["rows_read"] > 150
    assert out["pages"]["cases"]["drilldown_seconds"] > 0
    up = out["upload"]
    assert up["rules"] == 4 and up["alerts_seconds"] == up["phases_seconds"]["alerts"] >= 0
    assert up["cases_opened"] > 0 and up["cases_withdrawn"] == up["cases_opened"] and up["restored"] is True
    assert out["targets"]["alerts<=1.0s"] in (True, False) and out["agree"] is True
    eng = make_engine(url)
    with eng.connect() as conn:  # rules, cases, triggers and events all gone again
        for table in ("alert_rule", "followup_case", "case_trigger", "case_event"):
            assert conn.execute(text(f"select count(*) from {table}")).scalar_one() == 0, table
    eng.dispose()
    assert main(["--responses", "10", "--tickets", "10", "--cases", "-1"]) == 2


def test_reuse_a_database_built_with_the_same_parameters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "kept.db"
    url = f"sqlite:///{path}"
    first = _bench(capsys, "--database-url", url, "--page", "overview", "--no-reference", "--import-rows", "0")
    assert first["reused"] is False and first["upload"] is None and "reference" not in first["pages"]["overview"]
    marker = read_marker(url)
    assert marker is not None and (marker["responses"], marker["tickets"], marker["seed"]) == (150, 150, 3)
    mtime = path.stat().st_mtime
    again = _bench(capsys, "--database-url", url, "--page", "overview", "--no-reference", "--import-rows", "20")
    assert again["reused"] is True and again["build_seconds"] == first["build_seconds"]
    assert again["data"] == first["data"] and again["upload"]["restored"] is True
    eng = make_engine(url)
    with eng.connect() as conn:  # the upload was taken out again: still exactly what the marker says
        assert conn.execute(text("select count(*) from survey_response")).scalar_one() == 150
    eng.dispose()
    # Other parameters: refused without --rebuild, rebuilt with it.
    assert main(["--responses", "10", "--tickets", "10", "--database-url", url, "--page", "overview"]) == 2
    assert "--rebuild" in capsys.readouterr().err and path.stat().st_mtime >= mtime
    rebuilt = json.loads(_run(capsys, "--responses", "12", "--tickets", "10", "--database-url", url, "--rebuild",
                               "--page", "overview", "--no-reference", "--import-rows", "0"))
    assert rebuilt["reused"] is False and rebuilt["data"]["responses"] == 12


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*args]) == 0
    return capsys.readouterr().out


def test_a_database_with_foreign_data_is_never_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cxdash.demo import build_demo

    url = f"sqlite:///{tmp_path / 'mine.db'}"
    eng = make_engine(url)
    build_demo(eng, responses=20, tickets=20, seed=1)
    eng.dispose()
    for extra in ([], ["--rebuild"]):
        assert main(["--responses", "20", "--tickets", "20", "--seed", "1", "--database-url", url,
                     "--page", "overview", *extra]) == 2
        assert "no benchmark built" in capsys.readouterr().err
    assert main(["--responses", "10", "--tickets", "10", "--page", "nope"]) == 2


def test_temporary_databases_are_removed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _bench(capsys, "--temporary", "--page", "overview", "--no-reference", "--import-rows", "0")
    assert out["database_url"] is None and out["reused"] is False
    path = tmp_path / "gone.db"
    with fresh_database(f"sqlite:///{path}") as url:
        make_engine(url).dispose()
        assert path.exists()
    assert not path.exists()
    with fresh_database() as url:
        temp = Path(url.split("///", 1)[1])
        make_engine(url).dispose()
    assert not temp.parent.exists()


def test_registry_pages_and_drilldowns_run_in_process(engine) -> None:  # noqa: ANN001
    from bench.cases import generate_cases
    from cxdash.demo import build_demo

    build_demo(engine, responses=400, tickets=400, seed=5)
    filters = bench_filters(engine)
    generate_cases(engine, filters, 80, NOW)  # the case page and its drill-down need cases
    for name, page in PAGES.items():
        assert page(engine, filters) is not None, name
    for name, drill in DRILLDOWNS.items():
        assert name in PAGES and drill(engine, filters) is not None, name


def test_reference_agrees_with_the_pages(engine) -> None:  # noqa: ANN001
    from bench.cases import generate_cases
    from cxdash.demo import build_demo

    build_demo(engine, responses=500, tickets=500, seed=9)
    filters = bench_filters(engine)
    generate_cases(engine, filters, 120, NOW)
    assert set(REFERENCES) == set(CXDASH) == set(PAGES)  # every page has the usual way beside it
    for name, reference in REFERENCES.items():
        reader = Reader(engine)
        theirs = reference(reader, filters, NOW)
        result = compare(CXDASH[name](engine, filters, NOW), theirs)
        assert result["agree"], (name, result)
        assert result["compared"] > 3 and reader.rows > 0 and reader.seconds > 0
    # The figures really are compared: a wrong count, a missing figure or a value on one side only disagree.
    ours = CXDASH["overview"](engine, filters, NOW)
    assert not compare({**ours, "nps": (ours["nps"] or 0) + 1e-3}, ours)["agree"]
    assert not compare({k: v for k, v in ours.items() if k != "csat"}, ours)["agree"]
    assert compare(ours, ours)["max_abs_diff"] == 0 and not compare({}, {})["agree"]


@pytest.mark.postgres
def test_bench_on_postgresql(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    admin = make_url(pg_url).set(database="test").render_as_string(hide_password=False)
    out = _bench(capsys, "--database-url", admin, "--temporary", "--page", "overview", "--page", "service",
                 "--page", "cases", "--page", "report_cases", "--cases", "60", "--import-rows", "30")
    assert out["backend"] == "postgresql" and out["data"]["responses"] == 150
    assert out["agree"] is True and out["upload"]["reflected"] is True
    assert out["cases"]["cases"] > 0 and out["pages"]["cases"]["agree"] is True
    assert out["upload"]["cases_opened"] > 0 and "alerts" in out["upload"]["phases_seconds"]
    eng = make_engine(admin, migrate=False)
    with eng.connect() as conn:
        left = conn.execute(text("select count(*) from pg_database where datname like :p"),
                            {"p": f"cxdash_bench_{os.getpid()}_%"}).scalar_one()  # ours only
    eng.dispose()
    assert left == 0


@pytest.mark.postgres
def test_postgresql_database_is_reused(pg_url: str) -> None:
    admin = make_url(pg_url).set(database="test").render_as_string(hide_password=False)
    spec = BuildSpec(0, 0, 900_000 + os.getpid())  # a name no other run uses
    name = f"cxdash_bench_{spec.slug}"
    try:
        with bench_database(admin, spec) as db:
            assert not db.reused and make_url(db.url).database == name
            make_engine(db.url).dispose()
            write_marker(db.url, spec, build_seconds=1.0)
        with bench_database(admin, spec) as db:
            assert db.reused and db.marker is not None and db.marker["build_seconds"] == 1.0
        with bench_database(admin, spec, rebuild=True) as db:
            assert not db.reused and read_marker(db.url) is None
    finally:
        eng = make_engine(admin, migrate=False).execution_options(isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()


def _load_test_module():  # noqa: ANN202 - the script, imported by path
    import importlib.util

    spec = importlib.util.spec_from_file_location("load_test", Path(__file__).resolve().parent.parent / "scripts"
                                                  / "load_test.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_load_test_judges_totals() -> None:
    lt = _load_test_module()
    upload = {"total_after": 110, "committed_by": 50.0}

    def sessions(*totals: tuple[float, int]) -> list[dict]:
        return [{"session": 0, "visits": [{"path": "/", "at": at, "total": n, "seconds": 1.0} for at, n in totals]}]

    ok = lt.check(sessions((10.0, 100), (60.0, 110)), upload, 100)
    assert ok["consistent"] and ok["sessions_that_saw_the_new_total"] == 1
    assert not lt.check(sessions((10.0, 105)), upload, 100)["consistent"]  # a partial load
    assert not lt.check(sessions((60.0, 100)), upload, 100)["consistent"]  # stale after the commit
    assert not lt.check(sessions((40.0, 110), (45.0, 100)), upload, 100)["consistent"]  # went back
    plan = lt.views("2026-01-01", "2026-03-31", [1, 2], [5])
    assert plan[0] == ("/?from=2026-01-01&to=2026-03-31", True) and any("region=2" in p for p, _ in plan)


def test_a_failing_page_is_reported_without_stopping_the_run() -> None:
    from bench.runner import _guarded, _page_entry

    def boom() -> dict:
        raise RuntimeError("measuring 'x' failed: boom")

    failed = _guarded(boom)
    assert "boom" in failed["error"] and _page_entry(failed, None)["targets"] == {"ran": False}
    timing = {"page": "x", "cold_seconds": 0.5, "warm_seconds": 0.1, "drilldown_seconds": None}
    entry = _page_entry(timing, {"error": "reference failed"})
    assert entry["agree"] is False and entry["targets"]["cold<=1.0s"] is True and entry["targets"]["ratio>=10"] is None
    good = _page_entry(timing, {"page": "x", "seconds": 6.0, "agree": True})
    assert good["ratio"] == 12.0 and good["targets"]["ratio>=10"] is True and good["targets"]["warm<=0.2s"] is True


def test_build_spec_names_a_bigger_organisation() -> None:
    """The default 40 sites keep the names of databases built before the option; other sizes get their own."""
    assert BuildSpec(10, 20, 7).slug == "r10_t20_s7"
    assert BuildSpec(10, 20, 7, sites=1000).slug == "r10_t20_s7_x1000"
    old = {"responses": 10, "tickets": 20, "seed": 7, "complete": True}  # a marker written before sites existed
    assert BuildSpec(10, 20, 7).matches(old) and not BuildSpec(10, 20, 7, sites=1000).matches(old)
    assert BuildSpec(10, 20, 7, sites=1000).matches({**old, "sites": 1000})


def test_python_m_bench_runs_outside_the_package(tmp_path: Path) -> None:
    """``python -m bench import`` in its own process: the normalised pandas peer is timed beside the wide load,
    and ``python -m cxdash`` no longer knows a ``bench`` command."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    url = f"sqlite:///{tmp_path / 'import.db'}"
    proc = subprocess.run([sys.executable, "-m", "bench", "--database-url", url, "import", "--responses", "60",
                           "--workdir", str(tmp_path), "--chunk-rows", "25"],
                          capture_output=True, text=True, cwd=root, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["rows_loaded"] == out["pandas_normalised_rows_loaded"] == 60
    assert {"pandas_s", "speedup", "pandas_normalised_s", "pandas_normalised_peak_mb", "speedup_normalised"} <= set(out)
    assert out["pandas_normalised_scores_loaded"] == out["touchpoint_scores"] == 60 * 22
    gone = subprocess.run([sys.executable, "-m", "cxdash", "bench", "--help"], capture_output=True, text=True,
                          cwd=root, timeout=120, check=False)
    assert gone.returncode == 2 and "invalid choice: 'bench'" in gone.stderr


def test_the_runtime_package_never_imports_the_benchmark() -> None:
    import ast

    root = Path(__file__).resolve().parent.parent / "cxdash"
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            assert not any(n == "bench" or n.startswith("bench.") for n in names), path
