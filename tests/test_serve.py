"""``python -m cxdash serve`` migrates the database and prepares the process before handing it to Streamlit with
the options it was given; other commands still refuse options they do not know."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from cxdash import cli, warmup
from cxdash.db import ROOT, make_engine


def test_serve_prepares_then_runs_streamlit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.web import cli as streamlit_cli

    seen: dict[str, object] = {}

    def fake_main() -> int:
        seen["argv"] = list(sys.argv)
        seen["prepared"] = bool(warmup._PREPARED)
        return 0

    monkeypatch.setattr(streamlit_cli, "main", fake_main)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    monkeypatch.setenv("CXDASH_DATABASE_URL", "sqlite:///elsewhere.db")  # restored afterwards
    url = f"sqlite:///{tmp_path / 'served.db'}"
    assert cli.main(["--database-url", url, "serve", "--server.port", "8599", "--server.headless", "true"]) == 0
    assert seen["argv"] == ["streamlit", "run", str(ROOT / "cxdash" / "app.py"), "--server.port", "8599",
                            "--server.headless", "true"]
    assert seen["prepared"]
    assert os.environ["CXDASH_DATABASE_URL"] == url  # the app process reads it from there
    assert "survey_response" in inspect(make_engine(url, migrate=False)).get_table_names()  # migrated first


def test_other_commands_refuse_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["init", "--server.port", "1"])
    assert "unrecognized arguments: --server.port 1" in capsys.readouterr().err
