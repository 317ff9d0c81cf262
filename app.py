"""Kept for ``streamlit run app.py`` from a checkout; the app's entry script is ``cxdash/app.py`` (what
``cxdash serve`` runs)."""

from cxdash.ui.frame import run_app

run_app()
