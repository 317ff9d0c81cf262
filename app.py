"""cxdash: router and frame. Run with ``streamlit run app.py``; the frame lives in :mod:`cxdash.ui.frame`."""

from cxdash.ui.frame import run_app

run_app()
