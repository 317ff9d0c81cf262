"""Handing a prepared process to Streamlit's own command line (``python -m cxdash serve``)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cxdash.db import ROOT


def run_streamlit(options: Sequence[str]) -> int:
    """Run ``streamlit run app.py`` with ``options`` in this process; returns when the server stops."""
    from streamlit.web import cli as streamlit_cli

    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *options]
    return int(streamlit_cli.main() or 0)
