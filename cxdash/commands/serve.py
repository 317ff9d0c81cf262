"""``cxdash serve [STREAMLIT OPTIONS]``: serve the app, its process prepared before the first visit.

``streamlit run app.py`` imports the app only when the first browser session runs it, so the first visitor paid
the domain imports (1.3-1.6 s on the 2-core machine, see :mod:`cxdash.warmup`) and the database's migration
check on top of the page itself. This command migrates the database and prepares the process first, then hands
the same process to Streamlit's own command line (``streamlit run`` of the package's entry script
``cxdash/app.py`` with the options given), so the first view costs what every later cold view does. Streamlit
also reads the packaged ``cxdash/.streamlit/config.toml`` beside that script (theme, headless, localhost); the
options given and ``STREAMLIT_*`` variables override it.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from cxdash.commands.common import engine_from_args


def register(sub: Any, reports: Any) -> None:
    """Add the ``serve`` command."""
    p = sub.add_parser("serve", help="serve the app (streamlit run cxdash/app.py), prepared before the first visit")
    p.epilog = "Any further options go to streamlit run, e.g. --server.port 8501 --server.headless true."
    p.set_defaults(handler=run, passes_options_on=True, passed_on=[])


def run(args: argparse.Namespace) -> int:
    """Migrate the database, import the domain modules, then run Streamlit in this process (does not return
    while the server runs)."""
    # why: Streamlit and the domain modules load for ``serve`` only, not for every command
    from cxdash.ui.serve import run_streamlit
    from cxdash.warmup import prepare_process

    if getattr(args, "database_url", None):
        os.environ["CXDASH_DATABASE_URL"] = args.database_url  # the app reads it from the environment
    engine_from_args(args).dispose()  # migrated now, not during the first visit
    prepare_process()
    return run_streamlit(args.passed_on)
