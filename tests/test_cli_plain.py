"""The command line prints what users and files wrote without terminal control sequences (#21), on SQLite and
PostgreSQL: an import batch whose file name carries escape sequences, listed in JSON and CSV."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import Engine

from cxdash import cli
from cxdash.audit import now_utc
from cxdash.commands.common import print_json, print_rows, strip_controls
from cxdash.schema import import_batch

HOSTILE = ("report\x1b[2J\x1b[31mRED\x1b[0m\x1b]0;owned title\x07\x1b]52;c;aGVsbG8=\x1b\\\r\x08\x9b1A"
           "\x00\x7f\x85\u202eevil.csv\tnext\nline")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("plain text, 中文", "plain text, 中文"), ("a\x1b[31mred\x1b[0m", "ared"), ("x\x1b]0;title\x07y", "xy"),
     ("x\x1b]8;;http://e.x\x1b\\link\x1b]8;;\x1b\\y", "xlinky"), ("tab\tand\nnewline", "tab\tand\nnewline"),
     ("cr\roverwrite", "croverwrite"), ("c1\x9b2Jcsi", "c1csi"), ("nel\x85", "nel"), ("bidi\u202eltr", "bidiltr"),
     ("bell\x07", "bell"), ("lone\x1b", "lone")],
)
def test_strip_controls(raw: str, clean: str) -> None:
    assert strip_controls(raw) == clean


def test_print_helpers_strip_every_string() -> None:
    out = io.StringIO()
    print_rows([{"name\x1b[1m": HOSTILE, "n": 3, "tags": ["\x1b[5mx"]}], "json", out)
    text = out.getvalue()
    assert "\x1b" not in text and "\\u001b" not in text and "\x9b" not in text and "\u202e" not in text
    rows = json.loads(text)
    assert rows[0]["name"] == "reportREDevil.csv\tnext\nline"
    assert rows[0]["n"] == 3 and rows[0]["tags"] == ["x"]
    out = io.StringIO()
    print_rows([{"file": HOSTILE}], "csv", out)
    assert not any(ch in out.getvalue() for ch in "\x1b\x07\x00\x7f\x85\x9b\u202e\x08")
    out = io.StringIO()
    print_json({"k": HOSTILE}, out)
    assert "\\u001b" not in out.getvalue() and "\x85" not in out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_import_history_listing_strips_controls(engine: Engine, capsys: pytest.CaptureFixture[str],
                                                fmt: str) -> None:
    with engine.begin() as conn:  # PostgreSQL stores no NUL; every other control is stored as sent
        conn.execute(import_batch.insert().values(kind="surveys", source="file", file_name=HOSTILE.replace("\x00", ""), sha256="0" * 64,
                                                  created_by="x\x1b[8mhidden", created_at=now_utc()))
    url = engine.url.render_as_string(hide_password=False)
    assert cli.main(["--database-url", url, "batches", "list", "--format", fmt]) == 0
    out = capsys.readouterr().out.replace("\r\n", "\n")  # CSV's own line ends
    assert "reportRED" in out and "evil.csv" in out and "xhidden" in out
    assert not any(ch in out for ch in "\x1b\x07\x00\x7f\x85\x9b\u202e\x08\r")
    assert "\\u001b" not in out
